"""The discriminator's verdict per patch: why "1 channel out" means one real/fake call per patch.

The PatchGAN ends in ``Conv2d(512, 1)``: a (1, h, w) map of logits, 8x8 for the notebook (all
strides 2) and 30x30 for pix2pix at 256. Each cell sees only its receptive field (94x94 or
70x70 pixels, ``inspector.conv.receptive_field``), so the map is h x w separate judgments of
overlapping patches. The sigmoid turns a logit into "probability this patch is real"
(``BCEWithLogitsLoss`` applies the same sigmoid inside the loss).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from inspector.conv.receptive_field import receptive_field
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.inside.tap import Mode, as_batch, checked_forward, lab_rgb, model_device, run_mode
from models.discriminator import conditional_pair
from models.text import Text, message_of


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class PatchVerdict(RichDisplay):
    """D's judgment of the first image, cell by cell."""

    probability: np.ndarray  # (h, w) float32: sigmoid of the logits, 1 = "real"
    logits: np.ndarray  # (h, w) float32: D's raw output
    boxes: np.ndarray  # (h, w, 4) int64: each cell's field (top, left, bottom, right), inclusive, clipped
    field_size: int  # side of one cell's receptive field in input pixels (before clipping)
    jump: int  # input pixels between neighbouring cells' fields
    input_size: int
    photo: np.ndarray | None = None  # (S, S, 3) uint8: the first pair D judged, L with its ab, as colour

    @property
    def grid(self) -> tuple[int, int]:
        return (int(self.probability.shape[0]), int(self.probability.shape[1]))

    @property
    def mean_probability(self) -> float:
        """The mean over patches: what ``BCEWithLogitsLoss`` averages over, in probability terms."""
        return float(self.probability.mean())


def patch_verdict(discriminator: nn.Module, L: Tensor, ab: Tensor, mode: Mode = "eval") -> PatchVerdict:
    """sigmoid(D(cat(L, ab))) for L (B, 1, S, S) and ab (B, 2, S, S), with each cell's field.

    Eval mode by default (BatchNorm on its running statistics), so the verdict on one photo does
    not depend on the rest of a batch; ``mode="train"`` shows what D computes during training.
    """
    L = as_batch(L, channels=1, what="L")
    ab = as_batch(ab, channels=2, what="ab")
    if L.shape[0] != ab.shape[0] or L.shape[2:] != ab.shape[2:]:
        raise UserError(
            Text(
                "L {l_shape} and ab {ab_shape} must agree in batch and size",
                l_shape=str(tuple(L.shape)),
                ab_shape=str(tuple(ab.shape)),
            )
        )
    height, width = L.shape[2:]
    if height != width:
        raise UserError(
            Text(
                "the photo must be square (the patch grid is), got {height}x{width}",
                height=height,
                width=width,
            )
        )
    device = model_device(discriminator)
    x = conditional_pair(L, ab).to(device)  # (B, 3, S, S): what D sees
    with run_mode(discriminator, mode, seed=None):
        logits = checked_forward(discriminator, x)
    if logits.dim() != 4 or logits.shape[1] != 1:
        raise UserError(
            Text(
                "the discriminator must return a (B, 1, h, w) map, it returned {shape}",
                shape=str(tuple(logits.shape)),
            )
        )
    try:
        rf = receptive_field(discriminator, int(height))
    except ValueError as exc:
        raise UserError(
            Text("cannot place the patches on the photo: {error}", error=message_of(exc))
        ) from None
    h, w = logits.shape[2:]
    if rf.grid != h or h != w:
        raise UserError(
            Text(
                "the discriminator's layers, walked in order, give a {grid}x{grid} map but it returned "
                "{h}x{w}: its forward is not a plain chain of its convs",
                grid=rf.grid,
                h=h,
                w=w,
            )
        )
    boxes = np.array([[rf.field(r, c) for c in range(w)] for r in range(h)], dtype=np.int64)  # (h, w, 4)
    one = logits[0, 0].float().cpu()
    return PatchVerdict(
        probability=torch.sigmoid(one).numpy(),
        logits=one.numpy(),
        boxes=boxes,
        field_size=rf.size,
        jump=rf.jump,
        input_size=int(height),
        photo=lab_rgb(L, ab),
    )


def real_and_fake_verdicts(
    generator: nn.Module, discriminator: nn.Module, L: Tensor, ab: Tensor, mode: Mode = "eval"
) -> tuple[PatchVerdict, PatchVerdict, np.ndarray]:
    """D's verdict on the real pair (L, ab) and on the generator's colorization (L, G(L)), and that
    colorization as (S, S, 3) uint8. Both run in ``mode`` (eval: no Dropout, one answer per photo;
    ``batch-stats``: BatchNorm on the photo's own statistics); every module's mode is put back
    afterwards, so a model shared by several views is left as it was."""
    L = as_batch(L, channels=1, what="L")
    with run_mode(generator, mode, seed=None):
        fake = checked_forward(generator, L.to(model_device(generator)))  # (B, 2, S, S)
    real = patch_verdict(discriminator, L, ab, mode)
    return real, patch_verdict(discriminator, L, fake, mode), lab_rgb(L, fake)

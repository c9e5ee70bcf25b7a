"""Receptive field of a chain of convolutions (the PatchGAN discriminator), and its patch grid.

Walking the layers in order, with ``r`` the field size, ``j`` the jump (input pixels between
two neighbouring cells of the current map) and ``left`` the first field's left edge::

    k_eff = dilation * (kernel - 1) + 1
    r    <- r + (k_eff - 1) * j
    left <- left - padding * j
    j    <- j * stride

Output cell ``i`` then sees input pixels ``left + i * j`` .. ``left + i * j + r - 1`` (some of
them padding when that range leaves the image). 70 for the pix2pix PatchGAN, 94 for the
notebook's (all strides 2).

This is the field of the local computation. A norm that uses statistics of the whole map
(InstanceNorm, or BatchNorm in train mode) lets every pixel nudge every output through those
statistics; ``gradient_field`` shows it (eval-mode BatchNorm does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from inspector.display import RichDisplay
from models import DiscriminatorConfig, build_discriminator

if TYPE_CHECKING:
    from PIL import Image

_POOLS = (nn.MaxPool2d, nn.AvgPool2d)


@dataclass(frozen=True)
class RFLayer:
    """One spatial layer and the field after it."""

    name: str
    module_type: str
    kernel: int
    stride: int
    padding: int
    dilation: int
    rf: int  # receptive field after this layer, input pixels
    jump: int  # input pixels between neighbouring output cells after this layer
    left: int  # left edge of cell 0's field, in input pixels (negative: it starts in the padding)
    size: int | None  # map side after this layer for ``input_size`` (None if not given)


@dataclass(frozen=True)
class ReceptiveField(RichDisplay):
    """The field of one output cell: a ``size`` x ``size`` square, cells ``jump`` apart."""

    layers: tuple[RFLayer, ...]
    input_size: int | None
    size: int
    jump: int
    left: int
    grid: int | None  # side of the output (patch) map at input_size

    def field(self, row: int, col: int, clip: bool = True) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of output cell (row, col)'s field in input pixels;
        with ``clip``, cut to the image (needs ``input_size``)."""
        if self.grid is not None and not (0 <= row < self.grid and 0 <= col < self.grid):
            raise ValueError(f"cell ({row}, {col}) is outside the {self.grid}x{self.grid} patch map")
        top, lft = self.left + row * self.jump, self.left + col * self.jump
        box = (top, lft, top + self.size - 1, lft + self.size - 1)
        if clip and self.input_size is not None:
            hi = self.input_size - 1
            box = (max(box[0], 0), max(box[1], 0), min(box[2], hi), min(box[3], hi))
        return box


def _pair(v: int | tuple[int, ...]) -> int:
    if isinstance(v, tuple):
        if len(set(v)) != 1:
            raise ValueError(f"only square kernels, strides and paddings are supported, got {v}")
        return int(v[0])
    return int(v)


def spatial_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers that change the receptive field, in module order (convs and pools)."""
    out: list[tuple[str, nn.Module]] = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            raise ValueError(
                f"{name} is a {type(m).__name__}: a receptive field is defined here for a chain "
                "of convolutions (a discriminator), not for a network that upsamples"
            )
        if isinstance(m, (nn.Conv2d, *_POOLS)):
            out.append((name, m))
    return out


def receptive_field(
    model_or_cfg: nn.Module | DiscriminatorConfig, input_size: int | None = None
) -> ReceptiveField:
    """The receptive field of the last layer's cells, walking the model's convs and pools in order.

    Assumes the layers form a chain, as in a PatchGAN (module order = data order). A
    ``DiscriminatorConfig`` is built on the meta device (no memory), and its ``input_size`` is
    used unless ``input_size`` is given. A ``GeneratorConfig`` (a U-Net) is refused.
    """
    model: nn.Module
    if isinstance(model_or_cfg, DiscriminatorConfig):
        if input_size is None:
            input_size = model_or_cfg.input_size
        with torch.device("meta"):
            model = build_discriminator(model_or_cfg)
    elif isinstance(model_or_cfg, nn.Module):
        model = model_or_cfg
    else:
        raise ValueError(
            f"expected a discriminator (nn.Module or DiscriminatorConfig), got {type(model_or_cfg).__name__}"
        )
    layers = spatial_layers(model)
    if not layers:
        raise ValueError("the model has no Conv2d or pooling layer: its receptive field is one pixel")
    rf, jump, left, size = 1, 1, 0, input_size
    rows: list[RFLayer] = []
    for name, m in layers:
        k, s, p = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)  # type: ignore[arg-type]
        d = _pair(getattr(m, "dilation", 1))
        k_eff = d * (k - 1) + 1
        rf += (k_eff - 1) * jump
        left -= p * jump
        jump *= s
        if size is not None:
            size = (size + 2 * p - k_eff) // s + 1
            if size < 1:
                raise ValueError(
                    f"input size {input_size} is too small: after {name} the map is {size}x{size}"
                )
        rows.append(RFLayer(name, type(m).__name__, k, s, p, d, rf, jump, left, size))
    return ReceptiveField(tuple(rows), input_size, rf, jump, left, size)


def gradient_field(
    model: nn.Module, input_shape: tuple[int, int, int, int], row: int, col: int
) -> torch.Tensor:
    """The oracle: which input pixels reach output cell (row, col), by backpropagation.

    Runs a float64 copy in eval mode (train-mode BatchNorm would mix every pixel through the
    batch statistics) and returns a (H, W) bool mask of pixels with a nonzero gradient.
    """
    import copy

    work = copy.deepcopy(model).double().eval()
    for m in work.modules():  # in-place activations are fine for autograd, but keep the graph simple
        if hasattr(m, "inplace"):
            m.inplace = False  # type: ignore[assignment]  # a plain bool attribute of the activation
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(input_shape, generator=gen, dtype=torch.float64, requires_grad=True)
    y = work(x)
    y[0, 0, row, col].backward()
    assert x.grad is not None
    return x.grad[0].abs().sum(0) > 0


def field_overlay(
    image: np.ndarray, rf: ReceptiveField, row: int, col: int, neighbour: bool = True, side_px: int = 512
) -> Image.Image:
    """``image`` (H, W, 3) uint8 of the model's input size with cell (row, col)'s field drawn on it.

    The field is a red square (its part in the zero padding, outside the image, dashed), the
    rest of the image dimmed; with ``neighbour`` the next cell's field (one jump to the right,
    or left at the edge) is outlined in yellow, to show how much two patches overlap. The picture
    is scaled to ``side_px`` pixels, with a margin for the padding.
    """
    from PIL import Image, ImageDraw

    n = image.shape[0]
    if rf.input_size is not None and n != rf.input_size:
        raise ValueError(f"image is {n}x{n} but the receptive field was computed for {rf.input_size}")
    scale = side_px / n
    top, left, bottom, right = rf.field(row, col, clip=False)
    margin = int(max(0, -top, -left, bottom - n + 1, right - n + 1) * scale) + 4
    side = round(n * scale)
    canvas = Image.new("RGB", (side + 2 * margin, side + 2 * margin), (245, 245, 245))
    photo = Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR)
    dim = Image.blend(photo, Image.new("RGB", photo.size, (0, 0, 0)), 0.55)
    canvas.paste(dim, (margin, margin))
    ct, cl, cb, cr = rf.field(row, col, clip=True)
    # The field itself at full brightness.
    box = (int(cl * scale), int(ct * scale), int((cr + 1) * scale), int((cb + 1) * scale))
    canvas.paste(photo.crop(box), (margin + box[0], margin + box[1]))
    draw = ImageDraw.Draw(canvas)

    def px(v: int) -> int:
        return margin + round(v * scale)

    if neighbour and rf.grid is not None and rf.grid > 1:
        ncol = col + 1 if col + 1 < rf.grid else col - 1
        nt, nl, nb, nr = rf.field(row, ncol, clip=False)
        draw.rectangle((px(nl), px(nt), px(nr + 1), px(nb + 1)), outline=(255, 221, 0), width=2)
    draw.rectangle((px(left), px(top), px(right + 1), px(bottom + 1)), outline=(230, 30, 30), width=3)
    if (top, left, bottom, right) != (ct, cl, cb, cr):
        # Dashes where the field hangs over the padding.
        for x in range(px(left), px(right + 1), 8):
            for y in (px(top), px(bottom + 1)):
                draw.line((x, y, x + 4, y), fill=(255, 255, 255))
    return canvas

"""The shared machinery of a real forward pass that a learner looks into.

* ``run_mode``: train or eval (or only Dropout / only BatchNorm in train mode) for one pass,
  with the model's modes, its buffers (BatchNorm's running statistics) and the CPU random state
  restored afterwards, so that looking never changes the model.
* ``CatTap``: a ``TorchFunctionMode`` that sees every ``torch.cat`` of the pass, keeps a copy of
  its result and can replace some of its inputs by zeros (the skip ablation).
* ``cat_layouts``: which channels of each cat came from which block, and which of them is the
  skip, from the meta-device tracer (``inspector.shapes.trace``), whose block and cat records
  the Shapes pages show too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from inspector.colour.lab import denormalize_lab, lab_to_rgb, rgb_to_uint8
from inspector.errors import UserError
from inspector.shapes.records import Trace
from inspector.shapes.trace import trace
from models.text import Text, message_of

Mode = Literal["eval", "train", "dropout", "batch-stats"]
MODES: tuple[str, ...] = ("eval", "train", "dropout", "batch-stats")
Role = Literal["decoder", "skip"]

_CATS: tuple[Callable[..., Any], ...] = (torch.cat, torch.concat, torch.concatenate)
_BATCH_NORM = nn.modules.batchnorm._BatchNorm
_DROPOUT = nn.modules.dropout._DropoutNd


@contextmanager
def run_mode(model: nn.Module, mode: Mode = "eval", seed: int | None = 0) -> Iterator[None]:
    """Run ``model`` in ``mode`` inside the block, then put everything back.

    ``eval``: every layer in eval mode. ``train``: every layer in train mode. ``dropout``: eval,
    but Dropout drops (what pix2pix does at test time for its noise). ``batch-stats``: eval, but
    BatchNorm normalizes with the batch's own statistics. A train-mode BatchNorm updates its
    running statistics: they are copied first and restored, as are the modes of every module and
    the CPU random generator (``seed`` seeds the dropout masks; None keeps the current state).
    """
    if mode not in MODES:
        raise UserError(
            Text("mode must be one of {modes}; got {mode}", modes=", ".join(MODES), mode=repr(mode))
        )
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    model.train(mode == "train")
    for m in model.modules():
        if (mode == "dropout" and isinstance(m, _DROPOUT)) or (
            mode == "batch-stats" and isinstance(m, _BATCH_NORM)
        ):
            m.train(True)
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        for m, training in modes:
            m.training = training
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)


def checked_forward(model: nn.Module, x: Tensor) -> Tensor:
    """``model(x)``, with PyTorch's refusal (wrong channels or size) turned into a ``UserError``."""
    try:
        out = model(x)
    except (RuntimeError, ValueError) as exc:
        text = " ".join(str(exc).split())
        raise UserError(
            Text(
                "the model cannot run on an input of shape {shape}: {error}",
                shape=str(tuple(x.shape)),
                error=text,
            )
        ) from None
    if not isinstance(out, Tensor):
        raise UserError(Text("the model returned a {kind}, not a tensor", kind=type(out).__name__))
    return out


def as_batch(x: Any, channels: int | None = None, what: str = "x") -> Tensor:
    """A float (B, C, H, W) tensor, or a ``UserError`` naming what was wrong (a (C, H, W) gets B = 1)."""
    if not isinstance(x, Tensor):
        raise UserError(
            Text(
                "{what} must be a torch tensor shaped (B, C, H, W), got {kind}",
                what=what,
                kind=type(x).__name__,
            )
        )
    if x.dim() == 3:
        x = x[None]
    if x.dim() != 4 or x.numel() == 0:
        raise UserError(
            Text("{what} must be shaped (B, C, H, W), got {shape}", what=what, shape=str(tuple(x.shape)))
        )
    if not x.is_floating_point():
        raise UserError(Text("{what} must be a float tensor, got {dtype}", what=what, dtype=str(x.dtype)))
    if channels is not None and x.shape[1] != channels:
        raise UserError(
            Text(
                "{what} must have {channels} channel(s), got {shape}",
                what=what,
                channels=channels,
                shape=str(tuple(x.shape)),
            )
        )
    return x


def model_device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def lab_rgb(L: Tensor, ab: Tensor) -> np.ndarray:
    """The first image of L (B, 1, H, W) and ab (B, 2, H, W), network units -> (H, W, 3) uint8."""
    rgb = lab_to_rgb(denormalize_lab(L[:1].float().cpu(), ab[:1].float().cpu()))[0]  # (3, H, W)
    return rgb_to_uint8(rgb)


def first_image(t: Tensor) -> np.ndarray:
    """The first image of a batch as float32 numpy: (B, C, H, W) -> (C, H, W); other ranks are
    reshaped to (C, 1, N) so that every map has a channel axis and two spatial ones."""
    one = t.detach()[0].float().cpu()
    if one.dim() == 3:
        return one.numpy().copy()
    if one.dim() == 0:
        return one.reshape(1, 1, 1).numpy().copy()
    return one.reshape(one.shape[0], 1, -1).numpy().copy()


@dataclass(frozen=True)
class CatPart:
    """A run of channels in a concatenation's result and the block that produced them."""

    producer: str  # e.g. "middle" or "encoder_6" (the tracer's block-level producer)
    role: Role  # "decoder": the path that arrived; "skip": a tensor kept from the way down
    start: int  # channels [start, stop) of the result
    stop: int


@dataclass(frozen=True)
class CatLayout:
    """One ``torch.cat`` of the forward, as the tracer saw it."""

    label: str  # "torch.cat#0", as on the Shapes pages
    dim: int | None
    parts: tuple[CatPart, ...]
    consumer: str | None  # the block that takes the result, e.g. "decoder_6"
    modified_in_place: tuple[tuple[str, ...], ...]  # per input: in-place layers that rewrote it first

    def skips(self) -> tuple[str, ...]:
        return tuple(p.producer for p in self.parts if p.role == "skip")


def cat_layouts(model: nn.Module, x: Tensor) -> tuple[Trace, tuple[CatLayout, ...]]:
    """The tracer's view of every ``torch.cat`` (in call order) for an input like ``x``.

    Of the inputs of a cat, the one made by the most recently finished block is the path that
    arrived (``decoder``); the others were kept from earlier (``skip``). For ``cat((x, skip))`` in
    a U-Net that is the second one. A model that cannot run on ``x`` raises a ``UserError`` with
    PyTorch's CPU message (clearer than the meta device's).
    """
    try:
        t = trace(model, tuple(x.shape))
    except (RuntimeError, ValueError) as exc:
        with run_mode(model, "eval"):
            checked_forward(model, x)  # raises the CPU's own words
        raise UserError(
            Text(
                "the model cannot be traced at {shape}: {error}",
                shape=str(tuple(x.shape)),
                error=message_of(exc),
            )
        ) from None
    order = {b.name: i for i, b in enumerate(t.blocks)}
    layouts = []
    for c in t.concats:
        if c.op != "torch.cat":
            continue
        ranks = [order.get(ref.producer, -1) for ref in c.inputs]
        main = ranks.index(max(ranks))
        parts, start = [], 0
        for i, ref in enumerate(c.inputs):
            width = ref.shape[c.dim] if c.dim is not None and len(ref.shape) > c.dim else 0
            parts.append(CatPart(ref.producer, "decoder" if i == main else "skip", start, start + width))
            start += width
        layouts.append(CatLayout(c.label, c.dim, tuple(parts), c.consumer, c.modified_in_place))
    return t, tuple(layouts)


class CatTap(TorchFunctionMode):
    """Sees every ``torch.cat`` of a real forward, in call order.

    ``zero`` maps a cat's index to the positions of the inputs to replace by zeros before it
    runs; ``on_result(index, result)``, when given, receives each result as soon as it is made
    (copy it: the next block's in-place ReLU rewrites it straight after).
    """

    def __init__(
        self,
        zero: Mapping[int, Sequence[int]] | None = None,
        on_result: Callable[[int, Tensor], None] | None = None,
    ) -> None:
        super().__init__()
        self.zero = dict(zero or {})
        self.on_result = on_result
        self.count = 0  # cats seen so far

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func not in _CATS:
            return func(*args, **kwargs)
        seq = args[0] if args else kwargs.pop("tensors")
        rest = args[1:]
        tensors = list(seq)
        index = self.count
        self.count += 1
        for pos in self.zero.get(index, ()):
            tensors[pos] = torch.zeros_like(tensors[pos])
        out = func(tensors, *rest, **kwargs)
        if self.on_result is not None:
            self.on_result(index, out)
        return out

"""Why a transposed convolution can leave a checkerboard: how many kernel taps land on each
output cell, and how an untrained decoder answers a flat input.

A ``ConvTranspose2d`` scatters a k x k copy of the kernel, scaled by each input cell, into the
output every ``stride`` cells. Output cell ``o`` receives one tap for each (input ``i``, kernel
index ``t``) with ``i * stride - padding + t == o``. Per axis, away from the borders, the count
depends only on ``o mod stride``: ``kernel // stride`` or one more. When ``kernel % stride == 0``
(k=4, s=2, the notebook's) every cell gets the same number (2 per axis, 4 in 2-D); with k=3, s=2
they alternate 1, 2 per axis (1, 2, 4 in 2-D): the uneven overlap of Odena et al. (2016),
"Deconvolution and Checkerboard Artifacts". ``overlap_map`` counts them; it equals
``conv_transpose2d`` of ones with a kernel of ones.

Even overlap is not enough: the taps a cell receives are different kernel weights, so cells of
different ``o mod stride`` sum different weights and even a flat input comes out striped
unless the weights happen to balance. ``checkerboard`` measures it on an untrained (seeded)
decoder against the alternative Odena et al. propose: resize (nearest) then a stride-1 conv,
whose every output cell sees the same weights. ``checkerboard_causes`` separates the two causes:
with one value in every kernel position the weights balance by construction, so k=4, s=2 comes
out flat and only k=3, s=2's uneven count is left; with random weights (untrained, and learned
ones alike unless training balances them) both print the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from inspector.display import RichDisplay
from inspector.errors import UserError
from models.text import Text

MAX_SIZE = 4096  # an output side beyond this is a typo for a teaching view


def _check(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise UserError(
            Text("{name} must be an integer >= {low}, got {value}", name=name, low=low, value=repr(value))
        )
    return int(value)


def transposed_size(kernel: int, stride: int, padding: int, in_size: int, output_padding: int = 0) -> int:
    """ConvTranspose2d's output side: (in - 1) * stride - 2 * padding + kernel + output_padding."""
    return (in_size - 1) * stride - 2 * padding + kernel + output_padding


def overlap_counts(
    kernel: int, stride: int, padding: int, in_size: int, output_padding: int = 0
) -> np.ndarray:
    """Per axis: (out,) int64, the number of kernel taps landing on each output index."""
    kernel, stride = _check("kernel", kernel, 1), _check("stride", stride, 1)
    padding, in_size = _check("padding", padding, 0), _check("in_size", in_size, 1)
    output_padding = _check("output_padding", output_padding, 0)
    if output_padding >= stride:
        raise UserError(
            Text(
                "output_padding must be smaller than stride ({stride}), got {value}",
                stride=stride,
                value=output_padding,
            )
        )
    out = transposed_size(kernel, stride, padding, in_size, output_padding)
    if not 1 <= out <= MAX_SIZE:
        raise UserError(
            Text(
                "(in_size - 1) * stride - 2 * padding + kernel + output_padding = {out}: the output side must be "
                "from 1 to {limit}; lower padding or raise in_size",
                out=out,
                limit=MAX_SIZE,
            )
        )
    counts = np.zeros(out, dtype=np.int64)
    for i in range(in_size):  # input cell i scatters its kernel onto i * stride - padding + t
        first = i * stride - padding
        lo, hi = max(first, 0), min(first + kernel, out)
        if lo < hi:
            counts[lo:hi] += 1
    return counts


class OverlapMap(np.ndarray, RichDisplay):
    """An (out, out) int64 array of tap counts that also knows its ``settings`` (kernel, stride,
    padding, in_size, output_padding); in a notebook, the Conv vs ConvTranspose page's table of
    counts. Arithmetic on it gives plain arrays."""

    settings: tuple[int, int, int, int, int] | None

    def __array_finalize__(self, obj: object) -> None:
        self.settings = getattr(obj, "settings", None)

    def __array_wrap__(  # type: ignore[override]  # a scalar for a full reduction, as numpy's own
        self, array: np.ndarray, context: object = None, return_scalar: bool = False
    ) -> object:
        # a result computed from the map (m + 1, m.max(axis=0)) is a plain array, not a map of taps
        plain = np.asarray(array)
        return plain[()] if return_scalar else plain


def overlap_map(kernel: int, stride: int, padding: int, in_size: int, output_padding: int = 0) -> OverlapMap:
    """(out, out) int64: how many (input cell, kernel tap) pairs land on each output cell of a
    square ``ConvTranspose2d``; equal to ``conv_transpose2d(ones(1, 1, n, n), ones(1, 1, k, k))``.

    The 2-D count is the product of the two axes' counts (the kernel is a k x k square).
    """
    counts = overlap_counts(kernel, stride, padding, in_size, output_padding)
    result = np.outer(counts, counts).view(OverlapMap)
    result.settings = (int(kernel), int(stride), int(padding), int(in_size), int(output_padding))
    return result


def interior_counts(kernel: int, stride: int) -> tuple[int, ...]:
    """Per axis, away from the borders: the taps output cell ``o`` gets, by ``(o + padding) mod stride``.

    (2, 2) for k=4, s=2: even. (2, 1) for k=3, s=2: uneven.
    """
    kernel, stride = _check("kernel", kernel, 1), _check("stride", stride, 1)
    return tuple(len(range(r, kernel, stride)) for r in range(stride))


def is_even(kernel: int, stride: int) -> bool:
    """Whether every interior output cell gets the same number of taps: ``kernel % stride == 0``."""
    return len(set(interior_counts(kernel, stride))) == 1


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class FlatResponse:
    """One decoder's answer to a flat input (every value 1)."""

    kind: str  # "ConvTranspose2d" or "Upsample + Conv2d"
    output: np.ndarray  # (H, W) float32: output channel 0
    std: float  # std over the interior (border cut off), averaged over channels: 0 = flat
    relative_std: float  # std / mean |value| over the interior: scale-free, comparable


@dataclass(frozen=True, eq=False)
class Checkerboard(RichDisplay):
    """A transposed-conv decoder against resize-then-conv, same widths and depth, seeded weights."""

    transposed: FlatResponse
    resize_conv: FlatResponse
    border: int  # output pixels cut from each side: where zero padding, not the pattern, shows


Weights = Literal["random", "uniform"]  # PyTorch's default init, or one value in every position
WEIGHTS: tuple[Weights, ...] = ("random", "uniform")


def _decoder(
    kind: str, channels: int, layers: int, kernel: int, stride: int, padding: int, weights: Weights = "random"
) -> nn.Sequential:
    """``layers`` upsampling steps with ReLU between; no bias, so a flat input gives pure pattern.
    ``uniform``: every weight 1 / (channels * taps), so each step keeps a flat map's scale."""
    mods: list[nn.Module] = []
    for n in range(layers):
        if kind == "transposed":
            mods.append(nn.ConvTranspose2d(channels, channels, kernel, stride, padding, bias=False))
        else:  # nearest keeps a flat map flat; a 3x3 "same" conv sees the same weights everywhere
            mods += [
                nn.Upsample(scale_factor=stride, mode="nearest"),
                nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            ]
        if n < layers - 1:
            mods.append(nn.ReLU())
    if weights == "uniform":
        with torch.no_grad():
            for m in mods:
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    m.weight.fill_(1.0 / (channels * m.weight[0, 0].numel()))
    return nn.Sequential(*mods)


def _flat_response(kind: str, model: nn.Module, x: torch.Tensor, border: int) -> FlatResponse:
    with torch.no_grad():
        y = model(x)[0]  # (C, H, W)
    inner = y[:, border : y.shape[1] - border, border : y.shape[2] - border]
    if inner.numel() == 0:
        raise UserError(
            Text(
                "the output ({height}x{width}) has no interior once {border} border pixels are cut: raise in_size",
                height=y.shape[1],
                width=y.shape[2],
                border=border,
            )
        )
    std = inner.flatten(1).std(dim=1, unbiased=False).mean()
    scale = inner.abs().mean().clamp(min=1e-12)
    name = "ConvTranspose2d" if kind == "transposed" else "Upsample + Conv2d"
    return FlatResponse(name, y[0].numpy().copy(), float(std), float(std / scale))


def checkerboard(
    kernel: int = 4,
    stride: int = 2,
    padding: int = 1,
    in_size: int = 8,
    channels: int = 8,
    layers: int = 2,
    seed: int = 0,
    weights: Weights = "random",
) -> Checkerboard:
    """Feed ones (1, channels, in_size, in_size) to two untrained decoders of ``layers`` steps.

    The transposed one stacks ``ConvTranspose2d(kernel, stride, padding)``; the other
    ``Upsample(stride, nearest)`` + ``Conv2d(3, padding 1)``. Weights are PyTorch's default init
    under ``torch.manual_seed(seed)`` (the global random state is restored), or with ``weights=
    "uniform"`` one value everywhere. The interior's std is the checkerboard: 0 (up to rounding)
    for resize-then-conv, clearly above it for the transposed convs, with period ``stride``; with
    uniform weights 0 for the transposed convs too when the overlap is even (``is_even``).
    """
    if weights not in WEIGHTS:
        raise UserError(Text("weights must be random or uniform, got {value}", value=repr(weights)))
    for name, value, low in (("channels", channels, 1), ("layers", layers, 1), ("seed", seed, 0)):
        _check(name, value, low)
    if channels > 64 or layers > 4:
        raise UserError(
            Text(
                "channels must be at most 64 and layers at most 4, got {channels} and {layers}",
                channels=channels,
                layers=layers,
            )
        )
    size = in_size
    for _ in range(layers):  # validates every step's settings and size
        size = len(overlap_counts(kernel, stride, padding, size))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        transposed = _decoder("transposed", channels, layers, kernel, stride, padding, weights)
        resize = _decoder("resize", channels, layers, kernel, stride, padding, weights)
    # A band of b pixels touched by the border grows to b * stride + kernel after each step.
    border = 0
    for _ in range(layers):
        border = border * stride + max(kernel, 3)
    x = torch.ones(1, channels, in_size, in_size)
    return Checkerboard(
        _flat_response("transposed", transposed, x, border),
        _flat_response("resize", resize, x, border),
        border,
    )


@dataclass(frozen=True)
class CheckerboardCause:
    """One decoder of the flat-input test: its kernel and stride, the kind of weights, the answer."""

    kernel: int
    stride: int
    weights: Weights
    even: bool  # the overlap count is the same everywhere (kernel % stride == 0)
    relative_std: float  # of the transposed decoder's interior: 0 is flat, above is the pattern


def checkerboard_causes(
    kernels: tuple[int, ...] = (4, 3), stride: int = 2, padding: int = 1, in_size: int = 8, seed: int = 0
) -> tuple[CheckerboardCause, ...]:
    """The flat-input test for each of ``kernels`` at ``stride``, with random and with uniform weights:
    which of the two makes the checkerboard. For (4, 3) at stride 2: random weights print it at
    both kernels, a uniform kernel only at k=3 (the uneven count), not at k=4 (the even one)."""
    return tuple(
        CheckerboardCause(
            k,
            stride,
            w,
            is_even(k, stride),
            checkerboard(k, stride, padding, in_size, seed=seed, weights=w).transposed.relative_std,
        )
        for k in kernels
        for w in WEIGHTS
    )

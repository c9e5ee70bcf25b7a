"""Which input sizes a model accepts, and the nearest ones to a size that fails.

A U-Net halves its input ``depth`` times and doubles it back; every skip connection must meet
a decoder output of the same size, so H and W must be multiples of ``2**depth`` (256 for
``unet_256``). A PatchGAN only needs its kernels to fit: any size from a minimum.

For our configs this is a formula. For any other ``nn.Module`` it is found by running it on
the meta device (milliseconds a try) at a few square sizes, assuming the usual structure:
the sizes that work are the multiples of a power of two from a minimum, up to an optional
maximum (a ``Linear`` after a flatten accepts only a narrow range), or one fixed size (a ViT
built for 224). A size "works" when the model runs and, if it keeps its input's size at all,
keeps it there too. The search has a time budget (``SEARCH_BUDGET_S``); None means no size was
found, up to ``MAX_INPUT_SIZE`` or in that time: it cannot know.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from torch import nn

from inspector.shapes.engine import run_traced
from inspector.shapes.meta import meta_copy
from models import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator
from models.config import MAX_INPUT_SIZE


@dataclass(frozen=True)
class InputSizes:
    """Square sizes S (input B x C x S x S) that work: multiples of ``step`` in [minimum, maximum]."""

    step: int
    minimum: int
    maximum: int | None = None  # None: no upper limit
    why: str = ""  # one sentence on where the rule comes from

    def is_valid(self, size: int) -> bool:
        if size < self.minimum or (self.maximum is not None and size > self.maximum):
            return False
        return size % self.step == 0

    def nearest(self, size: int) -> tuple[int, ...]:
        """The closest valid sizes: the largest below ``size`` and the smallest above (one or two)."""
        if self.is_valid(size):
            return (size,)
        below = size // self.step * self.step
        above = below + self.step
        found = [s for s in (below, above) if self.is_valid(s)]
        if not found:  # outside [minimum, maximum]: the bound itself
            first = -(-self.minimum // self.step) * self.step
            found = [first] if size < self.minimum else [s for s in (self.maximum,) if s is not None]
        return tuple(found)

    def examples(self, count: int = 4) -> tuple[int, ...]:
        """The first ``count`` valid sizes."""
        first = -(-self.minimum // self.step) * self.step
        sizes = [first + i * self.step for i in range(count)]
        return tuple(s for s in sizes if self.maximum is None or s <= self.maximum)

    def describe(self) -> str:
        """E.g. ``multiples of 256 (256, 512, 768, ...)`` or ``any size from 16``."""
        if self.maximum is not None and self.maximum <= self.minimum + 3 * self.step:
            return "only " + ", ".join(map(str, self.examples(4)))
        upper = f" up to {self.maximum}" if self.maximum is not None else ""
        if self.step == 1:
            return f"any size from {self.minimum}{upper}"
        return f"multiples of {self.step} ({', '.join(map(str, self.examples(3)))}, ...){upper}"


def _generator_sizes(cfg: GeneratorConfig) -> InputSizes:
    step = 2**cfg.depth
    return InputSizes(
        step,
        step,
        why=f"the U-Net halves the image {cfg.depth} times and each skip must meet a decoder output "
        f"of the same size, so H and W must be multiples of 2**{cfg.depth} = {step}",
    )


def _discriminator_sizes(cfg: DiscriminatorConfig) -> InputSizes:
    low = cfg.min_input_size()
    return InputSizes(
        1,
        low,
        why=f"every 4x4 kernel must fit its (padded) input; below {low} the patch map would be empty",
    )


def valid_input_sizes(
    model: nn.Module | GeneratorConfig | DiscriminatorConfig,
    input_shape: Sequence[int] | None = None,
) -> InputSizes | None:
    """The input sizes ``model`` accepts, per spatial dim; None if none up to 4096 works.

    ``input_shape`` (B, C, H, W), or (B, C, L) / (B, C, D, H, W), gives batch, channels and the
    number of spatial dims for a plain ``nn.Module`` (default: batch 1 and the first conv's
    ``in_channels`` and kernel rank); every spatial dim takes the same trial size.
    """
    if isinstance(model, GeneratorConfig):
        return _generator_sizes(model)
    if isinstance(model, DiscriminatorConfig):
        return _discriminator_sizes(model)
    cfg = getattr(model, "config", None)
    if isinstance(model, UNetGenerator) and isinstance(cfg, GeneratorConfig):
        return _generator_sizes(cfg)
    if isinstance(model, PatchDiscriminator) and isinstance(cfg, DiscriminatorConfig):
        return _discriminator_sizes(cfg)
    return search_sizes(_runs_at(model, input_shape), hints=size_hints(model))


def _runs_at(model: nn.Module, input_shape: Sequence[int] | None) -> Callable[[int], bool]:
    """``runs(size)``: the model runs at a square ``size`` input and, when it keeps the size of its
    input at the first size that works (an image-to-image model), keeps it at ``size`` too.

    The notebook's generator runs at 257 but gives a 256x256 ab for a 257x257 L: that size does
    not work for a colorizer, and the doctor's size fix must not name it.
    """
    if input_shape is None:
        first = next((m for m in model.modules() if isinstance(getattr(m, "in_channels", None), int)), None)
        prefix: tuple[int, ...] = (1, int(getattr(first, "in_channels", 3)))
        kernel = getattr(first, "kernel_size", (1, 1))
        n = len(kernel) if isinstance(kernel, tuple) else 2  # Conv1d: 1 spatial dim, Conv3d: 3
    else:
        shape = tuple(int(s) for s in input_shape)
        prefix, n = shape[:2], max(len(shape) - 2, 1)
    copy = meta_copy(model)
    cache: dict[int, bool] = {}
    keeps_size: list[bool] = []  # decided at the first size that runs

    def runs(size: int) -> bool:
        if size not in cache:
            trace, error, _ = run_traced(copy, (*prefix, *(size,) * n))
            out = trace.output_shape
            same = out is not None and len(out) == n + 2 and tuple(out[2:]) == (size,) * n
            if error is None and not keeps_size:
                keeps_size.append(same)
            cache[size] = error is None and (same or not keeps_size[0])
        return cache[size]

    return runs


# Sizes tried when no power of two works: the usual fixed sizes of image models (a ViT's 224).
USUAL_SIZES = (224, 299, 384, 112, 160, 192, 288, 320, 448, 512, 518, 96, 64, 32, 28)
SEARCH_BUDGET_S = 5.0  # the search stops trying new sizes after this; its answer then says so


class _OutOfTime(Exception):
    pass


def size_hints(model: nn.Module) -> tuple[int, ...]:
    """Input sizes a model names itself: ``image_size`` (torchvision's ViT), ``img_size`` (timm)."""
    found: list[int] = []
    for m in model.modules():
        for attr in ("image_size", "img_size"):
            value = getattr(m, attr, None)
            values = value if isinstance(value, (tuple, list)) else (value,)
            found += [int(v) for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    return tuple(dict.fromkeys(found))


def search_sizes(
    runs: Callable[[int], bool],
    limit: int = MAX_INPUT_SIZE,
    hints: Sequence[int] = (),
    budget_s: float = SEARCH_BUDGET_S,
) -> InputSizes | None:
    """Find (step, minimum, maximum) from a predicate ``runs(size)`` with about 30 calls.

    Powers of two first, then ``hints`` and ``USUAL_SIZES`` (a model built for one size, a ViT's
    224). Stops after ``budget_s`` seconds: the answer then says that it is not complete, or is
    None when no working size was found in time (the same None as "none up to ``limit`` works").
    """
    deadline = time.perf_counter() + budget_s

    def timed(size: int) -> bool:
        if time.perf_counter() > deadline:
            raise _OutOfTime
        return runs(size)

    try:
        return _search(timed, limit, hints)
    except _OutOfTime:
        return None


def _search(runs: Callable[[int], bool], limit: int, hints: Sequence[int]) -> InputSizes | None:
    powers = [2**k for k in range(limit.bit_length()) if 2**k <= limit]
    first = next((p for p in powers if runs(p)), None)
    if first is None:
        first = next((s for s in dict.fromkeys((*hints, *USUAL_SIZES)) if s <= limit and runs(s)), None)
    if first is None:
        return None
    # The step: the smallest power of two that can be added to a working size, three times
    # (one odd size can slip through: a U-Net without an outermost skip also runs at 257).
    step = next(
        (2**j for j in range(first.bit_length()) if all(runs(first + k * 2**j) for k in (1, 2, 3))), None
    )
    if step is None:  # a narrow range around `first` (a Linear after a flatten, a fixed-size ViT)
        low, high = first, first
        while low > 1 and first - low < 64 and runs(low - 1):
            low -= 1
        while high < limit and high - first < 64 and runs(high + 1):
            high += 1
        why = "found by running the model: only this narrow range works"
        if low == high:
            why = f"found by running the model: it is built for {first} only"
        return InputSizes(1, low, high, why=why)
    # The minimum: binary search over multiples of the step below `first` (assumed monotone).
    _, hi = _bisect(0, first // step, lambda k: not runs(k * step))  # runs(hi * step) is True
    minimum = hi * step
    # A maximum exists if some larger size fails (e.g. a Linear after a flatten).
    maximum = None
    far = first * 4
    if far <= limit and not runs(far):
        lo, _ = _bisect(first // step, far // step, lambda k: runs(k * step))  # runs(far) is False
        maximum = lo * step
    why = "found by running the model on the meta device at trial sizes"
    return InputSizes(step, minimum, maximum, why=why)


def _bisect(low: int, high: int, on_low_side: Callable[[int], bool]) -> tuple[int, int]:
    """Narrow ``low < high`` (``low`` on the low side, ``high`` not) to two neighbours, by halving."""
    while high - low > 1:
        mid = (low + high) // 2
        if on_low_side(mid):
            low = mid
        else:
            high = mid
    return low, high

"""The input sizes of any ``nn.Module``, found by running it on the meta device at trial sizes.

A trial runs a meta copy of the model at one input size (milliseconds for most models, a few
hundred for a densenet121, whose concatenations are slow on meta). A size *works* when the model
runs and, if it keeps its input's size at all (an image-to-image model), keeps it at that size
too. The search assumes the usual structure: each spatial side accepts the multiples of a step
from a minimum, up to an optional maximum (a ``Linear`` after a flatten), or one narrow range (a
ViT built for 224); the step divides the first size that works (a power of two, a patch size).

1. A working square size: powers of two, then the sizes the model names itself (``image_size``,
   ``img_size``) and the input asked about, then the usual fixed sizes of image models
   (``USUAL_SIZES``). A model whose sides must differ starts from its own non-square size.
2. The square rule from it: the step, then the maximum (is 4x the first size too much?), then the
   minimum, by halving.
3. Each side on its own, the others held at the working size. A few probes tell whether it
   follows the square rule (a finer step, a lower minimum, a higher maximum, a size of its own);
   only a side that does not is searched in full, as in 2. A model whose sides agree costs two
   or three trials per side more than a square search.
4. The sides together: a few inputs whose sides differ (each at its smallest, then mixed). If one
   fails, the sides depend on each other and only square inputs are known to work
   (``square_only``).

Time budget: the whole search stops trying new sizes after ``SEARCH_BUDGET_S`` seconds. What it
proved by then is the answer, marked ``complete=False`` (its words say that more sizes may work);
None means that no size that works was found, up to ``MAX_INPUT_SIZE`` or in that time: the search
cannot know. A forward that only runs on real values (the tracer's CPU fallback) is not searched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence

from torch import nn

from inspector.i18n.catalog import N_
from inspector.shapes.engine import run_traced
from inspector.shapes.labels import fmt_shape
from inspector.shapes.meta import meta_copy
from inspector.shapes.size_rules import InputSizes, SideSizes
from models.config import MAX_INPUT_SIZE

SEARCH_BUDGET_S = 5.0  # the search stops trying new sizes after this; its answer then says so
clock = time.perf_counter  # the search's clock, in seconds (a test gives it one of its own)
# Sizes tried when no power of two works: the usual fixed sizes of image models (a ViT's 224).
USUAL_SIZES = (224, 299, 384, 112, 160, 192, 288, 320, 448, 512, 518, 96, 64, 32, 28)
NARROW_REACH = 64  # a range without a step is widened one size at a time, this far each way

FOUND = N_("found by running the model on the meta device at {trials} trial sizes")
FOUND_APART = N_(
    "found by running the model on the meta device at {trials} trial sizes, each side on its own "
    "and then together"
)
BUILT_FOR = N_("found by running the model: it is built for {size} only")
SIDES_DEPEND = N_(
    "found by running the model at {trials} trial sizes: an input of {shape}, whose sides differ, does "
    "not run, so only inputs with all sides equal are known to work"
)
MESSAGES = (FOUND, FOUND_APART, BUILT_FOR, SIDES_DEPEND)

Spatial = tuple[int, ...]
Runs = Callable[[Spatial], bool]  # spatial sizes, e.g. (H, W) -> the model works at them


class _OutOfTime(Exception):
    pass


class _Trials:
    """``runs`` with a memory (each input runs once), the size limit, and the deadline."""

    def __init__(self, runs: Runs, limit: int, deadline: float) -> None:
        self.runs, self.limit, self.deadline = runs, limit, deadline
        self.seen: dict[Spatial, bool] = {}

    def __call__(self, spatial: Spatial) -> bool:
        if any(s < 1 or s > self.limit for s in spatial):
            return False
        if spatial not in self.seen:
            if clock() > self.deadline:
                raise _OutOfTime
            self.seen[spatial] = self.runs(spatial)
        return self.seen[spatial]


def runs_at(model: nn.Module, input_shape: Sequence[int] | None) -> tuple[Runs, int]:
    """``runs(spatial)`` and the number of spatial dims: the model runs at an input of
    (B, C, *spatial) and, when it keeps the size of its input at the first size that works (an
    image-to-image model), keeps it at ``spatial`` too.

    ``input_shape`` gives B, C and the rank; without it, batch 1 and the first conv's
    ``in_channels`` and kernel rank. The notebook's generator runs at 257 but gives a 256x256 ab
    for a 257x257 L: that size does not work for a colorizer, and the doctor must not name it.
    A model is image-to-image when, at the first size that runs, it gives back the input's size,
    or gives it back at the size it made (followed a few times: 14x14 patches and back turn 16
    into 14, and 14 into 14); a classifier or a valid-padded U-Net (572 -> 388) is not.
    """
    if input_shape is None:
        first = next((m for m in model.modules() if isinstance(getattr(m, "in_channels", None), int)), None)
        prefix: tuple[int, ...] = (1, int(getattr(first, "in_channels", 3)))
        kernel = getattr(first, "kernel_size", (1, 1))
        dims = len(kernel) if isinstance(kernel, tuple) else 2  # Conv1d: 1 spatial dim, Conv3d: 3
    else:
        shape = tuple(int(s) for s in input_shape)
        prefix, dims = shape[:2], max(len(shape) - 2, 1)
    copy = meta_copy(model)
    keeps_size: list[bool] = []  # decided at the first size that runs

    def output(spatial: Spatial) -> tuple[bool, Spatial | None]:
        """(runs, the output's spatial sizes when it has the input's rank) at ``spatial``."""
        trace, error, _ = run_traced(copy, (*prefix, *spatial))
        out = trace.output_shape
        return error is None, tuple(out[2:]) if out is not None and len(out) == len(spatial) + 2 else None

    def image_to_image(spatial: Spatial, out: Spatial | None) -> bool:
        """Whether the model gives back its input's size at ``spatial`` or, following the size it
        gives (16 -> 14 for 14x14 patches and back), at most three sizes further."""
        for _ in range(3):
            if out is None or out == spatial or min(out) < 1:
                break
            spatial = out
            ran, out = output(spatial)
            out = out if ran else None
        return out == spatial

    def runs(spatial: Spatial) -> bool:
        ran, out = output(spatial)
        if ran and not keeps_size:
            keeps_size.append(image_to_image(spatial, out))
        return ran and (out == spatial or not keeps_size[0])

    return runs, dims


def size_hints(model: nn.Module) -> tuple[Spatial, ...]:
    """Input sizes a model names itself: ``image_size`` (torchvision's ViT), ``img_size`` (timm),
    each as a tuple: (224,) or, per side, (32, 128)."""
    found: list[Spatial] = []
    for m in model.modules():
        for attr in ("image_size", "img_size"):
            value = getattr(m, attr, None)
            values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
            if values and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
                found.append(tuple(int(v) for v in values))
    return tuple(dict.fromkeys(found))


def search_sizes(
    runs: Runs,
    dims: int = 2,
    limit: int = MAX_INPUT_SIZE,
    hints: Sequence[int | Sequence[int]] = (),
    budget_s: float = SEARCH_BUDGET_S,
) -> InputSizes | None:
    """The rules of each of ``dims`` spatial sides, from a predicate ``runs(spatial)``.

    ``hints`` are sizes to try when no power of two works: one size for every side, or one per
    side. See the module's docstring for the steps and the time budget.
    """
    trials = _Trials(runs, limit, clock() + budget_s)
    squares, shapes = _seeds(hints, dims)
    try:
        first = _first_square(trials, dims, limit, squares)
        base = (first,) * dims if first is not None else next((s for s in shapes if trials(s)), None)
    except _OutOfTime:
        return None
    if base is None:
        return None
    square = None
    if first is not None:
        square, done = _last(_side_rules(lambda s: trials((s,) * dims), first, limit))
        if dims == 1 or not done:
            return _same(square, dims, trials, complete=done, budget=budget_s)
    try:
        return _apart(trials, base, square, limit, budget_s)
    except _OutOfTime:  # what the square search proved stands; the sides were not searched apart
        if square is not None:
            found = _same(square, dims, trials, complete=False, budget=budget_s)
            return InputSizes(found.sides, found.reason, found.values, square_only=dims > 1, complete=False)
        only = tuple(SideSizes(b, b, b) for b in base)
        return InputSizes(only, BUILT_FOR, (("size", fmt_shape(base)), ("budget", budget_s)), complete=False)


def _seeds(hints: Sequence[int | Sequence[int]], dims: int) -> tuple[list[int], list[Spatial]]:
    """The hints as square sizes and as per-side sizes (those whose sides differ)."""
    squares: list[int] = []
    shapes: list[Spatial] = []
    for hint in hints:
        values = (hint,) if isinstance(hint, int) else tuple(int(v) for v in hint)
        if len(set(values)) == 1:
            squares.append(values[0])
        elif len(values) == dims:
            shapes.append(values)
        else:
            squares.extend(values)
    return squares, shapes


def _first_square(trials: _Trials, dims: int, limit: int, squares: Sequence[int]) -> int | None:
    powers = [2**k for k in range(limit.bit_length()) if 2**k <= limit]
    tries = dict.fromkeys((*powers, *squares, *USUAL_SIZES))
    return next((s for s in tries if trials((s,) * dims)), None)


def _side_rules(works: Callable[[int], bool], first: int, limit: int) -> Iterator[SideSizes]:
    """Ever wider rules for one side, from ``first``, a size that works. Each is what the trials
    so far show, so a search stopped at its time budget still has a true answer."""
    yield SideSizes(first, first, first)
    # The step: the smallest divisor of `first` that can be added to it three times (one odd
    # size can slip through: a U-Net without an outermost skip also runs at 257).
    step = next((d for d in _divisors(first) if all(works(first + k * d) for k in (1, 2, 3))), None)
    if step is None:  # a narrow range around `first` (a Linear after a flatten, a fixed-size ViT)
        low, high = first, first
        while low > 1 and first - low < NARROW_REACH and works(low - 1):
            low -= 1
        yield SideSizes(1, low, high)
        while high < limit and high - first < NARROW_REACH and works(high + 1):
            high += 1
        yield SideSizes(1, low, high)
        return
    yield SideSizes(step, first, first + 3 * step)
    # A maximum exists if some larger size fails (e.g. a Linear after a flatten).
    maximum = None
    far = first * 4
    if far <= limit and not works(far):
        lo, _ = _bisect(first // step, far // step, lambda k: works(k * step))  # works(far) is False
        maximum = lo * step
    yield SideSizes(step, first, maximum)
    # The minimum: binary search over multiples of the step below `first` (assumed monotone).
    _, hi = _bisect(0, first // step, lambda k: not works(k * step))  # works(hi * step) is True
    yield SideSizes(step, hi * step, maximum)


def _follows(works: Callable[[int], bool], rule: SideSizes, at: int) -> bool:
    """Whether one side, varied alone from ``at``, follows the square ``rule``: probes where a side
    with a rule of its own would differ (a finer step, a lower minimum, a higher maximum), and
    one size of its own that must work (the sides do not have to be equal)."""
    probes = [(at + rule.step // p, False) for p in _primes(rule.step)]
    below = (rule.minimum - 1) // rule.step * rule.step
    if below >= 1:
        probes.append((below, False))
    if rule.maximum is not None:
        probes.append((rule.maximum // rule.step * rule.step + rule.step, False))
    if rule.is_valid(at + rule.step):
        probes.append((at + rule.step, True))
    return all(works(size) == expected for size, expected in probes)


def _apart(trials: _Trials, base: Spatial, square: SideSizes | None, limit: int, budget: float) -> InputSizes:
    """Each side searched on its own while the others hold ``base``, then confirmed together."""
    dims = len(base)

    def along(i: int) -> Callable[[int], bool]:
        return lambda size: trials((*base[:i], size, *base[i + 1 :]))

    rules: list[SideSizes] = []
    for i in range(dims):
        if square is not None and _follows(along(i), square, base[i]):
            rules.append(square)
        else:
            *_, rule = _side_rules(along(i), base[i], limit)
            rules.append(rule)
    sides = tuple(rules)
    if square is not None:  # a square size that one side refuses alone: the sides must be equal
        for i, rule in enumerate(sides):
            refused = next((s for s in square.examples(3) if not rule.is_valid(s)), None)
            if refused is not None:
                return _square_only(square, (*base[:i], refused, *base[i + 1 :]), trials, budget)
    bad = next((m for m in _mixes(sides) if not trials(m)), None)
    if bad is not None and bad == _mixes(sides)[0] and square is not None:
        # Each side at its smallest is too small together (a norm that needs more than one
        # value in all): the sides keep their steps, from the square minimum.
        sides = tuple(SideSizes(r.step, max(r.minimum, square.minimum), r.maximum) for r in sides)
        bad = next((m for m in _mixes(sides) if not trials(m)), None)
    if bad is not None:
        if square is None:  # only the size that was found is known
            return InputSizes(
                tuple(SideSizes(b, b, b) for b in base), BUILT_FOR, (("size", fmt_shape(base)),)
            )
        return _square_only(square, bad, trials, budget)
    if all(r.minimum == r.maximum for r in sides):
        return InputSizes(sides, BUILT_FOR, (("size", fmt_shape(tuple(r.minimum for r in sides))),))
    return InputSizes(sides, FOUND_APART, (("trials", len(trials.seen)), ("budget", budget)))


def _mixes(sides: Sequence[SideSizes]) -> list[Spatial]:
    """Inputs that test the rules together: every side at its smallest, then two mixes of each
    side's first three sizes (sides of different sizes even when the rules agree)."""
    examples = [rule.examples(3) for rule in sides]

    def pick(i: int, k: int) -> int:
        return examples[i][min(k, len(examples[i]) - 1)]

    n = len(sides)
    corner = tuple(pick(i, 0) for i in range(n))
    mixed = tuple(pick(i, 1 if i % 2 == 0 else 0) for i in range(n))
    other = tuple(pick(i, 0 if i % 2 == 0 else 2) for i in range(n))
    return list(dict.fromkeys((corner, mixed, other)))


def _same(square: SideSizes, dims: int, trials: _Trials, complete: bool, budget: float) -> InputSizes:
    if square.minimum == square.maximum:
        found = InputSizes.same(square, dims, BUILT_FOR, size=str(square.minimum), budget=budget)
    else:
        found = InputSizes.same(square, dims, FOUND, trials=len(trials.seen), budget=budget)
    return InputSizes(found.sides, found.reason, found.values, complete=complete)


def _square_only(square: SideSizes, shape: Spatial, trials: _Trials, budget: float) -> InputSizes:
    values = (("trials", len(trials.seen)), ("shape", fmt_shape(shape)), ("budget", budget))
    return InputSizes((square,) * len(shape), SIDES_DEPEND, values, square_only=True)


def _last(rules: Iterator[SideSizes]) -> tuple[SideSizes, bool]:
    """The last rule ``rules`` gave before the time ran out, and whether it gave them all."""
    best = next(rules)  # the first one costs no trial
    try:
        for rule in rules:
            best = rule
    except _OutOfTime:
        return best, False
    return best, True


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def _primes(n: int) -> list[int]:
    """The prime factors of ``n``, each once."""
    found, p = [], 2
    while p * p <= n:
        if n % p == 0:
            found.append(p)
            while n % p == 0:
                n //= p
        p += 1
    return found + ([n] if n > 1 else [])


def _bisect(low: int, high: int, on_low_side: Callable[[int], bool]) -> tuple[int, int]:
    """Narrow ``low < high`` (``low`` on the low side, ``high`` not) to two neighbours, by halving."""
    while high - low > 1:
        mid = (low + high) // 2
        if on_low_side(mid):
            low = mid
        else:
            high = mid
    return low, high

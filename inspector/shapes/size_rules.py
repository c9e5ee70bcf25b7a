"""Input sizes as rules, one per spatial dim, and the words that describe them.

A ``SideSizes`` is the rule of one spatial dim: multiples of ``step`` from ``minimum``, up to an
optional ``maximum`` ("multiples of 256", "any size from 16", "only 224"). An ``InputSizes``
holds one per spatial dim of the input, (L,), (H, W) or (D, H, W): an input works when each of
its sides follows its own rule (with ``square_only``, when its sides are also all equal).

Every sentence is a ``Text`` (``models.text``): English, with its template (marked
with ``N_``) and the numbers kept, so a UI renders it in its own language (``render(text, _)``),
or passes its ``_`` to ``describe`` / ``explain`` for a translated ``str``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from inspector.display import RichDisplay
from inspector.i18n.catalog import N_
from models.text import Text, compose, join, render

Translate = Callable[..., str]  # _(template, **values) -> text


def _said(text: Text, tr: Translate | None) -> str:
    """``text`` itself (English, translatable later), or rendered at once by ``tr``."""
    return text if tr is None else render(text, tr)


ONLY = N_("only {sizes}")
ANY_FROM = N_("any size from {minimum}")
MULTIPLES = N_("multiples of {step} ({examples}, ...)")
UP_TO = N_("{rule} up to {maximum}")
PER_SIDE = "{side}: {rule}"  # a layout without words: compose, never looked up
ALL_EQUAL = N_("{rule}, with all sides equal")
NOT_COMPLETE = N_("{rule}; the search stopped at its time budget, so more sizes may work")
OUT_OF_TIME = N_("{reason}; the search stopped at its time budget of {budget} s, so more sizes may work")
MESSAGES = (ONLY, ANY_FROM, MULTIPLES, UP_TO, ALL_EQUAL, NOT_COMPLETE, OUT_OF_TIME)

Value = int | float | str


def side_names(n: int) -> tuple[str, ...]:
    """The letters of ``n`` spatial dims: (L,), (H, W), (D, H, W); dim numbers beyond that."""
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(n, tuple(f"dim {i + 2}" for i in range(n)))


@dataclass(frozen=True)
class SideSizes:
    """The sizes one spatial dim accepts: the multiples of ``step`` in [minimum, maximum]."""

    step: int
    minimum: int
    maximum: int | None = None  # None: no upper limit

    def is_valid(self, size: int) -> bool:
        if size < self.minimum or (self.maximum is not None and size > self.maximum):
            return False
        return size % self.step == 0

    def first(self) -> int:
        """The smallest valid size (the minimum rounded up to the step)."""
        return -(-self.minimum // self.step) * self.step

    def nearest(self, size: int) -> tuple[int, ...]:
        """The closest valid sizes: the largest below ``size`` and the smallest above (one or two)."""
        if self.is_valid(size):
            return (size,)
        below = size // self.step * self.step
        found = [s for s in (below, below + self.step) if self.is_valid(s)]
        if not found:  # outside [minimum, maximum]: the bound itself
            top = self.maximum // self.step * self.step if self.maximum is not None else None
            found = [self.first()] if size < self.minimum else [s for s in (top,) if s is not None]
        return tuple(found)

    def examples(self, count: int = 4) -> tuple[int, ...]:
        """The first ``count`` valid sizes (fewer when the maximum comes first)."""
        sizes = [self.first() + i * self.step for i in range(count)]
        return tuple(s for s in sizes if self.maximum is None or s <= self.maximum)

    def meet(self, other: SideSizes) -> SideSizes | None:
        """The sizes both rules accept; None when there is none."""
        step = math.lcm(self.step, other.step)
        highs = [m for m in (self.maximum, other.maximum) if m is not None]
        both = SideSizes(step, max(self.minimum, other.minimum), min(highs) if highs else None)
        return both if both.maximum is None or both.first() <= both.maximum else None

    def describe(self, _: Translate | None = None) -> str:
        """E.g. ``multiples of 256 (256, 512, 768, ...)``, ``any size from 16`` or ``only 224``:
        a ``Text``, or a ``str`` in the language of ``_`` when one is given."""
        return _said(self.text(), _)

    def text(self) -> Text:
        if self.maximum is not None and self.maximum <= self.minimum + 3 * self.step:
            return Text(ONLY, sizes=", ".join(map(str, self.examples(4))))
        if self.step == 1:
            rule = Text(ANY_FROM, minimum=self.minimum)
        else:
            rule = Text(MULTIPLES, step=self.step, examples=", ".join(map(str, self.examples(3))))
        return Text(UP_TO, rule=rule, maximum=self.maximum) if self.maximum is not None else rule


@dataclass(frozen=True)
class InputSizes(RichDisplay):
    """The input sizes a model accepts: one ``SideSizes`` per spatial dim, (L,), (H, W) or (D, H, W).

    ``reason`` is the template of where the rules come from, filled with ``values``; ``square_only``:
    only inputs with all sides equal are known to work; ``complete`` is False when the search
    stopped at its time budget (the rules are then what was proven so far: more sizes may work).
    """

    sides: tuple[SideSizes, ...]
    reason: str = ""
    values: tuple[tuple[str, Value], ...] = ()
    square_only: bool = False
    complete: bool = True

    @classmethod
    def same(cls, side: SideSizes, dims: int, reason: str, **values: Value) -> InputSizes:
        """Every one of ``dims`` spatial dims follows ``side``."""
        return cls((side,) * dims, reason, tuple(values.items()))

    def explain(self, _: Translate | None = None) -> str:
        """One sentence on where the rules come from (and that the search stopped, if it did): a
        ``Text``, or a ``str`` in the language of ``_``."""
        text = Text(self.reason, **dict(self.values)) if self.reason else compose("")
        return _said(text if self.complete else Text(OUT_OF_TIME, reason=text, budget=self._budget()), _)

    @property
    def why(self) -> str:
        """``explain()`` in English."""
        return self.explain()

    def _budget(self) -> Value:
        return dict(self.values).get("budget", "?")

    @property
    def square(self) -> SideSizes | None:
        """The rule of inputs whose sides are all equal (S x S): what every side accepts."""
        rule: SideSizes | None = self.sides[0]
        for side in self.sides[1:]:
            rule = rule.meet(side) if rule is not None else None
        return rule

    def _square_rule(self) -> SideSizes:
        rule = self.square
        if rule is None:
            raise ValueError(f"no input with all sides equal works ({self.describe()}): read .sides")
        return rule

    # The square rule's numbers: what one size per input means when every side takes it.
    @property
    def step(self) -> int:
        return self._square_rule().step

    @property
    def minimum(self) -> int:
        return self._square_rule().minimum

    @property
    def maximum(self) -> int | None:
        return self._square_rule().maximum

    def is_valid(self, size: int | Sequence[int]) -> bool:
        """``size``: one size for every side, or the spatial sizes, e.g. (H, W)."""
        spatial = (size,) * len(self.sides) if isinstance(size, int) else tuple(size)
        if len(spatial) != len(self.sides) or (self.square_only and len(set(spatial)) > 1):
            return False
        return all(rule.is_valid(x) for rule, x in zip(self.sides, spatial))

    def nearest(self, size: int) -> tuple[int, ...]:
        """The closest sizes S that work with every side at S (one or two; none if no square works)."""
        rule = self.square
        return rule.nearest(size) if rule is not None else ()

    def examples(self, count: int = 4) -> tuple[int, ...]:
        """The first ``count`` sizes S that work with every side at S."""
        rule = self.square
        return rule.examples(count) if rule is not None else ()

    def nearest_shapes(self, spatial: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """The closest spatial sizes that work: each bad side moved down, then each moved up.

        A side that works stays as it is: (300, 256) -> ((288, 256), (320, 256)) when H takes
        multiples of 32. With ``square_only`` the candidates are the nearest equal-sided sizes.
        """
        if self.is_valid(spatial):
            return (tuple(spatial),)
        out: list[tuple[int, ...]] = []
        if self.square_only:
            candidates = [(s,) * len(self.sides) for s in self.nearest(max(spatial))]
        else:
            near = [rule.nearest(x) for rule, x in zip(self.sides, spatial)]
            candidates = [tuple(n[min(k, len(n) - 1)] for n in near) for k in (0, 1)]
        for shape in candidates:
            if shape not in out and self.is_valid(shape):
                out.append(shape)
        return tuple(out)

    def describe(self, _: Translate | None = None) -> str:
        """``multiples of 256 (256, 512, 768, ...)`` when every side agrees, else one rule per side:
        ``H: multiples of 32 (32, 64, 96, ...); W: any size from 16``. A ``Text``, or a ``str`` in
        the language of ``_`` when one is given."""
        first = self.sides[0]
        text: Text
        if self.square_only or all(side == first for side in self.sides):
            rule = self.square if self.square_only else first
            text = rule.text() if rule is not None else compose("")
            if self.square_only and len(self.sides) > 1:
                text = Text(ALL_EQUAL, rule=text)
        else:
            names = side_names(len(self.sides))
            text = join((compose(PER_SIDE, side=n, rule=s.text()) for n, s in zip(names, self.sides)), "; ")
        return _said(text if self.complete else Text(NOT_COMPLETE, rule=text), _)

    def to_dict(self) -> dict[str, Any]:
        """For the doctor's JSON: the text, the reason, and each side's numbers by its letter."""
        names = side_names(len(self.sides))
        return {
            "text": self.describe(),
            "why": self.why,
            "sides": [{"side": n, **asdict(s)} for n, s in zip(names, self.sides)],
            "square_only": self.square_only,
            "complete": self.complete,
            "reason": self.reason,
            "values": dict(self.values),
        }

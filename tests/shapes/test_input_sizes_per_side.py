"""Input sizes per spatial side (issue 10, point 6): hand-written models whose sides follow
different rules, checked against PyTorch itself at every size of a grid."""

from __future__ import annotations

import itertools
import json
import time

import pytest
import torch
from torch import nn

from inspector.shapes import size_search
from inspector.shapes.input_sizes import InputSizes, SideSizes, search_sizes, valid_input_sizes
from models.text import Text
from tests.shapes.side_models import (
    FixedHeight,
    Patches,
    Signal,
    SquareSkip,
    StridedSkip,
    Symmetric,
    TinyViT,
    Volume,
    pytorch_works,
)

GRID_2D = (1, 2, 3, 4, 6, 8, 12, 15, 16, 20, 24, 31, 32, 40, 48, 63, 64, 65, 80, 96)
GRID_3D = (1, 2, 3, 4, 6, 8, 12, 16)


@pytest.fixture(autouse=True)
def _unhurried_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the rules, not the time budget: on a loaded machine the 5 s budget cut
    some searches short (a true answer, but a smaller one). The search's clock runs ten times slower
    here; the test of the budget gives the search a clock of its own."""
    monkeypatch.setattr(size_search, "clock", lambda: time.perf_counter() / 10)


# (model, input shape, keeps its input's size, the rules by hand, the words)
CASES = [
    (
        StridedSkip,
        (1, 3, 300, 300),
        True,
        (SideSizes(4, 4), SideSizes(16, 16)),
        "H: multiples of 4 (4, 8, 12, ...); W: multiples of 16 (16, 32, 48, ...)",
    ),
    (
        FixedHeight,
        (1, 3, 64, 64),
        False,
        (SideSizes(1, 64, 64), SideSizes(1, 16)),
        "H: only 64; W: any size from 16",
    ),
    (
        Patches,
        (1, 3, 100, 100),
        True,
        (SideSizes(8, 8), SideSizes(16, 16)),
        "H: multiples of 8 (8, 16, 24, ...); W: multiples of 16 (16, 32, 48, ...)",
    ),
    (TinyViT, (1, 3, 32, 32), False, (SideSizes(1, 32, 32), SideSizes(1, 64, 64)), "H: only 32; W: only 64"),
    (
        Volume,
        (1, 1, 8, 8, 8),
        True,
        (SideSizes(1, 1), SideSizes(4, 4), SideSizes(4, 4)),
        "D: any size from 1; H: multiples of 4 (4, 8, 12, ...); W: multiples of 4 (4, 8, 12, ...)",
    ),
    (Signal, (1, 2, 30), True, (SideSizes(4, 4),), "multiples of 4 (4, 8, 12, ...)"),
    (SquareSkip, (1, 3, 30, 30), True, (SideSizes(4, 4),) * 2, "multiples of 4 (4, 8, 12, ...)"),
]
IDS = [case[0].__name__ for case in CASES]


def _grid(dims: int) -> list[tuple[int, ...]]:
    if dims == 1:
        return [(s,) for s in range(1, 70)]
    return list(itertools.product(*([GRID_2D if dims == 2 else GRID_3D] * dims)))


@pytest.mark.parametrize(("make", "shape", "keeps", "rules", "words"), CASES, ids=IDS)
def test_each_side_gets_its_own_rule(
    make: type[nn.Module], shape: tuple[int, ...], keeps: bool, rules: tuple[SideSizes, ...], words: str
) -> None:
    sizes = valid_input_sizes(make(), shape)
    assert sizes is not None and sizes.complete and not sizes.square_only
    assert sizes.sides == rules
    assert sizes.describe() == words


@pytest.mark.parametrize(("make", "shape", "keeps", "rules", "words"), CASES, ids=IDS)
def test_pytorch_agrees_on_every_size_of_a_grid(
    make: type[nn.Module], shape: tuple[int, ...], keeps: bool, rules: tuple[SideSizes, ...], words: str
) -> None:
    model = make()
    sizes = valid_input_sizes(model, shape)
    assert sizes is not None
    listed = rejected = 0
    for spatial in _grid(len(shape) - 2):
        full = (*shape[:2], *spatial)
        works = pytorch_works(model, full, keeps)
        assert sizes.is_valid(spatial) == works, (spatial, works)  # lists only what runs, rejects what fails
        listed, rejected = listed + works, rejected + (not works)
    assert listed and rejected
    # A small listed size runs for real on the CPU too.
    first = tuple(rule.first() for rule in sizes.sides)
    assert pytorch_works(model, (*shape[:2], *first), keeps, device="cpu")


@pytest.mark.parametrize(("make", "shape", "keeps", "rules", "words"), CASES, ids=IDS)
def test_the_nearest_sizes_work(
    make: type[nn.Module], shape: tuple[int, ...], keeps: bool, rules: tuple[SideSizes, ...], words: str
) -> None:
    model = make()
    sizes = valid_input_sizes(model, shape)
    assert sizes is not None
    for bad in [(37,) * (len(shape) - 2), (50, *(70,) * (len(shape) - 3)), tuple(shape[2:])]:
        near = sizes.nearest_shapes(bad)
        assert near and all(sizes.is_valid(s) for s in near)
        assert all(pytorch_works(model, (*shape[:2], *s), keeps) for s in near), (bad, near)
        # a side that works stays as it is
        assert all(s[i] == x for s in near for i, x in enumerate(bad) if sizes.sides[i].is_valid(x))


def test_a_square_model_is_described_simply_and_keeps_its_square_numbers() -> None:
    sizes = valid_input_sizes(SquareSkip(), (1, 3, 30, 30))
    assert sizes is not None and sizes.describe() == "multiples of 4 (4, 8, 12, ...)"
    assert (sizes.step, sizes.minimum, sizes.maximum) == (4, 4, None)
    assert sizes.nearest(30) == (28, 32) and sizes.examples(2) == (4, 8)
    assert sizes.nearest_shapes((30, 30)) == ((28, 28), (32, 32))
    assert "each side on its own" in sizes.why


def test_sides_that_must_be_equal_give_square_sizes_only() -> None:
    model = Symmetric()
    sizes = valid_input_sizes(model, (1, 3, 8, 8))
    assert sizes is not None and sizes.square_only
    assert sizes.describe() == "any size from 1, with all sides equal"
    assert "whose sides differ, does not run" in sizes.why
    for h, w in itertools.product(GRID_2D, GRID_2D):
        assert sizes.is_valid((h, w)) == pytorch_works(model, (1, 3, h, w), keeps_size=True) == (h == w)
    assert sizes.nearest_shapes((8, 6)) == ((8, 8),)


def test_the_square_numbers_of_a_model_without_a_square_size_say_why() -> None:
    sizes = valid_input_sizes(TinyViT(), (1, 3, 32, 64))
    assert sizes is not None and sizes.square is None and sizes.nearest(32) == ()
    with pytest.raises(ValueError, match="no input with all sides equal works"):
        _ = sizes.step
    assert "built for 32x64 only" in sizes.why


def test_the_words_are_templates_filled_from_the_numbers() -> None:
    sizes = valid_input_sizes(StridedSkip(), (1, 3, 300, 300))
    assert sizes is not None and "{trials}" in sizes.reason and dict(sizes.values)["trials"] > 0
    seen: list[str] = []

    def upper(message: str, /, **values: object) -> str:  # a stand-in for another language
        seen.append(message)
        return message.format(**values).upper()

    assert sizes.describe(upper) == sizes.describe().upper()
    assert sizes.explain(upper) == sizes.why.upper()
    # the rules' words are looked up; "H: ..." is a layout without words, never looked up
    assert "multiples of {step} ({examples}, ...)" in seen and "{side}: {rule}" not in seen
    assert isinstance(sizes.describe(), Text) and isinstance(
        sizes.explain(), Text
    )  # English, translatable later


def test_the_doctors_json_gives_each_side() -> None:
    sizes = valid_input_sizes(StridedSkip(), (1, 3, 300, 300))
    assert sizes is not None
    data = json.loads(json.dumps(sizes.to_dict()))
    assert data["sides"] == [
        {"side": "H", "step": 4, "minimum": 4, "maximum": None},
        {"side": "W", "step": 16, "minimum": 16, "maximum": None},
    ]
    assert data["text"] == sizes.describe() and data["complete"] and not data["square_only"]


def test_the_search_stops_at_its_time_budget_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(size_search, "clock", lambda: now[0])
    tried: set[tuple[int, ...]] = set()

    def rule(spatial: tuple[int, ...]) -> bool:  # multiples of 8 from 16
        return all(s % 8 == 0 and s >= 16 for s in spatial)

    def slow(spatial: tuple[int, ...]) -> bool:  # one second a trial, on the search's clock
        now[0] += 1.0
        tried.add(spatial)
        return rule(spatial)

    assert search_sizes(slow, 2, budget_s=3) is None  # 1, 2, 4, 8 fail, then no time: it cannot know
    early = search_sizes(slow, 2, budget_s=8)  # 16 works, stopped while looking for the step
    assert (
        early is not None
        and not early.complete
        and early.describe().startswith("only 16; the search stopped")
    )
    assert {s for s in itertools.product(range(1, 130), repeat=2) if early.is_valid(s)} <= tried
    partial = search_sizes(slow, 2, budget_s=16)  # stopped while trying the sides apart
    assert partial is not None and not partial.complete and partial.square_only
    assert partial.describe() == (
        "multiples of 8 (16, 24, 32, ...), with all sides equal; "
        "the search stopped at its time budget, so more sizes may work"
    )
    assert "time budget of 16 s" in partial.why
    listed = [s for s in itertools.product(range(1, 130), repeat=2) if partial.is_valid(s)]
    assert listed and all(rule(s) for s in listed)  # what a stopped search lists is true
    full = search_sizes(slow, 2, budget_s=100)
    assert full is not None and full.complete and full.sides == (SideSizes(8, 16),) * 2


def test_search_sizes_takes_any_rule_of_a_predicate() -> None:
    # H a multiple of 32, W a multiple of 64 from 128, neither above 400: found without any model.
    def runs(spatial: tuple[int, ...]) -> bool:
        h, w = spatial
        return h % 32 == 0 and w % 64 == 0 and w >= 128 and max(h, w) <= 400

    sizes = search_sizes(runs, 2)
    assert sizes is not None
    assert sizes.sides == (SideSizes(32, 32, 384), SideSizes(64, 128, 384))
    assert sizes.describe() == (
        "H: multiples of 32 (32, 64, 96, ...) up to 384; W: multiples of 64 (128, 192, 256, ...) up to 384"
    )
    assert isinstance(sizes, InputSizes) and sizes.nearest_shapes((300, 300)) == ((288, 256), (320, 320))


def test_a_patch_size_that_is_not_a_power_of_two() -> None:
    class Patch14(nn.Module):  # DINOv2's patches: 14x14, and back
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Conv2d(3, 8, 14, stride=14)
            self.back = nn.ConvTranspose2d(8, 3, 14, stride=14)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.back(self.embed(x))

    sizes = valid_input_sizes(Patch14(), (1, 3, 300, 300))
    assert sizes is not None and sizes.sides == (SideSizes(14, 14),) * 2
    assert sizes.nearest(300) == (294, 308)

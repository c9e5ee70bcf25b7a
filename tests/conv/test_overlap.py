"""The overlap map against conv_transpose2d of ones, and the checkerboard of an untrained decoder."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inspector.conv.overlap import checkerboard, checkerboard_causes, interior_counts, is_even, overlap_map
from inspector.errors import UserError

CASES = [
    (k, s, p, n, op)
    for k, s, p, n, op in itertools.product(range(1, 6), range(1, 4), range(0, 3), (1, 2, 5), (0, 1))
    if op < s and (n - 1) * s - 2 * p + k + op >= 1
]


@pytest.mark.parametrize(("kernel", "stride", "padding", "in_size", "output_padding"), CASES)
def test_overlap_map_is_conv_transpose_of_ones(
    kernel: int, stride: int, padding: int, in_size: int, output_padding: int
) -> None:
    expected = F.conv_transpose2d(
        torch.ones(1, 1, in_size, in_size, dtype=torch.float64),
        torch.ones(1, 1, kernel, kernel, dtype=torch.float64),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
    )[0, 0]
    got = overlap_map(kernel, stride, padding, in_size, output_padding)
    np.testing.assert_array_equal(got, expected.numpy().astype(np.int64))


def test_the_notebooks_even_overlap_and_the_uneven_one() -> None:
    even = overlap_map(4, 2, 1, 8)  # the notebook's ConvTranspose2d(k=4, s=2, p=1): 8 -> 16
    assert even.shape == (16, 16) and set(np.unique(even[1:-1, 1:-1])) == {4}
    uneven = overlap_map(3, 2, 1, 8)  # 8 -> 15, alternating 1, 2 per axis: 1, 2, 4 in 2-D
    assert set(np.unique(uneven[1:-1, 1:-1])) == {1, 2, 4}
    assert interior_counts(4, 2) == (2, 2) and is_even(4, 2)
    assert interior_counts(3, 2) == (2, 1) and not is_even(3, 2)
    # Interior counts by (o + padding) mod stride, read off the map's middle row.
    row = overlap_map(3, 2, 1, 8)[0, :]
    assert [int(row[o]) for o in range(2, 6)] == [interior_counts(3, 2)[(o + 1) % 2] for o in range(2, 6)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 2, 1, 4), "kernel must be an integer >= 1"),
        ((4, 2, -1, 4), "padding must be an integer >= 0"),
        ((4, 2, 1, 4.5), "in_size must be an integer >= 1"),
        ((1, 1, 3, 1), "the output side must be from 1"),
        ((4, 2, 1, 4, 2), "output_padding must be smaller than stride"),
    ],
)
def test_bad_settings_are_user_errors(args: tuple, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UserError, match=message):
        overlap_map(*args)


@pytest.mark.parametrize(("kernel", "padding"), [(4, 1), (3, 1)])
def test_flat_input_checkerboard(kernel: int, padding: int) -> None:
    before = torch.get_rng_state()
    board = checkerboard(kernel=kernel, stride=2, padding=padding, in_size=8, layers=2, seed=0)
    assert torch.equal(before, torch.get_rng_state())
    assert board.resize_conv.std < 1e-6  # nearest + "same" conv: a flat input stays flat inside
    assert board.transposed.relative_std > 0.1  # the transposed convs stripe it
    out = board.transposed.output
    inner = out[board.border : -board.border, board.border : -board.border]
    # The pattern repeats with stride ** layers = 4 pixels: shifting by it changes nothing inside.
    np.testing.assert_allclose(inner[:-4, :-4], inner[4:, 4:], rtol=1e-4, atol=1e-6)
    again = checkerboard(kernel=kernel, stride=2, padding=padding, in_size=8, layers=2, seed=0)
    np.testing.assert_array_equal(again.transposed.output, out)


def test_a_uniform_kernel_scatters_the_overlap_count() -> None:
    """One step, one channel, every weight 1/k²: the output is the overlap map over k² (the map is
    conv_transpose2d of ones with a kernel of ones, tested above)."""
    for k, s, p in ((4, 2, 1), (3, 2, 1), (5, 3, 2)):
        board = checkerboard(k, s, p, in_size=6, channels=1, layers=1, weights="uniform")
        np.testing.assert_allclose(board.transposed.output, overlap_map(k, s, p, 6) / k**2, rtol=1e-6)


@pytest.mark.parametrize(
    ("kernel", "stride"), [(4, 2), (6, 2), (6, 3), (2, 2), (3, 2), (5, 2), (4, 3), (7, 2)]
)
def test_with_equal_weights_only_an_uneven_count_prints_a_checkerboard(kernel: int, stride: int) -> None:
    board = checkerboard(kernel, stride, 1, in_size=16, weights="uniform")
    if is_even(kernel, stride):
        assert board.transposed.relative_std < 1e-5
    else:
        assert board.transposed.relative_std > 0.1


def test_what_makes_the_checkerboard_at_the_notebooks_setting() -> None:
    causes = {(c.kernel, c.weights): c for c in checkerboard_causes()}
    assert [(c.kernel, c.weights, c.even) for c in causes.values()] == [
        (4, "random", True), (4, "uniform", True), (3, "random", False), (3, "uniform", False),
    ]  # fmt: skip
    assert causes[4, "uniform"].relative_std < 1e-5  # even count, equal weights: flat
    assert causes[3, "uniform"].relative_std > 0.3  # the uneven count alone prints it
    assert min(causes[4, "random"].relative_std, causes[3, "random"].relative_std) > 0.5  # random: both
    # the same decoder as the page's flat-input test (kernel 4, stride 2, padding 1, 8x8, seed 0)
    assert causes[4, "random"].relative_std == pytest.approx(checkerboard(4, 2, 1, 8).transposed.relative_std)
    with pytest.raises(UserError, match="random or uniform"):
        checkerboard(weights="ones")  # type: ignore[arg-type]

"""The conv animation engine against PyTorch (the oracle), and the Pillow renderer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from inspector.conv.animation import MAX_IN_SIZE, ConvSettings, conv_animation
from inspector.conv.frame_files import gif_bytes, save_gif, save_pngs
from inspector.conv.render import DISPLAY_WIDTH, MAX_CELL, MIN_CELL, auto_cell, render_frame, render_frames

# (in_size, kernel, stride, padding, dilation, output_padding) - covering the notebook's k4 s2 p1,
# kernel 1, stride > kernel (gaps), padding > kernel - 1, dilation, and output_padding both
# below stride and (with stride 1) below dilation.
SWEEP = [
    (4, 4, 2, 1, 1, 0),
    (5, 4, 2, 1, 1, 1),
    (4, 3, 1, 0, 1, 0),
    (5, 3, 2, 1, 1, 1),
    (6, 3, 3, 0, 1, 2),
    (3, 1, 2, 0, 1, 1),
    (7, 3, 1, 2, 1, 0),
    (5, 2, 3, 2, 1, 0),
    (6, 3, 1, 1, 2, 1),
    (7, 3, 2, 2, 2, 1),
    (4, 2, 4, 3, 1, 3),
    (8, 5, 2, 2, 1, 0),
    (1, 4, 2, 1, 1, 0),
    (2, 2, 1, 0, 3, 2),
    (5, 4, 3, 3, 2, 1),
]


def _torch(a, transposed: bool) -> np.ndarray:
    x = torch.tensor(a.input, dtype=torch.float32)[None, None]
    w = torch.tensor(a.kernel, dtype=torch.float32)[None, None]
    s = a.settings
    if transposed:
        y = F.conv_transpose2d(
            x, w, stride=s.stride, padding=s.padding, output_padding=s.output_padding, dilation=s.dilation
        )
    else:
        y = F.conv2d(x, w, stride=s.stride, padding=s.padding, dilation=s.dilation)
    return y[0, 0].numpy()


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "op"), SWEEP)
@pytest.mark.parametrize("transposed", [False, True])
def test_every_view_accumulates_to_pytorchs_output(n, k, s, p, d, op, transposed) -> None:
    if not transposed:
        op = 0
    try:
        a = conv_animation(n, k, s, p, d, op, transposed, seed=n * 7 + k)
    except ValueError:
        # Then PyTorch must refuse the same settings too.
        with pytest.raises(RuntimeError):
            _raw_torch(n, k, s, p, d, op, transposed)
        return
    expected = _torch(a, transposed)
    assert a.output.shape == expected.shape == (a.out_size, a.out_size)
    np.testing.assert_array_equal(a.output, expected)  # exact: small integers in float32
    assert len(a.views) == (2 if transposed else 1)
    for v in a.views:
        np.testing.assert_array_equal(v.frames[-1].accumulated, a.output)
    # Gather views: one frame per output cell; scatter: one per input cell.
    assert len(a.frames) == (n * n if transposed else a.out_size**2)


def _raw_torch(n, k, s, p, d, op, transposed) -> None:
    x, w = torch.ones(1, 1, n, n), torch.ones(1, 1, k, k)
    if transposed:
        F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
    else:
        F.conv2d(x, w, stride=s, padding=p, dilation=d)


def test_validation_agrees_with_pytorch_on_a_grid() -> None:
    """Every setting in a grid: accepted iff PyTorch runs it (caps aside), same output size."""
    checked = 0
    for n, k, s, p, d, op, tr in itertools.product(
        range(1, 6), range(1, 5), (1, 2, 3), range(4), (1, 2), range(3), (False, True)
    ):
        if not tr and op:
            continue
        cfg = ConvSettings(n, k, s, p, d, op, tr)
        try:
            cfg.validate()
            ours: int | None = cfg.out_size
        except ValueError:
            ours = None
        try:
            x, w = torch.ones(1, 1, n, n), torch.ones(1, 1, k, k)
            y = (
                F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
                if tr
                else F.conv2d(x, w, stride=s, padding=p, dilation=d)
            )
            # PyTorch returns an empty map for a transposed output of size 0; we refuse it.
            theirs: int | None = y.shape[-1] if y.shape[-1] > 0 else None
        except RuntimeError:
            theirs = None
        assert ours == theirs, cfg
        checked += 1
    assert checked > 1000


def test_gather_frames_say_which_cells_are_involved() -> None:
    a = conv_animation(4, 4, 2, 1)  # the notebook's encoder conv: 4 -> 2
    assert a.out_size == 2 and len(a.frames) == 4
    first = a.frames[0]
    assert first.output_cells == ((0, 0),)
    # The window at (0, 0) covers padded rows/cols 0..3 = input 0..2 (row/col -1 is padding).
    assert set(first.input_cells) == {(r, c) for r in range(3) for c in range(3)}
    assert len(first.window) == 16
    assert first.accumulated[0, 0] == a.output[0, 0] and first.accumulated[1, 1] == 0


def test_scatter_frames_and_the_equivalent_conv() -> None:
    a = conv_animation(4, 4, 2, 1, transposed=True)  # the notebook's decoder: 4 -> 8
    assert a.out_size == 8 and [v.name for v in a.views] == ["scatter", "equivalent"]
    scatter, eq = a.views
    assert len(scatter.frames) == 16 and len(eq.frames) == 64
    # input[0, 0] lands on canvas rows/cols 0..3; padding 1 crops row/col 0 -> output 0..2
    f0 = scatter.frames[0]
    assert f0.input_cells == ((0, 0),)
    assert set(f0.output_cells) == {(r, c) for r in range(3) for c in range(3)}
    np.testing.assert_array_equal(f0.accumulated, np.pad(a.input[0, 0] * a.kernel[1:, 1:], ((0, 5), (0, 5))))
    assert scatter.canvas_size == 10 and scatter.crop == 1
    # The equivalent conv: stride-1 zeros stuffed, padded by k - 1 - p = 2, flipped kernel.
    assert eq.grid.shape == (11, 11) and eq.stride == 1
    np.testing.assert_array_equal(eq.kernel, a.kernel[::-1, ::-1])
    np.testing.assert_array_equal(eq.grid[2:9:2, 2:9:2], a.input)
    assert (eq.source >= 0).sum() == 16
    assert "pad 2 on each side" in a.settings.equivalent_text


def test_formulas_have_the_numbers() -> None:
    a = conv_animation(4, 4, 2, 1)
    assert a.formula_filled == "out = floor((4 + 2·1 - 1·(4 - 1) - 1) / 2) + 1 = 2"
    t = conv_animation(4, 4, 2, 1, transposed=True)
    assert t.formula_filled == "out = (4 - 1)·2 - 2·1 + 1·(4 - 1) + 0 + 1 = 8"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((4, 0), "kernel must be in"),
        ((3, 5), "output size below 1"),
        ((4, 4, 2, 1, 1, 2, True), "smaller than either stride or dilation"),
        ((4, 3, 1, 0, 1, 1, False), "ConvTranspose2d only"),
        ((MAX_IN_SIZE + 1, 3), "caps it"),
        ((2, 1, 1, 1, 1, 0, True), "output size below 1"),
        ((16, 7, 4, 0, 1, 0, True), "above the animation's cap"),
    ],
)
def test_invalid_settings_explain_the_formula(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        conv_animation(*args)


def test_seed_changes_the_numbers_reproducibly() -> None:
    a, b, c = conv_animation(5, 3, seed=1), conv_animation(5, 3, seed=1), conv_animation(5, 3, seed=2)
    np.testing.assert_array_equal(a.input, b.input)
    assert not np.array_equal(a.input, c.input) or not np.array_equal(a.kernel, c.kernel)
    assert a.input.min() >= 0 and a.input.max() <= 3 and a.kernel.min() >= -1 and a.kernel.max() <= 2


@pytest.mark.parametrize(
    ("kwargs", "view"), [({}, None), ({"transposed": True}, "scatter"), ({"transposed": True}, "equivalent")]
)
def test_gif_has_one_frame_per_step(tmp_path, kwargs, view) -> None:
    a = conv_animation(4, 4, 2, 1, **kwargs)
    path = save_gif(a, tmp_path / "a.gif", view=view, duration_ms=100)
    n = len(a.view(view).frames) if view else len(a.frames)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == n and im.is_animated == (n > 1)
        assert im.info["duration"] == 100
    assert gif_bytes(a, view).startswith(b"GIF8")


def test_gif_file_and_png_frames(tmp_path) -> None:
    a = conv_animation(3, 2, 1, 0, 2, 1, transposed=True)
    assert save_gif(a, tmp_path / "m.gif").exists()
    paths = save_pngs(a, tmp_path / "frames", view="equivalent")
    assert len(paths) == len(a.view("equivalent").frames)
    first, last = Image.open(paths[0]), Image.open(paths[-1])
    assert first.size == last.size and first.mode == "RGB"
    # Frames differ (the window moves): the drawing is not a constant picture.
    assert np.abs(np.asarray(first, dtype=int) - np.asarray(last, dtype=int)).sum() > 0
    with pytest.raises(ValueError, match="frame index"):
        render_frame(a, 999)
    with pytest.raises(ValueError, match="view must be one of"):
        a.view("gather")


@pytest.mark.parametrize(
    "args", [(4, 4, 2, 1, 1, 0, False), (4, 4, 2, 1, 1, 0, True), (3, 2, 1, 0, 2, 1, True)]
)
def test_incremental_frames_equal_single_frames(args) -> None:
    """render_frames draws step by step; render_frame draws one frame from scratch: same pixels."""
    a = conv_animation(*args)
    for v in a.views:
        frames = render_frames(a, v.name)
        for i in (0, len(frames) // 2, len(frames) - 1):
            np.testing.assert_array_equal(np.asarray(frames[i]), np.asarray(render_frame(a, i, v.name)))


def test_big_animations_get_smaller_cells() -> None:
    small, big = conv_animation(4, 3), conv_animation(16, 3, 1, 8)  # 30x30 output: 900 frames
    assert auto_cell(small, small.views[0]) == MAX_CELL
    assert MIN_CELL <= auto_cell(big, big.views[0]) < MAX_CELL
    assert render_frame(big, 899).width <= DISPLAY_WIDTH

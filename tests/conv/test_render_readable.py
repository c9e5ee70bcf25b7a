"""Conv animation frames are drawn at the size the app shows them (a half-width column at 1400 x
1000, never scaled down by the browser), every word at 12 px or more, none cut at the edge, in
both languages; a cell too small for a 12 px number leaves it out."""

from __future__ import annotations

import pytest

from inspector.conv.animation import conv_animation
from inspector.conv.render import NUMBER_MIN_CELL, auto_cell, render_frame
from inspector.i18n.catalog import translator
from tests.readable import COLUMN_PX, MIN_PX, drawn_words, shown_px

SETTINGS = [
    ((4, 4, 2, 1), False),  # the notebook's encoder conv
    ((4, 4, 2, 1), True),  # its decoder: scatter and the equivalent conv
    ((4, 3, 1, 1), False),
    ((3, 2, 1, 0, 2, 1), True),  # dilation and output_padding
    ((7, 3, 2, 1), True),
    ((16, 3, 1, 8), False),  # the cap: 900 frames, small cells
]


@pytest.mark.parametrize(("args", "transposed"), SETTINGS)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_frame_is_readable_at_the_size_shown(
    args: tuple[int, ...], transposed: bool, lang: str
) -> None:
    anim = conv_animation(*args, transposed=transposed)
    for view in anim.views:
        for index in (0, len(view.frames) - 1):
            with drawn_words() as words:
                frame = render_frame(anim, index, view.name, tr=translator(lang))
            assert frame.width <= COLUMN_PX, (view.name, frame.size)  # shown at its own size
            assert words, "no words drawn"
            small = [(w.text, w.px) for w in words if shown_px(w, COLUMN_PX) < MIN_PX]
            assert not small, (view.name, small[:5])
            cut = [w.text for w in words if w.right > frame.width + 1]
            assert not cut, (view.name, cut)


def test_the_notebooks_settings_show_every_number() -> None:
    """At k=4, s=2, p=1 on 4x4 the cells are big enough for their numbers: every input cell,
    kernel weight and output cell is written."""
    for transposed in (False, True):
        anim = conv_animation(4, 4, 2, 1, transposed=transposed)
        view = anim.views[0]
        assert auto_cell(anim, view) >= NUMBER_MIN_CELL
        with drawn_words() as words:
            render_frame(anim, len(view.frames) - 1, view.name)
        numbers = [w.text for w in words if w.text.lstrip("-x").isdigit()]
        cells = view.grid.size + anim.kernel.size + (view.canvas_size**2 if transposed else anim.output.size)
        assert len(numbers) >= cells

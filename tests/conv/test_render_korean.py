"""The frames' words in Korean: every word has a translation, Hangul is drawn with NanumGothic
(never Pillow's own font, which has no Hangul and would draw empty boxes), English stays as before."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.conv import frame_files, frame_text, render
from inspector.conv.animation import conv_animation
from inspector.i18n import catalog, fonts


def test_the_frames_words_have_korean() -> None:
    assert not catalog.missing("ko", list(frame_text.MESSAGES))


def test_hangul_is_drawn_with_nanumgothic_and_latin_with_pillows_font() -> None:
    assert fonts.font_for("커널", 12).path == str(fonts.korean_font_path())
    assert fonts.font_for("kernel", 12) is fonts.picture_font(12, False)
    assert fonts.font_for("kernel", 12).size == 12  # Pillow's scalable font, not its 11 px bitmap


@pytest.mark.parametrize("transposed", [False, True])
def test_a_korean_frame_is_drawn_and_english_is_unchanged(transposed: bool) -> None:
    anim = conv_animation(4, 4, 2, 1, transposed=transposed)
    english = np.asarray(render.render_frame(anim, 1))
    default = np.asarray(render.render_frame(anim, 1, tr=catalog.translator("en")))
    korean = np.asarray(render.render_frame(anim, 1, tr=catalog.translator("ko")))
    assert np.array_equal(english, default)  # the translator's default is English: the CLI's frames
    assert not np.array_equal(korean[:40], english[:40])  # the words differ
    # The grid and the kernel (below the words, which may wrap into more lines) hold the same numbers.
    view, cell = anim.views[0], render.auto_cell(anim, anim.views[0])
    panels = []
    for tr in (catalog.translator("en"), catalog.translator("ko")):
        pos = render._layout(anim, view, cell, tr)
        panels.append(
            np.asarray(render.render_frame(anim, 1, tr=tr))[pos["top"] : pos["top"] + 4 * cell, :200]
        )
    assert np.array_equal(*panels)


def test_the_heading_and_caption_in_korean() -> None:
    anim = conv_animation(4, 4, 2, 1, transposed=True)
    v = anim.view("scatter")
    head, tail = render._titles(anim, v, v.frames[0], 0, catalog.translator("ko"))
    assert (
        head.startswith("ConvTranspose2d 입력 4, k4 s2 p1 d1 op0 -> 출력 8")
        and "흩뿌리기, 프레임 1/16" in head
    )
    assert tail.startswith("input[0,0] = ") and "커널을 곱해" in tail


def test_a_korean_gif_has_as_many_frames() -> None:
    import io

    from PIL import Image

    anim = conv_animation(3, 2, 1, 0)
    gif = Image.open(io.BytesIO(frame_files.gif_bytes(anim, tr=catalog.translator("ko"))))
    assert gif.n_frames == len(anim.views[0].frames)

"""The frames' words in Korean: every word has a translation, Hangul is drawn with NanumGothic
(never Pillow's own font, which has no Hangul and would draw empty boxes), English stays as before."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.conv import frame_text, render
from inspector.conv.animation import conv_animation
from inspector.i18n import catalog, fonts


def test_the_frames_words_have_korean() -> None:
    assert not catalog.missing("ko", list(frame_text.MESSAGES))


def test_hangul_is_drawn_with_nanumgothic_and_latin_with_pillows_font() -> None:
    assert frame_text._font_for("커널", 12).path == str(fonts.korean_font_path())  # type: ignore[union-attr]
    assert frame_text._font_for("kernel", 12) is frame_text._font(12, False)


@pytest.mark.parametrize("transposed", [False, True])
def test_a_korean_frame_is_drawn_and_english_is_unchanged(transposed: bool) -> None:
    anim = conv_animation(4, 4, 2, 1, transposed=transposed)
    english = np.asarray(render.render_frame(anim, 1))
    default = np.asarray(render.render_frame(anim, 1, tr=catalog.translator("en")))
    korean = np.asarray(render.render_frame(anim, 1, tr=catalog.translator("ko")))
    assert np.array_equal(english, default)  # the translator's default is English: the CLI's frames
    assert korean.shape[0] == english.shape[0] and not np.array_equal(
        korean[:40], english[:40]
    )  # the words differ
    # The cells (below the heading) hold the same numbers in both languages.
    top = 2 * render.auto_cell(anim, anim.views[0]) + 8
    assert np.array_equal(korean[top:, :200], english[top:, :200])


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
    gif = Image.open(io.BytesIO(render.gif_bytes(anim, tr=catalog.translator("ko"))))
    assert gif.n_frames == len(anim.views[0].frames)

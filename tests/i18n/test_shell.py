"""Korean outside the extracted UI text: the diagram's words, the presets' descriptions, and figures
and diagrams drawn with a font that has Hangul."""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

from inspector.i18n import catalog, fonts
from inspector.shapes.diagram import MESSAGES, DiagramStyle, diagram_dot, render
from inspector.ui.sidebar import PRESET_DESCRIPTIONS

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_the_diagram_words_and_the_preset_descriptions_have_korean() -> None:
    assert not catalog.missing("ko", list(MESSAGES))
    assert not catalog.missing("ko", list(PRESET_DESCRIPTIONS.values()))


def test_a_korean_figure_title_is_drawn_with_nanumgothic() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    tr = catalog.translator("ko")
    title = tr("Receptive field")
    assert HANGUL.search(title)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        with plt.rc_context(fonts.matplotlib_rc("ko")):
            fig, ax = plt.subplots()
            text = ax.set_title(title)
            ax.set_xlabel(tr("pixels"))
            fig.canvas.draw()
            used = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
            plt.close(fig)
    assert used.endswith(fonts.FONT_FILE)


def test_english_figures_keep_matplotlibs_defaults() -> None:
    assert fonts.matplotlib_rc("en") == {}
    assert fonts.graphviz_font("en") == "Helvetica" and fonts.graphviz_font("ko") == fonts.FAMILY


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot binary is not installed")
def test_a_korean_diagram_names_nanumgothic_in_its_svg(notebook_cfgs: tuple) -> None:
    from inspector.shapes.trace import trace
    from models import build_discriminator

    _, d_cfg = notebook_cfgs
    t = trace(build_discriminator(d_cfg), (1, 3, 64, 64))
    style = DiagramStyle(fontname=fonts.graphviz_font("ko"), norm_act="hide")
    svg = render(diagram_dot(t, style=style, tr=catalog.translator("ko")), "svg").decode("utf-8")
    assert "입력" in svg and "출력" in svg
    assert 'font-family="NanumGothic' in svg

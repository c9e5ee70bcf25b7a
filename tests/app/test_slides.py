"""The "Export for slides" fold of the Skip connections page: options, preview and downloads."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page

PAGE = "skip_connections"
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot binary is not installed")


def _open(lang: str, **state: object) -> AppTest:
    """The page with its "Export for slides" fold open (it draws nothing while folded)."""
    return open_page(PAGE, query={"lang": lang}, state={"fold.slides": True, **state}, default_first=False)


def test_nothing_is_drawn_or_rendered_while_folded() -> None:
    app = _open("en", **{"fold.slides": False})
    assert any(e.label == "Export for slides" for e in app.expander)
    assert not app.get("download_button") and len(app.get("graphviz_chart")) == 1


def _slide(app: AppTest) -> str:
    charts = app.get("graphviz_chart")
    assert len(charts) == 2  # the page's U, then the slide
    return str(charts[-1].proto.spec)


def test_the_slide_follows_its_options() -> None:
    app = _open("en")
    assert len(app.get("graphviz_chart")) == 1  # no preview until asked for
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Download SVG", "Download PDF", "Download PNG", "Download DOT"]
    app.toggle(key="slides.preview").set_value(True).run()
    folded = _slide(app)
    assert "encoder_4 … encoder_6 ×3" in folded and "rankdir=TB" in folded  # folded by default
    app.radio(key="slides.dir").set_value("LR").run()
    app.checkbox(key="slides.collapse").set_value(False).run()
    assert not app.exception
    flat = _slide(app)
    assert "rankdir=LR" in flat and "encoder_5 [" in flat
    app.radio(key="slides.part").set_value("discriminator").run()
    app.radio(key="slides.norm_act").set_value("hide").run()
    chain = _slide(app)
    assert "digraph chain" in chain and "LeakyReLU" not in chain


def test_korean_labels_for_a_korean_session() -> None:
    # One run only: AppTest cannot rerun a page whose radios show labels other than their values.
    app = _open("ko", **{"slides.preview": True})
    assert any(e.label == "슬라이드용으로 내보내기" for e in app.expander)
    slide = _slide(app)
    assert "입력" in slide and "fontname=NanumGothic" in slide

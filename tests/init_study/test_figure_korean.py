"""The weight histogram figure in Korean: its words translated, drawn with NanumGothic, the CLI's English unchanged."""

from __future__ import annotations

import warnings

import matplotlib
import pytest

from inspector.i18n import catalog, fonts
from inspector.init_study import figure
from inspector.init_study.theory import AS_BUILT
from inspector.init_study.weights import init_comparison
from models import DiscriminatorConfig, build

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def stats():
    comparison = init_comparison(build(DiscriminatorConfig(ndf=8, n_layers=1)), ("normal",), seed=0)
    return [comparison[AS_BUILT].groups["all_conv"], comparison["normal"].groups["norm_weight"]]


def test_the_figures_words_have_korean() -> None:
    assert not catalog.missing("ko", list(figure.MESSAGES))


def test_english_by_default(stats) -> None:
    fig = figure.histogram_figure(stats, ["as built", "normal"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "value" and ax.get_ylabel() == "density"
    assert "mean " in ax.get_title() and "weights" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_korean_labels_drawn_with_nanumgothic(stats) -> None:
    fig = figure.histogram_figure(stats, ["만든 그대로", "normal"], lang="ko", tr=catalog.translator("ko"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "값" and ax.get_ylabel() == "밀도" and "표준편차" in ax.get_title()
    assert ax.xaxis.label.get_fontfamily()[0] == fonts.FAMILY
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        fig.canvas.draw()

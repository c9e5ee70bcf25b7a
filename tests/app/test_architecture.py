"""AppTest of the app shell and the Architecture page: presets, settings, bad settings."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from torch import nn

from tests.app.apptest import open_page, unfold

PAGE = "architecture"


@pytest.fixture
def at() -> AppTest:
    return open_page(PAGE)


GENERATOR, DISCRIMINATOR, REFERENCE = range(3)  # the page's tabs


def _tab(at: AppTest, index: int) -> AppTest:
    """Open tab ``index`` as a click would: only the open tab's content runs (``fold.arch.tab``)."""
    at.session_state["fold.arch.tab"] = at.tabs[index].label
    return at.run()


def _metrics(at: AppTest) -> list[str]:
    """Both networks' parameter counts: the generator's tab, then the discriminator's."""
    counts = [m.value for m in _tab(at, GENERATOR).metric]
    return counts + [m.value for m in _tab(at, DISCRIMINATOR).metric]


def test_only_the_open_tab_runs(at: AppTest) -> None:
    assert [m.value for m in at.metric] == ["54,407,810"] and not at.table  # the generator's, first
    _tab(at, REFERENCE)
    assert not at.metric and not at.dataframe and len(at.table) == 1


def test_notebook_preset_counts_and_differences(at: AppTest) -> None:
    assert at.title[0].value == "Architecture"
    assert _metrics(at) == ["54,407,810", "2,765,568"]
    diff = _tab(at, REFERENCE).table[-1].value  # a static table: its long cells wrap
    points = set(diff["point"])
    # The differences the seed README lists between the notebook and the reference.
    assert {"outermost skip", "dropout", "strides", "first/last conv bias", "parameters"} <= points
    assert "54,409,858" in set(diff["pix2pix reference"])


def test_pix2pix_preset_shows_no_differences(at: AppTest) -> None:
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert not at.exception
    assert _metrics(at) == ["54,409,858", "2,765,633"]
    assert any("nothing differs" in s.value for s in _tab(at, REFERENCE).success)


def test_notebook_as_written_explains_instead_of_crashing(at: AppTest) -> None:
    at.selectbox(key="cfg.preset").set_value("notebook-as-written").run()
    assert not _tab(at, DISCRIMINATOR).exception
    assert any("Conv2d(3, 64)" in e.value and "Mismatch doctor" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cfg.g.input_size", 100, "multiple of 2**depth = 256"),
        ("cfg.g.depth", 12, "multiple of 2**depth = 4096"),
    ],
)
def test_invalid_settings_show_a_message_and_recover(at: AppTest, key: str, value: int, message: str) -> None:
    at.toggle(key="ui.settings").set_value(True).run()  # every setting drawn
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    # Picking a preset again restores a working model.
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert not at.exception and not at.error
    assert _metrics(at)[0] == "54,409,858"


def test_user_settings_change_the_model(at: AppTest) -> None:
    at.toggle(key="ui.settings").set_value(True).run()
    at.number_input(key="cfg.g.ngf").set_value(32).run()
    at.number_input(key="cfg.g.input_size").set_value(128).run()
    at.number_input(key="cfg.g.depth").set_value(7).run()
    assert not at.exception and not at.error
    summary = at.dataframe[1].value
    assert summary["output"].iloc[0] == "1x2x128x128"
    assert summary["layer"].iloc[0] == summary["type"].iloc[0] == "UNetGenerator"  # no longer the notebook's


def test_the_summary_names_the_model_as_its_source_does(at: AppTest) -> None:
    """The first row is the model itself: the notebook's class for the notebook preset (it read
    "SummaryRow", the table's own row class, beside our UNetGenerator), the reference's for pix2pix."""
    generator = at.dataframe[1].value
    assert generator[["layer", "type"]].iloc[0].tolist() == ["Pix2Pix_Generator"] * 2
    unfold(at, "arch.torchinfo.g")
    assert any("Pix2Pix_Generator (Pix2Pix_Generator)" in c.value for c in at.code)  # torchinfo's own text
    discriminator = _tab(at, DISCRIMINATOR).dataframe[1].value
    assert discriminator[["layer", "type"]].iloc[0].tolist() == ["Pix2Pix_Discriminator"] * 2
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert at.dataframe[1].value["type"].iloc[0] == "NLayerDiscriminator"  # the tab stays open
    assert _tab(at, GENERATOR).dataframe[1].value["type"].iloc[0] == "UnetGenerator"


def test_a_rerun_with_the_same_settings_rebuilds_nothing(
    at: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspector.ui.caches.models as cache
    from models import GeneratorConfig, NetworkConfig

    calls: list[str] = []
    real = cache.build  # the one builder the cache calls, named after the network it builds

    def counted(cfg: NetworkConfig, **kwargs: Any) -> nn.Module:
        calls.append("build_generator" if isinstance(cfg, GeneratorConfig) else "build_discriminator")
        return real(cfg, **kwargs)

    monkeypatch.setattr(cache, "build", counted)
    at.run()
    at.run()
    assert not at.exception
    assert calls == []
    # ...while new settings do build (so the counter above is really wired in).
    at.toggle(key="ui.settings").set_value(True).run()
    at.number_input(key="cfg.g.ngf").set_value(24).run()
    assert "build_generator" in calls


def test_the_page_in_korean() -> None:
    app = open_page(PAGE, query={"lang": "ko"}, default_first=False)
    assert app.title[0].value == "모델 구조"
    assert [t.label for t in app.tabs] == ["생성기 (U-Net)", "판별기 (PatchGAN)", "pix2pix 참조 구현과 비교"]
    assert [m.label for m in app.metric] == ["생성기 파라미터 수"]
    assert _metrics(app) == ["54,407,810", "2,765,568"]  # numbers stay as they are
    assert [m.label for m in app.metric] == ["판별기 파라미터 수"]
    assert "항목" in _tab(app, REFERENCE).table[-1].value.columns  # the reference diff's "point" column
    app.selectbox(key="cfg.preset").set_value("notebook-as-written").run()
    _tab(app, DISCRIMINATOR)
    assert any("Conv2d(3, 64)" in e.value and "모양 오류 진단" in e.value for e in app.error)


def test_the_language_switch_translates_the_shell(at: AppTest) -> None:
    assert at.title[0].value == "Architecture"
    _tab(at, DISCRIMINATOR)
    at.segmented_control(key="ui.lang").set_value("ko").run()
    assert not at.exception
    assert at.title[0].value == "모델 구조"
    assert [m.label for m in at.metric] == ["판별기 파라미터 수"]  # the open tab stays open in Korean
    unfold(at, "glossary")
    assert at.query_params["lang"] == ["ko"] or at.query_params["lang"] == "ko"
    assert at.sidebar.selectbox(key="cfg.preset").label == "프리셋"
    glossary = next(e for e in at.sidebar.expander if e.label == "용어집")
    assert "**생성기** (generator)" in glossary.markdown[0].value

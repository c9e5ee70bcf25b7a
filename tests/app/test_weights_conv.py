"""AppTest of the Weight init, Conv vs ConvTranspose and Receptive field pages, with interactions."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from inspector.ui.init_code import INIT_CODE
from tests.app.apptest import open_page, unfold

CHECKERBOARD = {"fold.cvt.tab": "The checkerboard"}  # the Conv page's second tab, open


def test_the_conv_page_runs_one_tab_at_a_time() -> None:
    at = _open("conv_vs_transpose")
    assert [t.label for t in at.tabs] == ["Step by step", "The checkerboard"]
    assert at.get("image") and not at.get("vega_lite_chart")  # the animations, not the maps
    at = _open("conv_vs_transpose", **CHECKERBOARD)
    assert not at.get("image") and len(at.get("vega_lite_chart")) == 3


def _open(page_id: str, **state: object) -> AppTest:
    return open_page(page_id, state=state)  # widget values set before the page first draws them


def _texts(at: AppTest) -> str:
    return "\n".join(
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [c.value for c in at.code]
    )


def test_weight_init_default_is_the_notebooks_generator() -> None:
    at = _open("weight_init")  # the 54M generator: the one slow test here (about 5 s)
    assert at.title[0].value == "Weight init"
    assert "def ini_weight(m)" in _texts(at)
    table = at.dataframe[0].value
    assert list(table["init"]) == ["as built", "normal"]
    assert table["std"][1] == pytest.approx(0.02, rel=0.01)
    assert table["theory"][1] == "N(0, 0.02)"
    # before and after; the activation chart (3 more inits, 4 passes of 54M weights) waits for a click
    assert len(at.get("vega_lite_chart")) == 2
    assert any("four times" in i.value for i in at.info)
    at.button(key="wi.probe").click().run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3  # before, after, activations
    at.radio(key="wi.mode").set_value("train").run()  # the chart stays on for the session
    assert len(at.get("vega_lite_chart")) == 3 and not at.button
    assert not at.error


def test_weight_init_interactions_on_the_discriminator() -> None:
    at = _open("weight_init", **{"wi.part": "discriminator"})
    table = at.dataframe[0].value
    assert table["std"][0] == pytest.approx(0.01077, rel=0.02)  # the default's mixture, as built
    at.selectbox(key="wi.scheme").set_value("kaiming").run()
    unfold(at)  # the notebook's code is folded
    assert not at.exception and "kaiming_uniform_" in _texts(at)  # the notebook's Kaiming snippet
    at.selectbox(key="wi.which").set_value("model.2.weight").run()
    table = at.dataframe[0].value
    # One layer: fan_in 64*16 = 1024 -> U(±1/32) as built, N(0, √(2/1024)) after kaiming.
    assert table["theory"][0] == "U(-0.03125, 0.03125)"
    assert table["std"][1] == pytest.approx((2 / 1024) ** 0.5, rel=0.02)
    at.selectbox(key="wi.which").set_value("norm_weight").run()
    assert at.dataframe[0].value["theory"][0] == "constant 1"
    at.radio(key="wi.mode").set_value("train").run()
    at.radio(key="wi.layers").set_value("every layer").run()
    at.number_input(key="wi.gain").set_value(0.05).run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value["theory"][1] == "N(1, 0.05)"


def test_weight_init_explains_a_model_that_cannot_run() -> None:
    at = _open("weight_init", **{"wi.part": "discriminator"})
    at.selectbox(key="cfg.preset").set_value("notebook-as-written").run()
    assert not at.exception
    assert any("notebook's typo" in w.value and "Mismatch doctor" in w.value for w in at.warning)
    assert at.dataframe[0].value["init"][0] == "as built"  # the weights are still shown


def test_conv_vs_transpose_defaults_and_frames() -> None:
    at = _open("conv_vs_transpose")
    text = _texts(at)
    assert "floor((4 + 2·1 - 1·(4 - 1) - 1) / 2) + 1 = 2" in text
    assert "(4 - 1)·2 - 2·1 + 1·(4 - 1) + 0 + 1 = 8" in text
    assert "256 -> 128" in text  # the note on the generator's encoder
    assert len(at.get("image")) == 2 and len(at.get("download_button")) == 2
    assert at.slider(key="cvt.frame_conv").max == 3 and at.slider(key="cvt.frame_tconv").max == 15
    at.slider(key="cvt.frame_tconv").set_value(7).run()
    at.radio(key="cvt.view").set_value("equivalent").run()
    assert not at.exception and at.slider(key="cvt.frame_tconv").max == 63
    at.toggle(key="cvt.play").set_value(True).run()
    assert not at.exception and at.slider(key="cvt.frame_conv").disabled
    at.toggle(key="cvt.play").set_value(False).run()
    at.number_input(key="cvt.kernel").set_value(3).run()
    assert not at.exception and not at.error


def test_conv_vs_transpose_says_why_even_overlap_still_prints_a_checkerboard() -> None:
    """The green "even" box for k=4, s=2 stands above a 1.189 checkerboard: the page says why and
    shows what makes the difference (the same decoders with one value in every kernel position)."""
    at = _open("conv_vs_transpose", **CHECKERBOARD)
    assert any("not the same weights" in s.value for s in at.success)
    assert any(m.value == "1.189" for m in at.metric)  # the untrained decoder's checkerboard
    causes = at.dataframe[-1].value.set_index("kernel weights")
    assert causes.loc["random (PyTorch's default init)"].tolist() == ["1.189", "1.263"]
    assert causes.loc["one value in every position"].iloc[0] == "0.000"  # even and equal: flat
    assert float(causes.loc["one value in every position"].iloc[1]) > 0.3  # uneven: still a pattern
    assert list(causes.columns) == ["k=4, s=2: even", "k=3, s=2: uneven"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"cvt.in_size": 3, "cvt.kernel": 5, "cvt.padding": 0}, ["Conv2d**: output size below 1"]),
        ({"cvt.output_padding": 2}, ["smaller than either stride or dilation"]),
        (
            {"cvt.in_size": 16, "cvt.kernel": 7, "cvt.stride": 4, "cvt.padding": 0},
            ["above the animation's cap"],
        ),
    ],
)
def test_conv_vs_transpose_bad_settings_are_errors(changes: dict[str, int], errors: list[str]) -> None:
    at = _open("conv_vs_transpose")
    for key, value in changes.items():
        at.number_input(key=key).set_value(value)
    at.run()
    assert not at.exception
    shown = [e.value for e in at.error]
    assert len(shown) == len(errors) and all(want in got for want, got in zip(errors, shown))
    assert len(at.get("image")) == 1  # the other side still draws
    at.button[0].click().run()  # back to the notebook's settings
    assert not at.error and len(at.get("image")) == 2


def test_receptive_field_page() -> None:
    at = _open("receptive_field")
    assert [m.value for m in at.metric] == ["94 x 94 px", "8 x 8", "32 px"]
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert [m.value for m in at.metric] == ["70 x 70 px", "30 x 30", "8 px"]
    at.slider(key="rf.row").set_value(0).run()
    at.slider(key="rf.col").set_value(29).run()
    assert not at.exception
    assert "rows **-23..46**" in _texts(at) and "zero padding" in _texts(at)
    presets = at.dataframe[-1].value
    assert dict(zip(presets["preset"], presets["receptive field"])) == {
        "notebook": 94,
        "notebook-as-written": 94,
        "pix2pix": 70,
    }


def test_conv_vs_transpose_long_gif_on_request() -> None:
    at = _open("conv_vs_transpose", **{"cvt.in_size": 12, "cvt.kernel": 3, "cvt.stride": 1, "cvt.padding": 0})
    # Conv2d: 10x10 output, 100 frames, GIF offered at once; ConvTranspose2d scatter: 144 frames, on request.
    assert len(at.get("download_button")) == 1
    make = at.button(key="cvt.make_gif.scatter")
    assert "144 frames" in make.label
    make.click().run()
    assert not at.exception and len(at.get("download_button")) == 2


def test_receptive_field_page_with_a_sidebar_size_too_small_for_the_presets() -> None:
    at = _open("receptive_field", **{"cfg.g.depth": 2, "cfg.g.input_size": 16, "cfg.d.n_layers": 1})
    assert not at.exception
    presets = at.dataframe[-1].value
    assert all("too small" in str(m) for m in presets["patch map"])


def test_weight_init_refuses_a_model_too_big_to_build_for_real() -> None:
    at = _open("weight_init", **{"cfg.d.ndf": 512, "cfg.d.n_layers": 4, "wi.part": "discriminator"})
    assert not at.exception
    assert "GiB of float32 weights" in at.error[0].value and "up to 200,000,000" in at.error[0].value


def test_weight_init_skips_the_activation_pass_when_it_would_be_huge() -> None:
    at = _open("weight_init", **{"cfg.g.ngf": 8, "cfg.g.depth": 12, "cfg.g.input_size": 4096})
    assert not at.exception
    assert any("forward pass at 4096x4096" in i.value and "not drawn" in i.value for i in at.info)
    assert at.dataframe[0].value["init"][0] == "as built"  # the weights are still shown


def test_weight_init_shows_the_code_that_ran() -> None:
    at = _open("weight_init", **{"wi.part": "discriminator", "wi.scheme": "kaiming"})
    assert [c.value for c in at.code] == [INIT_CODE["kaiming"].strip()]  # what ran; the notes' code is folded
    codes = [c.value for c in unfold(at).code]
    assert any("kaiming_normal_" in c for c in codes) and any("kaiming_uniform_" in c for c in codes)
    assert "a different shape" in _texts(at)


def _open_korean(page_id: str) -> AppTest:
    return open_page(page_id, query={"lang": "ko"}, default_first=False)


def test_weight_init_in_korean() -> None:
    at = _open_korean("weight_init")
    assert at.title[0].value == "가중치 초기화"
    assert at.radio(key="wi.part").options == ["생성기", "판별기"]  # the values stay generator, discriminator
    table = at.dataframe[0].value
    assert list(table["초기화"]) == ["만든 그대로", "normal"]
    assert table["표준편차"][1] == pytest.approx(0.02, rel=0.01)
    assert not at.error


def test_conv_vs_transpose_in_korean() -> None:
    at = _open_korean("conv_vs_transpose")
    assert at.title[0].value == "합성곱 vs 전치 합성곱"
    assert any("일반 합성곱으로 보면" in c.value for c in at.caption)
    assert at.radio(key="cvt.view").value == "scatter"
    assert not at.error and len(at.get("image")) == 2


def test_the_overlap_maps_are_big_enough_to_read() -> None:
    """k=3, s=1 on 4x4 gives a 4x4 map: it was about 100 px wide with its colour bar's lower label
    cut to "."; every map is now at least 180 px, its colour bar as long as the map, labels 13 px."""
    import json

    charts = []
    for state, count in (({}, 3), ({"cvt.kernel": 3, "cvt.stride": 1}, 1)):  # 3: the map, two flat answers
        at = _open("conv_vs_transpose", **CHECKERBOARD, **state)
        assert not at.exception and len(at.get("vega_lite_chart")) == count
        charts += [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    for spec in charts:
        side, legend = spec["width"], spec["config"]["legend"]
        assert spec["height"] == side >= 180
        assert legend["labelFontSize"] >= 12 and legend["titleFontSize"] >= 12
        assert legend["gradientLength"] <= side  # the bar, with its end labels, fits beside the map

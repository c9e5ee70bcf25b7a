"""AppTest of the Skip connections and Mismatch doctor pages: sizes, examples, edited tables."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page

SKIPS, DOCTOR = "skip_connections", "mismatch_doctor"


def _open(page: str) -> AppTest:
    return open_page(page)


@pytest.fixture
def skips() -> AppTest:
    return _open(SKIPS)


@pytest.fixture
def doctor() -> AppTest:
    return _open(DOCTOR)


def _texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(e.value for e in elements)


def _graphviz(at: AppTest) -> str:
    (chart,) = at.get("graphviz_chart")
    return chart.proto.spec


def test_skip_page_draws_the_notebook_u_with_six_concats(skips: AppTest) -> None:
    assert skips.title[0].value == "Skip connections"
    assert [m.value for m in skips.metric][:2] == ["6", "1 x 1"]
    table = skips.dataframe[0].value
    assert list(table["channels"]) == ["512 + 512 = 1024"] * 4 + ["256 + 256 = 512", "128 + 128 = 256"]
    assert list(table["skip from"]) == [f"encoder_{k}" for k in range(6, 0, -1)]
    dot = _graphviz(skips)
    assert "512 + 512 = 1024" in dot and "bottleneck 512x1x1" in dot
    assert not skips.error and not skips.warning
    assert "no outermost skip" in _texts(skips.markdown)
    assert "middle.0" in _texts(skips.markdown)  # the in-place rewrite of the skip is explained


def test_a_bad_size_is_explained_with_the_nearest_valid_ones(skips: AppTest) -> None:
    skips.number_input(key="skips.size.256").set_value(300).run()
    assert not skips.exception
    assert "300 does not work" in skips.warning[0].value and "256 or 512" in skips.warning[0].value
    errors = _texts(skips.error)
    assert "300 -> 150 -> 75 -> 37 -> 18 -> 9" in errors and "decoder_4" in errors
    assert "sizes differ" in _graphviz(skips)
    skips.number_input(key="skips.size.256").set_value(512).run()
    assert not skips.warning and not skips.error
    assert skips.dataframe[0].value["output"].iloc[0] == "1024x4x4"


def test_the_size_box_follows_the_sidebar(skips: AppTest) -> None:
    skips.number_input(key="skips.size.256").set_value(300).run()
    skips.number_input(key="cfg.g.input_size").set_value(512).run()
    assert not skips.exception and not skips.warning
    assert skips.number_input(key="skips.size.512").value == 512
    assert skips.dataframe[0].value["output"].iloc[0] == "1024x4x4"


def test_the_pix2pix_preset_has_seven_concats(skips: AppTest) -> None:
    skips.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert not skips.exception
    assert skips.metric[0].value == "7"
    assert skips.dataframe[0].value["skip from"].iloc[-1] == "input_layer"


def test_doctor_starts_with_the_notebook_as_written(doctor: AppTest) -> None:
    assert doctor.selectbox(key="doctor.example").value == "as-written"
    errors = _texts(doctor.error)
    assert "`model.2`** (channels: expected 3, got 64)" in errors
    assert "model.2: Conv2d in_channels 3 -> 64" in errors
    assert "expected input[1, 64, 128, 128] to have 3 channels, but got 64" in doctor.code[0].value
    dot = _graphviz(doctor)
    assert "model.2\nConv2d(3, 64)" in dot and "✗ got 64 channels" in dot  # as written; what arrived in red


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (
            "forgot-skip",
            "decoder_4: ConvTranspose2d in_channels 512 -> 1024 (512 from decoder_5 + 512 skip from encoder_4)",
        ),
        ("bad-size", "use an input size of 256 or 512 instead of 300"),
        ("ab-only", "torch.cat([L, ab], dim=1)"),
    ],
)
def test_each_broken_example_shows_its_fix(doctor: AppTest, example: str, expected: str) -> None:
    doctor.selectbox(key="doctor.example").set_value(example).run()
    assert not doctor.exception
    assert expected in _texts(doctor.error)
    assert "#d62728" in _graphviz(doctor)  # the offending node in red


def test_mending_the_notebook_discriminator_in_the_table(doctor: AppTest) -> None:
    # Row 1 is model.2: Conv2d(3, 64) -> Conv2d(64, 128) as the notebook meant.
    doctor.session_state["doctor.table.as-written"] = {
        "edited_rows": {1: {"in_channels": 64, "out_channels": 128}},
        "added_rows": [],
        "deleted_rows": [],
    }
    doctor.run()
    assert not doctor.exception and not doctor.error
    assert "Healthy: a 3x256x256 input gives a 1x8x8 output" in doctor.success[0].value


def test_mending_the_decoder_and_breaking_the_sidebar_generator(doctor: AppTest) -> None:
    doctor.selectbox(key="doctor.example").set_value("forgot-skip").run()
    row = list(doctor.data_editor[0].value["block"]).index("decoder_4")
    doctor.session_state["doctor.table.forgot-skip"] = {
        "edited_rows": {row: {"in_channels": 1024}},
        "added_rows": [],
        "deleted_rows": [],
    }
    doctor.run()
    assert not doctor.exception and not doctor.error and doctor.success

    doctor.selectbox(key="doctor.example").set_value("sidebar-g").run()
    assert doctor.success  # the notebook preset is healthy
    row = list(doctor.data_editor[0].value["block"]).index("encoder_3")
    doctor.session_state["doctor.table.sidebar-g"] = {
        "edited_rows": {row: {"out_channels": 300}},
        "added_rows": [],
        "deleted_rows": [],
    }
    doctor.run()
    errors = _texts(doctor.error)
    assert not doctor.exception
    assert "encoder_4.1" in errors and "expected 512, got 300" in errors  # the next block's conv
    assert "decoder_3.1" in errors  # and the skip of encoder_3 into decoder_3, found in the same pass


def test_bad_settings_never_show_a_traceback(doctor: AppTest) -> None:
    doctor.selectbox(key="doctor.example").set_value("sidebar-d").run()
    doctor.number_input(key="doctor.size.sidebar-d.256").set_value(8).run()
    assert not doctor.exception
    assert "kernel" in _texts(doctor.error)
    doctor.number_input(key="cfg.g.input_size").set_value(100).run()  # impossible for the U-Net only
    assert not doctor.exception
    assert "cannot build" not in _texts(doctor.error)  # the discriminator example still works at 100
    doctor.selectbox(key="doctor.example").set_value("sidebar-g").run()
    assert not doctor.exception
    assert "These settings cannot build the generator: input_size must be a multiple of" in _texts(
        doctor.error
    )


def test_a_generator_only_page_is_not_blocked_by_the_discriminator(skips: AppTest) -> None:
    skips.toggle(key="ui.settings").set_value(True).run()
    skips.number_input(key="cfg.g.depth").set_value(2).run()
    skips.number_input(key="cfg.g.input_size").set_value(8).run()  # fine for a depth-2 U-Net, not for D
    assert not skips.exception and not skips.error
    assert skips.metric[0].value == "0"
    assert "no skip connection at all" in _texts(skips.markdown)


def test_the_channels_box_follows_the_sidebar(doctor: AppTest) -> None:
    doctor.selectbox(key="doctor.example").set_value("sidebar-d").run()
    doctor.toggle(key="ui.settings").set_value(True).run()
    doctor.number_input(key="cfg.d.in_channels").set_value(2).run()
    assert not doctor.exception and not doctor.error
    assert doctor.number_input(key="doctor.channels.sidebar-d.2").value == 2


def test_a_pasted_printout_of_the_notebooks_discriminator_finds_model_2(doctor: AppTest) -> None:
    from tests.doctor.test_repr_parser import _notebook_discriminator_printout

    doctor.text_area(key="doctor.own.repr").set_value(_notebook_discriminator_printout()).run()
    assert not doctor.exception
    errors = _texts(doctor.error)
    assert "model.2" in errors and "Conv2d in_channels 3 -> 64" in errors
    captions = _texts(doctor.caption)
    assert "Fix 1 is verified: with model.2 Conv2d in_channels 3 -> 64 applied" in captions
    # Model files are off unless the app was started with --models DIR.
    assert "Model files are off" in _texts(doctor.info)


def test_pasted_text_that_is_not_a_printout_is_one_message(doctor: AppTest) -> None:
    doctor.text_area(key="doctor.own.repr").set_value("__import__('os').system('echo hi')").run()
    assert not doctor.exception
    assert "cannot be rebuilt as a model" in _texts(doctor.error)


# --- in Korean: the doctor's own sentences follow the page's language ------------------------------


def _korean_words(text: str) -> list[str]:
    from tests.i18n.english import english_sentences, without_code

    return english_sentences(without_code(text))


def test_the_doctor_speaks_korean_on_a_korean_page() -> None:
    doctor = open_page(DOCTOR, query={"lang": "ko"})
    errors = _texts(doctor.error)
    assert "model.2 (Conv2d(3, 64))의 입력 채널은 3개여야 하는데 64개가 들어옵니다" in errors
    assert "model.2의 올바른 모양은 Conv2d(64, 128)입니다" in errors
    assert _korean_words(errors) == []
    captions = _texts(doctor.caption)
    assert (
        "meta 복사본에 model.2 Conv2d in_channels 3 -> 64를 적용하면" in captions  # 를: 64 reads 육십사
        and _korean_words(captions) == []
    )


# AppTest cannot rerun a page whose radios show translated labels (it reads them back in English),
# so each state is opened afresh, its widgets set before the page runs.
@pytest.mark.parametrize(
    ("state", "said"),
    [
        (
            {"doctor.example": "forgot-skip"},
            "decoder_5의 512 + encoder_4의 스킵 512",
        ),
        (
            {"doctor.example": "bad-size"},
            "입력 크기 300 대신 256 또는 512",
        ),
        ({"doctor.example": "ab-only"}, "L과 ab를 함께 넣으세요"),
        (  # a sidebar setting the U-Net cannot be built with: the config's own error, in Korean
            {"doctor.example": "sidebar-g", "cfg.g.input_size": 100},
            "input_size는 2**depth = 256의 배수여야 합니다",
        ),
    ],
)
def test_each_broken_example_is_explained_in_korean(state: dict[str, object], said: str) -> None:
    doctor = open_page(DOCTOR, query={"lang": "ko"}, state=state)
    errors = _texts(doctor.error)
    assert said in errors
    assert _korean_words(errors) == []


def test_the_skip_page_in_korean_explains_a_bad_size_in_korean() -> None:
    skips = open_page(SKIPS, query={"lang": "ko"}, state={"skips.size.256": 300})
    errors = _texts(skips.error)
    assert "300 -> 150 -> 75 -> 37 -> 18 -> 9" in errors and "decoder_4 앞의 torch.cat에서" in errors
    assert "256 또는 512" in skips.warning[0].value
    # (the valid sizes' own words come from inspector.shapes.input_sizes, translated on their own)
    assert _korean_words(errors.replace("multiples of 256 (256, 512, 768, ...)", "")) == []

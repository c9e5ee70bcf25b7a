"""Text the core returns: English as a ``str`` (the CLI's words), and the same sentence in Korean
through the catalog; config errors said in Korean; the English detector the Korean checks use."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from torch import nn

from inspector.i18n.catalog import translator
from inspector.init_study.theory import theory_for
from models import DiscriminatorConfig, GeneratorConfig, init_weights, preset
from models.text import Text, compose, join, message_of, render
from tests.i18n.english import english_sentences, without_code

KO, EN = translator("ko"), translator("en")


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def test_english_sentences_are_found_and_korean_with_terms_is_not() -> None:
    assert english_sentences("생성기: The generator predicts the colour channels.") == [
        "The generator predicts the colour channels."
    ]
    assert (
        english_sentences(
            "생성기는 L을 읽고 torch.cat으로 encoder_4의 출력을 이어 붙입니다. PatchGAN 70 x 70"
        )
        == []
    )
    assert english_sentences("Conv2d(3, 64) nn.Sequential input_layer encoder_1") == []
    assert english_sentences("모양은 B x C x H x W 순서입니다.") == []
    assert english_sentences(without_code("오류: `shape is invalid for input of size 48`")) == []


def test_a_text_is_its_english_and_renders_nested_parts_in_korean() -> None:
    came_from = Text("from {producer}", producer="model.0")
    t = Text(
        "{name} ({layer}) expects {expected} input channels but gets {got}, {came_from}.",
        name="model.2",
        layer="Conv2d(3, 64)",
        expected=3,
        got=64,
        came_from=came_from,
    )
    # the English is the str itself, identical to what str.format gives
    assert t == "model.2 (Conv2d(3, 64)) expects 3 input channels but gets 64, from model.0."
    assert render(t, EN) == t and isinstance(t, str)
    korean = render(t, KO)
    assert korean == "model.2 (Conv2d(3, 64))의 입력 채널은 3개여야 하는데 64개가 들어옵니다(model.0의 출력)."
    assert render("plain English from a rule of one's own", KO) == "plain English from a rule of one's own"


def test_compose_and_join_have_no_words_of_their_own() -> None:
    sizes = join([256, 512], Text(" or "))
    assert sizes == "256 or 512" and render(sizes, KO) == "256 또는 512"
    both = compose("{a}{b}", a=Text("width"), b=" (W)")
    assert both == "width (W)" and render(both, KO) == "너비 (W)"
    assert join([Text("width"), "", Text("height")]) == "width height"  # empty parts are left out
    op = Text("{op} before {module}", op="torch.cat", module="decoder_4")
    assert render(op.with_values(module="decoder_2"), KO) == "decoder_2 앞의 torch.cat"


def test_a_text_survives_pickle_deepcopy_and_json() -> None:
    t = Text("verified: {changes}", changes=join([Text("input {old} -> {new}", old="1x3", new="1x1")], ", "))
    for copied in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):  # st.cache_data, dataclasses.asdict
        assert isinstance(copied, Text) and copied == t
        assert render(copied, KO) == render(t, KO) == "검증됨: 입력 1x3 -> 1x1"
    assert json.loads(json.dumps({"fix": t})) == {"fix": str(t)}


@pytest.mark.parametrize(
    ("build", "english"),
    [
        (lambda: GeneratorConfig(input_size=300), "input_size must be a multiple of 2**depth = 256"),
        (lambda: GeneratorConfig(ngf=0), "ngf must be in [1, 4096], got 0"),
        (lambda: GeneratorConfig(norm="group"), "norm must be one of batch, instance, none; got 'group'"),
        (lambda: GeneratorConfig(dropout_p=1.5), "dropout_p must be in [0, 1), got 1.5"),
        (lambda: DiscriminatorConfig(input_size=8), "input_size 8 is too small for 3 layers"),
        (lambda: DiscriminatorConfig(ndf=1024), "ndf * min(2**n_layers, max_mult) must be at most 4096"),
        (lambda: DiscriminatorConfig(end_bias=1), "end_bias must be True or False, got 1"),  # type: ignore[arg-type]
        (
            lambda: GeneratorConfig.from_dict({"ngf": 8, "colour": 1}),
            "unknown GeneratorConfig fields: colour",
        ),
        (lambda: preset("no-such-preset"), "unknown preset 'no-such-preset'; choose one of:"),
        (lambda: init_weights(nn.Linear(2, 2), "uniform"), "scheme must be one of normal, xavier"),  # type: ignore[arg-type]
    ],
)
def test_config_errors_keep_their_english_and_read_in_korean(build, english: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as info:
        build()
    assert english in str(info.value)  # the CLI's message, unchanged
    message = message_of(info.value)
    assert isinstance(message, Text) and message == str(info.value)
    korean = render(message, KO)
    # the words are Korean; the values (field names, allowed choices, numbers) stay as they are
    words = KO(message.template)
    assert _has_hangul(korean) and _has_hangul(words) and not english_sentences(words), korean


def test_the_init_rules_read_in_korean() -> None:
    conv = nn.Conv2d(64, 128, 4)
    for param, scheme in (("weight", "default"), ("bias", "default"), ("bias", "normal")):
        theory = theory_for(conv, param, scheme)
        assert theory is not None and isinstance(theory.rule, Text)
        assert _has_hangul(render(theory.rule, KO)), theory.rule
    assert theory_for(conv, "weight", "default").rule == (  # type: ignore[union-attr]
        "PyTorch default kaiming_uniform_(a=√5): U(±1/√fan_in), fan_in=1024"
    )


def test_no_cache_spinner_is_fixed_in_english() -> None:
    """A cache's own spinner text is set at import, in no one's language (Streamlit's default reads
    "Running meta_model(...)"): every Streamlit cache says show_spinner=False (``shared`` has no
    spinner); ``spinner`` speaks instead."""
    import ast
    from pathlib import Path

    ui = Path(__file__).resolve().parents[2] / "inspector" / "ui"
    caches = [
        node
        for source in ui.rglob("*.py")
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) in ("st.cache_data", "st.cache_resource", "shared")
    ]
    assert len(caches) > 30  # every cache of inspector/ui/caches/ and the training slot's
    for call in (c for c in caches if ast.unparse(c.func) != "shared"):
        spin = {k.arg: k.value for k in call.keywords}.get("show_spinner")
        assert isinstance(spin, ast.Constant) and spin.value is False, ast.unparse(call)

"""Korean particles chosen by the value: ``{size}은(는)`` reads "300은" and "2는".

The oracle is the value read aloud, written in Hangul by hand (300 -> 삼백, Conv2d(3, 64) ->
콘브투디): the particle must be the one that fits the reading's last syllable, which the test
finds by Unicode's own decomposition of that syllable (NFD), not by the code under test.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from inspector.i18n import catalog
from inspector.i18n.particles import format_message
from models.text import Text

# value -> how a Korean teacher reads it aloud (only its last syllable matters)
READINGS: dict[str, str] = {
    "0": "영",
    "1": "일",
    "2": "이",
    "3": "삼",
    "4": "사",
    "5": "오",
    "6": "육",
    "7": "칠",
    "8": "팔",
    "9": "구",
    "10": "십",
    "100": "백",
    "256": "이백오십육",
    "300": "삼백",
    "512": "오백십이",
    "1000": "천",
    "1,024": "천이십사",
    "20,000": "이만",
    "15,000": "만오천",
    "54,407,810": "오천사백사십만칠천팔백십",
    "0.02": "영점영이",
    "0.5": "영점오",
    "2e-4": "이이마이너스사",
    "256x256": "이백오십육 곱하기 이백오십육",
    "1x512x2x2": "일 곱하기 오백십이 곱하기 이 곱하기 이",
    "[1, 64, 128, 128]": "일 육십사 백이십팔 백이십팔",
    "(1, 3, 256, 256)": "일 삼 이백오십육 이백오십육",
    "B x C x H x W": "비 곱하기 씨 곱하기 에이치 곱하기 더블유",
    "model.2": "모델 점 이",
    "model.0 (Conv2d(3, 64))": "모델 점 영",
    "encoder_1": "인코더 일",
    "decoder_6": "디코더 육",
    "Conv2d(3, 64)": "콘브투디",
    "BatchNorm2d(128)": "배치놈투디",
    "torch.cat": "토치 캣",
    "torch.Size([16, 1, 256, 256])": "토치 사이즈",
    "생성기": "생성기",
    "합성곱": "합성곱",
    "스킵 연결": "스킵 연결",
    "**판별기**": "판별기",
    "RGB": "알지비",
    "L": "엘",
    "ab": "에이비",
    "GAN": "간",
    "PatchGAN": "패치간",
    "U-Net": "유넷",
    "Lab": "랩",
    "padding": "패딩",
    "stride": "스트라이드",
    "dropout": "드롭아웃",
    "Dropout(0.5)": "드롭아웃",
    "layer": "레이어",
    "middle": "미들",
    "input_layer": "인풋 레이어",
    "output": "아웃풋",
    "none": "논",
    "instance": "인스턴스",
    "batch": "배치",
    "kaiming": "카이밍",
    "xavier": "자비에",
    "normal": "노멀",
    "uniform": "유니폼",
    "Tanh": "탄에이치",
    "LeakyReLU": "리키렐루",
    "module": "모듈",
    "notebook": "노트북",
    "ngf": "엔지에프",
    "lr": "엘알",
    "cpu": "씨피유",
    "json": "제이슨",
    "654 MiB": "육백오십사 메비바이트",
    "64 px": "육십사 픽셀",
    "12 s": "십이 초",
    "30%": "삼십 퍼센트",
}


def _ends(reading: str) -> str:
    """How the reading's last syllable ends, told by NFD: a third jamo is a final consonant."""
    jamo = unicodedata.normalize("NFD", reading.rstrip()[-1])
    if len(jamo) < 3:
        return "vowel"
    return "rieul" if jamo[2] == "\u11af" else "consonant"  # ᆯ: the final ㄹ


def _expected(pair: str, reading: str) -> str:
    ends = _ends(reading)
    if pair == "(으)로":
        return "으로" if ends == "consonant" else "로"
    consonant, vowel = {"은(는)": ("은", "는"), "이(가)": ("이", "가"), "을(를)": ("을", "를")}.get(
        pair, ("과", "와")
    )
    return vowel if ends == "vowel" else consonant


@pytest.mark.parametrize("value", list(READINGS))
@pytest.mark.parametrize("pair", ["은(는)", "이(가)", "을(를)", "와(과)", "(으)로"])
def test_the_particle_fits_the_value_read_aloud(value: str, pair: str) -> None:
    said = format_message("{value}" + pair + " 봅니다", {"value": value})
    assert said == value + _expected(pair, READINGS[value]) + " 봅니다"


@pytest.mark.parametrize("value", list(READINGS))
def test_the_copula_is_dropped_after_a_vowel(value: str) -> None:
    said = format_message("{value}(이)라서", {"value": value})
    assert said == value + ("라서" if _ends(READINGS[value]) == "vowel" else "이라서")


@pytest.mark.parametrize(
    ("template", "values", "said"),
    [
        ("**{size}**은(는) 됩니다", {"size": 300}, "**300**은 됩니다"),
        ("`{name}`을(를) 고칩니다", {"name": "model.2"}, "`model.2`를 고칩니다"),
        ("{size}x{size}(으)로", {"size": 256}, "256x256으로"),
        ("padding={padding}(으)로", {"padding": 1}, "padding=1로"),
        ("k = {k}이(가)", {"k": 3}, "k = 3이"),
        ("{depth}(이)라서", {"depth": 8}, "8이라서"),
        ("{a}와(과) {b}는(은)", {"a": "L", "b": "ab"}, "L과 ab는"),  # either order of the pair
        ("{x:.3f}은(는)", {"x": 0.5}, "0.500은"),  # the format spec first, then the sound
        ("{x!r}이(가)", {"x": "a"}, "'a'가"),
        ("{value}은(는)", {"value": "→"}, "→은(는)"),  # a sound nobody can tell: both forms stay
    ],
)
def test_pairs_in_templates(template: str, values: dict[str, object], said: str) -> None:
    assert format_message(template, values) == said


@pytest.mark.parametrize(
    "template",
    ["{a} and {b}", "{a:>5}({b!r})", "{{literal}} {a}", "{a.real}(이)", "({a}) (이)라", "{a}{b}은(는)"],
)
def test_it_formats_as_str_format_does_where_no_pair_follows_a_value(template: str) -> None:
    values = {"a": 3, "b": "x"}
    expected = template.format(**values)
    if "{b}은(는)" in template:
        expected = expected.replace("x은(는)", "x는")
    assert format_message(template, values) == expected


def test_a_missing_value_fails_as_str_format_does() -> None:
    with pytest.raises(KeyError):
        format_message("{a}은(는)", {})


DEPTH = (
    "this generator has depth {depth}, so it needs inputs of at least {unit}x{unit}; colorize runs "
    "generators at most at {side}x{side} (depth up to {max_depth})"
)


@pytest.mark.parametrize(
    ("depth", "said"), [(8, "깊이가 8이라서"), (2, "깊이가 2라서"), (6, "깊이가 6이라서")]
)
def test_core_text_rendered_in_korean_chooses_the_particle(depth: int, said: str) -> None:
    text = Text(DEPTH, depth=depth, unit=2**depth, side=512, max_depth=9)
    korean = text.render(catalog.translator("ko"))
    assert said in korean and "(이)" not in korean
    assert str(text).startswith(f"this generator has depth {depth},")  # the English value is untouched


@pytest.mark.parametrize(("size", "particle"), [(300, "은"), (302, "는"), (1, "은"), (4, "는")])
def test_a_page_message_chooses_the_particle(size: int, particle: str) -> None:
    template = (
        "**{size} does not work for this U-Net.** {why}. The nearest valid sizes are **{nearest}**. Below, "
        "the trace carries on past each failing concatenation (shown in red) with the larger of the two sizes."
    )
    korean = catalog.gettext("ko", template, size=size, why="…", nearest="256")
    assert korean.startswith(f"**{size}{particle} "), korean


# A fixed particle right after a placeholder (through closing bold, code or a quote): it is wrong for
# half of the values. A pair ("은(는)", "(으)로", "(이)라") is chosen by the value when formatted.
GLUED = re.compile(r"\}(?:\*\*|`|'|\")?(?:은|는|이|가(?!지)|을|를|과|와|으로|로|이라|라|이다|다)(?!\()")


def test_no_korean_message_glues_a_fixed_particle_to_a_value() -> None:
    glued = [
        str(m.string)
        for m in catalog.load_catalog("ko")
        if m.id and isinstance(m.string, str) and GLUED.search(m.string)
    ]
    assert not glued, f"{len(glued)} messages: {glued[:6]}"


def test_every_pair_follows_a_value() -> None:
    """A pair after a fixed word is never resolved: the translator writes the right form there."""
    pair = re.compile(
        r"(은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|과\(와\)|와\(과\)|\(으\)로|\(이\))"
    )
    loose = []
    for m in catalog.load_catalog("ko"):
        if m.id and isinstance(m.string, str):
            for found in pair.finditer(m.string):
                if not re.search(r"\}(?:\*\*|\*|`|'|\"|’|”)*$", m.string[: found.start()]):
                    loose.append(m.string)
    assert not loose, loose[:6]

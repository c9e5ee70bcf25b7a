"""Korean particles chosen by the value they follow: ``{size}은(는)`` reads "300은" and "2는".

A Korean particle has two forms, chosen by the last sound of the word before it: 은/는, 이/가,
을/를, 과/와 by whether it ends in a consonant (받침), (으)로 by whether that consonant is one
other than ㄹ, and the copula (이)라, (이)다, (이)며... by a consonant too. A catalog cannot know
the value when it is written, so a translator writes the pair the way Korean software always has
(``{size}은(는)``, ``{name}이(가)``, ``{shape}(으)로``, ``{n}(이)라서``) and :func:`format_message`
keeps the one form that fits the value once it is rendered. A value whose sound cannot be told
keeps the pair as written, which every Korean reader knows.

The last sound of a value is read as a Korean teacher reads it aloud:

* Hangul by its final consonant (생성기 -> 는, 합성곱 -> 은);
* numbers in Sino-Korean numerals (1 일, 2 이, 3 삼, 6 육, 10 십, 100 백, 1000 천, 10000 만),
  so ``300`` is 삼백 (은), ``256`` 이백오십육 (은), ``0.02`` 영점영이 (는), ``54,407,810`` ...십 (은);
* shapes and sizes by their last number (``256x256``, ``1x512x2x2``, ``[1, 64, 128, 128]``);
* a call or a gloss in brackets by what comes before it (``Conv2d(3, 64)`` as Conv2d,
  ``model.0 (Conv2d(3, 64))`` as model.0), a tuple by its last number;
* Latin letters: an acronym letter by letter (RGB 비, L 엘, N 엔), a word as Korean writes the
  loanword (layer 레이어, padding 패딩, module 모듈, dropout 드롭아웃), units by their Korean
  names (MiB 메비바이트, px 픽셀, s 초).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

# A pair after a placeholder, perhaps after the closing ``**`` of bold, a code span's backtick or a
# quote: the form for a final consonant first, as Korean software writes it (``은(는)``), or the
# other way round (``는(은)``); ``(으)로`` and the copula ``(이)`` before more Hangul.
_CLOSERS = r"(?:\*\*|\*|`|'|\"|’|”)*"
_PAIR = re.compile(
    rf"^({_CLOSERS})(은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|과\(와\)|와\(과\)"
    r"|\(으\)로|\(이\)(?=[\uac00-\ud7a3]))"
)
# pair -> (after a consonant, after a vowel); (으)로 is decided on its own (ㄹ takes 로)
_FORMS: dict[str, tuple[str, str]] = {
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(이)": ("이", ""),
}

VOWEL, RIEUL, CONSONANT = "vowel", "rieul", "consonant"  # the three endings a particle cares about

# 0-9 read as Sino-Korean numerals: 영 일 이 삼 사 오 육 칠 팔 구
_DIGIT = (CONSONANT, RIEUL, VOWEL, CONSONANT, VOWEL, VOWEL, CONSONANT, RIEUL, RIEUL, VOWEL)
# a letter read on its own: 에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피 큐 알 ...
_LETTER = {ch: VOWEL for ch in string.ascii_lowercase} | {
    "l": RIEUL,
    "r": RIEUL,
    "m": CONSONANT,
    "n": CONSONANT,
}
# words the general rules below would misread
_WORDS = {"lab": CONSONANT, "px": RIEUL, "astronaut": CONSONANT}  # 랩, 픽셀, 애스트로넛
_UNITS_AFTER_NUMBER = {"s": VOWEL, "h": CONSONANT, "m": CONSONANT}  # 초, 시간, 분
_OPEN = {")": "(", "]": "[", "}": "{", ">": "<"}
_TRAILING = "*`'\"’”.,;:!?… \t\n"
_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?$")
_WORD = re.compile(r"[A-Za-z]+$")


def _hangul(ch: str) -> str:
    final = (ord(ch) - 0xAC00) % 28
    return VOWEL if final == 0 else RIEUL if final == 8 else CONSONANT


def _number(whole: str, fraction: str | None) -> str:
    """The last sound of a number read in Sino-Korean: 0.02 영점영이, 300 삼백, 20,000 이만."""
    if fraction:
        return _DIGIT[int(fraction[-1])]  # after 점 each digit is read alone
    digits = whole.replace(",", "").lstrip("0") or "0"
    if digits == "0":
        return CONSONANT  # 영
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return _DIGIT[int(digits[-1])]
    if zeros < 4:
        return CONSONANT  # 십, 백, 천
    # 만 (up to 천만), 억, 조, 경: the big unit is read last (20,000 이만, 3 * 10**12 삼조)
    return (CONSONANT, CONSONANT, VOWEL, CONSONANT)[min(zeros // 4, 4) - 1]


def _word(word: str, after_number: bool) -> str:
    """The last sound of a Latin word as Korean writes the loanword (layer 레이어, padding 패딩)."""
    lower = word.lower()
    if after_number and lower in _UNITS_AFTER_NUMBER:
        return _UNITS_AFTER_NUMBER[lower]
    if lower in _WORDS:
        return _WORDS[lower]
    if len(word) == 1 or word.isupper() or not re.search(r"[aeiouy]", lower):
        return _LETTER[lower[-1]]  # an acronym or a name without vowels: letter by letter (RGB, ngf, L)
    if lower.endswith("ng"):
        return CONSONANT  # padding 패딩
    last = lower[-1]
    if last in "mn":
        return CONSONANT  # norm 놈, dilation 딜레이션
    if last == "l" or lower.endswith("le"):
        return RIEUL  # module 모듈, middle 미들, normal 노멀
    if last == "e" and len(lower) > 2 and lower[-2] in "mn" and lower[-3] in "aeiouy":
        return CONSONANT  # name 네임, none 논, line 라인
    if lower.endswith(("out", "ook", "op", "ap", "ip", "up")):
        return CONSONANT  # dropout 드롭아웃, book 북, stop 스톱, zip 집
    if last in "kpt" and len(lower) > 2 and lower[-2] in "aeiou" and lower[-3] not in "aeiou":
        return CONSONANT  # cat 캣, net 넷, input 인풋: a short vowel before a final stop
    return VOWEL  # layer 레이어, batch 배치, size 사이즈, stride 스트라이드, loss 로스


def final_sound(value: str) -> str | None:
    """How ``value`` ends when read aloud: ``"vowel"``, ``"rieul"`` (ㄹ) or ``"consonant"``; None when
    it cannot be told (a symbol, an empty string)."""
    text = value.rstrip(_TRAILING)
    if not text:
        return None
    last = text[-1]
    if last in _OPEN:
        depth, i = 0, len(text) - 1
        while i >= 0:
            depth += 1 if text[i] == last else -1 if text[i] == _OPEN[last] else 0
            if depth == 0:
                break
            i -= 1
        before, inside = text[: max(i, 0)].rstrip(), text[i + 1 : -1]
        # a call or a gloss is read by its name (Conv2d(3, 64), model.0 (Conv2d...)); a tuple by its end
        return final_sound(before if before and i > 0 else inside)
    if "\uac00" <= last <= "\ud7a3":
        return _hangul(last)
    if last.isdigit():
        number = _NUMBER.search(text)
        assert number is not None
        return _number(number.group(1), number.group(2))
    if last == "%":
        return VOWEL  # 퍼센트
    word = _WORD.search(text)
    if word is not None and last.isascii():
        before = text[: word.start()].rstrip()
        return _word(word.group(), after_number=bool(before) and before[-1].isdigit())
    return None


def choose(pair: str, sound: str | None) -> str:
    """The form of ``pair`` (``"은(는)"``, ``"(으)로"``, ``"(이)"``) after a word that ends in ``sound``;
    the pair itself when the sound is unknown."""
    if sound is None:
        return pair
    if pair == "(으)로":
        return "으로" if sound == CONSONANT else "로"
    consonant, vowel = _FORMS[pair]
    return consonant if sound != VOWEL else vowel


_FORMATTER = string.Formatter()


def _particle_after(value: str, literal: str) -> str:
    match = _PAIR.match(literal)
    if match is None:
        return literal
    closers, pair = match.groups()
    return closers + choose(pair, final_sound(value)) + literal[match.end() :]


def format_message(template: str, values: Mapping[str, object]) -> str:
    """``template.format(**values)`` with each particle pair after a placeholder resolved for its value.

    The same fields, conversions and format specs as ``str.format`` (it is the same parser); a
    template without a pair is formatted by ``str.format`` itself.
    """
    if "(" not in template:
        return template.format(**values)
    out: list[str] = []
    previous: str | None = None  # the rendered value just before this literal
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        out.append(_particle_after(previous, literal) if previous is not None else literal)
        previous = None
        if field is None:
            continue
        value, _ = _FORMATTER.get_field(field, (), values)
        value = _FORMATTER.convert_field(value, conversion)
        if spec and "{" in spec:
            spec = _FORMATTER.vformat(spec, (), values)
        previous = format(value, spec or "")
        out.append(previous)
    return "".join(out)

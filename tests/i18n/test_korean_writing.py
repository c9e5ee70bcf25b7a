"""Korean as it reads on the page: markdown that renders, particles that fit any value.

Streamlit renders ``st.markdown`` as CommonMark. Whether ``**`` opens or closes bold depends on
its neighbours (CommonMark's flanking rules): ``**(4, 4)**은`` does not close, because the run
is preceded by punctuation and followed by a letter, so the reader sees the asterisks. Korean
glues particles to the word before, so a translation must put bold where both of its ends are
flanked. And a fixed particle (은/는, 이/가, 을/를, 으로/로, 와/과) right after a ``{placeholder}``
is wrong for half of the values (it depends on the value's last sound): the sentence is built so
that the particle follows a fixed word ("{n}개가", "크기 {size}로"), or both forms are written.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from inspector.i18n import catalog

CODE_SPAN = re.compile(r"(`+)(.+?)\1")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# A fixed particle glued to a placeholder (optionally through closing bold or code), not followed by
# more Hangul (a longer word such as "이어야" is left to the reader) nor by "(" (both forms: "은(는)").
GLUED = re.compile(r"\}(?:\*\*|`)?(?:은|는|이|가|을|를|으로|로|와|과)(?![\uac00-\ud7a3(])")


def _punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _space(ch: str) -> bool:
    return ch == "" or ch.isspace()


def unmatched_emphasis(text: str) -> list[str]:
    """The runs of ``*`` in markdown ``text`` that CommonMark leaves as literal asterisks.

    A run may open when it is left-flanking and close when it is right-flanking; runs pair up,
    innermost first, with an earlier opener of the same length.
    """
    text = CODE_SPAN.sub("x", text.replace("\\*", ""))
    openers: list[int] = []
    left_over: list[str] = []
    for m in re.finditer(r"\*+", text):
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        left = not _space(after) and (not _punctuation(after) or _space(before) or _punctuation(before))
        right = not _space(before) and (not _punctuation(before) or _space(after) or _punctuation(after))
        run = len(m.group())
        if right and openers and openers[-1] == run:
            openers.pop()
        elif left:
            openers.append(run)
        else:
            left_over.append(text[max(m.start() - 8, 0) : m.end() + 8])
    return left_over + [f"an unclosed {'*' * run}" for run in openers]


def _korean() -> list[tuple[str, str]]:
    return [
        (str(m.id), str(m.string))
        for m in catalog.load_catalog("ko")
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    ]


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("칸 **(4, 4)**은 보입니다", True),  # the sentence: punctuation, then a letter
        ("**(4, 4)** 칸은 보입니다", False),
        ("**128**개", False),
        ("값은**(4, 4)**", True),  # an opener after a letter, before punctuation
        ("*기울임*과 **굵게**", False),
        ("`**`는 코드", False),
    ],
)
def test_the_flanking_check_agrees_with_commonmark(text: str, bad: bool) -> None:
    assert bool(unmatched_emphasis(text)) == bad


@pytest.mark.parametrize("fill", ["7", "가"])
def test_korean_markdown_shows_no_asterisks(fill: str) -> None:
    """Every Korean message, its placeholders filled with a value ending in a digit or in a letter (a
    number, a name): its emphasis renders wherever the English one does."""
    broken = [
        (msgid, msgstr)
        for msgid, msgstr in _korean()
        if unmatched_emphasis(PLACEHOLDER.sub(fill, msgstr))
        and not unmatched_emphasis(PLACEHOLDER.sub(fill, msgid))
    ]
    assert not broken, broken[:5]


def test_no_fixed_particle_right_after_a_placeholder() -> None:
    glued = [msgstr for _, msgstr in _korean() if GLUED.search(msgstr)]
    assert not glued, f"{len(glued)} messages: {glued[:8]}"

"""The English-sentence detector of the Korean checks (the browser test, the doctor's words, AppTest pages).

"An English sentence" is a run of four or more plain English words: identifiers (``encoder_1``,
``nn.Conv2d``), code, numbers, shapes (``B x C x H x W``) and units are not plain words, so Korean
text that names them passes.
"""

from __future__ import annotations

import re

_PLAIN_WORD = re.compile(r"^[A-Za-z][a-z']+[,.;:!?)]*$")  # two letters or more: not B x C x H x W
_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)  # markdown code, which the browser test skips too


def english_sentences(text: str, min_words: int = 4) -> list[str]:
    """Runs of ``min_words`` or more plain English words (identifiers, numbers and code are not plain)."""
    runs: list[str] = []
    current: list[str] = []
    for token in [*text.split(), ""]:  # the empty token ends the last run
        if token and _PLAIN_WORD.match(token):
            current.append(token)
            continue
        if len(current) >= min_words:
            runs.append(" ".join(current))
        current = []
    return runs


def without_code(markdown: str) -> str:
    """Markdown with its code spans and blocks blanked out (as the browser test skips ``code``)."""
    return _CODE.sub(" ", markdown)

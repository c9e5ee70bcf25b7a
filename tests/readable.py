"""What the readability tests share: the width the app shows a picture at, and every word a
rendering draws, with the size of its font and where it ends.

The recorder wraps Pillow's ``ImageDraw.text`` itself, so that it sees every word whichever module
draws it; a word drawn in Pillow's fixed bitmap font (no size) is recorded at 0 px and fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from PIL import ImageDraw

# A half-width column of the app in Chromium at 1400 x 1000 with the sidebar open, measured (the
# browser test measures it again); the main area is 940 px. 12 px: readable at 100 % zoom.
COLUMN_PX, MAIN_PX, MIN_PX = 462, 940, 12


@dataclass(frozen=True)
class Word:
    text: str
    px: float  # the font size it was drawn at (0: Pillow's bitmap font)
    right: float  # where it ends, in px from the picture's left edge
    picture_width: int


@contextmanager
def drawn_words() -> Iterator[list[Word]]:
    words: list[Word] = []
    original = ImageDraw.ImageDraw.text

    def text(self: ImageDraw.ImageDraw, xy: Any, text: Any, fill: Any = None, font: Any = None, *args: Any,
             **kwargs: Any) -> None:  # fmt: skip
        size = float(getattr(font, "size", 0) or 0)
        _, _, right, _ = self.textbbox(xy, str(text), font=font, anchor=kwargs.get("anchor"))
        words.append(Word(str(text), size, right, self.im.size[0]))
        original(self, xy, text, fill, font, *args, **kwargs)

    with mock.patch.object(ImageDraw.ImageDraw, "text", text):
        yield words


def shown_px(word: Word, shown_width: float) -> float:
    """The word's size as the reader sees it: a picture wider than the place it is shown in is
    scaled down to fit it (``st.image``); a narrower one is shown at its own size."""
    return word.px * min(1.0, shown_width / word.picture_width)

"""The Korean font for figures and GIFs: NanumGothic, shipped inside the ``koreanize-matplotlib`` wheel;
and the one way a Pillow picture picks, measures and wraps its text (never under ``MIN_TEXT_PX``).

The package's own ``import`` would change matplotlib's global settings, so it is never imported:
its font file is located through the import system's metadata only.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

from inspector.errors import UserError

_PACKAGE = "koreanize_matplotlib"
FONT_FILE = "NanumGothic.ttf"
FAMILY = "NanumGothic"


@functools.cache
def korean_font_path() -> Path:
    """Path of NanumGothic.ttf; a ``UserError`` when the package is not installed."""
    spec = importlib.util.find_spec(_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    raise UserError(f"the Korean font {FONT_FILE} was not found: install the '{_PACKAGE}' package")


@functools.cache
def register_matplotlib_font() -> str:
    """Register NanumGothic with matplotlib once and return the family name to put first in ``font.family``."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(korean_font_path()))
    return FAMILY


def matplotlib_rc(lang: str) -> dict[str, object]:
    """rcParams for a figure in ``lang``: Korean text needs NanumGothic, DejaVu Sans keeps the Latin glyphs."""
    if lang != "ko":
        return {}
    return {"font.family": [register_matplotlib_font(), "DejaVu Sans"], "axes.unicode_minus": False}


@functools.cache
def pil_font(size: int = 14) -> object:
    """A PIL ``FreeTypeFont`` of NanumGothic at ``size`` px, for captions drawn into GIF frames."""
    from PIL import ImageFont

    return ImageFont.truetype(str(korean_font_path()), size)


def graphviz_font(lang: str) -> str:
    """The font name a DOT diagram in ``lang`` asks for: graphviz finds it through fontconfig
    (Debian's ``fonts-nanum`` for Korean); Helvetica, the diagrams' usual font, otherwise."""
    return FAMILY if lang == "ko" else "Helvetica"


# --- text drawn into Pillow pictures (conv frames, feature maps, the patch verdict) ---
MIN_TEXT_PX = 12  # no picture draws text smaller, at the size the app shows it (100 % zoom)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@functools.cache
def picture_font(size: int, korean: bool = False) -> object:
    """The font a picture draws text in at ``size`` px: NanumGothic for Korean (Pillow's own font has
    no Hangul and would draw empty boxes), Pillow's scalable default font otherwise."""
    from PIL import ImageFont

    if korean:
        return pil_font(size)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def font_for(text: str, size: int) -> Any:
    """``picture_font`` for ``text``: NanumGothic when it has Hangul."""
    return picture_font(size, _HANGUL.search(text) is not None)


def text_width(text: str, size: int) -> float:
    """The width in px of ``text`` drawn at ``size`` px."""
    return float(font_for(text, size).getlength(text))


def wrap(text: str, size: int, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` px at ``size`` px, broken at spaces (a word longer
    than a line stands alone on its line)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]

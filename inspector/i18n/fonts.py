"""The Korean font for figures and GIFs: NanumGothic, shipped inside the ``koreanize-matplotlib`` wheel.

The package's own ``import`` would change matplotlib's global settings, so it is never imported:
its font file is located through the import system's metadata only.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

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

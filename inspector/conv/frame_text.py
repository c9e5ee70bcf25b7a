"""The words drawn into conv animation frames, and the fonts that draw them.

Every word goes through a translator ``tr(message, **values)`` (``inspector.i18n.catalog.translator``):
English by default, as the CLI draws them. Text with Hangul is drawn with NanumGothic
(``inspector.i18n.fonts.font_for``), since Pillow's own font has no Korean glyphs.
"""

from __future__ import annotations

from PIL import ImageDraw

from inspector.i18n.catalog import N_
from inspector.i18n.fonts import font_for

INK = (20, 20, 20)  # the text colour of every frame

# The frames' own words; tests/conv checks that each has Korean.
HEAD = N_("{kind} in {size}, k{k} s{s} p{p} d{d}{op} -> out {out}   ({view}, frame {index}/{n})")
VIEW_NAMES = {"gather": N_("gather"), "scatter": N_("scatter"), "equivalent": N_("equivalent")}
SCATTER_CAPTION = N_("input[{row},{col}] = {value} times the kernel, added into the canvas")
GATHER_CAPTION = N_("output[{row},{col}] = {value}: sum of the window times the kernel")
KERNEL_WORD, KERNEL_FLIPPED, OUTPUT_WORD = N_("kernel"), N_("kernel (flipped)"), N_("output")
CANVAS_WORD = N_("output canvas (grey: cropped by padding={padding})")
MESSAGES = (
    HEAD,
    *VIEW_NAMES.values(),
    SCATTER_CAPTION,
    GATHER_CAPTION,
    KERNEL_WORD,
    KERNEL_FLIPPED,
    OUTPUT_WORD,
    CANVAS_WORD,
)


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: tuple[int, ...] = INK,
    anchor: str = "mm",
) -> None:
    draw.text(xy, text, fill=fill, font=font_for(text, size), anchor=anchor)

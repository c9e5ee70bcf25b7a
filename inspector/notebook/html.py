"""Small pieces of self-contained HTML for the notebook views: text, tables, images, boxes.

Plain HTML with inline styles and ``data:`` images only: no script, no stylesheet and nothing
fetched, so that JupyterLab, Notebook 7, VS Code and Colab all render it the same, in a light or a
dark theme (boxes set their own text colour with their background). Text is at least 12 px
(``FONT_PX``). Sentences from the catalogs may carry the app's Markdown (``**bold**``,
```code```): :func:`md` turns those two into HTML, after escaping everything else.
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from PIL import Image

FONT_PX = 13  # the smallest text a view writes (issue 21: >= 12 px)
MAX_BYTES = 2_000_000  # one display's budget: a notebook stays light to save and to share
Kind = Literal["error", "warning", "success", "info"]
BOX_COLOURS: dict[Kind, tuple[str, str, str]] = {  # background, border, text
    "error": ("#fdecea", "#d62728", "#5f1111"),
    "warning": ("#fff6e0", "#e0a000", "#4d3800"),
    "success": ("#e8f5e9", "#2e7d32", "#123d16"),
    "info": ("#e8f1fb", "#1f6fb2", "#0d2f4f"),
}
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_CODE = re.compile(r"`([^`]+)`")


def esc(text: object) -> str:
    """``text`` as HTML text (``<``, ``&``, quotes escaped)."""
    return _html.escape(str(text), quote=True)


def md(text: object) -> str:
    """A catalog sentence as HTML: escaped, then ``**bold**``, ```code``` and line breaks."""
    out = _CODE.sub(r"<code>\1</code>", esc(text))
    out = _BOLD.sub(r"<b>\1</b>", out)
    return out.replace("  \n", "<br>").replace("\n\n", "<br><br>").replace("\n", "<br>")


def heading(text: str, level: int = 3) -> str:
    size = {2: 18, 3: 16, 4: 14}.get(level, 14)
    return f'<h{level} style="font-size:{size}px;margin:10px 0 6px 0">{md(text)}</h{level}>'


def para(text: str) -> str:
    return f'<p style="margin:4px 0;font-size:{FONT_PX}px">{md(text)}</p>'


def bullets(points: Iterable[str]) -> str:
    items = "".join(f"<li>{md(p)}</li>" for p in points)
    return f'<ul style="margin:4px 0 4px 18px;padding:0;font-size:{FONT_PX}px">{items}</ul>'


def box(text: str, kind: Kind = "info") -> str:
    """A coloured box, as the app's ``st.error`` / ``st.warning`` / ``st.success`` / ``st.info``."""
    back, border, ink = BOX_COLOURS[kind]
    return (
        f'<div style="background:{back};color:{ink};border-left:4px solid {border};padding:6px 10px;'
        f'margin:6px 0;font-size:{FONT_PX}px">{md(text)}</div>'
    )


def code(text: str) -> str:
    return (
        f'<pre style="font-size:{FONT_PX - 1}px;line-height:1.35;overflow-x:auto;margin:4px 0;'
        f'padding:6px;border:1px solid #ccc">{esc(text)}</pre>'
    )


def details(summary: str, body: str) -> str:
    """A part the reader opens (HTML's own ``<details>``: no script needed)."""
    return f'<details style="margin:6px 0"><summary style="cursor:pointer">{md(summary)}</summary>{body}</details>'


def _cell(value: object) -> tuple[str, bool]:
    """(HTML, numeric) of one table cell: numbers right-aligned, floats to 4 significant digits."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return esc(value), False
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}", True
    if isinstance(value, (float, np.floating)):
        return esc(f"{float(value):.4g}"), True
    return md(value), False


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], shades: Sequence[Sequence[str]] | None = None
) -> str:
    """A table: ``headers`` (already in the reader's language), one list of values per row; ``shades``
    gives a background colour per cell ("" for none)."""
    head = "".join(
        f'<th style="text-align:left;padding:3px 8px;border-bottom:2px solid #999">{esc(h)}</th>'
        for h in headers
    )
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            text, numeric = _cell(value)
            shade = shades[r][c] if shades is not None else ""
            style = "padding:2px 8px;border-bottom:1px solid #ddd;" + ("text-align:right;" if numeric else "")
            if shade:
                style += f"background:{shade};color:#111;"
            cells.append(f'<td style="{style}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table style="border-collapse:collapse;font-size:{FONT_PX}px;margin:4px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def encode(image: Image.Image | np.ndarray, fmt: Literal["PNG", "JPEG"] = "PNG") -> bytes:
    """A Pillow image or an (H, W, 3) / (H, W) uint8 array as PNG or JPEG bytes."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    buf = io.BytesIO()
    if fmt == "JPEG":
        picture.convert("RGB").save(buf, format="JPEG", quality=88)
    else:
        picture.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def img(data: bytes, mime: str, alt: str, width: int | None = None) -> str:
    """An inline image: ``data`` (PNG, JPEG, GIF or SVG bytes) as a ``data:`` URI. ``width`` is the
    size to show it at in CSS pixels (the image's own size otherwise)."""
    size = f' width="{int(width)}"' if width else ""
    uri = base64.b64encode(data).decode("ascii")
    return f'<img src="data:{mime};base64,{uri}" alt="{esc(alt)}"{size} style="max-width:100%;height:auto">'


def picture(image: Image.Image | np.ndarray, alt: str, width: int | None = None, photo: bool = False) -> str:
    """A Pillow image or uint8 array inline: JPEG for a photo (a tenth of the bytes), PNG otherwise
    (grids and drawings keep their sharp edges)."""
    fmt: Literal["PNG", "JPEG"] = "JPEG" if photo else "PNG"
    return img(encode(image, fmt), "image/jpeg" if photo else "image/png", alt, width)


def figure_png(fig: object, lang: str, dpi: int = 100) -> bytes:
    """A matplotlib ``Figure`` as PNG bytes, drawn in ``lang``'s fonts (tick labels are made when it
    is drawn, so the rc of ``matplotlib_rc`` must hold then too); without pyplot: nothing global changes."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from inspector.i18n.fonts import matplotlib_rc

    assert isinstance(fig, Figure)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with mpl.rc_context(matplotlib_rc(lang)):  # type: ignore[arg-type]  # rc keys are typed as literals
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def row(*parts: str) -> str:
    """Parts side by side, wrapping on a narrow screen."""
    cells = "".join(f'<div style="margin:0 12px 8px 0">{p}</div>' for p in parts)
    return f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{cells}</div>'


def page(*parts: str) -> str:
    """One display: its parts in order, in a sans-serif block of at least ``FONT_PX`` px text."""
    body = "".join(p for p in parts if p)
    return (
        f'<div class="pix2pix-inspector" style="font-family:sans-serif;font-size:{FONT_PX}px;'
        f'line-height:1.4;max-width:100%;overflow-x:auto">{body}</div>'
    )

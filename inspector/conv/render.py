"""Draw a ``ConvAnimation`` with Pillow, in the style of conv_arithmetic.

Colours: input cells blue, padding (and the zeros stuffed by a transposed conv) white with a
dashed grey outline, the kernel window dark teal with the kernel's weight in its corner, output
cells green (the ones changed in this frame darker), cells not reached yet empty. For the scatter
view the canvas border that ``padding`` crops away is shaded grey.

Each frame is one image of three panels: the grid the kernel moves on, the kernel, the output;
side by side, or the output under the other two when that gives bigger cells. A frame is drawn
at the size the app shows it (``DISPLAY_WIDTH``, a half-width column at 1400 x 1000), never scaled
down by the browser: its words are at least ``MIN_TEXT_PX`` (12 px), wrapped to the width, and a
cell too small for a 12 px number leaves the number to the caption and the page's tables.

The frames' words (heading, caption, panel labels) go through a translator ``tr(message, **values)``
(``inspector.i18n.catalog.translator``; this module never imports the UI): English by default, as
the CLI draws them. Text with Hangul is drawn with NanumGothic (``inspector.i18n.fonts.pil_font``),
since Pillow's own font has no Korean glyphs.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from inspector.conv.animation import ConvAnimation, Frame, View
from inspector.conv.frame_text import (
    CANVAS_WORD,
    GATHER_CAPTION,
    HEAD,
    INK,
    KERNEL_FLIPPED,
    KERNEL_WORD,
    OUTPUT_WORD,
    SCATTER_CAPTION,
    VIEW_NAMES,
    _text,
)
from inspector.i18n.catalog import Translator, english
from inspector.i18n.fonts import MIN_TEXT_PX, text_width, wrap

INPUT = (158, 202, 225)  # blue
INPUT_ACTIVE = (49, 130, 189)
PAD_LINE = (170, 170, 170)
WINDOW = (0, 109, 119, 150)  # teal, translucent over the input
OUTPUT = (199, 233, 192)  # green
OUTPUT_ACTIVE = (49, 163, 84)
CROPPED = (225, 225, 225)
MUTED = (120, 120, 120)
WHITE = (255, 255, 255)


def _dashed_rect(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], dash: int = 3) -> None:
    x0, y0, x1, y1 = box
    for x in range(x0, x1, 2 * dash):
        draw.line([(x, y0), (min(x + dash, x1), y0)], fill=PAD_LINE)
        draw.line([(x, y1), (min(x + dash, x1), y1)], fill=PAD_LINE)
    for y in range(y0, y1, 2 * dash):
        draw.line([(x0, y), (x0, min(y + dash, y1))], fill=PAD_LINE)
        draw.line([(x1, y), (x1, min(y + dash, y1))], fill=PAD_LINE)


def _cell_box(x0: int, y0: int, r: int, c: int, cell: int) -> tuple[int, int, int, int]:
    return (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell - 1, y0 + (r + 1) * cell - 1)


DISPLAY_WIDTH = 460  # px: a half-width column of the app at 1400 x 1000 is 462 px wide
MARGIN, MIN_CELL, MAX_CELL = 8, 6, 40
HEAD_PX, CAPTION_PX, LABEL_PX, WEIGHT_PX = 14, 13, 13, MIN_TEXT_PX
NUMBER_MIN_CELL = 22  # a narrower cell has no room for a 12 px number
WEIGHT_MIN_CELL = 36  # room for the cell's value and, below it, the kernel weight it is multiplied by


def _right(anim: ConvAnimation, view: View) -> int:
    """The output panel's side in cells: the uncropped canvas (scatter) or the output."""
    return view.canvas_size if view.name == "scatter" else anim.out_size


def _columns(anim: ConvAnimation, view: View, two_rows: bool) -> int:
    """How many cells wide the panels are (with a one-cell gap between two panels)."""
    grid, k, right = view.grid.shape[0], anim.settings.kernel, _right(anim, view)
    return max(grid + 1 + k, right) if two_rows else grid + 1 + k + 1 + right


def auto_cell(anim: ConvAnimation, view: View, tr: Translator = english) -> int:
    """Cell side in px: as big as the panels and their labels (in the words of ``tr``) allow in
    ``DISPLAY_WIDTH`` (side by side, or the output under the grid and the kernel: whichever gives
    bigger cells), from ``MIN_CELL`` to ``MAX_CELL``."""
    cells = min(_columns(anim, view, False), _columns(anim, view, True))
    cell = max(MIN_CELL, min(MAX_CELL, (DISPLAY_WIDTH - 2 * MARGIN) // cells))
    while cell > MIN_CELL and _layout(anim, view, cell, tr)["width"] > DISPLAY_WIDTH:
        cell -= 1  # a label wider than its panel
    return cell


def _number_px(cell: int) -> int:
    return min(18, max(MIN_TEXT_PX, round(cell * 0.42)))


def _titles(anim: ConvAnimation, v: View, frame: Frame | None, index: int, tr: Translator) -> tuple[str, str]:
    """The heading and the caption of a frame (None: the longest they can be, to size the image)."""
    s = anim.settings
    kind = "ConvTranspose2d" if s.transposed else "Conv2d"
    op = f" op{s.output_padding}" if s.transposed else ""
    n = len(v.frames)
    head = tr(
        HEAD,
        kind=kind,
        size=s.in_size,
        k=s.kernel,
        s=s.stride,
        p=s.padding,
        d=s.dilation,
        op=op,
        out=s.out_size,
        view=tr(VIEW_NAMES.get(v.name, v.name)),
        index=index + 1 if frame else n,
        n=n,
    )
    if frame is None:
        tail = (
            tr(SCATTER_CAPTION, row=88, col=88, value=8)
            if v.name == "scatter"
            else tr(GATHER_CAPTION, row=88, col=88, value=-8888)
        )
    else:
        tail = _caption(anim, v, frame, tr)
    return head, tail


def _layout(anim: ConvAnimation, view: View, cell: int, tr: Translator) -> dict[str, int]:
    """Pixel positions of the panels and the text (the same for every frame of a view): side by
    side when that fits ``DISPLAY_WIDTH``, else the output under the grid and the kernel."""
    grid, k, right = view.grid.shape[0], anim.settings.kernel, _right(anim, view)
    two_rows = _columns(anim, view, False) * cell + 2 * MARGIN > DISPLAY_WIDTH
    head, tail = _titles(anim, view, None, 0, tr)  # the longest any frame of this view has
    text_width_px = DISPLAY_WIDTH - 2 * MARGIN
    head_lines = len(wrap(head, HEAD_PX, text_width_px))
    tail_lines = len(wrap(tail, CAPTION_PX, text_width_px))
    label = LABEL_PX + 6  # a panel's label above it
    top = MARGIN + head_lines * (HEAD_PX + 4) + tail_lines * (CAPTION_PX + 4) + label
    kx = MARGIN + (grid + 1) * cell
    if two_rows:
        ox, oy = MARGIN, top + max(grid, k) * cell + label + 4
    else:
        ox, oy = kx + (k + 1) * cell, top
    out_label = tr(OUTPUT_WORD) if view.name != "scatter" else tr(CANVAS_WORD, padding=view.crop)
    k_label = tr(KERNEL_FLIPPED) if view.name == "equivalent" else tr(KERNEL_WORD)
    panels = max(
        ox + max(right * cell, int(text_width(out_label, LABEL_PX))),
        kx + max(k * cell, int(text_width(k_label, LABEL_PX))),
    )
    return {
        "grid_x": MARGIN,
        "kernel_x": kx,
        "out_x": ox,
        "top": top,
        "out_y": oy,
        "head_lines": head_lines,
        # The words are wrapped to the display width, each frame's own: the frame is that wide.
        "width": max(panels + MARGIN, DISPLAY_WIDTH),
        "height": max(oy + right * cell, top + max(grid, k) * cell) + MARGIN,
    }


def _number(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, cell: int, fill: tuple[int, ...] = INK
) -> None:
    """A cell's number, centred; none in a cell too small for a 12 px number."""
    if cell >= NUMBER_MIN_CELL:
        _text(draw, xy, text, _number_px(cell), fill=fill)


def render_frame(
    anim: ConvAnimation,
    index: int,
    view: str | None = None,
    cell: int | None = None,
    tr: Translator = english,
) -> Image.Image:
    """Frame ``index`` of ``view`` (default: the main view) as an RGB image; ``cell``: px per cell
    (default: ``auto_cell``); ``tr``: the words' language (English by default)."""
    v = anim.view(view) if view else anim.views[0]
    if not 0 <= index < len(v.frames):
        raise ValueError(f"frame index must be in [0, {len(v.frames) - 1}], got {index}")
    cell = cell or auto_cell(anim, v, tr)
    return _render(anim, v, index, cell, _settled(anim, v, index, cell, _base(anim, v, cell, tr), tr), tr)


def _base(anim: ConvAnimation, v: View, cell: int, tr: Translator) -> Image.Image:
    """What every frame of a view shares: the grid with its numbers and the kernel."""
    pos = _layout(anim, v, cell, tr)
    img = Image.new("RGB", (pos["width"], pos["height"]), WHITE)
    draw = ImageDraw.Draw(img, "RGBA")
    n = v.grid.shape[0]
    for r in range(n):
        for c in range(n):
            _grid_cell(draw, v, r, c, pos["grid_x"], pos["top"], cell)
    _draw_kernel(draw, v, pos["kernel_x"], pos["top"], cell, tr)
    _empty_output(draw, anim, v, pos["out_x"], pos["out_y"], cell, tr)
    return img


def _settled(
    anim: ConvAnimation, v: View, index: int, cell: int, base: Image.Image, tr: Translator
) -> Image.Image:
    """``base`` with every output (or canvas) cell that frame ``index`` has computed so far."""
    img = base.copy()
    frame = v.frames[index]
    if v.name == "scatter":
        assert frame.reached is not None  # scatter frames always carry it
        cells = [(int(r), int(c)) for r, c in zip(*np.nonzero(frame.reached))]
    else:
        out = anim.out_size
        cells = [divmod(i, out) for i in range(index + 1)]  # gather goes through the output in raster order
    _settle(ImageDraw.Draw(img, "RGBA"), anim, v, frame, cells, cell, tr)
    return img


def _settle(
    draw: ImageDraw.ImageDraw,
    anim: ConvAnimation,
    v: View,
    frame: Frame,
    cells: list[tuple[int, int]],
    cell: int,
    tr: Translator,
) -> None:
    pos = _layout(anim, v, cell, tr)
    for rc in cells:
        _out_cell(draw, anim, v, frame, rc, pos["out_x"], pos["out_y"], cell, active=False)


def _render(
    anim: ConvAnimation, v: View, index: int, cell: int, settled: Image.Image, tr: Translator
) -> Image.Image:
    """``settled`` (the output so far) plus what frame ``index`` highlights: titles, the window,
    the active input and output cells."""
    frame = v.frames[index]
    pos = _layout(anim, v, cell, tr)
    img = settled.copy()
    draw = ImageDraw.Draw(img, "RGBA")
    head, tail = _titles(anim, v, frame, index, tr)
    y, width = MARGIN, DISPLAY_WIDTH - 2 * MARGIN
    for text, px, fill in ((head, HEAD_PX, INK), (tail, CAPTION_PX, MUTED)):
        for line in wrap(text, px, width):
            _text(draw, (MARGIN, y), line, px, fill=fill, anchor="la")
            y += px + 4
    if v.name == "scatter":
        for r, c in frame.input_cells:  # the scatter grid is the input itself
            _grid_cell(draw, v, r, c, pos["grid_x"], pos["top"], cell, active=True)
        active = frame.window  # the kernel's footprint on the canvas
    else:
        _draw_window(draw, v, frame, pos["grid_x"], pos["top"], cell)
        active = frame.output_cells
    for rc in active:
        _out_cell(draw, anim, v, frame, rc, pos["out_x"], pos["out_y"], cell, active=True)
    if v.name == "scatter":
        _crop_border(draw, anim, v, pos["out_x"], pos["out_y"], cell)
    return img


def _caption(anim: ConvAnimation, v: View, frame: Frame, tr: Translator) -> str:
    if v.name == "scatter":
        ((a, b),) = frame.input_cells
        return tr(SCATTER_CAPTION, row=a, col=b, value=anim.input[a, b])
    ((r, c),) = frame.output_cells
    return tr(GATHER_CAPTION, row=r, col=c, value=frame.accumulated[r, c])


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _grid_cell(
    draw: ImageDraw.ImageDraw, v: View, r: int, c: int, x0: int, y0: int, cell: int, active: bool = False
) -> None:
    box = _cell_box(x0, y0, r, c, cell)
    if v.source[r, c] < 0:  # padding or a stuffed zero
        _dashed_rect(draw, box)
        _number(draw, _centre(box), "0", cell, fill=PAD_LINE)
        return
    draw.rectangle(box, fill=INPUT_ACTIVE if active else INPUT, outline=WHITE)
    _number(draw, _centre(box), str(v.grid[r, c]), cell)


def _draw_window(draw: ImageDraw.ImageDraw, v: View, frame: Frame, x0: int, y0: int, cell: int) -> None:
    """The kernel over the grid: shaded cells, each with its weight in the corner (where it fits)."""
    k = v.kernel.shape[0]
    for (r, c), (i, j) in zip(frame.window, np.ndindex(k, k)):
        box = _cell_box(x0, y0, r, c, cell)
        draw.rectangle(box, fill=WINDOW)
        if cell >= WEIGHT_MIN_CELL:
            _text(draw, (box[2] - 2, box[3] - 1), f"x{v.kernel[i, j]}", WEIGHT_PX, fill=WHITE, anchor="rd")


def _draw_kernel(draw: ImageDraw.ImageDraw, v: View, x0: int, y0: int, cell: int, tr: Translator) -> None:
    k = v.kernel.shape[0]
    label = tr(KERNEL_FLIPPED) if v.name == "equivalent" else tr(KERNEL_WORD)
    _text(draw, (x0, y0 - 4), label, LABEL_PX, fill=MUTED, anchor="ld")
    for i in range(k):
        for j in range(k):
            box = _cell_box(x0, y0, i, j, cell)
            draw.rectangle(box, fill=WINDOW[:3], outline=WHITE)
            _number(draw, _centre(box), str(v.kernel[i, j]), cell, fill=WHITE)


def _empty_output(
    draw: ImageDraw.ImageDraw, anim: ConvAnimation, v: View, x0: int, y0: int, cell: int, tr: Translator
) -> None:
    """The output panel before any step: empty outlines (gather) or the blank canvas (scatter)."""
    if v.name != "scatter":
        _text(draw, (x0, y0 - 4), tr(OUTPUT_WORD), LABEL_PX, fill=MUTED, anchor="ld")
        for r in range(anim.out_size):
            for c in range(anim.out_size):
                draw.rectangle(_cell_box(x0, y0, r, c, cell), outline=PAD_LINE)
        return
    _text(draw, (x0, y0 - 4), tr(CANVAS_WORD, padding=v.crop), LABEL_PX, fill=MUTED, anchor="ld")
    for r in range(v.canvas_size):
        for c in range(v.canvas_size):
            fill = OUTPUT if _inside(anim, v, r, c) else CROPPED
            draw.rectangle(_cell_box(x0, y0, r, c, cell), fill=fill, outline=WHITE)
    _crop_border(draw, anim, v, x0, y0, cell)


def _inside(anim: ConvAnimation, v: View, r: int, c: int) -> bool:
    """Whether canvas cell (r, c) survives the crop by padding (is part of the output)."""
    p, out = v.crop, anim.out_size
    return p <= r < p + out and p <= c < p + out


def _crop_border(
    draw: ImageDraw.ImageDraw, anim: ConvAnimation, v: View, x0: int, y0: int, cell: int
) -> None:
    """The output's border inside the scatter canvas."""
    p, out = v.crop, anim.out_size
    draw.rectangle(
        (x0 + p * cell - 1, y0 + p * cell - 1, x0 + (p + out) * cell, y0 + (p + out) * cell),
        outline=OUTPUT_ACTIVE,
        width=2,
    )


def _out_cell(
    draw: ImageDraw.ImageDraw,
    anim: ConvAnimation,
    v: View,
    frame: Frame,
    rc: tuple[int, int],
    x0: int,
    y0: int,
    cell: int,
    active: bool,
) -> None:
    """One output cell (gather) or canvas cell (scatter) with its value as of ``frame``."""
    r, c = rc
    box = _cell_box(x0, y0, r, c, cell)
    if v.name == "scatter":
        assert frame.canvas is not None
        inside = _inside(anim, v, r, c)
        fill = (OUTPUT_ACTIVE if inside else (160, 160, 160)) if active else (OUTPUT if inside else CROPPED)
        value, ink = frame.canvas[r, c], INK if inside else MUTED
    else:
        fill, value, ink = (OUTPUT_ACTIVE if active else OUTPUT), frame.accumulated[r, c], INK
    draw.rectangle(box, fill=fill, outline=WHITE)
    _number(draw, _centre(box), str(value), cell, fill=ink)


def render_frames(
    anim: ConvAnimation, view: str | None = None, cell: int | None = None, tr: Translator = english
) -> list[Image.Image]:
    """Every frame of ``view`` as RGB images (the same size), their words through ``tr``."""
    v = anim.view(view) if view else anim.views[0]
    cell = cell or auto_cell(anim, v, tr)
    # Drawn incrementally: the static panels once, then each step settles only the cells it changed.
    running = _base(anim, v, cell, tr)
    draw = ImageDraw.Draw(running, "RGBA")
    images = []
    for i, frame in enumerate(v.frames):
        _settle(
            draw, anim, v, frame, list(frame.window if v.name == "scatter" else frame.output_cells), cell, tr
        )
        images.append(_render(anim, v, i, cell, running, tr))
    return images

"""Draw a ``ConvAnimation`` with Pillow, in the style of conv_arithmetic.

Colours: input cells blue, padding (and the zeros stuffed by a transposed conv) white with a
dashed grey outline, the kernel window dark teal with the kernel's weight in its corner, output
cells green (the ones changed in this frame darker), cells not reached yet empty. For the scatter
view the canvas border that ``padding`` crops away is shaded grey.

Each frame is one image of three panels: the grid the kernel moves on, the kernel, the output.

The frames' words (heading, caption, panel labels) go through a translator ``tr(message, **values)``
(``inspector.i18n.catalog.translator``; this module never imports the UI): English by default, as
the CLI draws them. Text with Hangul is drawn with NanumGothic (``inspector.i18n.fonts.pil_font``),
since Pillow's own font has no Korean glyphs.
"""

from __future__ import annotations

import io
from pathlib import Path

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
    _font_for,
    _text,
)
from inspector.i18n.catalog import Translator, english

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


MAX_WIDTH = 960  # px: big animations get smaller cells, so that frames stay cheap to draw and to send


def auto_cell(anim: ConvAnimation, view: View) -> int:
    """Cell side in px: 32, or less (down to 14) so that the three panels fit in ``MAX_WIDTH``."""
    right = view.canvas_size if view.name == "scatter" else anim.out_size
    columns = view.grid.shape[0] + anim.settings.kernel + right + 4  # panels and the gaps between
    return max(14, min(32, MAX_WIDTH // columns))


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
    """Pixel positions of the three panels (the same for every frame of a view)."""
    grid = view.grid.shape[0]
    right = view.canvas_size if view.name == "scatter" else anim.out_size
    k = anim.settings.kernel
    gap, top = cell, 2 * cell + 8
    kx = gap + grid * cell + gap
    ox = kx + k * cell + gap
    fs = _font_size(cell)
    # Wide enough for the longest heading any frame of this view can have.
    head, tail = _titles(anim, view, None, 0, tr)
    text = max(_font_for(head, fs + 2).getlength(head), _font_for(tail, fs).getlength(tail))
    width = max(ox + right * cell + gap, int(text) + 2 * gap)
    height = top + max(grid, right, k) * cell + cell
    return {"grid_x": gap, "kernel_x": kx, "out_x": ox, "top": top, "width": width, "height": height}


def _font_size(cell: int) -> int:
    return max(8, cell * 4 // 10)


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
    cell = cell or auto_cell(anim, v)
    return _render(anim, v, index, cell, _settled(anim, v, index, cell, _base(anim, v, cell, tr), tr), tr)


def _base(anim: ConvAnimation, v: View, cell: int, tr: Translator) -> Image.Image:
    """What every frame of a view shares: the grid with its numbers and the kernel."""
    pos = _layout(anim, v, cell, tr)
    img = Image.new("RGB", (pos["width"], pos["height"]), WHITE)
    draw = ImageDraw.Draw(img, "RGBA")
    fs = _font_size(cell)
    n = v.grid.shape[0]
    for r in range(n):
        for c in range(n):
            _grid_cell(draw, v, r, c, pos["grid_x"], pos["top"], cell, fs)
    _draw_kernel(draw, v, pos["kernel_x"], pos["top"], cell, fs, tr)
    _empty_output(draw, anim, v, pos["out_x"], pos["top"], cell, fs, tr)
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
        _out_cell(draw, anim, v, frame, rc, pos["out_x"], pos["top"], cell, _font_size(cell), active=False)


def _render(
    anim: ConvAnimation, v: View, index: int, cell: int, settled: Image.Image, tr: Translator
) -> Image.Image:
    """``settled`` (the output so far) plus what frame ``index`` highlights: titles, the window,
    the active input and output cells."""
    frame = v.frames[index]
    pos = _layout(anim, v, cell, tr)
    img = settled.copy()
    draw = ImageDraw.Draw(img, "RGBA")
    fs = _font_size(cell)
    head, tail = _titles(anim, v, frame, index, tr)
    _text(draw, (pos["grid_x"], 6), head, fs + 2, anchor="la")
    _text(draw, (pos["grid_x"], 6 + fs + 8), tail, fs, fill=MUTED, anchor="la")
    if v.name == "scatter":
        for r, c in frame.input_cells:  # the scatter grid is the input itself
            _grid_cell(draw, v, r, c, pos["grid_x"], pos["top"], cell, fs, active=True)
        active = frame.window  # the kernel's footprint on the canvas
    else:
        _draw_window(draw, v, frame, pos["grid_x"], pos["top"], cell, fs)
        active = frame.output_cells
    for rc in active:
        _out_cell(draw, anim, v, frame, rc, pos["out_x"], pos["top"], cell, fs, active=True)
    if v.name == "scatter":
        _crop_border(draw, anim, v, pos["out_x"], pos["top"], cell)
    return img


def _caption(anim: ConvAnimation, v: View, frame: Frame, tr: Translator) -> str:
    if v.name == "scatter":
        ((a, b),) = frame.input_cells
        return tr(SCATTER_CAPTION, row=a, col=b, value=anim.input[a, b])
    ((r, c),) = frame.output_cells
    return tr(GATHER_CAPTION, row=r, col=c, value=frame.accumulated[r, c])


def _grid_cell(
    draw: ImageDraw.ImageDraw,
    v: View,
    r: int,
    c: int,
    x0: int,
    y0: int,
    cell: int,
    fs: int,
    active: bool = False,
) -> None:
    box = _cell_box(x0, y0, r, c, cell)
    center = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    if v.source[r, c] < 0:  # padding or a stuffed zero
        _dashed_rect(draw, box)
        _text(draw, center, "0", fs, fill=PAD_LINE)
        return
    draw.rectangle(box, fill=INPUT_ACTIVE if active else INPUT, outline=WHITE)
    _text(draw, center, str(v.grid[r, c]), fs)


def _draw_window(
    draw: ImageDraw.ImageDraw, v: View, frame: Frame, x0: int, y0: int, cell: int, fs: int
) -> None:
    """The kernel over the grid: shaded cells, each with its weight in the corner."""
    k = v.kernel.shape[0]
    for (r, c), (i, j) in zip(frame.window, np.ndindex(k, k)):
        box = _cell_box(x0, y0, r, c, cell)
        draw.rectangle(box, fill=WINDOW)
        _text(
            draw, (box[2] - 2, box[3] - 1), f"x{v.kernel[i, j]}", max(7, fs * 2 // 3), fill=WHITE, anchor="rd"
        )


def _draw_kernel(
    draw: ImageDraw.ImageDraw, v: View, x0: int, y0: int, cell: int, fs: int, tr: Translator
) -> None:
    k = v.kernel.shape[0]
    label = tr(KERNEL_FLIPPED) if v.name == "equivalent" else tr(KERNEL_WORD)
    _text(draw, (x0, y0 - 4), label, max(7, fs * 3 // 4), fill=MUTED, anchor="ld")
    for i in range(k):
        for j in range(k):
            box = _cell_box(x0, y0, i, j, cell)
            draw.rectangle(box, fill=WINDOW[:3], outline=WHITE)
            _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(v.kernel[i, j]), fs, fill=WHITE)


def _empty_output(
    draw: ImageDraw.ImageDraw,
    anim: ConvAnimation,
    v: View,
    x0: int,
    y0: int,
    cell: int,
    fs: int,
    tr: Translator,
) -> None:
    """The output panel before any step: empty outlines (gather) or the blank canvas (scatter)."""
    small = max(7, fs * 3 // 4)
    if v.name != "scatter":
        _text(draw, (x0, y0 - 4), tr(OUTPUT_WORD), small, fill=MUTED, anchor="ld")
        for r in range(anim.out_size):
            for c in range(anim.out_size):
                draw.rectangle(_cell_box(x0, y0, r, c, cell), outline=PAD_LINE)
        return
    _text(draw, (x0, y0 - 4), tr(CANVAS_WORD, padding=v.crop), small, fill=MUTED, anchor="ld")
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
    fs: int,
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
    _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(value), fs, fill=ink)


def render_frames(
    anim: ConvAnimation, view: str | None = None, cell: int | None = None, tr: Translator = english
) -> list[Image.Image]:
    """Every frame of ``view`` as RGB images (the same size), their words through ``tr``."""
    v = anim.view(view) if view else anim.views[0]
    cell = cell or auto_cell(anim, v)
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


def _write_gif(frames: list[Image.Image], target: str | Path | io.BytesIO, duration_ms: int) -> None:
    # One shared palette for all frames: the colours are few and fixed, and Pillow then needs no
    # per-frame quantization. disposal=1 keeps frames whole. Each frame differs from the last
    # (its frame counter at least), so Pillow merges none and the count stays len(frames).
    # The palette comes from the first and the last frame side by side: together they hold every colour.
    first, last = frames[0], frames[-1]
    both = Image.new("RGB", (first.width * 2, first.height), WHITE)
    both.paste(first, (0, 0))
    both.paste(last, (first.width, 0))
    palette = both.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    quantized = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    quantized[0].save(
        target,
        format="GIF",
        save_all=True,
        append_images=quantized[1:],
        duration=duration_ms,
        loop=0,
        disposal=1,
        optimize=False,
    )


def save_gif(
    anim: ConvAnimation,
    path: str | Path,
    view: str | None = None,
    duration_ms: int = 600,
    cell: int | None = None,
) -> Path:
    """Write ``view``'s frames as an animated GIF at ``path`` (one GIF frame per frame); returns it."""
    path = Path(path)
    _write_gif(render_frames(anim, view, cell), path, duration_ms)
    return path


def gif_bytes(
    anim: ConvAnimation,
    view: str | None = None,
    duration_ms: int = 600,
    cell: int | None = None,
    tr: Translator = english,
) -> bytes:
    """The animated GIF in memory (for a download button), its words through ``tr``."""
    buf = io.BytesIO()
    _write_gif(render_frames(anim, view, cell, tr), buf, duration_ms)
    return buf.getvalue()


def save_pngs(
    anim: ConvAnimation, directory: str | Path, view: str | None = None, cell: int | None = None
) -> list[Path]:
    """Write each frame as ``frame_000.png``, ... in ``directory`` (created); returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, img in enumerate(render_frames(anim, view, cell)):
        p = directory / f"frame_{i:03d}.png"
        img.save(p)
        paths.append(p)
    return paths


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()

"""Draw a ``ConvAnimation`` with Pillow, in the style of conv_arithmetic.

Colours: input cells blue, padding (and the zeros stuffed by a transposed conv) white with a
dashed grey outline, the kernel window dark teal with the kernel's weight in its corner, output
cells green (the ones changed in this frame darker), cells not reached yet empty. For the scatter
view the canvas border that ``padding`` crops away is shaded grey.

Each frame is one image of three panels: the grid the kernel moves on, the kernel, the output.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inspector.conv_anim import ConvAnimation, Frame, View

INPUT = (158, 202, 225)  # blue
INPUT_ACTIVE = (49, 130, 189)
PAD_LINE = (170, 170, 170)
WINDOW = (0, 109, 119, 150)  # teal, translucent over the input
OUTPUT = (199, 233, 192)  # green
OUTPUT_ACTIVE = (49, 163, 84)
CROPPED = (225, 225, 225)
INK = (20, 20, 20)
MUTED = (120, 120, 120)
WHITE = (255, 255, 255)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
          fill: tuple[int, ...] = INK, anchor: str = "mm") -> None:
    draw.text(xy, text, fill=fill, font=_font(size), anchor=anchor)


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


def _layout(anim: ConvAnimation, view: View, cell: int) -> dict[str, int]:
    """Pixel positions of the three panels (the same for every frame of a view)."""
    grid = view.grid.shape[0]
    right = view.canvas_size if view.name == "scatter" else anim.out_size
    k = anim.settings.kernel
    gap, top = cell, 2 * cell + 8
    kx = gap + grid * cell + gap
    ox = kx + k * cell + gap
    width = ox + right * cell + gap
    height = top + max(grid, right, k) * cell + cell
    return {"grid_x": gap, "kernel_x": kx, "out_x": ox, "top": top, "width": width, "height": height}


def render_frame(anim: ConvAnimation, index: int, view: str | None = None, cell: int = 32) -> Image.Image:
    """Frame ``index`` of ``view`` (default: the main view) as an RGB image."""
    v = anim.view(view) if view else anim.views[0]
    if not 0 <= index < len(v.frames):
        raise ValueError(f"frame index must be in [0, {len(v.frames) - 1}], got {index}")
    frame = v.frames[index]
    pos = _layout(anim, v, cell)
    img = Image.new("RGB", (pos["width"], pos["height"]), WHITE)
    draw = ImageDraw.Draw(img, "RGBA")
    fs = max(8, cell * 4 // 10)
    s = anim.settings
    kind = "ConvTranspose2d" if s.transposed else "Conv2d"
    op = f" op{s.output_padding}" if s.transposed else ""
    _text(draw, (pos["grid_x"], 6), f"{kind} in {s.in_size}, k{s.kernel} s{s.stride} p{s.padding} "
          f"d{s.dilation}{op} -> out {s.out_size}   ({v.name}, frame {index + 1}/{len(v.frames)})",
          fs + 2, anchor="la")
    _text(draw, (pos["grid_x"], 6 + fs + 8), _caption(anim, v, frame), fs, fill=MUTED, anchor="la")
    _draw_grid(draw, anim, v, frame, pos["grid_x"], pos["top"], cell, fs)
    _draw_kernel(draw, v, pos["kernel_x"], pos["top"], cell, fs)
    if v.name == "scatter":
        _draw_canvas(draw, anim, v, index, pos["out_x"], pos["top"], cell, fs)
    else:
        _draw_output(draw, anim, v, frame, index, pos["out_x"], pos["top"], cell, fs)
    return img


def _caption(anim: ConvAnimation, v: View, frame: Frame) -> str:
    if v.name == "scatter":
        (a, b), = frame.input_cells
        return f"input[{a},{b}] = {anim.input[a, b]} times the kernel, added into the canvas"
    (r, c), = frame.output_cells
    return f"output[{r},{c}] = {frame.accumulated[r, c]}: sum of the window times the kernel"


def _draw_grid(draw: ImageDraw.ImageDraw, anim: ConvAnimation, v: View, frame: Frame,
               x0: int, y0: int, cell: int, fs: int) -> None:
    n = v.grid.shape[0]
    active = set(frame.input_cells)
    for r in range(n):
        for c in range(n):
            box = _cell_box(x0, y0, r, c, cell)
            src = int(v.source[r, c])
            if src < 0:  # padding or a stuffed zero
                _dashed_rect(draw, box)
                _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), "0", fs, fill=PAD_LINE)
                continue
            cell_rc = divmod(src, anim.settings.in_size)
            fill = INPUT_ACTIVE if (v.name == "scatter" and cell_rc in active) else INPUT
            draw.rectangle(box, fill=fill, outline=WHITE)
            _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(v.grid[r, c]), fs)
    if v.name == "scatter":
        return
    k = v.kernel.shape[0]
    for (r, c), (i, j) in zip(frame.window, np.ndindex(k, k)):
        box = _cell_box(x0, y0, r, c, cell)
        draw.rectangle(box, fill=WINDOW)
        _text(draw, (box[2] - 2, box[3] - 1), f"x{v.kernel[i, j]}", max(7, fs * 2 // 3), fill=WHITE, anchor="rd")


def _draw_kernel(draw: ImageDraw.ImageDraw, v: View, x0: int, y0: int, cell: int, fs: int) -> None:
    k = v.kernel.shape[0]
    label = "kernel (flipped)" if v.name == "equivalent" else "kernel"
    _text(draw, (x0, y0 - 4), label, max(7, fs * 3 // 4), fill=MUTED, anchor="ld")
    for i in range(k):
        for j in range(k):
            box = _cell_box(x0, y0, i, j, cell)
            draw.rectangle(box, fill=WINDOW[:3], outline=WHITE)
            _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(v.kernel[i, j]), fs, fill=WHITE)


def _draw_output(draw: ImageDraw.ImageDraw, anim: ConvAnimation, v: View, frame: Frame, index: int,
                 x0: int, y0: int, cell: int, fs: int) -> None:
    out = anim.out_size
    _text(draw, (x0, y0 - 4), "output", max(7, fs * 3 // 4), fill=MUTED, anchor="ld")
    for r in range(out):
        for c in range(out):
            box = _cell_box(x0, y0, r, c, cell)
            done = r * out + c <= index  # gather frames go through the output in raster order
            if not done:
                draw.rectangle(box, outline=PAD_LINE)
                continue
            fill = OUTPUT_ACTIVE if (r, c) in frame.output_cells else OUTPUT
            draw.rectangle(box, fill=fill, outline=WHITE)
            _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(frame.accumulated[r, c]), fs)


def _draw_canvas(draw: ImageDraw.ImageDraw, anim: ConvAnimation, v: View, index: int,
                 x0: int, y0: int, cell: int, fs: int) -> None:
    frame = v.frames[index]
    assert frame.canvas is not None  # scatter frames always carry it
    size, p, out = v.canvas_size, v.crop, anim.out_size
    _text(draw, (x0, y0 - 4), f"output canvas (grey: cropped by padding={p})", max(7, fs * 3 // 4),
          fill=MUTED, anchor="ld")
    window = set(frame.window)
    # A canvas cell shows its sum once some input cell has scattered into it (even a sum of 0).
    touched = {rc for f in v.frames[: index + 1] for rc in f.window}
    for r in range(size):
        for c in range(size):
            box = _cell_box(x0, y0, r, c, cell)
            inside = p <= r < p + out and p <= c < p + out
            fill = OUTPUT if inside else CROPPED
            if (r, c) in window:
                fill = OUTPUT_ACTIVE if inside else (160, 160, 160)
            draw.rectangle(box, fill=fill, outline=WHITE)
            if (r, c) in touched:
                _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), str(frame.canvas[r, c]), fs,
                      fill=INK if inside else MUTED)
    # The output's border inside the canvas.
    draw.rectangle((x0 + p * cell - 1, y0 + p * cell - 1, x0 + (p + out) * cell, y0 + (p + out) * cell),
                   outline=OUTPUT_ACTIVE, width=2)


def render_frames(anim: ConvAnimation, view: str | None = None, cell: int = 32) -> list[Image.Image]:
    """Every frame of ``view`` as RGB images (the same size)."""
    v = anim.view(view) if view else anim.views[0]
    return [render_frame(anim, i, v.name, cell) for i in range(len(v.frames))]


def _write_gif(frames: list[Image.Image], target: str | Path | io.BytesIO, duration_ms: int) -> None:
    # One shared palette for all frames: the colours are few and fixed, and Pillow then needs no
    # per-frame quantization. disposal=1 keeps frames whole. Each frame differs from the last
    # (its frame counter at least), so Pillow merges none and the count stays len(frames).
    palette = frames[0].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    quantized = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    quantized[0].save(target, format="GIF", save_all=True, append_images=quantized[1:],
                      duration=duration_ms, loop=0, disposal=1, optimize=False)


def save_gif(anim: ConvAnimation, path: str | Path, view: str | None = None, duration_ms: int = 600,
             cell: int = 32) -> Path:
    """Write ``view``'s frames as an animated GIF at ``path`` (one GIF frame per frame); returns it."""
    path = Path(path)
    _write_gif(render_frames(anim, view, cell), path, duration_ms)
    return path


def gif_bytes(anim: ConvAnimation, view: str | None = None, duration_ms: int = 600, cell: int = 32) -> bytes:
    """The animated GIF in memory (for a download button)."""
    buf = io.BytesIO()
    _write_gif(render_frames(anim, view, cell), buf, duration_ms)
    return buf.getvalue()


def save_pngs(anim: ConvAnimation, directory: str | Path, view: str | None = None, cell: int = 32) -> list[Path]:
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

"""Conv animation frames as files: an animated GIF (one palette for all frames) or PNG frames.

The frames are ``inspector.conv.render``'s; every file is written through ``inspector.files``.
"""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import IO

from PIL import Image

from inspector.conv.animation import ConvAnimation
from inspector.conv.render import WHITE, render_frames
from inspector.files import write_file
from inspector.i18n.catalog import Translator, english


def _write_gif(frames: list[Image.Image], target: IO[bytes], duration_ms: int) -> None:
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
    frames = render_frames(anim, view, cell)
    return write_file(path, lambda f: _write_gif(frames, f, duration_ms))


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
    return [
        write_file(directory / f"frame_{i:03d}.png", partial(img.save, format="PNG"))
        for i, img in enumerate(render_frames(anim, view, cell))
    ]


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()

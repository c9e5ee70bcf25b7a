"""Pictures of what ``inspector.inside`` computes, as Pillow images (for the CLI and the pages).

Every channel tile is scaled to its own min..max: channels differ in size by orders of
magnitude, and on one shared scale all but the strongest would be black. The energy ranking
(``FeatureMap.order``) says which is strong; the tile shows its pattern.

The pictures' own words go through a translator ``tr(message, **values)`` (English by default, as
the CLI draws them; ``inspector.i18n.catalog.translator``); text with Hangul is drawn in
NanumGothic, since Pillow's own font has no Korean glyphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from inspector.i18n.catalog import N_, Translator, english
from inspector.i18n.fonts import pil_font
from inspector.inside.features import FeatureMap, FeatureMaps
from inspector.inside.skips import SkipAblation
from inspector.inside.verdict import PatchVerdict
from inspector.shapes.labels import fmt_shape

BACKGROUND = (250, 250, 250)
TEXT = (20, 20, 20)
PART_COLOURS = {"decoder": (40, 110, 220), "skip": (235, 130, 20)}  # blue: path that arrived, orange: skip
LABEL_WIDTH = 260
GAP = 4
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")

# The pictures' own words; tests/i18n checks that each has Korean.
INTACT, SKIP_ZEROED, DELTA_AB = N_("intact"), N_("skip zeroed"), N_("|delta ab| (max {vmax})")
ALL_SKIPS, NOTHING, MEAN_DIFFERENCE = N_("all skips"), N_("nothing"), N_("mean {value}")
VERDICT = N_("D's verdict")
VERDICT_LINE = N_("{h}x{w} patches, mean p(real) {p}; cell ({row}, {col}) sees {field}x{field} px (white)")


def _write(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fill: tuple[int, int, int] = TEXT
) -> None:
    """``draw.text`` in Pillow's own font, or in NanumGothic when the text has Hangul (same height, 11 px)."""
    if _HANGUL.search(text):
        draw.text(xy, text, fill=fill, font=pil_font(11))  # type: ignore[arg-type]
    else:
        draw.text(xy, text, fill=fill)


def channel_image(values: np.ndarray, tile: int) -> Image.Image:
    """One channel (H, W) as a grey ``tile`` x ``tile`` picture, scaled to its own range (flat = black)."""
    v = values.astype(np.float64)
    lo, hi = float(v.min()), float(v.max())
    grey = (
        np.zeros(v.shape, np.uint8)
        if hi - lo < 1e-12
        else np.round((v - lo) / (hi - lo) * 255).astype(np.uint8)
    )
    # Nearest: a 2x2 bottleneck map should look like four cells, not a blur.
    return Image.fromarray(grey).resize((tile, tile), Image.Resampling.NEAREST)


def heatmap(values: np.ndarray, vmax: float | None = None, cmap: str = "magma") -> np.ndarray:
    """(H, W) float -> (H, W, 3) uint8 through a matplotlib colour map, 0 .. ``vmax`` (default: max)."""
    from matplotlib import colormaps  # imported here: only pictures need it

    top = float(values.max()) if vmax is None else vmax
    scaled = np.clip(values / top, 0, 1) if top > 0 else np.zeros_like(values)
    return (colormaps[cmap](scaled)[..., :3] * 255).round().astype(np.uint8)


def _row_channels(fmap: FeatureMap, n: int) -> list[tuple[int, str | None]]:
    """The channels a row shows, with their part's role: for a cat, the decoder's and the skip's
    strongest side by side (half each), so neither hides the other."""
    if not fmap.parts:
        return [(int(c), None) for c in fmap.strongest(n)]
    shown: list[tuple[int, str | None]] = []
    for i, part in enumerate(fmap.parts):
        share = n // len(fmap.parts) + (1 if i < n % len(fmap.parts) else 0)
        shown += [(int(c), part.role) for c in fmap.strongest(share, part)]
    return shown


def map_label(fmap: FeatureMap) -> list[str]:
    """Two or three short lines naming a map: its name and shape, and for a cat what went in."""
    lines = [fmap.name, fmt_shape(fmap.shape)]
    if fmap.parts:
        lines.append(" + ".join(f"{p.producer} [{p.start}:{p.stop}]" for p in fmap.parts))
        if fmap.consumer:
            lines[0] += f" -> {fmap.consumer}"
    return lines


def feature_row(fmap: FeatureMap, n: int, tile: int) -> Image.Image:
    """A label, then the ``n`` strongest channels; a cat's tiles are framed blue (decoder) / orange (skip)."""
    shown = _row_channels(fmap, n)
    width = LABEL_WIDTH + max(1, len(shown)) * (tile + GAP)
    row = Image.new("RGB", (width, tile + 2 * GAP), BACKGROUND)
    draw = ImageDraw.Draw(row)
    for k, line in enumerate(map_label(fmap)):
        draw.text((GAP, GAP + 12 * k), line, fill=TEXT)
    for k, (channel, role) in enumerate(shown):
        x = LABEL_WIDTH + k * (tile + GAP)
        row.paste(channel_image(fmap.values[channel], tile), (x, GAP))
        if role is not None:
            draw.rectangle((x - 1, GAP - 1, x + tile, GAP + tile), outline=PART_COLOURS[role], width=2)
        draw.text((x + 2, GAP + 1), str(channel), fill=(255, 60, 60))
    return row


def feature_grid(maps: FeatureMaps | Sequence[FeatureMap], n: int = 8, tile: int = 48) -> Image.Image:
    """One row per map in call order (down the U, then up), each its ``n`` strongest channels."""
    rows = [feature_row(m, n, tile) for m in maps]
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), BACKGROUND)
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height
    return sheet


def ablation_sheet(
    ablations: Sequence[SkipAblation], side: int = 160, tr: Translator = english
) -> Image.Image:
    """Rows of: what was zeroed | intact | without it | difference (magma, one scale for all rows)."""
    vmax = max((float(a.difference.max()) for a in ablations), default=0.0)
    head = 18
    width = 140 + 3 * (side + GAP)
    sheet = Image.new("RGB", (width, head + len(ablations) * (side + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for k, title in enumerate((tr(INTACT), tr(SKIP_ZEROED), tr(DELTA_AB, vmax=f"{vmax:.1f}"))):
        _write(draw, (140 + k * (side + GAP), 3), title)
    for r, a in enumerate(ablations):
        y = head + r * (side + GAP)
        zeroed = tr(ALL_SKIPS) if a.skip == "all" else ", ".join(a.zeroed) or tr(NOTHING)
        _write(draw, (GAP, y + 4), zeroed)
        _write(draw, (GAP, y + 18), tr(MEAN_DIFFERENCE, value=f"{a.mean_difference:.2f}"))
        for k, picture in enumerate((a.intact, a.ablated, heatmap(a.difference, vmax or None))):
            img = Image.fromarray(picture).resize((side, side), Image.Resampling.BILINEAR)
            sheet.paste(img, (140 + k * (side + GAP), y))
    return sheet


def verdict_overlay(
    rgb: np.ndarray,
    verdict: PatchVerdict,
    cell: tuple[int, int] | None = None,
    side: int = 384,
    title: str = "",
    tr: Translator = english,
) -> Image.Image:
    """The photo (S, S, 3) uint8 under D's verdict: each cell tinted red (fake) .. green (real) by
    its probability, and one cell's receptive field outlined (default: the middle cell). ``title``
    comes translated; the second line goes through ``tr``."""
    h, w = verdict.grid
    row, col = cell if cell is not None else (h // 2, w // 2)
    scale = side / verdict.input_size
    photo = Image.fromarray(rgb).resize((side, side), Image.Resampling.BILINEAR)
    tint = heatmap(verdict.probability, 1.0, cmap="RdYlGn")  # (h, w, 3)
    # Cells tile the photo only loosely (fields overlap); the tint shows cell (i, j) on the i-th
    # of h equal bands, the outline shows the pixels that cell really sees.
    layer = Image.fromarray(tint).resize((side, side), Image.Resampling.NEAREST)
    picture = Image.blend(photo, layer, 0.45)
    draw = ImageDraw.Draw(picture)
    top, left, bottom, right = (int(v) for v in verdict.boxes[row, col])
    box = (
        round(left * scale),
        round(top * scale),
        round((right + 1) * scale) - 1,
        round((bottom + 1) * scale) - 1,
    )
    draw.rectangle(box, outline=(255, 255, 255), width=3)
    band = (
        round(col * side / w),
        round(row * side / h),
        round((col + 1) * side / w) - 1,
        round((row + 1) * side / h) - 1,
    )
    draw.rectangle(band, outline=(0, 0, 0), width=2)
    canvas = Image.new("RGB", (side, side + 30), BACKGROUND)
    canvas.paste(picture, (0, 30))
    text = ImageDraw.Draw(canvas)
    _write(text, (GAP, 2), title or tr(VERDICT))
    line = tr(
        VERDICT_LINE,
        h=h,
        w=w,
        p=f"{verdict.mean_probability:.2f}",
        row=row,
        col=col,
        field=verdict.field_size,
    )
    _write(text, (GAP, 15), line)
    return canvas


def side_by_side(images: Sequence[Image.Image]) -> Image.Image:
    """Images next to each other on one sheet, tops aligned."""
    sheet = Image.new(
        "RGB",
        (sum(i.width for i in images) + GAP * (len(images) - 1), max(i.height for i in images)),
        BACKGROUND,
    )
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + GAP
    return sheet

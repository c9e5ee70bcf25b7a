"""Pictures of what ``inspector.inside`` computes, as Pillow images (for the CLI and the pages).

Every channel tile is scaled to its own min..max: channels differ in size by orders of
magnitude, and on one shared scale all but the strongest would be black. The energy ranking
(``FeatureMap.order``) says which is strong; the tile shows its pattern.

The pictures' own words go through a translator ``tr(message, **values)`` (English by default, as
the CLI draws them; ``inspector.i18n.catalog.translator``); text with Hangul is drawn in
NanumGothic, since Pillow's own font has no Korean glyphs. Every word is at least ``LABEL_PX``
(``inspector.i18n.fonts.font_for``), wrapped to the picture's width; a feature grid given a
``max_width`` (the column the app shows it in) makes its tiles smaller, never its words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from inspector.i18n.catalog import N_, Translator, english
from inspector.i18n.fonts import MIN_TEXT_PX, font_for, text_width, wrap
from inspector.inside.features import FeatureMap, FeatureMaps
from inspector.inside.skips import SkipAblation
from inspector.inside.verdict import PatchVerdict
from inspector.shapes.labels import fmt_shape

BACKGROUND = (250, 250, 250)
TEXT = (20, 20, 20)
PART_COLOURS = {"decoder": (40, 110, 220), "skip": (235, 130, 20)}  # blue: path that arrived, orange: skip
GAP = 4
LABEL_PX, INDEX_PX = 13, MIN_TEXT_PX  # a map's name and shape; a tile's channel index
LINE = LABEL_PX + 4  # px from one line of words to the next
MIN_TILE, ROOMY_TILE = 16, 40  # a tile's side never below MIN_TILE; below ROOMY_TILE labels go above tiles

# The pictures' own words; tests/i18n checks that each has Korean.
INTACT, SKIP_ZEROED, DELTA_AB = N_("intact"), N_("skip zeroed"), N_("|delta ab| (max {vmax})")
ALL_SKIPS, NOTHING, MEAN_DIFFERENCE = N_("all skips"), N_("nothing"), N_("mean {value}")
VERDICT = N_("D's verdict")
VERDICT_LINE = N_("{h}x{w} patches, mean p(real) {p}; cell ({row}, {col}) sees {field}x{field} px (white)")


def _write(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    fill: tuple[int, int, int] = TEXT,
    px: int = LABEL_PX,
) -> None:
    """``text`` at ``px`` in Pillow's scalable font, or in NanumGothic when it has Hangul."""
    draw.text(xy, text, fill=fill, font=font_for(text, px))


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


def label_width(maps: Sequence[FeatureMap]) -> int:
    """The width of the label column: the longest line of any map's label, and a gap."""
    return int(max((text_width(line, LABEL_PX) for m in maps for line in map_label(m)), default=0)) + 2 * GAP


def feature_row(
    fmap: FeatureMap, n: int, tile: int, label: int | None = None, stacked: bool = False
) -> Image.Image:
    """A label (``label`` px wide, default: its own), then the ``n`` strongest channels; ``stacked``:
    the label above the tiles. A cat's tiles are framed blue (decoder) / orange (skip), each tile
    has its channel index in red."""
    shown = _row_channels(fmap, n)
    lines = map_label(fmap)
    words = len(lines) * LINE
    label = label if label is not None else label_width([fmap])
    left, top = (GAP, words + GAP) if stacked else (label, GAP)
    tiles = max(1, len(shown)) * (tile + GAP)
    own = label_width([fmap]) if stacked else 0  # the label's own width: its words are never cut
    width, height = max(left + tiles, own), top + max(tile, 0 if stacked else words) + GAP
    row = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(row)
    for k, line in enumerate(lines):
        _write(draw, (GAP, GAP + LINE * k), line)
    for k, (channel, role) in enumerate(shown):
        x = left + k * (tile + GAP)
        row.paste(channel_image(fmap.values[channel], tile), (x, top))
        if role is not None:
            draw.rectangle((x - 1, top - 1, x + tile, top + tile), outline=PART_COLOURS[role], width=2)
        box = draw.textbbox((x + 2, top + 1), str(channel), font=font_for(str(channel), INDEX_PX))
        draw.rectangle(
            (box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1), fill=(0, 0, 0)
        )  # legible on any tile
        _write(draw, (x + 2, top + 1), str(channel), (255, 80, 80), INDEX_PX)
    return row


def feature_grid(
    maps: FeatureMaps | Sequence[FeatureMap], n: int = 8, tile: int = 48, max_width: int | None = None
) -> Image.Image:
    """One row per map in call order (down the U, then up), each its ``n`` strongest channels. With
    ``max_width`` the sheet is no wider: where the labels leave too little room beside the tiles
    each label goes above its tiles, and tiles shrink (to ``MIN_TILE`` at least); the words keep
    their size."""
    maps = list(maps)
    label, stacked = label_width(maps), False
    if max_width is not None:
        if (max_width - label - GAP) // max(1, n) - GAP < ROOMY_TILE:
            label, stacked = 0, True  # the tiles would be too small beside the labels: labels go above
        tile = max(MIN_TILE, min(tile, (max_width - label - GAP) // max(1, n) - GAP))
    rows = [feature_row(m, n, tile, label, stacked) for m in maps]
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
    head, left = LINE + GAP, 160
    width = left + 3 * (side + GAP)
    sheet = Image.new("RGB", (width, head + len(ablations) * (side + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for k, title in enumerate((tr(INTACT), tr(SKIP_ZEROED), tr(DELTA_AB, vmax=f"{vmax:.1f}"))):
        _write(draw, (left + k * (side + GAP), 3), title)
    for r, a in enumerate(ablations):
        y = head + r * (side + GAP)
        zeroed = tr(ALL_SKIPS) if a.skip == "all" else ", ".join(a.zeroed) or tr(NOTHING)
        lines = [
            *wrap(zeroed, LABEL_PX, left - 2 * GAP),
            tr(MEAN_DIFFERENCE, value=f"{a.mean_difference:.2f}"),
        ]
        for k, line in enumerate(lines):
            _write(draw, (GAP, y + 4 + LINE * k), line)
        for k, picture in enumerate((a.intact, a.ablated, heatmap(a.difference, vmax or None))):
            img = Image.fromarray(picture).resize((side, side), Image.Resampling.BILINEAR)
            sheet.paste(img, (left + k * (side + GAP), y))
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
    line = tr(
        VERDICT_LINE,
        h=h,
        w=w,
        p=f"{verdict.mean_probability:.2f}",
        row=row,
        col=col,
        field=verdict.field_size,
    )
    lines = [*wrap(title or tr(VERDICT), LABEL_PX, side - 2 * GAP), *wrap(line, LABEL_PX, side - 2 * GAP)]
    top = len(lines) * LINE + GAP
    canvas = Image.new("RGB", (side, side + top), BACKGROUND)
    canvas.paste(picture, (0, top))
    text = ImageDraw.Draw(canvas)
    for k, words in enumerate(lines):
        _write(text, (GAP, 2 + LINE * k), words)
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

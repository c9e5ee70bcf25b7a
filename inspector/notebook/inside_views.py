"""Notebook views of a real forward pass: ``FeatureMaps``, ``SkipAblation``, ``PatchVerdict``,
``DropoutLens``, ``BatchNormLens`` and ``NormEquivalence``.

The pictures are ``inside.pictures``' (the CLI's ``features`` files and the Feature maps page):
the strongest channels of every block in U order, the ablation sheet, the verdict over the photo;
photos go inline as JPEG, grids as PNG.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from inspector.i18n.catalog import N_, Translator
from inspector.inside.features import FeatureMap, FeatureMaps
from inspector.inside.lens import BatchNormLens, DropoutLens, NormEquivalence
from inspector.inside.pictures import (
    ablation_sheet,
    channel_image,
    feature_grid,
    feature_row,
    heatmap,
    verdict_overlay,
)
from inspector.inside.skips import SkipAblation
from inspector.inside.verdict import PatchVerdict
from inspector.notebook import html as h
from inspector.shapes.labels import fmt_shape

PHOTO_PX = 220  # a photo's side on screen
EVERY_BLOCK = N_("Every block, in U order")
U_ORDER = N_(
    "Down the U (the encoders halve the map and widen it), through the bottleneck, then up. At each "
    "`torch.cat` the tiles framed **blue** come from the decoder path, those framed **orange** from the "
    "skip: the encoder's map handed across the U."
)
RED_NUMBERS = N_("Red numbers: channel indices. Rows in call order.")
MAP_COLUMNS = (N_("map"), N_("shape"), N_("strongest channels"), N_("largest energy"), N_("dead channels"))
MAPS_LINE = N_("{n} maps, input {input} -> output {output}, {mode} mode")
INTACT, WITHOUT, EVERY_SKIP = N_("Intact"), N_("Without {skip}"), N_("every skip")
ABLATION_LINE = N_("Mean colour change: {value} Lab units (about 2.3 is a just noticeable difference).")
VERDICT_TITLE = N_("The discriminator's verdict, patch by patch")
MEAN_P = N_("mean p(real)")
P_REAL_GRID = N_("p(real) of every patch (green: real, red: fake)")
RUN_K = N_("run {k}")
EVAL_OFF = N_("eval(): Dropout off, the same every time")
SPREAD = N_("Spread over the runs: per-pixel std of ab (mean {mean:.2f} Lab units)")
DROPOUT_ON = N_("Dropout layers that were on: {layers}")
NO_DROPOUT = N_('This generator has no Dropout layer (its settings say "no dropout"): every run is the same.')
BN_COLUMNS = (
    N_("layer"),
    N_("channels"),
    N_("batch mean (avg)"),
    N_("running mean (avg)"),
    N_("batch var (avg)"),
    N_("running var (avg)"),
)
BATCH_LOGITS, RUNNING_LOGITS = (
    N_("D's logits, batch statistics (train)"),
    N_("D's logits, running statistics (eval)"),
)
BN_CAPTION = N_(
    "The discriminator on {batch} real pairs (L, ab). Largest difference between the two outputs: "
    "{diff:.3g}. Untrained, the running statistics are still mean 0 and variance 1, far from the batch's."
)
MAX_DIFF = N_("max |BatchNorm2d - InstanceNorm2d|, batch 1")
BATCH2 = N_("the same image in a batch of 2")
EQUIVALENCE = N_(
    "In training, BatchNorm2d normalizes each channel over (batch, height, width). With one image the batch "
    "is gone, and what is left is InstanceNorm2d: each channel of each image over its own height and width. "
    "PyTorch agrees to rounding (left). Add a second image and BatchNorm mixes the two (right). This is why "
    "pix2pix trained at batch size 1 behaves like a network with InstanceNorm."
)


def _photo(rgb: np.ndarray, caption: str, side: int = PHOTO_PX) -> str:
    picture = Image.fromarray(rgb).resize((side, side), Image.Resampling.BILINEAR)
    return h.picture(picture, caption, photo=True) + h.para(caption)


def _map(rgb: np.ndarray, caption: str, side: int = PHOTO_PX) -> str:
    """A coloured map (logits, a spread) as PNG: each cell a sharp square, nothing smoothed."""
    picture = Image.fromarray(rgb).resize((side, side), Image.Resampling.NEAREST)
    return h.picture(picture, caption) + h.para(caption)


def features_html(maps: FeatureMaps, lang: str, tr: Translator) -> str:
    """The strongest channels of every map in call order, then the maps' table."""
    grid = feature_grid(maps, n=8, tile=48)
    rows = [
        [m.name + (f" -> {m.consumer}" if m.consumer else ""), fmt_shape(m.shape),
         ", ".join(map(str, m.strongest(5))), float(m.energy[m.order[0]]) if m.channels else None,
         int((m.energy == 0).sum())]
        for m in maps
    ]  # fmt: skip
    line = tr(MAPS_LINE, n=len(maps), input=fmt_shape(maps.input_shape), output=fmt_shape(maps.output_shape),
              mode=maps.mode)  # fmt: skip
    return h.page(
        h.heading(tr(EVERY_BLOCK), 4),
        h.para(line),
        h.para(tr(U_ORDER)),
        h.picture(grid, tr(EVERY_BLOCK)),
        h.para(tr(RED_NUMBERS)),
        h.table([tr(c) for c in MAP_COLUMNS], rows),
    )


def feature_map_html(m: FeatureMap, lang: str, tr: Translator) -> str:
    """One map: its 16 strongest channels (a cat's decoder and skip halves framed blue and orange)."""
    rows = [[m.name, fmt_shape(m.shape), ", ".join(map(str, m.strongest(5))), int((m.energy == 0).sum())]]
    heads = [tr(MAP_COLUMNS[0]), tr(MAP_COLUMNS[1]), tr(MAP_COLUMNS[2]), tr(MAP_COLUMNS[4])]
    return h.page(h.picture(feature_row(m, 16, 64), m.name), h.para(tr(RED_NUMBERS)), h.table(heads, rows))


def ablation_html(a: SkipAblation, lang: str, tr: Translator) -> str:
    """Intact, without the zeroed skips, and where the colour changed (the CLI's skips sheet)."""
    what = tr(EVERY_SKIP) if a.skip == "all" else ", ".join(a.zeroed) or "-"
    return h.page(
        h.row(_photo(a.intact, tr(INTACT)), _photo(a.ablated, tr(WITHOUT, skip=what))),
        h.picture(ablation_sheet([a], side=PHOTO_PX, tr=tr), tr(WITHOUT, skip=what)),
        h.para(tr(ABLATION_LINE, value=f"{a.mean_difference:.2f}")),
    )


def verdict_html(v: PatchVerdict, lang: str, tr: Translator) -> str:
    """D's verdict tinted over the pair it judged, one cell's field outlined, and every patch's p(real)."""
    parts = [h.heading(tr(VERDICT_TITLE), 4)]
    if v.photo is not None:
        parts.append(h.picture(verdict_overlay(v.photo, v, side=384, tr=tr), tr(VERDICT_TITLE), photo=True))
    parts.append(h.para(f"{tr(MEAN_P)}: {v.mean_probability:.3f}"))
    grid = v.probability
    shades = [
        "#{:02x}{:02x}{:02x}".format(*tuple(c)) for c in heatmap(grid, 1.0, cmap="RdYlGn").reshape(-1, 3)
    ]
    cols = grid.shape[1]
    shade_rows = [shades[r * cols : (r + 1) * cols] for r in range(grid.shape[0])]
    table = h.table([str(c) for c in range(cols)], [[f"{p:.2f}" for p in row] for row in grid], shade_rows)
    parts.append(h.details(tr(P_REAL_GRID), table))
    return h.page(*parts)


def dropout_html(lens: DropoutLens, lang: str, tr: Translator) -> str:
    """Each run with Dropout on, the eval output and the per-pixel spread over the runs."""
    runs = [_photo(s, tr(RUN_K, k=k + 1), 160) for k, s in enumerate(lens.samples)]
    parts = [] if lens.dropout_layers else [h.box(tr(NO_DROPOUT), "info")]
    parts += [
        h.row(*runs),
        h.row(
            _photo(lens.eval_rgb, tr(EVAL_OFF)),
            _map(heatmap(lens.spread), tr(SPREAD, mean=lens.mean_spread)),
        ),
        h.para(tr(DROPOUT_ON, layers=", ".join(lens.dropout_layers) or "-")),
    ]
    return h.page(*parts)


def batchnorm_html(bn: BatchNormLens, lang: str, tr: Translator) -> str:
    """Each BatchNorm's batch statistics against its running ones, and the two outputs."""
    rows = [
        [n.name, len(n.batch_mean), float(n.batch_mean.mean()), float(n.running_mean.mean()),
         float(n.batch_var.mean()), float(n.running_var.mean())]
        for n in bn.layers
    ]  # fmt: skip
    top = float(max(np.abs(bn.batch_stats_output).max(), np.abs(bn.running_stats_output).max()))
    return h.page(
        h.table([tr(c) for c in BN_COLUMNS], rows),
        h.row(
            _map(heatmap(np.abs(bn.batch_stats_output[0]), top), tr(BATCH_LOGITS), 200),
            _map(heatmap(np.abs(bn.running_stats_output[0]), top), tr(RUNNING_LOGITS), 200),
        ),
        h.para(tr(BN_CAPTION, batch=bn.batch_size, diff=bn.max_difference)),
    )


def equivalence_html(eq: NormEquivalence, lang: str, tr: Translator) -> str:
    """BatchNorm at batch 1 against InstanceNorm: the difference, and the first channels of each."""
    tiles = [channel_image(eq.batch_norm[c], 64) for c in range(min(4, eq.batch_norm.shape[0]))]
    tiles_i = [channel_image(eq.instance_norm[c], 64) for c in range(min(4, eq.instance_norm.shape[0]))]
    return h.page(
        h.table(
            [tr(MAX_DIFF), tr(BATCH2)], [[f"{eq.max_abs_difference:.2e}", f"{eq.batch2_difference:.3f}"]]
        ),
        h.row(
            h.para("BatchNorm2d") + h.row(*(h.picture(t, "BatchNorm2d") for t in tiles)),
            h.para("InstanceNorm2d") + h.row(*(h.picture(t, "InstanceNorm2d") for t in tiles_i)),
        ),
        h.para(tr(EQUIVALENCE)),
    )

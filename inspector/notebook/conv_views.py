"""Notebook views of conv arithmetic: ``ConvAnimation`` (animated GIFs that play inline),
``ReceptiveField`` (drawn over a photo), the overlap map and the checkerboard.

The GIFs are ``conv.render``'s, the frames the app plays; each stays under the display's budget
(``html.MAX_BYTES``): a long animation is drawn with smaller cells, and one that would still be
too big says so and shows its last frame. The field is ``conv.receptive_field.field_overlay``
over scikit-image's astronaut, as on the Receptive field page.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from inspector.conv.animation import ConvAnimation, View
from inspector.conv.frame_files import gif_bytes, png_bytes
from inspector.conv.overlap import Checkerboard, OverlapMap, interior_counts, is_even
from inspector.conv.receptive_field import ReceptiveField, field_overlay
from inspector.conv.render import auto_cell, render_frames
from inspector.data.samples import sample_photo
from inspector.i18n.catalog import N_, Translator
from inspector.inside.pictures import heatmap
from inspector.notebook import html as h

GIF_SHARE = 0.85  # of the display's budget, for its GIFs together (a transposed conv shows two)
MIN_CELL = 10  # px: below this the numbers in the cells cannot be read
VIEW_LABELS = {
    "gather": N_("Conv2d: gather"),
    "scatter": N_("each input cell scatters the kernel"),
    "equivalent": N_("a conv over the zero-stuffed input"),
}
FRAMES = N_("{n} frames, playing in a loop")
TOO_LONG = N_("This animation has too many frames to play inline ({n}); here is its last frame.")
SAME_AS_TORCH = N_("output (PyTorch)")
INPUT_WORD, KERNEL_WORD = N_("input"), N_("kernel")
MATCHES = N_("The last frame equals PyTorch's output: {same}.")
YES, NO = N_("yes"), N_("no")
FIELD = N_("Receptive field")
PATCH_MAP = N_("Patch map")
JUMP = N_("Jump between cells")
FIELD_LINE = N_("{field} x {field} px field; {grid} x {grid} patch map; cells {jump} px apart")
FIELD_CAPTION = N_("scikit-image's astronaut at {size} x {size}; red: the field of cell ({row}, {col})")
OVERLAP_SHARE = N_(
    "Two neighbouring patches share {overlap} of their {size} columns ({share}): the patches overlap, "
    "they do not tile the image."
)
LAYER_BY_LAYER = N_("Layer by layer")
RF_COLUMNS = (
    N_("layer"),
    N_("kernel"),
    N_("stride"),
    N_("padding"),
    N_("map side"),
    N_("jump (px)"),
    N_("receptive field (px)"),
)
RF_RULE = N_(
    "rf <- rf + (kernel - 1) x jump, then jump <- jump x stride; the first field starts padding x jump "
    "pixels before the image. Checked in the tests against backpropagation from one output cell."
)
TAPS_CAPTION = N_("Taps per output cell for k={k}, s={s}, p={p} on {n}x{n} (brighter: more)")
EVEN = N_("Even: away from the border every cell gets {n} taps per axis (k = {k} is a multiple of s = {s}).")
UNEVEN = N_(
    "Uneven: away from the border cells get {counts} taps per axis in turn, because k = {k} is not "
    "a multiple of s = {s}. That alternation is the checkerboard."
)
FLAT_INPUT = N_("**An untrained decoder's answer to a flat input**")
RELATIVE_STD = N_("relative std inside the border")
BOARD_KINDS = {
    "ConvTranspose2d": N_("two ConvTranspose2d"),
    "Upsample + Conv2d": N_("two (nearest Upsample + 3x3 Conv2d)"),
}


def _gif(anim: ConvAnimation, view: View, tr: Translator) -> str:
    """The view's animated GIF, with cells small enough to stay within its share of the budget."""
    budget = int(h.MAX_BYTES * GIF_SHARE / len(anim.views))
    cell = auto_cell(anim, view)
    while cell >= MIN_CELL:
        data = gif_bytes(anim, view.name, cell=cell, tr=tr)
        if len(data) <= budget:
            return h.img(data, "image/gif", view.title) + h.para(tr(FRAMES, n=len(view.frames)))
        cell = int(cell * 0.75)
    last = render_frames(anim, view.name, cell=auto_cell(anim, view), tr=tr)[-1]
    return h.box(tr(TOO_LONG, n=len(view.frames)), "warning") + h.img(
        png_bytes(last), "image/png", view.title
    )


def _matrix(values: np.ndarray) -> str:
    rows = [[int(v) for v in row] for row in np.asarray(values)]
    return h.table([str(c) for c in range(len(rows[0]) if rows else 0)], rows)


def animation_html(anim: ConvAnimation, lang: str, tr: Translator) -> str:
    """Every view of the conv as an animated GIF, the output-size formula with its numbers, and the
    numbers themselves (input, kernel, PyTorch's output)."""
    same = np.array_equal(anim.views[0].frames[-1].accumulated, anim.output)
    parts = [h.para(f"`{anim.formula_filled}`")]
    for view in anim.views:
        parts.append(h.heading(tr(VIEW_LABELS[view.name]), 4))
        parts.append(_gif(anim, view, tr))
    numbers = h.row(
        h.para(f"**{tr(INPUT_WORD)}**") + _matrix(anim.input),
        h.para(f"**{tr(KERNEL_WORD)}**") + _matrix(anim.kernel),
        h.para(f"**{tr(SAME_AS_TORCH)}**") + _matrix(anim.output),
    )
    parts += [numbers, h.para(tr(MATCHES, same=tr(YES) if same else tr(NO)))]
    return h.page(*parts)


def receptive_field_html(rf: ReceptiveField, lang: str, tr: Translator) -> str:
    """The field's numbers, one cell's field over a photo (when the input size is known), and the
    field layer by layer."""
    grid = rf.grid if rf.grid is not None else "?"
    parts = [h.para("**" + tr(FIELD_LINE, field=rf.size, grid=grid, jump=rf.jump) + "**")]
    if rf.input_size is not None and rf.grid is not None:
        row = col = rf.grid // 2
        photo = np.asarray(sample_photo(size=rf.input_size))
        overlay = field_overlay(photo, rf, row, col, neighbour=True, side_px=384)
        caption = tr(FIELD_CAPTION, size=rf.input_size, row=row, col=col)
        parts += [h.picture(overlay, caption, photo=True), h.para(caption)]
    overlap = max(0, rf.size - rf.jump)
    parts.append(
        h.para(tr(OVERLAP_SHARE, overlap=overlap, size=rf.size, share=format(overlap / rf.size, ".0%")))
    )
    rows = [
        [f"{r.name} ({r.module_type})", r.kernel, r.stride, r.padding, r.size, r.jump, r.rf]
        for r in rf.layers
    ]
    parts += [
        h.heading(tr(LAYER_BY_LAYER), 4),
        h.table([tr(c) for c in RF_COLUMNS], rows),
        h.para(tr(RF_RULE)),
    ]
    return h.page(*parts)


def _shade(value: float, top: float) -> str:
    """A light-to-strong teal for ``value`` in 0..top: the map of counts reads as a picture."""
    t = 0.0 if top <= 0 else max(0.0, min(1.0, value / top))
    r, g, b = (round(255 + (c - 255) * t) for c in (0, 150, 160))
    return f"#{r:02x}{g:02x}{b:02x}"


def overlap_html(counts: OverlapMap, lang: str, tr: Translator) -> str:
    """The taps per output cell as a shaded table, and whether the overlap is even."""
    values = np.asarray(counts)
    grid = values if values.ndim == 2 else values.reshape(1, -1)
    top = float(grid.max()) if grid.size else 0.0
    shades = [[_shade(float(v), top) for v in row] for row in grid]
    parts = [h.table([str(c) for c in range(grid.shape[1])], [[int(v) for v in row] for row in grid], shades)]
    if counts.settings is not None:
        k, s, p, n, _op = counts.settings
        parts.insert(0, h.para(tr(TAPS_CAPTION, k=k, s=s, p=p, n=n)))
        per_axis = interior_counts(k, s)
        if is_even(k, s):
            parts.append(h.box(tr(EVEN, n=per_axis[0], k=k, s=s), "success"))
        else:
            parts.append(h.box(tr(UNEVEN, counts=", ".join(map(str, per_axis)), k=k, s=s), "warning"))
    return h.page(*parts)


def checkerboard_html(board: Checkerboard, lang: str, tr: Translator) -> str:
    """Both decoders' answer to a flat input, side by side, with the spread inside the border."""
    cells = []
    for response in (board.transposed, board.resize_conv):
        out = response.output
        span = float(out.max() - out.min())
        grey = heatmap((out - out.min()) / span if span > 0 else np.zeros_like(out), 1.0, cmap="Greys_r")
        side = max(160, min(320, 8 * out.shape[0]))  # cells stay square blocks: nearest, not smoothed
        picture = Image.fromarray(grey).resize((side, side), Image.Resampling.NEAREST)
        label = tr(BOARD_KINDS.get(response.kind, response.kind))
        cells.append(
            h.para(f"**{label}**")
            + h.picture(picture, label)
            + h.para(f"{tr(RELATIVE_STD)}: {response.relative_std:.3f}")
        )
    return h.page(h.para(tr(FLAT_INPUT)), h.row(*cells))

"""The Conv vs ConvTranspose page's lower half: how many kernel taps land on each output cell, an
untrained decoder's answer to a flat input, and what makes its checkerboard.

The numbers come from ``inspector.conv.overlap`` (through ``inspector.ui.caches.conv``); this
module only draws them. The maps are Vega-Lite charts, not images: the animation above keeps the
page's only two images, and plain Vega-Lite spares the import of altair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from inspector.conv.overlap import Checkerboard, interior_counts, is_even
from inspector.errors import UserError
from inspector.ui.caches.conv import flat_causes, flat_response, overlap_counts
from inspector.ui.derived import arrow_grid, derived
from inspector.ui.i18n import _, reason

# A map is drawn at 24 px a cell, never under MIN_SIDE px (a 4x4 map was about 100 px, its colour
# bar's labels cut) nor over MAX_SIDE; its labels at FONT_PX, readable at 100 % zoom.
MIN_SIDE, MAX_SIDE, CELL_PX, FONT_PX = 180, 300, 24, 13


def grid_spec(values: np.ndarray, legend: str, scheme: str = "viridis") -> tuple[pa.Table, dict[str, object]]:
    """A (H, W) array as square cells (row 0 on top), the value in the tooltip: (data, Vega-Lite spec)
    for ``st.vega_lite_chart``. The colour bar is as long as the map, so its end labels fit. The data
    is Arrow straight from the arrays (through pandas it was a sixth of the Conv page's CPU a view)."""
    rows, cols = np.indices(values.shape)
    frame = pa.table({"row": rows.ravel(), "column": cols.ravel(), "value": values.ravel().astype(float)})
    side = max(MIN_SIDE, min(MAX_SIDE, CELL_PX * max(values.shape)))
    spec = {
        "mark": "rect",
        "width": side,
        "height": side,
        "config": {
            "legend": {  # the bar leaves room for its title above and half a label past each end
                "gradientLength": side - 3 * FONT_PX,
                "labelFontSize": FONT_PX,
                "titleFontSize": FONT_PX,
            },
        },
        "encoding": {
            "x": {"field": "column", "type": "ordinal", "axis": None},
            "y": {"field": "row", "type": "ordinal", "axis": None},
            "color": {"field": "value", "type": "quantitative", "scale": {"scheme": scheme}, "title": legend},
            "tooltip": [
                {"field": "row", "type": "ordinal", "title": _("row")},
                {"field": "column", "type": "ordinal", "title": _("column")},
                {"field": "value", "type": "quantitative", "format": ".3g", "title": legend},
            ],
        },
    }
    return frame, spec


def overlap_section(k: int, s: int, p: int, n: int, op: int) -> None:
    """The taps per output cell for these settings, even or uneven, and the notebook's k=4 beside k=3."""
    st.subheader(_("The checkerboard: how many kernel taps land on each output cell"))
    try:
        counts = overlap_counts(k, s, p, n, op)
    except UserError as exc:
        st.warning(_("No overlap map for these settings: {reason}", reason=reason(exc)))
        counts = None
    if counts is not None:
        o_left, o_right = st.columns([2, 3])
        with o_left:
            st.vega_lite_chart(
                *derived(counts, lambda c: grid_spec(c, _("taps")), key=_("taps")), width="content"
            )
            st.caption(
                _(
                    "Taps per output cell for k={k}, s={s}, p={p} on {n}x{n} (brighter: more)",
                    k=k,
                    s=s,
                    p=p,
                    n=n,
                )
            )
        with o_right:
            st.dataframe(arrow_grid(counts), width="content")
        per_axis = interior_counts(k, s)
        if is_even(k, s):
            st.success(
                _(
                    "Even: away from the border every cell gets {n} taps per axis (k = {k} is a multiple of s = {s}). "
                    "The same number of taps, not the same weights: the flat-input test below still shows a pattern.",
                    n=per_axis[0],
                    k=k,
                    s=s,
                )
            )
        else:
            st.warning(
                _(
                    "Uneven: away from the border cells get {counts} taps per axis in turn, because k = {k} is not "
                    "a multiple of s = {s}. That alternation is the checkerboard.",
                    counts=", ".join(map(str, per_axis)),
                    k=k,
                    s=s,
                )
            )
    even_col, uneven_col = st.columns(2)
    for col, (kernel, title) in zip(
        (even_col, uneven_col), ((4, _("k=4, s=2, p=1: the notebook's")), (3, _("k=3, s=2, p=1")))
    ):
        with col:
            st.markdown(f"**{title}**")
            st.dataframe(arrow_grid(overlap_counts(kernel, 2, 1, 4)), width="content")
    st.markdown(
        _(
            "Each input cell stamps a k x k copy of the kernel every s cells. With k = 4 and s = 2 the stamps overlap "
            "in the same way everywhere: 2 per axis, 4 per cell. With k = 3 and s = 2 a cell gets 1 or 2 per axis in "
            "turn, so 1, 2 or 4 in 2-D: a fixed grid pattern, whatever the image."
        )
    )


def checkerboard_section(k: int, s: int, p: int) -> None:
    """An untrained decoder's answer to a flat input at these settings, then what makes the pattern."""
    st.markdown(_("**An untrained decoder's answer to a flat input**"))
    board: Checkerboard | None = None
    try:
        board = flat_response(k, s, p, 8)
    except UserError as exc:
        st.info(_("No flat-input test for these settings: {reason}", reason=reason(exc)))
    if board is not None:
        f1, f2 = st.columns(2)
        for col, response, label in (
            (f1, board.transposed, _("two ConvTranspose2d")),
            (f2, board.resize_conv, _("two (nearest Upsample + 3x3 Conv2d)")),
        ):
            spec = derived(response.output, lambda out: grid_spec(out, _("value"), "greys"), key=_("value"))
            col.vega_lite_chart(*spec, width="content")
            col.caption(label)
            col.metric(_("relative std inside the border"), f"{response.relative_std:.3f}")
        st.caption(
            _(
                "Both get ones (8 channels, 8x8) and untrained, seeded weights, no bias. Every cell of a flat input "
                "should come out alike; the transposed convs print their period-{s} pattern, resize-then-conv stays "
                "flat (0). Each map has its own colour scale.",
                s=s,
            )
        )
    _causes()


def _causes() -> None:
    """Why even overlap still prints a checkerboard: the same decoders with one value in every kernel
    position, at the notebook's k=4 and at k=3 (stride 2, padding 1)."""
    st.markdown(_("**Why even overlap still prints a checkerboard**"))
    st.markdown(
        _(
            "Even overlap means every cell gets the same *number* of taps, not the same *weights*. With k = 4 and "
            "s = 2, per axis a cell sums the kernel's weights 0 and 2 and its neighbour the weights 1 and 3: unless "
            "the two sums are equal, a flat input comes out striped. Random weights, untrained as here or learned, "
            "almost never balance (training may learn to, or may not). A kernel with one value in every position "
            "balances by construction: then only an uneven count (k = 3) prints the pattern. Resize-then-conv "
            "avoids it by construction: every output cell sees the same weights."
        )
    )
    causes = flat_causes()
    names = {"random": _("random (PyTorch's default init)"), "uniform": _("one value in every position")}

    def heading(kernel: int, even: bool) -> str:
        return _("k={k}, s=2: even", k=kernel) if even else _("k={k}, s=2: uneven", k=kernel)

    rows = [
        {
            _("kernel weights"): names[weights],
            **{heading(c.kernel, c.even): f"{c.relative_std:.3f}" for c in causes if c.weights == weights},
        }
        for weights in names
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="content")
    st.caption(
        _(
            "Relative std inside the border of two ConvTranspose2d steps (p = 1) on a flat input, as above: 0 is "
            "flat. Even overlap with equal weights is flat; an uneven count or unequal weights print the pattern."
        )
    )

"""Receptive field: how much of the image one PatchGAN output sees, drawn over a photo."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from inspector.conv.receptive_field import ReceptiveField, field_overlay
from inspector.ui import notebook_code as nb
from inspector.ui.caches.conv import discriminator_field
from inspector.ui.caches.photos import astronaut
from inspector.ui.common import current_discriminator, intro, notebook_code, notice
from inspector.ui.derived import derived
from inspector.ui.i18n import _, current_language, reason
from inspector.ui.pictures import encoded, show
from models import list_presets, preset

intro(
    _("Receptive field"),
    _(
        "The PatchGAN discriminator does not answer *real or fake?* once per image: it outputs a map, and "
        "each cell of that map judges one square patch of the input, its **receptive field**. Each conv "
        "widens the field by `(kernel - 1) x jump`, and each stride multiplies the jump between neighbouring "
        "cells. Choose a cell of the map to see its patch on a photo."
    ),
)

d_cfg = current_discriminator()


rf = discriminator_field(d_cfg)
assert rf.grid is not None  # a DiscriminatorConfig always has an input size and a >= 1x1 map
size = d_cfg.input_size

c1, c2, c3 = st.columns(3)
c1.metric(_("Receptive field"), f"{rf.size} x {rf.size} px")
c2.metric(_("Patch map"), f"{rf.grid} x {rf.grid}", help=_("at {size} x {size} input", size=size))
c3.metric(
    _("Jump between cells"), f"{rf.jump} px", help=_("how far the field moves from one cell to the next")
)

left, right = st.columns([3, 2])
with right:
    row = st.slider(_("Patch row"), 0, rf.grid - 1, rf.grid // 2, key="rf.row") if rf.grid > 1 else 0
    col = st.slider(_("Patch column"), 0, rf.grid - 1, rf.grid // 2, key="rf.col") if rf.grid > 1 else 0
    neighbour = st.checkbox(_("Outline the next patch too (yellow)"), value=True, key="rf.neighbour")
    top, lft, bottom, rgt = rf.field(row, col, clip=False)
    sees = _(
        "Cell **({row}, {col})** sees rows **{top}..{bottom}** and columns **{left}..{right}** of the "
        "{size} x {size} input.",
        row=row,
        col=col,
        top=top,
        bottom=bottom,
        left=lft,
        right=rgt,
        size=size,
    )
    outside = top < 0 or lft < 0 or bottom >= size or rgt >= size
    padding = _("Part of it lies in the zero padding outside the image (dashed edge).")
    st.markdown(f"{sees} {padding}" if outside else sees)
    overlap = max(0, rf.size - rf.jump)
    st.caption(
        _(
            "Two neighbouring patches share {overlap} of their {size} columns ({share}): the patches overlap, "
            "they do not tile the image.",
            overlap=overlap,
            size=rf.size,
            share=format(overlap / rf.size, ".0%"),
        )
    )
with left:
    # Drawn 512 px wide whatever the input size; the coordinates above stay in input pixels.
    show(
        None,
        encoded(
            rf,
            lambda field: field_overlay(astronaut(size), field, row, col, neighbour=neighbour, side_px=512),
            key=(size, row, col, neighbour),
        ),
        caption=_(
            "scikit-image's astronaut at {size} x {size}; red: the field of cell ({row}, {col})",
            size=size,
            row=row,
            col=col,
        ),
    )

st.subheader(_("Layer by layer"))


def _layer_table(rf: ReceptiveField) -> pa.Table:
    return pa.table(
        {
            _("layer"): [f"{layer.name} ({layer.module_type})" for layer in rf.layers],
            _("kernel"): [layer.kernel for layer in rf.layers],
            _("stride"): [layer.stride for layer in rf.layers],
            _("padding"): [layer.padding for layer in rf.layers],
            _("map side"): [layer.size for layer in rf.layers],
            _("jump (px)"): [layer.jump for layer in rf.layers],
            _("receptive field (px)"): [layer.rf for layer in rf.layers],
        }
    )


# Both tables are made once per field and language (``derived``), not on every view.
st.dataframe(derived(rf, _layer_table, key=current_language()), hide_index=True, width="stretch")
st.caption(
    _(
        "rf <- rf + (kernel - 1) x jump, then jump <- jump x stride; the first field starts padding x jump "
        "pixels before the image. Checked in the tests against backpropagation from one output cell."
    )
)

st.subheader(_("The presets"))


def _presets_table(rf: ReceptiveField) -> pa.Table:
    """Every preset's discriminator at the sidebar's size (``rf``'s): its field, map and jump."""
    rows = []
    for name in list_presets():
        base = preset(name)[1]
        strides = " ".join(map(str, base.strides()))
        try:  # the sidebar's size may be too small for a preset's layers: say so in its row
            r = discriminator_field(base.replace(input_size=size))
            rows.append(
                {
                    _("preset"): name,
                    _("strides"): strides,
                    _("receptive field"): r.size,
                    _("patch map"): f"{r.grid} x {r.grid}",
                    _("jump"): r.jump,
                }
            )
        except ValueError as exc:  # the config's reason
            rows.append(
                {
                    _("preset"): name,
                    _("strides"): strides,
                    _("receptive field"): None,
                    _("patch map"): reason(exc),
                    _("jump"): None,
                }
            )
    return pa.Table.from_pylist(rows)


st.dataframe(derived(rf, _presets_table, key=current_language()), hide_index=True, width="stretch")

notice(
    [
        _(
            "The pix2pix PatchGAN's last two convs have stride 1: the field stops growing by doubling, so it is "
            "70 x 70 and the map is 30 x 30 at 256 (cells 8 px apart, heavily overlapping)."
        ),
        _(
            "The notebook keeps stride 2 to the end: a 94 x 94 field but only an 8 x 8 map (cells 32 px apart)."
        ),
        _(
            "A bigger field judges larger structures; a smaller one judges texture and local colour, which is "
            "what the L1 loss does not capture. The paper found 70 x 70 the best trade-off."
        ),
    ]
)
notebook_code(
    nb.DISCRIMINATOR,
    _(
        "Pix2Pix_Discriminator (typo fixed): five kernel-4 convs, all stride 2, which make its 94 x 94 field "
        "and 8 x 8 map at 256"
    ),
)

"""Feature maps: a real photo through every block of the U-Net, what each skip carries, and the
discriminator's verdict per patch."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import streamlit as st
from PIL import Image

from inspector.errors import UserError
from inspector.inside.features import FeatureMaps
from inspector.inside.pictures import heatmap, verdict_overlay
from inspector.inside.skips import ALL
from inspector.inside.tap import Mode
from inspector.inside.verdict import PatchVerdict
from inspector.shapes.labels import fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.caches.inside import inside_ablation, inside_feature_grid, inside_features, inside_verdicts
from inspector.ui.common import HALF_COLUMN_PX, MAIN_PX, intro, notebook_code, notice
from inspector.ui.derived import derived
from inspector.ui.fold import tabs
from inspector.ui.i18n import _, current_language, current_translator, reason
from inspector.ui.inside_inputs import pick_inputs, run_on_request
from inspector.ui.model_source import Networks, explain_untrained, untrained
from inspector.ui.pictures import chw_to_hwc, encoded, photo, show

intro(
    _("Feature maps"),
    _(
        "A real photo through the generator, block by block. Each row below is one block's output (or one "
        "`torch.cat`'s result) for this photo, as PyTorch computed it, with its strongest channels: those with "
        "the largest mean of squares. Each tile is scaled to its own range, so a weak channel still shows its "
        "pattern."
    ),
)

FORWARD = nb.GENERATOR[nb.GENERATOR.index("    def forward") :]
inputs = pick_inputs(
    "fm", lambda: st.slider(_("Channels per row"), 2, 16, 8, key="fm.n", help=_("the strongest first"))
)
nets, n_channels, photo_key, rgb = inputs.networks, inputs.controls, inputs.photo_key, inputs.rgb
show(
    inputs.photo_column,
    encoded(rgb, chw_to_hwc, fmt="JPEG"),
    caption=_("The photo at {size} x {size}", size=nets.size),
    width=220,
)
mode = explain_untrained("fm", nets)  # "eval", or "batch-stats" after the one-click switch

# The notebook's generator at 256 takes a few seconds on a CPU: run once per photo and model, on
# request, and keep the answer (cached), so every later rerun is immediate.
if not run_on_request(
    "fm",
    nets,
    (nets.key, photo_key, mode),
    _("Run the photo through the generator"),
    _("One forward pass of this generator on the CPU: a few seconds for the notebook's 256 x 256 model."),
):
    notebook_code(FORWARD, "Pix2Pix_Generator.forward")
    st.stop()


def _maps(networks: Networks, mode: Mode = "eval") -> FeatureMaps | None:
    try:
        return inside_features(networks.key, networks.generator, photo_key, rgb, mode)
    except UserError as exc:
        st.error(_("This generator cannot run on the photo: {reason}", reason=reason(exc)))
        return None


maps = _maps(nets, mode)
if maps is None:
    st.stop()
names = maps.names


def _map_table(maps: FeatureMaps) -> pa.Table:
    """One row per map: its shape, strongest channels, energy and dead channels (made once per maps)."""
    return pa.table(
        {
            _("map"): [m.name + (f" -> {m.consumer}" if m.consumer else "") for m in maps],
            _("shape"): [fmt_shape(m.shape) for m in maps],
            _("strongest channels"): [", ".join(map(str, m.strongest(5))) for m in maps],
            _("largest energy"): [float(m.energy[m.order[0]]) for m in maps],
            _("dead channels"): [int((m.energy == 0).sum()) for m in maps],
        }
    )


# Three views of one forward pass, three tabs: only the open one runs and is sent (``ui.fold``).
blocks_tab, skip_tab, verdict_tab = tabs(
    [
        _("Every block, in U order"),
        _("What a skip carries"),
        _("The discriminator's verdict, patch by patch"),
    ],
    "fm.tab",
    keep=("fm.skip", "fm.row", "fm.col"),
)
if blocks_tab.open:
    with blocks_tab:
        st.markdown(
            _(
                "Down the U (the encoders halve the map and widen it), through the bottleneck, then up. At each "
                "`torch.cat` the tiles framed **blue** come from the decoder path, those framed **orange** from the "
                "skip: the encoder's map handed across the U."
            )
        )
        grids = [(nets, maps)]
        if nets.trained:  # the same architecture untrained, beside the run
            fresh = untrained(nets.g_cfg, nets.d_cfg)
            fresh_maps = _maps(fresh)
            if fresh_maps is not None:
                grids = [(fresh, fresh_maps), (nets, maps)]
        columns = st.columns(len(grids))
        for column, (networks, fmaps) in zip(columns, grids):
            grid_mode: Mode = mode if networks is nets else "eval"
            with column:
                if len(grids) > 1:
                    st.markdown(
                        f"**{_('Trained ({step} steps)', step=networks.step) if networks.trained else _('Untrained')}**"
                    )
                width = HALF_COLUMN_PX if len(grids) > 1 else MAIN_PX  # drawn at the size shown
                show(
                    None,
                    inside_feature_grid(
                        networks.key,
                        networks.generator,
                        photo_key,
                        rgb,
                        fmaps.names,
                        n_channels,
                        grid_mode,
                        width,
                    ),
                    caption=_("Red numbers: channel indices. Rows in call order."),
                )
        st.dataframe(derived(maps, _map_table, key=current_language()), hide_index=True, width="stretch")

if skip_tab.open:
    with skip_tab:
        skips = [p.producer for m in maps if m.kind == "cat" for p in m.parts if p.role == "skip"]
        if not skips:
            st.info(_("This generator concatenates no skip, so there is nothing to zero."))
        else:
            skip = st.selectbox(
                _("Replace by zeros"),
                [*skips, ALL],
                key="fm.skip",
                format_func=lambda s: _("every skip") if s == ALL else s,
                help=_("The zeros go in at the torch.cat itself; the model is not changed."),
            )
            ablation = inside_ablation(nets.key, nets.generator, photo_key, rgb, skip, mode)
            a, b, c = st.columns(3)
            show(a, photo(ablation.intact), caption=_("Intact"), width="stretch")
            show(
                b,
                photo(ablation.ablated),
                caption=_("Without {skip}", skip=_("every skip") if skip == ALL else skip),
                width="stretch",
            )
            show(
                c,
                encoded(ablation.difference, heatmap),
                caption=_(
                    "|delta ab| (max {top:.1f}, mean {mean:.2f} Lab units)",
                    top=float(ablation.difference.max()),
                    mean=ablation.mean_difference,
                ),
                width="stretch",
            )

if verdict_tab.open:
    with verdict_tab:
        if nets.discriminator is None or nets.d_cfg is None:
            st.info(_("This checkpoint holds no discriminator."))
        else:
            try:
                real_v, fake_v, fake_rgb = inside_verdicts(
                    nets.key, nets.generator, nets.discriminator, photo_key, rgb, mode
                )
            except UserError as exc:
                st.error(_("The discriminator cannot judge this photo: {reason}", reason=reason(exc)))
            else:
                h, w = real_v.grid
                r1, r2 = st.columns(2)
                row = r1.slider(_("Patch row"), 0, h - 1, h // 2, key="fm.row") if h > 1 else 0
                col = r2.slider(_("Patch column"), 0, w - 1, w // 2, key="fm.col") if w > 1 else 0
                left, right = st.columns(2)
                for place, verdict, picture, title in (
                    (left, real_v, rgb.transpose(1, 2, 0), _("Real photo")),
                    (right, fake_v, fake_rgb, _("The generator's colorization")),
                ):

                    def overlay(
                        v: PatchVerdict, picture: np.ndarray = picture, title: str = title
                    ) -> Image.Image:
                        return verdict_overlay(
                            picture, v, (row, col), side=420, title=title, tr=current_translator()
                        )

                    # drawn once per verdict, patch and language: every student on this patch gets the same bytes
                    show(place, encoded(verdict, overlay, key=(row, col, title)), width="stretch")
                    place.metric(_("mean p(real)"), f"{verdict.mean_probability:.3f}")
                st.caption(
                    _(
                        "Green: D calls the patch real; red: fake. White: the {field} x {field} pixels that cell ({row}, "
                        "{col}) really sees (its receptive field); black: that cell's square in the coloured grid.",
                        field=real_v.field_size,
                        row=row,
                        col=col,
                    )
                )

notice(
    [
        _(
            "The encoder's first maps look like edge and texture detectors; deeper maps are smaller and coarser."
        ),
        _(
            "A skip hands the decoder the encoder's map of the same size: zeroing a shallow skip loses fine detail "
            "at edges, zeroing a deep one changes the layout of colour."
        ),
        _(
            "The discriminator's one output channel is a map: one real-or-fake judgment per patch, not one per "
            "image. Untrained, every patch sits near 0.5."
        ),
    ]
)
notebook_code(FORWARD, "Pix2Pix_Generator.forward")

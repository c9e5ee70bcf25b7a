"""Architecture: both networks' torchinfo summaries, parameters per block, and the reference diff."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from inspector.i18n.catalog import N_
from inspector.shapes.labels import fmt_shape
from inspector.shapes.summary import SUMMARY_COLUMNS
from inspector.ui import notebook_code as nb
from inspector.ui.caches.models import (
    block_table,
    largest_conv,
    model_blocks,
    model_summary,
    reference_differences,
    summary_table,
)
from inspector.ui.common import PART_NAMES, column_labels, current_configs, intro, notebook_code, notice
from inspector.ui.fold import fold, tabs
from inspector.ui.i18n import _, say
from inspector.ui.sidebar import NORM_WORDS
from models import DiscriminatorConfig, GeneratorConfig

intro(
    _("Architecture"),
    _(
        "Pix2Pix colorizes with two networks. The **generator** is a U-Net: it takes the L (lightness) "
        "channel of a Lab image and predicts the two colour channels a and b. The **discriminator** is a "
        "PatchGAN: it looks at L and ab together and says, for every overlapping patch, whether the colours "
        "look real. Pick a preset or change the settings in the sidebar; every table below follows."
    ),
)

g_cfg, d_cfg = current_configs()
batch = st.columns([1, 3])[0].number_input(
    _("Batch size for the summaries"),
    min_value=1,
    max_value=256,
    value=1,
    help=_("Only the shapes change: summaries run on the meta device and allocate nothing."),
)


def _network(cfg: GeneratorConfig | DiscriminatorConfig) -> int | None:
    """Render one network; returns its parameter count."""
    is_generator = isinstance(cfg, GeneratorConfig)
    blocks = model_blocks(cfg)
    total = sum(b.params for b in blocks)
    st.metric(_("Generator parameters") if is_generator else _("Discriminator parameters"), f"{total:,}")
    st.markdown(_("**Parameters per block**"))
    st.dataframe(
        block_table(cfg, _("total")),
        hide_index=True,
        width="stretch",
        column_config={
            **column_labels((N_("block"), N_("layers"))),
            "params": st.column_config.NumberColumn(_("params"), format="localized"),
        },
    )
    try:
        s = model_summary(cfg, int(batch))
    except RuntimeError:
        if isinstance(cfg, DiscriminatorConfig) and cfg.notebook_bug:
            message = _(
                "The discriminator cannot run on a {shape} input, so torchinfo cannot trace it. This "
                "is the notebook's discriminator as written: its second conv is `Conv2d(3, 64)` but receives "
                "the 64 channels of the first conv. The **Mismatch doctor** page explains it and shows the fix.",
                shape=fmt_shape((cfg.in_channels, cfg.input_size, cfg.input_size)),
            )
        elif is_generator:
            message = _("The generator cannot run at this input size. See the **Mismatch doctor** page.")
        else:
            message = _("The discriminator cannot run at this input size. See the **Mismatch doctor** page.")
        st.error(message)
        return total
    st.markdown(
        _(
            "**torchinfo summary** (input {input} -> output {output}, {gmacs} G mult-adds)",
            input=fmt_shape(s.input_shape),
            output=fmt_shape(s.output_shape),
            gmacs=format(s.total_mult_adds / 1e9, ".2f"),
        )
    )
    st.dataframe(
        summary_table(cfg, int(batch)),
        hide_index=True,
        width="stretch",
        height=420,
        column_config={
            **column_labels(SUMMARY_COLUMNS),
            "params": st.column_config.NumberColumn(_("params"), format="localized"),
        },
    )
    with fold(_("torchinfo's text output"), "arch.torchinfo." + ("g" if is_generator else "d")) as shown:
        if shown:
            st.code(s.text, language="text")
    return total


def _generator_tab() -> None:
    """The generator's tables and what to notice in them."""
    _network(g_cfg)
    c_in, c_out, c_params, share = largest_conv(g_cfg)
    notice(
        [
            _(
                "Each encoder halves the image and doubles the channels (up to {max_channels}): {size} -> "
                "{bottleneck} pixels after {depth} downsamplings.",
                max_channels=g_cfg.ngf * g_cfg.max_mult,
                size=g_cfg.input_size,
                bottleneck=g_cfg.bottleneck_size,
                depth=g_cfg.depth,
            ),
            _(
                "Decoder convs take twice the channels their encoder produced: the skip connection concatenates "
                "them (the **Skip connections** page shows every concatenation)."
            ),
            _(
                "{share} of the parameters sit in the widest convs, near the middle: the largest, from {c_in} to "
                "{c_out} channels with a 4x4 kernel, alone has {c_params}.",
                share=format(share, ".0%"),
                c_in=c_in,
                c_out=c_out,
                c_params=format(c_params, ","),
            ),
        ]
    )
    notebook_code(nb.GENERATOR, "Pix2Pix_Generator")


def _discriminator_tab() -> None:
    """The discriminator's tables and what to notice in them."""
    _network(d_cfg)
    layers = (
        _(
            "The first conv has no norm layer (C64 in the paper); the others are conv, {norm}, LeakyReLU(0.2).",
            norm=_(NORM_WORDS[d_cfg.norm]),
        )
        if d_cfg.norm != "none"
        else _(
            "The first conv has no norm layer (C64 in the paper); the others are conv and LeakyReLU(0.2) "
            "(norm is off in the sidebar)."
        )
    )
    notice(
        [
            _(
                "The output is not one number but a {n}x{n} map: one real/fake logit per overlapping patch of "
                "the input.",
                n=d_cfg.output_size,
            ),
            layers,
            _("There is no sigmoid at the end: the loss is `BCEWithLogitsLoss`, which applies it itself."),
        ]
    )
    notebook_code(
        nb.DISCRIMINATOR_AS_WRITTEN if d_cfg.notebook_bug else nb.DISCRIMINATOR, "Pix2Pix_Discriminator"
    )


def _reference_tab() -> None:
    """What differs from the pix2pix reference, and why it matters."""
    diffs = reference_differences(g_cfg, d_cfg)
    only = st.toggle(_("Only the differences"), value=True)
    rows = [d for d in diffs if d.differs or not only]
    if not rows:
        st.success(_("These settings are the pix2pix reference: nothing differs."))
    else:
        # A static table: its cells wrap, so the long "why it matters" is read whole (a data grid
        # cut it at the column's edge).
        st.table(
            pd.DataFrame(
                {
                    _("network"): [_(PART_NAMES[r.network]) for r in rows],
                    _("point"): [say(r.point) for r in rows],
                    _("this configuration"): [say(r.chosen) for r in rows],
                    _("pix2pix reference"): [say(r.reference) for r in rows],
                    _("why it matters"): [say(r.note) for r in rows],
                }
            ),
            hide_index=True,
        )
    notice(
        [
            _(
                "The reference is `UnetGenerator(1, 2, num_downs=8, ngf=64, norm=batch, use_dropout=True)` and "
                "`NLayerDiscriminator(3, ndf=64, n_layers=3)` from the public pytorch-CycleGAN-and-pix2pix code."
            ),
            _(
                "The notebook drops the outermost skip, puts dropout in every decoder and uses stride 2 to the end "
                "of the discriminator, which shrinks its patch map from 30x30 to 8x8."
            ),
        ]
    )


# Only the open tab's content runs and is sent (a tab switch reruns the page): a view costs the
# server one network's tables, not three tabs' worth (ui/fold.py says why that matters).
shown = tabs(
    [_("Generator (U-Net)"), _("Discriminator (PatchGAN)"), _("vs the pix2pix reference")], "arch.tab"
)
for tab, draw in zip(shown, (_generator_tab, _discriminator_tab, _reference_tab)):
    if tab.open:
        with tab:
            draw()

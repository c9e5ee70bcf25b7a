"""Checkpoints: a file from anywhere identified and proven, held against the sidebar's architecture
(the differences as settings, on the U diagram), exported in this app's format, compared with another."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import streamlit as st

from inspector.checkpoints.compare import Comparison
from inspector.checkpoints.fit import Fit
from inspector.checkpoints.identify import Identification
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.inside.pictures import heatmap
from inspector.shapes.diagram import diagram_dot
from inspector.training.recognize import FAMILIES
from inspector.training.run_bounds import largest_side
from inspector.ui.caches.checkpoints import compared, exported, fitted, identified
from inspector.ui.caches.doctor import generator_diagnosis
from inspector.ui.caches.photos import inside_photo
from inspector.ui.common import PART_NAMES, column_labels, current_configs, deferred, intro, notice
from inspector.ui.derived import derived, vega_spec
from inspector.ui.diagnosis_view import screen_style
from inspector.ui.fold import fold, tabs
from inspector.ui.i18n import _, current_language, current_translator, reason, say
from inspector.ui.model_source import Source, pick_source
from inspector.ui.pictures import encoded, photo, show
from inspector.ui.sidebar import D_PREFIX, G_PREFIX
from models import GeneratorConfig, NetworkConfig

intro(
    _("Checkpoints"),
    _(
        "Bring a checkpoint from anywhere: a run of this app, the notebook's `Pix2Pix_Generator`, the pix2pix "
        "reference code's `latest_net_G.pth` / `latest_net_D.pth`, a model saved through DataParallel "
        "(`module.`) or `torch.compile` (`_orig_mod.`). Each network is recognized by its structure (the shapes "
        "in order, the reference's nested blocks, what its norm layers store) and **proven**: built from the "
        "settings found, loaded with `strict=True` and run."
    ),
)


def _settings_table(cfg: NetworkConfig) -> pa.Table:
    settings = cfg.to_dict()
    return pa.table({"setting": list(settings), "value": [str(v) for v in settings.values()]})


def _change_spec(c: Comparison) -> dict[str, Any]:
    """The relative change per block as bars: plain Vega-Lite (st.bar_chart validated an Altair chart
    on every view, a sixth of the view), its data Arrow bytes made once per comparison and language."""
    blocks = pa.table({"block": [b.block for b in c.blocks], "change": [b.relative_change for b in c.blocks],
                       "weights": [b.parameters for b in c.blocks]})  # fmt: skip
    return vega_spec(
        {"data": {"name": "blocks"}, "mark": {"type": "bar"},
         "encoding": {"y": {"field": "block", "type": "nominal", "sort": None, "title": _("block")},
                      "x": {"field": "change", "type": "quantitative", "title": _("relative change")},
                      "tooltip": [{"field": "block"}, {"field": "change", "format": ".3f"},
                                  {"field": "weights", "format": ","}]}},
        {"blocks": blocks},
    )  # fmt: skip


def _identified(source: Source) -> Identification:
    try:
        return identified(source.key, source.data, source.name)
    except UserError as exc:
        st.error(_("This checkpoint cannot be used: {reason}", reason=reason(exc)))
        st.stop()


source = pick_source("ck", label=_("Checkpoint"), untrained_too=False, full=True)
assert source is not None  # untrained_too=False: always a file
found = _identified(source)


def _use(cfg: NetworkConfig) -> None:
    """The sidebar's settings of this network set to ``cfg``'s (a button's callback: before the rerun)."""
    prefix = G_PREFIX if isinstance(cfg, GeneratorConfig) else D_PREFIX
    for name, value in cfg.to_dict().items():
        st.session_state[prefix + name] = value


def _show_fit(f: Fit) -> None:
    part = _(PART_NAMES[f.part])
    if f.fits:
        st.success(_("The {part} fits the sidebar's architecture: its weights load as they are.", part=part))
        return
    st.warning(_("The {part} does not fit the sidebar's architecture.", part=part))
    st.markdown("\n".join(f"- {say(d)}" for d in f.differences))
    if f.proposal is not None:
        changed = [k for k, v in f.proposal.to_dict().items() if f.chosen.to_dict()[k] != v]
        settings = ", ".join(f"{k} {getattr(f.proposal, k)}" for k in changed)
        if f.proposal_proven:
            st.markdown(_("Set **{settings}** and it fits: proven by loading the weights and running it.",
                          settings=settings))  # fmt: skip
            st.button(_("Use these settings in the sidebar"), key=f"ck.use.{f.part}", on_click=_use,
                      args=(f.proposal,))  # fmt: skip
        else:
            st.markdown(
                _("With **{settings}** the weights load, but the network does not run.", settings=settings)
            )
    if isinstance(f.chosen, GeneratorConfig) and f.blocks:
        trace = generator_diagnosis(f.chosen, f.chosen.input_size).trace
        dot = derived(f, lambda f: diagram_dot(trace, f.blocks, style=screen_style(), tr=current_translator()),
                      key=current_language())  # fmt: skip
        st.graphviz_chart(dot, width="stretch")
        st.caption(_("In red: the blocks whose weights do not fit, with the sidebar's shape and the file's."))
    elif f.blocks:
        st.markdown(_("Layers that do not fit: {layers}", layers=", ".join(b.block for b in f.blocks)))
    if f.detail is not None:
        with fold(_("Key by key"), f"ck.keys.{f.part}") as shown:
            if shown:
                st.code(say(f.detail), language=None, wrap_lines=True)


# The file's three questions, one tab each: only the open one runs and is sent (``ui.fold``).
holds_tab, fit_tab, compare_tab = tabs(
    [_("What the file holds"), _("Against the sidebar's architecture"), _("Compare with another checkpoint")],
    "ck.tab",
    keep=("ck.other.source", "ck.other.run", "ck.sample"),  # an uploaded other file is asked for again
)
if holds_tab.open:
    with holds_tab:
        for net in found.networks.values():
            with st.container(border=True):
                st.markdown(f"**{_(PART_NAMES[net.part])}**: {say(FAMILIES[net.family, net.part])}")
                if net.proven:
                    st.success(
                        _(
                            "Proven: built from these settings, loaded with strict=True and run: {ran}.",
                            ran=net.ran,
                        )
                    )
                else:
                    st.error(_("Not proven: {problem}", problem=say(net.problem)))
                if net.config is not None:
                    st.dataframe(
                        derived(net.config, _settings_table),
                        hide_index=True,
                        column_config=column_labels((N_("setting"), N_("value"))),
                    )
                    st.caption(_("{n} learned weights.", n=f"{net.parameters:,}"))
                if net.notes:
                    st.markdown("\n".join(f"- {say(note)}" for note in net.notes))

        st.subheader(_("Export"))
        if found.proven:
            stem = source.name.rsplit(".", 1)[0]
            st.download_button(
                _("Download in this app's format (.safetensors)"),
                data=deferred(exported(source.key, found)),
                file_name=f"{stem}-pix2pix-inspector.safetensors",
                key="ck.export",
            )
            st.caption(
                _(
                    "The same tensors, value for value, under this app's names, with the settings in the header. The "
                    "reference code concatenates the skip first (torch.cat([x, block(x)])); its decoders' input channels "
                    "are written in this app's order (torch.cat((up, skip))): the same numbers, the same outputs."
                )
            )
        else:
            st.info(_("Only proven networks are exported."))

if fit_tab.open:
    with fit_tab:
        g_side, d_side = current_configs()
        fits = fitted(source.key, found, (g_side, d_side))
        for f in fits.values():
            _show_fit(f)

if compare_tab.open:
    with compare_tab:
        other_source = pick_source(
            "ck.other", label=_("The other checkpoint"), untrained_too=False, full=True
        )
        assert other_source is not None
        other = _identified(other_source)
        g_net = found.get("generator")
        size = (
            largest_side(g_net.config)
            if g_net is not None and isinstance(g_net.config, GeneratorConfig)
            else 64
        )
        sample = str(
            st.selectbox(_("Sample photo"), ["astronaut", "coffee", "chelsea", "rocket"], key="ck.sample")
        )
        rgb = inside_photo(f"sample:{sample}", size, None, sample)
        try:
            comparisons = compared(source.key, other_source.key, found, other, f"sample:{sample}@{size}", rgb)
        except UserError as exc:
            st.info(reason(exc))
            comparisons = {}
        for c in comparisons.values():
            change = _("relative change of the weights ||B - A|| / ||A||, all: {all:.3f}", all=c.overall)
            st.markdown(f"**{_(PART_NAMES[c.part])}**: {change}")
            st.vega_lite_chart(derived(c, _change_spec, key=current_language()), width="stretch")
            if c.outputs is not None:
                a, b, d = st.columns(3)
                show(a, photo(c.outputs.a), caption=source.name, width="stretch")
                show(b, photo(c.outputs.b), caption=other_source.name, width="stretch")
                show(d, encoded(c.outputs.difference, heatmap), width="stretch",
                        caption=_("|ab A - ab B| (mean {mean:.2f}, max {top:.1f} Lab units)", mean=c.outputs.mean,
                                  top=c.outputs.max))  # fmt: skip

notice(
    [
        _("Dropout, the strides and the training size leave no trace in the weights: the page says what it "
          "assumed, and they never make a file misfit."),
        _("A checkpoint that fits here opens on every page: Colorize, Feature maps, Dropout & BatchNorm, and "
          "`train --init-from` starts a new run from it."),
        _("0 is an untouched block; about 1.4 lies between two unrelated random initializations of one scale."),
    ]
)  # fmt: skip

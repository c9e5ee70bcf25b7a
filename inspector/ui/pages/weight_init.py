"""Weight init: the weights as built vs after the notebook's init, their theory, and activations."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from inspector.i18n.catalog import N_
from inspector.init_study.activations import probe_shape
from inspector.init_study.theory import AS_BUILT, GROUP_LABELS
from inspector.init_study.weights import TensorStats, WeightStats
from inspector.shapes.labels import fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.caches.models import meta_model
from inspector.ui.caches.weights import init_activations, init_weight_stats, layer_weight_stats, probe_bytes
from inspector.ui.common import PART_NAMES, current_config, intro, labelled_radio, notebook_code, notice
from inspector.ui.derived import derived, vega_spec
from inspector.ui.fold import fold
from inspector.ui.i18n import _, current_language, current_translator, reason, say
from inspector.ui.init_code import INIT_CODE
from models.init import DRAWN_SCHEMES, MAX_GAIN

intro(
    _("Weight init"),
    _(
        "A model as built keeps PyTorch's default init: each conv's weights are uniform in "
        "±1/√fan_in, so their spread depends on the layer's size. The notebook then calls "
        "`model.apply(ini_weight)`, which redraws every conv weight from N(0, 0.02) and every BatchNorm "
        "weight from N(1, 0.02), as the pix2pix paper says (section 6.2). Compare the two, and see what each "
        "init does to a signal travelling through the network."
    ),
)

SCHEME_HELP = {
    "normal": N_("N(0, gain) for conv weights: the paper and the notebook (gain 0.02)"),
    "xavier": N_(
        "xavier_normal_(gain): std gain·√(2/(fan_in+fan_out)) (the reference's 'xavier', gain 0.02)"
    ),
    "kaiming": N_("kaiming_normal_: std √(2/fan_in), keeps the variance through ReLU layers"),
    "default": N_("PyTorch's own init again (reset_parameters): a fresh draw of the 'before'"),
}
MAX_REAL_PARAMS = 200_000_000  # 0.8 GB of float32 weights per copy
MAX_PROBE_BYTES = 1 << 30  # the activation chart's forward pass, per init
# Above this size the activation chart waits for a click: for the 54M generator it is three more
# inits and four forward passes at 256x256 (a few seconds on a CPU), and the histograms come first.
AUTO_PROBE_PARAMS = 10_000_000
PROBE_ON = "wi.probe_on"  # set once the learner asked for the chart: it then follows every change

MODE_LABELS: dict[Literal["eval", "train"], str] = {
    "eval": N_("its running stats (eval): the init alone"),
    "train": N_("the batch's stats (train): the first training step"),
}
LAYERS_LABELS = {"conv outputs": N_("conv outputs"), "every layer": N_("every layer")}

c = st.columns([1.2, 1.2, 1, 1])
part = labelled_radio(_("Network"), PART_NAMES, "wi.part", c[0], horizontal=True)
part_name = _(PART_NAMES[part])
scheme = c[1].selectbox(
    _("Init to compare"),
    tuple(SCHEME_HELP),
    key="wi.scheme",
    help="\n".join(f"- **{k}**: {_(v)}" for k, v in SCHEME_HELP.items()),
)
gain = c[2].number_input(
    _("gain"),
    min_value=1e-4,
    max_value=MAX_GAIN,  # init_weights refuses more
    value=0.02,
    step=0.01,
    format="%.4f",
    key="wi.gain",
    help=_("std of `normal`, gain of `xavier`; BatchNorm γ ~ N(1, gain)"),
)
seed = c[3].number_input(_("seed"), min_value=0, max_value=10_000, value=0, key="wi.seed")
cfg = current_config(part)


n_params = sum(p.numel() for p in meta_model(cfg).parameters())
if n_params > MAX_REAL_PARAMS:  # this page builds the model for real, twice (as built, and a copy to init)
    st.error(
        _(
            "This {part} has {n:,} parameters: {gib:.1f} GiB of float32 weights, twice over for the before/after "
            "comparison. This page draws real weights only up to {cap:,} parameters; lower ngf/ndf or the depth in "
            "the sidebar (the notebook's generator has 54,407,810).",
            part=part_name,
            n=n_params,
            gib=n_params * 4 / 2**30,
            cap=MAX_REAL_PARAMS,
        )
    )
    st.stop()
try:
    stats = init_weight_stats(cfg, scheme, float(gain), int(seed))
except (RuntimeError, MemoryError) as exc:  # e.g. out of memory: a message, and the page stays usable
    st.error(_("Could not build and initialize this {part}: {reason}", part=part_name, reason=reason(exc)))
    st.stop()
before, after = stats[AS_BUILT], stats[scheme]
options = [g for g in GROUP_LABELS if g in before.groups] + [t.name for t in before.tensors]
which = st.selectbox(
    _("Which weights"),
    options,
    key="wi.which",
    format_func=lambda o: _(GROUP_LABELS[o]) if o in GROUP_LABELS else _("layer {name}", name=o),
)


def _pick(s: WeightStats, key: str, scheme_key: str) -> TensorStats:
    """A group (counted on the first visit) or one layer (its own histogram, counted when picked)."""
    if key in s.groups:
        return s.groups[key]
    return layer_weight_stats(cfg, scheme_key, float(gain), int(seed), key)


def _hist_spec(t: TensorStats, title: str) -> dict[str, Any]:
    """A Vega-Lite spec. Bars: the histogram as a density, each bin drawn over its true width
    (x..x2, 0..y); red: the theory's density (a dashed rule for a constant). Made once per
    statistics, title and language (``derived``), its data as Arrow bytes (``vega_spec``).

    Plain Vega-Lite, not altair: importing altair costs this page more than its charts.
    """
    hist = t.hist
    assert hist is not None  # _pick gives a group or one layer's full statistics, both with theirs
    e = hist.edges
    counts = np.asarray(hist.counts)
    datasets = {
        "bars": pa.table(
            {"from": e[:-1], "to": e[1:], "count": counts, "density": counts / (t.numel * np.diff(e))}
        )
    }
    x_title, y_title = _("weight value"), _("density")
    layers: list[dict[str, object]] = [
        {
            "data": {"name": "bars"},
            "mark": {"type": "rect", "color": "#4C78A8", "opacity": 0.75},
            "encoding": {
                "x": {"field": "from", "type": "quantitative", "title": x_title, "scale": {"zero": False}},
                "x2": {"field": "to"},
                "y": {"field": "density", "type": "quantitative", "title": y_title},
                "y2": {"datum": 0},
                "tooltip": [
                    {"field": "from", "type": "quantitative", "format": ".4g", "title": _("from")},
                    {"field": "to", "type": "quantitative", "format": ".4g", "title": _("to")},
                    {"field": "count", "type": "quantitative", "title": _("count")},
                ],
            },
        }
    ]
    if t.theory is not None:
        xs = np.linspace(e[0], e[-1], 300)
        ys = t.theory.pdf(xs)
        if ys.any():
            label = t.theory.said(current_translator())
            datasets["curve"] = pa.table({"x": xs, "density": ys, "theory": [label] * len(xs)})
            layers.append(
                {
                    "data": {"name": "curve"},
                    "mark": {"type": "line", "color": "#E45756", "strokeWidth": 2},
                    "encoding": {
                        "x": {"field": "x", "type": "quantitative", "title": x_title},
                        "y": {"field": "density", "type": "quantitative", "title": y_title},
                        "tooltip": [{"field": "theory", "type": "nominal", "title": _("theory")}],
                    },
                }
            )
        consts = sorted({float(d.a) for _w, d in t.theory.components if d.family == "constant"})
        if consts:
            layers.append(
                {
                    "data": {"values": [{"x": v} for v in consts]},
                    "mark": {"type": "rule", "color": "#E45756", "strokeDash": [5, 3], "strokeWidth": 2},
                    "encoding": {"x": {"field": "x", "type": "quantitative", "title": x_title}},
                }
            )
    return vega_spec({"title": title, "height": 260, "layer": layers}, datasets)


def _hist_chart(t: TensorStats, title: str) -> None:
    """The histogram chart of ``t``; its spec is made once per statistics, title and language."""
    st.vega_lite_chart(
        derived(t, lambda t: _hist_spec(t, title), key=(title, current_language())), width="stretch"
    )


left, mid, code = st.columns([2, 2, 1.6])
tb, ta = _pick(before, which, AS_BUILT), _pick(after, which, scheme)
with left:
    _hist_chart(tb, _("Before: as built (PyTorch default)"))
with mid:
    _hist_chart(ta, _("After: init_weights(model, '{scheme}')", scheme=scheme))
with code:
    if scheme == "normal":  # exactly what runs: init_weights(model, "normal") is ini_weight
        notebook_code(
            nb.INIT, _("ini_weight (the paper's N(0, 0.02)), which is what ran"), expanded=True, wrap=False
        )  # a narrow column: the code scrolls sideways
    else:
        st.markdown(_("**What ran** (`init_weights(model, '{scheme}')`, per layer)", scheme=scheme))
        st.code(INIT_CODE[scheme], language="python")
        if scheme == "kaiming":
            notebook_code(nb.KAIMING_INIT, _("its Kaiming example, for comparison"), wrap=False)
            st.caption(
                _(
                    "The notebook's example draws kaiming_**uniform**_ on Conv2d only and sets γ to exactly 1; "
                    "the histogram here is kaiming_**normal**_ on every conv, γ ~ N(1, gain). Same std "
                    "√(2/fan_in), a different shape."
                )
            )
        else:
            notebook_code(nb.INIT, _("ini_weight (the paper's N(0, 0.02)), the init it compares against"))
st.caption(
    _(
        "Red: the distribution the init draws from (for a group of layers, the mixture of each layer's, "
        "weighted by size). Dashed: a constant (BatchNorm γ = 1 and β = 0 as built)."
    )
)


def _row(label: str, t: TensorStats) -> dict[str, object]:
    th = t.theory
    return {
        _("init"): label,
        _("weights"): f"{t.numel:,}",
        _("mean"): t.mean,
        _("std"): t.std,
        _("min"): t.min,
        _("max"): t.max,
        _("theory"): th.said(current_translator()) if th else "-",
        _("theory std"): th.std if th else None,
        _("rule"): say(th.rule) if th else "-",
    }


st.dataframe(
    pd.DataFrame([_row(_("as built"), tb), _row(scheme, ta)]),
    hide_index=True,
    width="stretch",
    column_config={
        _(k): st.column_config.NumberColumn(format="%.4g")
        for k in (N_("mean"), N_("std"), N_("min"), N_("max"), N_("theory std"))
    },
)

with fold(_("Every conv layer: std as built, after, and in theory"), "wi.layers") as table_open:
    if table_open:
        convs = [
            (b, a) for b, a in zip(before.tensors, after.tensors) if b.kind in ("conv", "conv_transpose")
        ]
        st.dataframe(
            pd.DataFrame(
                {
                    _("layer"): [b.name for b, _a in convs],
                    _("shape"): [fmt_shape(b.shape) for b, _a in convs],
                    "fan_in": [b.fan_in for b, _a in convs],
                    _("std as built"): [b.std for b, _a in convs],
                    "1/√(3 fan_in)": [b.theory.std if b.theory else None for b, _a in convs],
                    _("std after {scheme}", scheme=scheme): [a.std for _b, a in convs],
                    _("theory after"): [a.theory.std if a.theory else None for _b, a in convs],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            _(
                "PyTorch's fan_in is weight.size(1) x k x k. For a ConvTranspose2d the weight is "
                "(in, out, k, k), so its fan_in counts the *output* channels."
            )
        )

st.subheader(_("The signal through depth at init"))
a1, a2 = st.columns([1, 1])
mode = labelled_radio(_("BatchNorm uses"), MODE_LABELS, "wi.mode", a1, horizontal=True)
layers_shown = labelled_radio(_("Show"), LAYERS_LABELS, "wi.layers", a2, horizontal=True)
acts = None
probe = probe_shape(cfg, batch=1)
if getattr(cfg, "notebook_bug", False):
    st.warning(
        _(
            "This discriminator has the notebook's typo (`model.2` is `Conv2d(3, 64)` but `model.0` hands it "
            "64 channels), so no signal gets through it and there are no activations to show. The **Mismatch "
            "doctor** page explains the error; untick the typo in the sidebar to see the activations."
        )
    )
elif n_params > AUTO_PROBE_PARAMS and not st.session_state.get(PROBE_ON, False):
    st.info(
        _(
            "This chart pushes one N(0, 1) input of {size}x{size} through the {part} four times: as built, "
            "and after each of the three inits ({n:,} weights drawn three more times). On a CPU that takes a "
            "few seconds, so it waits for you.",
            size=probe[-1],
            part=part_name,
            n=n_params,
        )
    )
    if st.button(_("Push the input through the four inits"), key="wi.probe", icon=":material/play_arrow:"):
        st.session_state[PROBE_ON] = True  # kept for the session: later changes redraw it at once
        st.rerun()
else:
    try:  # the memory is measured up to the first error: the forward pass itself reports that one
        need = probe_bytes(cfg, probe)
        if need > MAX_PROBE_BYTES:
            st.info(
                _(
                    "The activations need a forward pass at {size}x{size}, the smallest size this {part} takes, "
                    "about {gib:.1f} GiB of memory for each init: not drawn. Lower the depth in the sidebar to see them.",
                    size=probe[-1],
                    part=part_name,
                    gib=need / 2**30,
                )
            )
        else:
            acts = init_activations(cfg, mode, float(gain), int(seed))
    except (RuntimeError, ValueError, MemoryError) as exc:  # a model that cannot run (UserError included)
        st.warning(
            _(
                "This {part} cannot run a forward pass, so there are no activations to show: {reason}",
                part=part_name,
                reason=reason(exc).splitlines()[0],
            )
        )
if acts is not None:
    types = ("Conv2d", "ConvTranspose2d") if layers_shown == "conv outputs" else None
    frames = []
    shown = {key: _("as built") if key == AS_BUILT else key for key in (AS_BUILT, *DRAWN_SCHEMES)}
    for key, a in acts.items():
        rows = a.of_type(*types) if types else list(a.rows)
        frames.append(
            pd.DataFrame(
                {
                    "step": range(len(rows)),
                    "layer": [f"{r.name} ({r.module_type})" for r in rows],
                    "std": [max(r.std, 1e-30) for r in rows],
                    "init": shown.get(key, key),
                }
            )
        )
    df = pd.concat(frames)
    depth = {
        "mark": {"type": "line", "point": True},
        "height": 320,
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": _("depth (layer order)")},
            "y": {
                "field": "std",
                "type": "quantitative",
                "scale": {"type": "log"},
                "title": _("output std (log)"),
            },
            "color": {
                "field": "init",
                "type": "nominal",
                "title": _("init"),
                "scale": {
                    "domain": list(shown.values()),
                    "range": ["#4C78A8", "#E45756", "#54A24B", "#F58518"],
                },
            },
            "tooltip": [
                {"field": "init", "type": "nominal", "title": _("init")},
                {"field": "layer", "type": "nominal", "title": _("layer")},
                {"field": "std", "type": "quantitative", "format": ".3g", "title": _("std")},
            ],
        },
    }
    st.vega_lite_chart(df, depth, width="stretch")
    shape = next(iter(acts.values())).input_shape
    st.caption(
        _(
            "Each layer's output std for one N(0, 1) input of shape {shape}, on a CPU copy. In eval mode "
            "BatchNorm at init (running mean 0, var 1) only multiplies by γ, so the line shows what the init "
            "does by itself; in train mode BatchNorm renormalizes every block and hides most of it.",
            shape=tuple(shape),
        )
    )

notice(
    [
        _(
            "As built, the conv weights' spread shrinks as layers get wider (bound 1/√fan_in): about 0.25 for the "
            "first conv (fan_in 16), about 0.011 for a 512-channel one (fan_in 8192)."
        ),
        _(
            "After `ini_weight`, every conv has the same N(0, 0.02), whatever its size, and BatchNorm γ scatters "
            "slightly around 1 instead of being exactly 1."
        ),
        _(
            "In eval mode, PyTorch's default init shrinks the signal by about 1/√3 per conv and the activations "
            "halve it again, so it vanishes with depth; N(0, 0.02) shrinks small layers and grows wide ones; "
            "Kaiming keeps it near 1; Xavier with gain 0.02 kills it. BatchNorm in train mode is what rescues "
            "the paper's init."
        ),
    ]
)

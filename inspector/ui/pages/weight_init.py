"""Weight init: the weights as built vs after the notebook's init, their theory, and activations."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from inspector.i18n.catalog import N_
from inspector.init_study.weights import AS_BUILT, TensorStats, Theory, WeightStats, probe_shape
from inspector.shapes.text import fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.cache import init_activations, init_weight_stats, meta_model, probe_bytes
from inspector.ui.common import (
    PART_NAMES,
    current_discriminator,
    current_generator,
    intro,
    notebook_code,
    notice,
)
from inspector.ui.i18n import _, reason, say
from inspector.ui.init_code import INIT_CODE
from models import DiscriminatorConfig, GeneratorConfig

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

GROUP_LABELS = {
    "all_conv": N_("all conv weights together"),
    "conv": N_("Conv2d weights"),
    "conv_transpose": N_("ConvTranspose2d weights"),
    "norm_weight": N_("BatchNorm weights (γ)"),
    "norm_bias": N_("BatchNorm biases (β)"),
    "bias": N_("conv biases"),
    "other": N_("other parameters"),
}
MODE_LABELS = {
    "eval": N_("its running stats (eval): the init alone"),
    "train": N_("the batch's stats (train): the first training step"),
}
LAYERS_LABELS = {"conv outputs": N_("conv outputs"), "every layer": N_("every layer")}

c = st.columns([1.2, 1.2, 1, 1])
part = c[0].radio(
    _("Network"),
    ("generator", "discriminator"),
    horizontal=True,
    key="wi.part",
    format_func=lambda p: _(PART_NAMES[p]),
)
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
    max_value=10.0,
    value=0.02,
    step=0.01,
    format="%.4f",
    key="wi.gain",
    help=_("std of `normal`, gain of `xavier`; BatchNorm γ ~ N(1, gain)"),
)
seed = c[3].number_input(_("seed"), min_value=0, max_value=10_000, value=0, key="wi.seed")
cfg: GeneratorConfig | DiscriminatorConfig = (
    current_generator() if part == "generator" else current_discriminator()
)


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


def _pick(s: WeightStats, key: str) -> TensorStats:
    return s.groups[key] if key in s.groups else s.tensor(key)


def _theory_label(th: Theory) -> str:
    """The theory's label (``Theory.label``) with its words translated: N(0, 0.02) stays a formula."""
    labels = {d.label for _w, d in th.components}
    if len(labels) > 1:
        return _("mixture of {n} distributions", n=len(th.components))
    dist = th.components[0][1]
    return _("constant {value:.4g}", value=dist.a) if dist.family == "constant" else dist.label


def _hist_chart(t: TensorStats, title: str) -> alt.LayerChart | alt.Chart:
    """Bars: the histogram as a density; red: the theory's density (a dashed rule for a constant)."""
    e = t.hist.edges
    width = np.diff(e)
    bars = pd.DataFrame(
        {
            "from": e[:-1],
            "to": e[1:],
            "count": t.hist.counts,
            "density": t.hist.counts / (t.numel * width),
            "zero": 0.0,
        }
    )
    # Explicit rectangles (x..x2, 0..y): each bin drawn over its true width.
    chart = (
        alt.Chart(bars, title=title)
        .mark_rect(color="#4C78A8", opacity=0.75)
        .encode(
            x=alt.X("from:Q", title=_("weight value"), scale=alt.Scale(zero=False)),
            x2="to:Q",
            y=alt.Y("density:Q", title=_("density")),
            y2="zero:Q",
            tooltip=[
                alt.Tooltip("from:Q", format=".4g", title=_("from")),
                alt.Tooltip("to:Q", format=".4g", title=_("to")),
                alt.Tooltip("count:Q", title=_("count")),
            ],
        )
    )
    layers: list[alt.Chart] = [chart]
    if t.theory is not None:
        xs = np.linspace(e[0], e[-1], 300)
        ys = t.theory.pdf(xs)
        if ys.any():
            curve = pd.DataFrame({"x": xs, "density": ys, "theory": _theory_label(t.theory)})
            layers.append(
                alt.Chart(curve)
                .mark_line(color="#E45756", strokeWidth=2)
                .encode(x="x:Q", y="density:Q", tooltip=[alt.Tooltip("theory:N", title=_("theory"))])
            )
        consts = [d.a for _w, d in t.theory.components if d.family == "constant"]
        if consts:
            layers.append(
                alt.Chart(pd.DataFrame({"x": sorted(set(consts))}))
                .mark_rule(color="#E45756", strokeDash=[5, 3], strokeWidth=2)
                .encode(x="x:Q")
            )
    return alt.layer(*layers).properties(height=260)


left, mid, code = st.columns([2, 2, 1.6])
tb, ta = _pick(before, which), _pick(after, which)
with left:
    st.altair_chart(_hist_chart(tb, _("Before: as built (PyTorch default)")), width="stretch")
with mid:
    st.altair_chart(
        _hist_chart(ta, _("After: init_weights(model, '{scheme}')", scheme=scheme)), width="stretch"
    )
with code:
    if scheme == "normal":  # exactly what runs: init_weights(model, "normal") is ini_weight
        notebook_code(nb.INIT, _("ini_weight (the paper's N(0, 0.02)), which is what ran"), expanded=True)
    else:
        st.markdown(_("**What ran** (`init_weights(model, '{scheme}')`, per layer)", scheme=scheme))
        st.code(INIT_CODE[scheme], language="python")
        if scheme == "kaiming":
            notebook_code(nb.KAIMING_INIT, _("its Kaiming example, for comparison"))
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
        _("theory"): _theory_label(th) if th else "-",
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

with st.expander(_("Every conv layer: std as built, after, and in theory")):
    convs = [(b, a) for b, a in zip(before.tensors, after.tensors) if b.kind in ("conv", "conv_transpose")]
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
mode = a1.radio(
    _("BatchNorm uses"),
    ("eval", "train"),
    horizontal=True,
    key="wi.mode",
    format_func=lambda m: _(MODE_LABELS[m]),
)
layers_shown = a2.radio(
    _("Show"),
    tuple(LAYERS_LABELS),
    horizontal=True,
    key="wi.layers",
    format_func=lambda v: _(LAYERS_LABELS[v]),
)
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
else:
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
        try:
            acts = init_activations(cfg, mode, float(gain), int(seed))
        except (RuntimeError, ValueError, MemoryError) as exc:  # a model that cannot run
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
    shown = {
        key: _("as built") if key == AS_BUILT else key for key in (AS_BUILT, "normal", "xavier", "kaiming")
    }
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
    chart = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title=_("depth (layer order)")),
            y=alt.Y("std:Q", scale=alt.Scale(type="log"), title=_("output std (log)")),
            color=alt.Color(
                "init:N",
                title=_("init"),
                scale=alt.Scale(
                    domain=list(shown.values()), range=["#4C78A8", "#E45756", "#54A24B", "#F58518"]
                ),
            ),
            tooltip=[
                alt.Tooltip("init:N", title=_("init")),
                alt.Tooltip("layer:N", title=_("layer")),
                alt.Tooltip("std:Q", format=".3g", title=_("std")),
            ],
        )
        .properties(height=320)
    )
    st.altair_chart(chart, width="stretch")
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

"""Weight init: the weights as built vs after the notebook's init, their theory, and activations."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from inspector.init_study.weights import AS_BUILT, TensorStats, WeightStats, probe_shape
from inspector.shapes.text import fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.cache import init_activations, init_weight_stats, meta_model, probe_bytes
from inspector.ui.common import current_discriminator, current_generator, intro, notebook_code, notice
from inspector.ui.init_code import INIT_CODE
from models import DiscriminatorConfig, GeneratorConfig

intro(
    "Weight init",
    "A model as built keeps PyTorch's default init: each conv's weights are uniform in "
    "±1/√fan_in, so their spread depends on the layer's size. The notebook then calls "
    "`model.apply(ini_weight)`, which redraws every conv weight from N(0, 0.02) and every BatchNorm "
    "weight from N(1, 0.02), as the pix2pix paper says (section 6.2). Compare the two, and see what each "
    "init does to a signal travelling through the network.",
)

SCHEME_HELP = {
    "normal": "N(0, gain) for conv weights: the paper and the notebook (gain 0.02)",
    "xavier": "xavier_normal_(gain): std gain·√(2/(fan_in+fan_out)) (the reference's 'xavier', gain 0.02)",
    "kaiming": "kaiming_normal_: std √(2/fan_in), keeps the variance through ReLU layers",
    "default": "PyTorch's own init again (reset_parameters): a fresh draw of the 'before'",
}
MAX_REAL_PARAMS = 200_000_000  # 0.8 GB of float32 weights per copy
MAX_PROBE_BYTES = 1 << 30  # the activation chart's forward pass, per init

GROUP_LABELS = {
    "all_conv": "all conv weights together",
    "conv": "Conv2d weights",
    "conv_transpose": "ConvTranspose2d weights",
    "norm_weight": "BatchNorm weights (γ)",
    "norm_bias": "BatchNorm biases (β)",
    "bias": "conv biases",
    "other": "other parameters",
}

c = st.columns([1.2, 1.2, 1, 1])
part = c[0].radio("Network", ("generator", "discriminator"), horizontal=True, key="wi.part")
scheme = c[1].selectbox("Init to compare", tuple(SCHEME_HELP), key="wi.scheme",
                        help="\n".join(f"- **{k}**: {v}" for k, v in SCHEME_HELP.items()))
gain = c[2].number_input("gain", min_value=1e-4, max_value=10.0, value=0.02, step=0.01, format="%.4f",
                         key="wi.gain", help="std of `normal`, gain of `xavier`; BatchNorm γ ~ N(1, gain)")
seed = c[3].number_input("seed", min_value=0, max_value=10_000, value=0, key="wi.seed")
cfg: GeneratorConfig | DiscriminatorConfig = current_generator() if part == "generator" else current_discriminator()


n_params = sum(p.numel() for p in meta_model(cfg).parameters())
if n_params > MAX_REAL_PARAMS:  # this page builds the model for real, twice (as built, and a copy to init)
    st.error(
        f"This {part} has {n_params:,} parameters: {n_params * 4 / 2**30:.1f} GiB of float32 weights, twice over "
        f"for the before/after comparison. This page draws real weights only up to {MAX_REAL_PARAMS:,} "
        "parameters; lower ngf/ndf or the depth in the sidebar (the notebook's generator has 54,407,810)."
    )
    st.stop()
try:
    stats = init_weight_stats(cfg, scheme, float(gain), int(seed))
except (RuntimeError, MemoryError) as exc:  # e.g. out of memory: a message, and the page stays usable
    st.error(f"Could not build and initialize this {part}: {exc}")
    st.stop()
before, after = stats[AS_BUILT], stats[scheme]
options = [g for g in GROUP_LABELS if g in before.groups] + [t.name for t in before.tensors]
which = st.selectbox("Which weights", options, key="wi.which",
                     format_func=lambda o: GROUP_LABELS.get(o, f"layer {o}"))


def _pick(s: WeightStats, key: str) -> TensorStats:
    return s.groups[key] if key in s.groups else s.tensor(key)


def _hist_chart(t: TensorStats, title: str) -> alt.LayerChart | alt.Chart:
    """Bars: the histogram as a density; red: the theory's density (a dashed rule for a constant)."""
    e = t.hist.edges
    width = np.diff(e)
    bars = pd.DataFrame({"from": e[:-1], "to": e[1:], "count": t.hist.counts,
                         "density": t.hist.counts / (t.numel * width), "zero": 0.0})
    # Explicit rectangles (x..x2, 0..y): each bin drawn over its true width.
    chart = alt.Chart(bars, title=title).mark_rect(color="#4C78A8", opacity=0.75).encode(
        x=alt.X("from:Q", title="weight value", scale=alt.Scale(zero=False)), x2="to:Q",
        y=alt.Y("density:Q", title="density"), y2="zero:Q",
        tooltip=[alt.Tooltip("from:Q", format=".4g"), alt.Tooltip("to:Q", format=".4g"), "count:Q"],
    )
    layers: list[alt.Chart] = [chart]
    if t.theory is not None:
        xs = np.linspace(e[0], e[-1], 300)
        ys = t.theory.pdf(xs)
        if ys.any():
            curve = pd.DataFrame({"x": xs, "density": ys, "theory": t.theory.label})
            layers.append(alt.Chart(curve).mark_line(color="#E45756", strokeWidth=2).encode(
                x="x:Q", y="density:Q", tooltip=["theory:N"]))
        consts = [d.a for _, d in t.theory.components if d.family == "constant"]
        if consts:
            layers.append(alt.Chart(pd.DataFrame({"x": sorted(set(consts))})).mark_rule(
                color="#E45756", strokeDash=[5, 3], strokeWidth=2).encode(x="x:Q"))
    return alt.layer(*layers).properties(height=260)


left, mid, code = st.columns([2, 2, 1.6])
tb, ta = _pick(before, which), _pick(after, which)
with left:
    st.altair_chart(_hist_chart(tb, "Before: as built (PyTorch default)"), width="stretch")
with mid:
    st.altair_chart(_hist_chart(ta, f"After: init_weights(model, '{scheme}')"), width="stretch")
with code:
    if scheme == "normal":  # exactly what runs: init_weights(model, "normal") is ini_weight
        notebook_code(nb.INIT, "ini_weight (the paper's N(0, 0.02)), which is what ran", expanded=True)
    else:
        st.markdown(f"**What ran** (`init_weights(model, '{scheme}')`, per layer)")
        st.code(INIT_CODE[scheme], language="python")
        if scheme == "kaiming":
            notebook_code(nb.KAIMING_INIT, "its Kaiming example, for comparison")
            st.caption("The notebook's example draws kaiming_**uniform**_ on Conv2d only and sets γ to exactly 1; "
                       "the histogram here is kaiming_**normal**_ on every conv, γ ~ N(1, gain). Same std "
                       "√(2/fan_in), a different shape.")
        else:
            notebook_code(nb.INIT, "ini_weight (the paper's N(0, 0.02)), the init it compares against")
st.caption("Red: the distribution the init draws from (for a group of layers, the mixture of each layer's, "
           "weighted by size). Dashed: a constant (BatchNorm γ = 1 and β = 0 as built).")


def _row(label: str, t: TensorStats) -> dict[str, object]:
    th = t.theory
    return {"init": label, "weights": f"{t.numel:,}", "mean": t.mean, "std": t.std, "min": t.min, "max": t.max,
            "theory": th.label if th else "-", "theory std": th.std if th else None,
            "rule": th.rule if th else "-"}


st.dataframe(pd.DataFrame([_row("as built", tb), _row(scheme, ta)]), hide_index=True, width="stretch",
             column_config={k: st.column_config.NumberColumn(format="%.4g") for k in
                            ("mean", "std", "min", "max", "theory std")})

with st.expander("Every conv layer: std as built, after, and in theory"):
    convs = [(b, a) for b, a in zip(before.tensors, after.tensors) if b.kind in ("conv", "conv_transpose")]
    st.dataframe(pd.DataFrame({
        "layer": [b.name for b, _ in convs],
        "shape": [fmt_shape(b.shape) for b, _ in convs],
        "fan_in": [b.fan_in for b, _ in convs],
        "std as built": [b.std for b, _ in convs],
        "1/√(3 fan_in)": [b.theory.std if b.theory else None for b, _ in convs],
        f"std after {scheme}": [a.std for _, a in convs],
        "theory after": [a.theory.std if a.theory else None for _, a in convs],
    }), hide_index=True, width="stretch")
    st.caption("PyTorch's fan_in is weight.size(1) x k x k. For a ConvTranspose2d the weight is "
               "(in, out, k, k), so its fan_in counts the *output* channels.")

st.subheader("The signal through depth at init")
a1, a2 = st.columns([1, 1])
mode = a1.radio(
    "BatchNorm uses", ("eval", "train"), horizontal=True, key="wi.mode",
    format_func=lambda m: {"eval": "its running stats (eval): the init alone",
                           "train": "the batch's stats (train): the first training step"}[m],
)
layers_shown = a2.radio("Show", ("conv outputs", "every layer"), horizontal=True, key="wi.layers")
acts = None
probe = probe_shape(cfg, batch=1)
if getattr(cfg, "notebook_bug", False):
    st.warning("This discriminator has the notebook's typo (`model.2` is `Conv2d(3, 64)` but `model.0` hands it 64 "
               "channels), so no signal gets through it and there are no activations to show. The **Mismatch "
               "doctor** page explains the error; untick the typo in the sidebar to see the activations.")
else:
    need = probe_bytes(cfg, probe)
    if need > MAX_PROBE_BYTES:
        st.info(f"The activations need a forward pass at {probe[-1]}x{probe[-1]}, the smallest size this "
                f"{part} takes, about {need / 2**30:.1f} GiB of memory for each init: not drawn. Lower the depth "
                "in the sidebar to see them.")
    else:
        try:
            acts = init_activations(cfg, mode, float(gain), int(seed))
        except (RuntimeError, ValueError, MemoryError) as exc:  # a model that cannot run
            st.warning(f"This {part} cannot run a forward pass, so there are no activations to show: "
                       f"{str(exc).splitlines()[0]}")
if acts is not None:
    types = ("Conv2d", "ConvTranspose2d") if layers_shown == "conv outputs" else None
    frames = []
    for key, a in acts.items():
        rows = a.of_type(*types) if types else list(a.rows)
        frames.append(pd.DataFrame({"step": range(len(rows)), "layer": [f"{r.name} ({r.module_type})" for r in rows],
                                    "std": [max(r.std, 1e-30) for r in rows], "init": key}))
    df = pd.concat(frames)
    chart = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("step:Q", title="depth (layer order)"),
        y=alt.Y("std:Q", scale=alt.Scale(type="log"), title="output std (log)"),
        color=alt.Color("init:N", title="init", scale=alt.Scale(
            domain=[AS_BUILT, "normal", "xavier", "kaiming"], range=["#4C78A8", "#E45756", "#54A24B", "#F58518"])),
        tooltip=["init:N", "layer:N", alt.Tooltip("std:Q", format=".3g")],
    ).properties(height=320)
    st.altair_chart(chart, width="stretch")
    shape = next(iter(acts.values())).input_shape
    st.caption(f"Each layer's output std for one N(0, 1) input of shape {tuple(shape)}, on a CPU copy. In eval "
               "mode BatchNorm at init (running mean 0, var 1) only multiplies by γ, so the line shows what the "
               "init does by itself; in train mode BatchNorm renormalizes every block and hides most of it.")

notice([
    "As built, the conv weights' spread shrinks as layers get wider (bound 1/√fan_in): about 0.25 for the "
    "first conv (fan_in 16), about 0.011 for a 512-channel one (fan_in 8192).",
    "After `ini_weight`, every conv has the same N(0, 0.02), whatever its size, and BatchNorm γ scatters "
    "slightly around 1 instead of being exactly 1.",
    "In eval mode, PyTorch's default init shrinks the signal by about 1/√3 per conv and the activations "
    "halve it again, so it vanishes with depth; N(0, 0.02) shrinks small layers and grows wide ones; "
    "Kaiming keeps it near 1; Xavier with gain 0.02 kills it. BatchNorm in train mode is what rescues "
    "the paper's init.",
])

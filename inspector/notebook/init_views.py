"""Notebook views of the init study: ``WeightStats``, ``init_comparison``, ``ActivationStats`` and
``activation_comparison``.

The histograms are ``init_study.figure.histogram_figure`` (the CLI's ``weights --plot``): bars of
the weights with the theory's density over them; the tables have the Weight init page's columns.
The activation chart is the page's: each layer's output std through depth, log scale, one line
per init in the page's colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
from matplotlib.figure import Figure

from inspector.i18n.catalog import N_, Translator
from inspector.i18n.fonts import matplotlib_rc
from inspector.init_study.activations import ActivationStats
from inspector.init_study.figure import histogram_figure
from inspector.init_study.theory import AS_BUILT, GROUP_LABELS
from inspector.init_study.weights import TensorStats, WeightStats
from inspector.notebook import html as h
from inspector.shapes.labels import fmt_shape
from models.text import render

STATS_COLUMNS = (
    N_("init"),
    N_("weights"),
    N_("mean"),
    N_("std"),
    N_("min"),
    N_("max"),
    N_("theory"),
    N_("theory std"),
    N_("rule"),
)
AS_BUILT_WORD = N_("as built")
BEFORE = N_("Before: as built (PyTorch default)")
AFTER = N_("After: init_weights(model, '{scheme}')")
RED_CAPTION = N_(
    "Red: the distribution the init draws from (for a group of layers, the mixture of each layer's, "
    "weighted by size). Dashed: a constant (BatchNorm γ = 1 and β = 0 as built)."
)
EVERY_CONV = N_("Every conv layer: std as built, after, and in theory")
EVERY_TENSOR = N_("Every parameter tensor")
EVERY_OUTPUT = N_("Every layer's output")
LAYER, SHAPE, TYPE = N_("layer"), N_("shape"), N_("type")
STD_AS_BUILT, STD_AFTER = N_("std as built"), N_("std after {scheme}")
FAN_IN_NOTE = N_(
    "PyTorch's fan_in is weight.size(1) x k x k. For a ConvTranspose2d the weight is "
    "(in, out, k, k), so its fan_in counts the *output* channels."
)
DEPTH_AXIS, STD_AXIS, INIT_WORD = N_("depth (layer order)"), N_("output std (log)"), N_("init")
SIGNAL = N_("The signal through depth at init")
ACT_CAPTION = N_(
    "Each layer's output std for one N(0, 1) input of shape {shape}, on a CPU copy. In eval mode "
    "BatchNorm at init (running mean 0, var 1) only multiplies by γ, so the line shows what the init "
    "does by itself; in train mode BatchNorm renormalizes every block and hides most of it."
)
CONV_OUTPUTS = N_("conv outputs")
SCHEME_COLOURS = ("#4C78A8", "#E45756", "#54A24B", "#F58518", "#B279A2")
PANEL_PX = 420  # one histogram's width on screen: drawn at that size, so its text is as large as written
CONVS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear")


def _panel(t: TensorStats, title: str, lang: str, tr: Translator) -> str:
    fig = histogram_figure([t], [title], lang=lang, tr=tr)
    return h.img(h.figure_png(fig, lang), "image/png", title, width=PANEL_PX)


def _stats_row(label: str, t: TensorStats, tr: Translator) -> list[object]:
    th = t.theory
    return [
        label,
        t.numel,
        t.mean,
        t.std,
        t.min,
        t.max,
        th.said(tr) if th else "-",
        th.std if th else None,
        render(th.rule, tr) if th else "-",
    ]


def _group_title(name: str, tr: Translator) -> str:
    return tr(GROUP_LABELS.get(name, name))


def weights_html(ws: WeightStats, lang: str, tr: Translator) -> str:
    """Each group's histogram with its theory, the groups' table, and every tensor in a fold."""
    label = tr(AS_BUILT_WORD) if ws.scheme == "default" else ws.scheme
    panels = [_panel(t, _group_title(name, tr), lang, tr) for name, t in ws.groups.items()]
    groups = [_stats_row(_group_title(name, tr), t, tr) for name, t in ws.groups.items()]
    tensors = [[t.name, fmt_shape(t.shape), t.fan_in, t.mean, t.std, t.theory.said(tr) if t.theory else "-"]
               for t in ws.tensors]  # fmt: skip
    heads = [tr(LAYER), tr(SHAPE), "fan_in", tr(N_("mean")), tr(N_("std")), tr(N_("theory"))]
    return h.page(
        h.para(f"**{label}**"),
        h.row(*panels),
        h.para(tr(RED_CAPTION)),
        h.table([tr(c) for c in STATS_COLUMNS], groups),
        h.details(tr(EVERY_TENSOR), h.table(heads, tensors)),
    )


def init_comparison_html(stats: Mapping[str, WeightStats], lang: str, tr: Translator) -> str:
    """The model as built beside each init: the conv weights' histograms (and BatchNorm γ's), the
    table of each, and every conv layer's std as built, after each init and in theory."""
    before = stats[AS_BUILT]
    schemes = [s for s in stats if s != AS_BUILT]
    parts: list[str] = []
    for group in ("all_conv", "norm_weight"):
        if group not in before.groups:
            continue
        parts.append(h.heading(_group_title(group, tr), 4))
        titles = [tr(BEFORE)] + [tr(AFTER, scheme=s) for s in schemes]
        tensors = [stats[key].groups[group] for key in (AS_BUILT, *schemes)]
        parts.append(h.row(*(_panel(t, title, lang, tr) for t, title in zip(tensors, titles))))
        rows = [_stats_row(tr(AS_BUILT_WORD) if key == AS_BUILT else key, stats[key].groups[group], tr)
                for key in (AS_BUILT, *schemes)]  # fmt: skip
        parts.append(h.table([tr(c) for c in STATS_COLUMNS], rows))
    parts.append(h.para(tr(RED_CAPTION)))
    convs = [i for i, t in enumerate(before.tensors) if t.kind in ("conv", "conv_transpose")]
    heads = [tr(LAYER), tr(SHAPE), "fan_in", tr(STD_AS_BUILT), "1/√(3 fan_in)"]
    heads += [tr(STD_AFTER, scheme=s) for s in schemes]
    rows = []
    for i in convs:
        b = before.tensors[i]
        theory = b.theory.std if b.theory else None
        rows.append(
            [b.name, fmt_shape(b.shape), b.fan_in, b.std, theory, *(stats[s].tensors[i].std for s in schemes)]
        )
    parts.append(h.details(tr(EVERY_CONV), h.table(heads, rows) + h.para(tr(FAN_IN_NOTE))))
    return h.page(*parts)


def _depth_chart(series: Sequence[tuple[str, ActivationStats]], lang: str, tr: Translator) -> str:
    """Each init's conv outputs' std through depth, log scale (the Weight init page's chart)."""
    with mpl.rc_context(matplotlib_rc(lang)):  # type: ignore[arg-type]  # rc keys are typed as literals
        fig = Figure(figsize=(8, 3.6), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        for k, (label, stats) in enumerate(series):
            rows = stats.of_type(*CONVS) or list(stats.rows)
            ax.plot(range(len(rows)), [max(r.std, 1e-30) for r in rows], marker="o", ms=3,
                    color=SCHEME_COLOURS[k % len(SCHEME_COLOURS)], label=label)  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel(tr(DEPTH_AXIS) + f" ({tr(CONV_OUTPUTS)})")
        ax.set_ylabel(tr(STD_AXIS))
        ax.legend(title=tr(INIT_WORD), fontsize=9)
        ax.grid(alpha=0.3)
    return h.img(h.figure_png(fig, lang), "image/png", tr(SIGNAL), width=800)


def _activation_table(stats: ActivationStats, tr: Translator) -> str:
    rows = [[r.name, r.module_type, fmt_shape(r.shape), r.mean, r.std, r.abs_max] for r in stats.rows]
    heads = [tr(LAYER), tr(TYPE), tr(SHAPE), tr(N_("mean")), tr(N_("std")), "max |x|"]
    return h.table(heads, rows)


def activations_html(stats: ActivationStats, lang: str, tr: Translator) -> str:
    label = tr(AS_BUILT_WORD) if stats.scheme == AS_BUILT else stats.scheme
    return h.page(
        h.heading(tr(SIGNAL), 4),
        _depth_chart([(label, stats)], lang, tr),
        h.para(tr(ACT_CAPTION, shape=tuple(stats.input_shape))),
        h.details(tr(EVERY_OUTPUT), _activation_table(stats, tr)),
    )


def activation_comparison_html(stats: Mapping[str, ActivationStats], lang: str, tr: Translator) -> str:
    series = [(tr(AS_BUILT_WORD) if key == AS_BUILT else key, s) for key, s in stats.items()]
    shape = next(iter(stats.values())).input_shape
    folds = "".join(
        h.details(f"{tr(EVERY_OUTPUT)}: {label}", _activation_table(s, tr)) for label, s in series
    )
    return h.page(
        h.heading(tr(SIGNAL), 4),
        _depth_chart(series, lang, tr),
        h.para(tr(ACT_CAPTION, shape=tuple(shape))),
        folds,
    )

"""A matplotlib figure of weight histograms, for ``pix2pix-inspector weights --plot``.

The app draws its own charts (Altair) from the same ``TensorStats``; only the CLI needs
matplotlib, so the statistics in ``weights.py`` never import it.

The figure's words go through a translator ``tr(message, **values)``
(``inspector.i18n.catalog.translator``) and its fonts come from ``matplotlib_rc(lang)``: the
CLI draws it in English (the defaults), a caller that wants Korean passes ``lang="ko"`` and
``tr=translator("ko")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from inspector.i18n.catalog import N_, Translator, english
from inspector.i18n.fonts import matplotlib_rc
from inspector.init_study.weights import TensorStats

# The figure's own words; tests/init_study checks that each has Korean.
WEIGHTS_WORD = N_("weights")
PANEL_STATS = N_("mean {mean}, std {std}")
VALUE_WORD, DENSITY_WORD, COUNT_WORD = N_("value"), N_("density"), N_("count")
MESSAGES = (WEIGHTS_WORD, PANEL_STATS, VALUE_WORD, DENSITY_WORD, COUNT_WORD)


def histogram_figure(
    stats: Sequence[TensorStats],
    titles: Sequence[str],
    density: bool = True,
    lang: str = "en",
    tr: Translator = english,
) -> Figure:
    """One panel per ``TensorStats`` (side by side): the histogram and its theory on top.

    A constant theory (BatchNorm ones, zero bias) is a vertical line. ``titles`` come translated;
    the figure's own words go through ``tr``, its fonts follow ``lang``. Returns a matplotlib Figure.
    """
    # The rc context must hold while the text objects are created: they read the font family then.
    with mpl.rc_context(matplotlib_rc(lang)):  # type: ignore[arg-type]  # rc keys are typed as literals
        return _draw(stats, titles, density, tr)


def _draw(stats: Sequence[TensorStats], titles: Sequence[str], density: bool, tr: Translator) -> Figure:
    fig = Figure(figsize=(4.2 * len(stats), 3.2), layout="constrained")
    for i, (t, title) in enumerate(zip(stats, titles)):
        ax = fig.add_subplot(1, len(stats), i + 1)
        h = t.hist
        if h is None:
            raise ValueError(
                f"{t.name}: its histogram was not counted (tensor_histograms=False); use tensor_stats"
            )
        widths = np.diff(h.edges)
        heights = h.counts / (t.numel * widths) if density else h.counts
        ax.bar(
            h.edges[:-1],
            heights,
            width=widths,
            align="edge",
            color="#4C78A8",
            alpha=0.75,
            label=tr(WEIGHTS_WORD),
        )
        if t.theory is not None:
            xs = np.linspace(h.edges[0], h.edges[-1], 400)
            ys = t.theory.pdf(xs) if density else t.theory.pdf(xs) * t.numel * widths[0]
            if ys.any():
                ax.plot(xs, ys, color="#E45756", lw=1.8, label=t.theory.label)
            for _, d in t.theory.components:
                if d.family == "constant":
                    ax.axvline(d.a, color="#E45756", lw=1.8, ls="--", label=d.label)
                    break
        ax.set_title(f"{title}\n{tr(PANEL_STATS, mean=f'{t.mean:.3g}', std=f'{t.std:.3g}')}", fontsize=9)
        ax.set_xlabel(tr(VALUE_WORD))
        ax.set_ylabel(tr(DENSITY_WORD) if density else tr(COUNT_WORD))
        ax.legend(fontsize=7)
    return fig

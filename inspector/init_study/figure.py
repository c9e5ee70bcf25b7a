"""A matplotlib figure of weight histograms, for ``pix2pix-inspector weights --plot``.

The app draws its own charts (Altair) from the same ``TensorStats``; only the CLI needs
matplotlib, so the statistics in ``weights.py`` never import it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from inspector.init_study.weights import TensorStats


def histogram_figure(stats: Sequence[TensorStats], titles: Sequence[str], density: bool = True) -> Figure:
    """One panel per ``TensorStats`` (side by side): the histogram and its theory on top.

    A constant theory (BatchNorm ones, zero bias) is a vertical line. Returns a matplotlib Figure.
    """
    fig = Figure(figsize=(4.2 * len(stats), 3.2), layout="constrained")
    for i, (t, title) in enumerate(zip(stats, titles)):
        ax = fig.add_subplot(1, len(stats), i + 1)
        h = t.hist
        widths = np.diff(h.edges)
        heights = h.counts / (t.numel * widths) if density else h.counts
        ax.bar(
            h.edges[:-1], heights, width=widths, align="edge", color="#4C78A8", alpha=0.75, label="weights"
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
        ax.set_title(f"{title}\nmean {t.mean:.3g}, std {t.std:.3g}", fontsize=9)
        ax.set_xlabel("value")
        ax.set_ylabel("density" if density else "count")
        ax.legend(fontsize=7)
    return fig

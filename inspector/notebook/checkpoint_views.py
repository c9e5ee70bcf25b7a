"""Notebook views of checkpoints: ``Identification`` (what a file holds, each network proven or not)
and ``CheckpointComparison`` (two files' networks block by block, and both generators on one photo).

The same sentences as the app's Checkpoints page, from the same catalogs.
"""

from __future__ import annotations

from inspector.checkpoints.compare import CheckpointComparison, Comparison
from inspector.checkpoints.identify import Identification, Network
from inspector.i18n.catalog import N_, Translator
from inspector.inside.pictures import heatmap
from inspector.notebook import html as h
from inspector.notebook.run_views import SETTING, VALUE
from inspector.training.recognize import FAMILIES
from models.text import render

PART_NAMES = {"generator": N_("generator"), "discriminator": N_("discriminator")}
PROVEN = N_("Proven: built from these settings, loaded with strict=True and run: {ran}.")
NOT_PROVEN = N_("Not proven: {problem}")
WEIGHTS_LINE = N_("{n} learned weights.")
STEP_LINE = N_("{name}, step {step}")
OVERALL = N_("relative change of the weights ||B - A|| / ||A||, all: {all:.3f}")
BLOCK, CHANGE, WEIGHTS = N_("block"), N_("relative change"), N_("weights")
DIFFERENCE = N_("|ab A - ab B| (mean {mean:.2f}, max {top:.1f} Lab units)")
SCALE = N_(
    "0 is an untouched block; about 1.4 lies between two unrelated random initializations of one scale."
)


def _network_html(net: Network, tr: Translator) -> str:
    head = f"**{tr(PART_NAMES[net.part])}**: {render(FAMILIES[net.family, net.part], tr)}"
    parts = [h.para(head)]
    if net.proven:
        parts.append(h.box(tr(PROVEN, ran=net.ran), "success"))
    else:
        parts.append(h.box(tr(NOT_PROVEN, problem=render(net.problem, tr)), "error"))
    if net.config is not None:
        rows = [[k, v if isinstance(v, (int, float)) else str(v)] for k, v in net.config.to_dict().items()]
        parts.append(
            h.details(tr(WEIGHTS_LINE, n=f"{net.parameters:,}"), h.table([tr(SETTING), tr(VALUE)], rows))
        )
    if net.notes:
        parts.append(h.bullets(render(note, tr) for note in net.notes))
    return "".join(parts)


def identification_html(found: Identification, lang: str, tr: Translator) -> str:
    """Each network of the file: what it is, proven (the shapes of its run) or why not, its settings."""
    return h.page(
        h.para(tr(STEP_LINE, name=f"`{found.name}`", step=found.step)),
        *(_network_html(net, tr) for net in found.networks.values()),
    )


def _change_colour(change: float) -> str:
    """A cell's shade: white for an untouched block, deeper orange towards 1.4 (unrelated weights)."""
    level = min(change / 1.4, 1.0)
    g, b = int(255 - 90 * level), int(255 - 200 * level)
    return f"rgb(255,{g},{b})"


def _comparison(c: Comparison, tr: Translator) -> str:
    """One network of two files: the relative change of every block's weights, then (generators) both
    colorizations of one photo and the distance of their ab."""
    rows = [[b.block, b.relative_change, b.parameters] for b in c.blocks]
    shades = [["", _change_colour(b.relative_change), ""] for b in c.blocks]
    parts = [
        h.para(f"**{tr(PART_NAMES[c.part])}**: " + tr(OVERALL, all=c.overall)),
        h.table([tr(BLOCK), tr(CHANGE), tr(WEIGHTS)], rows, shades),
    ]
    if c.outputs is not None:
        o = c.outputs
        caption = tr(DIFFERENCE, mean=o.mean, top=o.max)
        parts.append(
            h.row(
                h.picture(o.a, "A", width=192, photo=True),
                h.picture(o.b, "B", width=192, photo=True),
                h.picture(heatmap(o.difference), caption, width=192) + h.para(caption),
            )
        )
    return "".join(parts)


def comparison_html(c: Comparison, lang: str, tr: Translator) -> str:
    """One network of two files, compared."""
    return h.page(_comparison(c, tr), h.para(tr(SCALE)))


def comparisons_html(cs: CheckpointComparison, lang: str, tr: Translator) -> str:
    """Every network the two files share, compared."""
    return h.page(*(_comparison(c, tr) for c in cs.values()), h.para(tr(SCALE)))

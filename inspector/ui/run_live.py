"""The Train page's view of this session's run: where it waits, how it trains, how it ended.

Everything comes from the run's folder (its status, ``metrics.jsonl``, the newest sample grid),
written by its worker: the page polls it while the run waits or trains, and shows its result
with the two downloads when it has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import streamlit as st

from inspector.i18n.catalog import N_
from inspector.runqueue.progress import metrics_rows
from inspector.runqueue.queue import QueuedRun
from inspector.runqueue.status import ACTIVE
from inspector.training.checkpoint import CHECKPOINT_FILE, EXPORT_FILE
from inspector.training.run_files import METRICS_FILE
from inspector.ui.caches.shared import shared
from inspector.ui.derived import derived, vega_spec
from inspector.ui.fold import fold
from inspector.ui.i18n import _, say
from inspector.ui.pictures import show
from inspector.ui.run_views import d_balance, fraction, sample_of, state_sentence
from inspector.ui.runs_list import download_buttons

POLL_S = 1.5  # seconds between redraws of the live view while the run waits or trains
MAX_POINTS = 600  # points per curve: long runs are thinned so that a redraw stays cheap
ENDINGS = {"finished": st.success, "stopped": st.info, "failed": st.error}


# The three charts of a live run: (title, the metrics each draws).
CHARTS = (
    (N_("**Adversarial losses** (BCE)"), ("G_GAN", "D_real", "D_fake")),
    (N_("**G's L1** (mean |ab error|)"), ("G_L1",)),
    (N_("**D(real) and D(fake)** (mean probability)"), ("D(real)", "D(fake)")),
)


@dataclass(frozen=True, eq=False)
class Curves:
    """A run's metrics rows as its log stood at one moment (see :func:`curves`)."""

    rows: tuple[dict[str, Any], ...]


@shared(max_entries=64)
def curves(path: str, stamp: tuple[int, int]) -> Curves:
    """The metrics of the run at ``path``, thinned to ``MAX_POINTS``, read once per state of its log
    (``stamp``: its mtime and size): every session that polls the run shares one read."""
    return Curves(tuple(metrics_rows(Path(path), MAX_POINTS)))


def _specs(c: Curves) -> tuple[dict[str, Any], ...]:
    """One line chart per entry of ``CHARTS``: plain Vega-Lite over Arrow bytes, made once per
    state of the log (st.line_chart built and validated an Altair chart on every poll of every
    session that watches a run)."""
    specs = []
    for _title, names in CHARTS:
        long = [(r["step"], n, r[n]) for r in c.rows for n in names if r.get(n) is not None and "step" in r]
        table = pa.table(
            {"step": [t[0] for t in long], "series": [t[1] for t in long], "value": [t[2] for t in long]}
        )
        specs.append(
            vega_spec(
                {"data": {"name": "metrics"}, "mark": {"type": "line"}, "height": 220,
                 "encoding": {"x": {"field": "step", "type": "quantitative"},
                              "y": {"field": "value", "type": "quantitative", "title": None},
                              "color": {"field": "series", "type": "nominal", "title": None}}},
                {"metrics": table},
            )
        )  # fmt: skip
    return tuple(specs)


def _charts(c: Curves) -> None:
    for column, (title, _names), spec in zip(st.columns(len(CHARTS)), CHARTS, derived(c, _specs)):
        column.markdown(_(title))
        column.vega_lite_chart(spec, width="stretch")


def _training(run: QueuedRun) -> None:
    log = run.path / METRICS_FILE
    try:
        stat = log.stat()
    except OSError:  # no step logged yet
        stat = None
    c = curves(str(run.path), (stat.st_mtime_ns, stat.st_size)) if stat is not None else Curves(())
    rows = c.rows
    if rows:
        last = rows[-1]
        k1, k2, k3, k4 = st.columns(4)
        k1.metric(_("Images / s"), f"{last.get('images_per_s', 0):.1f}")
        k2.metric(_("Memory (MiB)"), f"{last.get('memory_mb', 0):.0f}")
        k3.metric("D(real)", f"{last.get('D(real)', 0):.2f}")
        k4.metric("D(fake)", f"{last.get('D(fake)', 0):.2f}")
        balance = d_balance(last)
        if balance:
            st.caption(balance)
        _charts(c)
    grid = sample_of(run)
    if grid is not None:
        show(
            None,
            grid[0],
            caption=_("Step {step}: L input | generated | ground truth (held-out images)", step=grid[1]),
            width=768,
        )
    if run.status.notes:
        with fold(_("{n} file(s) skipped", n=len(run.status.notes)), "run.skipped") as shown:
            if shown:
                st.markdown("\n".join(f"- {say(n)}" for n in run.status.notes))


def _result(run: QueuedRun) -> None:
    ENDINGS.get(run.status.state, st.info)(state_sentence(run))
    checkpoint, export = run.path / CHECKPOINT_FILE, run.path / EXPORT_FILE
    if checkpoint.is_file():
        download_buttons(checkpoint, export if export.is_file() else None, run.step, key="train.download")
        st.caption(_("Run {name} is in the runs list below. Open the **Colorize** page to try it on a photo, or "
                     "upload either file there later.", name=run.name))  # fmt: skip


def live_view(current: Callable[[], QueuedRun | None]) -> None:
    """This session's run as ``current()`` reads it now: polled every :data:`POLL_S` s while it waits
    or trains, its result once it has ended."""
    going = (run := current()) is not None and run.status.state in ACTIVE

    def view() -> None:
        run = current()
        if run is None:
            return
        st.subheader(_("Your run {name}", name=run.name))
        if run.status.state in ACTIVE:
            st.session_state["train.watching"] = run.name
            st.progress(fraction(run), text=state_sentence(run))
            _training(run)
            return
        _training(run)
        _result(run)
        if st.session_state.pop("train.watching", None) is not None:
            st.rerun()  # it ended during a poll: redraw the whole page once (Start is free again)

    st.fragment(run_every=POLL_S if going else None)(view)()

"""The Train page's view of this session's run: where it waits, how it trains, how it ended.

Everything comes from the run's folder (its status, ``metrics.jsonl``, the newest sample grid),
written by its worker: the page polls it while the run waits or trains, and shows its result
with the two downloads when it has ended.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from inspector.runqueue.progress import metrics_rows
from inspector.runqueue.queue import QueuedRun
from inspector.runqueue.status import ACTIVE
from inspector.training.checkpoint import CHECKPOINT_FILE, EXPORT_FILE
from inspector.ui.fold import fold
from inspector.ui.i18n import _, say
from inspector.ui.pictures import show
from inspector.ui.run_views import d_balance, fraction, sample_of, state_sentence
from inspector.ui.runs_list import download_buttons

POLL_S = 1.5  # seconds between redraws of the live view while the run waits or trains
MAX_POINTS = 600  # points per curve: long runs are thinned so that a redraw stays cheap
ENDINGS = {"finished": st.success, "stopped": st.info, "failed": st.error}


def _charts(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows).set_index("step")
    left, mid, right = st.columns(3)
    with left:
        st.markdown(_("**Adversarial losses** (BCE)"))
        st.line_chart(frame[["G_GAN", "D_real", "D_fake"]], height=220)
    with mid:
        st.markdown(_("**G's L1** (mean |ab error|)"))
        st.line_chart(frame[["G_L1"]], height=220)
    with right:
        st.markdown(_("**D(real) and D(fake)** (mean probability)"))
        st.line_chart(frame[["D(real)", "D(fake)"]], height=220)


def _training(run: QueuedRun) -> None:
    rows = metrics_rows(run.path, MAX_POINTS)
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
        _charts(rows)
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

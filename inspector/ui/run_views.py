"""How a queued run reads on a page: its state in a sentence, its card on the Class runs page.

The Train page, the progress line above every page and the Class runs page all say a run's state
with :func:`state_sentence`, so a run reads the same wherever a student meets it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from inspector.i18n.catalog import N_
from inspector.runqueue.progress import latest_sample
from inspector.runqueue.queue import QueuedRun
from inspector.ui.caches.shared import shared
from inspector.ui.i18n import _, say
from inspector.ui.pictures import show

STATE_WORDS = {
    "queued": N_("queued"),
    "starting": N_("starting"),
    "running": N_("training"),
    "stopping": N_("stopping"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "failed": N_("failed"),
}
STATE_ICONS = {
    "queued": ":material/hourglass_top:",
    "starting": ":material/rocket_launch:",
    "running": ":material/model_training:",
    "stopping": ":material/pause_circle:",
    "finished": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "failed": ":material/error:",
}
D_WINS = (0.9, 0.1)  # D(real) above, D(fake) below: the discriminator wins outright


def minutes(seconds: float) -> str:
    """A wait in words: "less than a minute", "about 3 min"."""
    if seconds < 60:
        return _("less than a minute")
    return _("about {n} min", n=round(seconds / 60))


def state_sentence(run: QueuedRun, now: float | None = None) -> str:
    """One sentence for the run's state: its place and wait, its step, or how it ended."""
    now = time.time() if now is None else now
    s = run.status
    if s.state == "queued":
        wait = minutes(max((run.eta or now) - now, 0))
        return _("{place} in line: starts in {wait}", place=_("#{n}", n=run.place or 1), wait=wait)
    if s.state == "starting":
        if s.backend == "ray":
            return _("handed to the cluster: it starts when a node has room")
        return _("starting: loading the images and building the models")
    if s.state in ("running", "stopping"):
        left = minutes(max((run.eta or now) - now, 0))
        line = _("step {step} of {total}, {left} to go", step=run.step, total=s.steps, left=left)
        return line if s.state == "running" else _("stopping after this step (saving a checkpoint)")
    reason = say(s.reason) if s.reason else ""
    return f"{_(STATE_WORDS[s.state])}: {reason}" if reason else _(STATE_WORDS[s.state])


def fraction(run: QueuedRun) -> float:
    """How far the run has come, 0..1, from the step it started at."""
    s = run.status
    return min(max((run.step - s.start_step) / max(s.steps - s.start_step, 1), 0.0), 1.0)


def d_balance(row: Mapping[str, Any] | None) -> str | None:
    """D(real) / D(fake) of a metrics row in a line, with the alarm when D wins outright; None
    before the first step."""
    row = row or {}
    real, fake = row.get("D(real)"), row.get("D(fake)")
    if not isinstance(real, (int, float)) or not isinstance(fake, (int, float)):
        return None
    line = f"D(real) {real:.2f} · D(fake) {fake:.2f}"
    if real > D_WINS[0] and fake < D_WINS[1]:
        line += " — " + _("D wins outright")
    return line


@shared(max_entries=256)
def _sample_bytes(path: str, mtime_ns: int) -> bytes:
    # one read per new grid for every session (a grid is replaced, never edited: mtime says which)
    return Path(path).read_bytes()


def sample_of(run: QueuedRun) -> tuple[bytes, int] | None:
    """The run's newest sample grid as PNG bytes, and its step; None before the first."""
    path = latest_sample(run.path)
    if path is None:
        return None
    try:
        blob = _sample_bytes(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    return blob, int(path.stem.split("_")[-1])


def run_card(run: QueuedRun, mine: bool) -> None:
    """One run on the Class runs page: who, its state, its newest grid and D's balance."""
    s = run.status
    with st.container(border=True):
        who = _("you") if mine else s.label
        st.markdown(f"**{run.name}** · {who}")
        st.markdown(f"{STATE_ICONS[s.state]} {state_sentence(run)}")
        if s.state in ("running", "stopping"):
            st.progress(fraction(run))
        balance = d_balance(run.metrics)
        if balance:
            st.caption(balance)
        grid = sample_of(run)
        if grid is not None:
            show(None, grid[0], caption=_("step {step}", step=grid[1]), width="stretch")

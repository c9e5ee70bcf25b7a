"""Session glue for training: who owns the run, the runs folder, and the progress line on every page.

The training slot itself is :func:`inspector.ui.background.get_runner` (one per server process,
reached through :func:`shared_runner`); the runs are ``inspector.training.runs.RunsFolder``
(reached through :func:`runs_folder`). This module only knows the Streamlit side: a per-session
owner id and its short label, and :func:`run_progress_line`, which ``streamlit_app.py`` calls on
every script run: while this session's run is going, every page shows its step and a Stop button,
and sends the heartbeats that keep the run alive (a closed tab sends none, so its run stops).
"""

from __future__ import annotations

import atexit
import threading
import uuid
from pathlib import Path

import streamlit as st

from inspector.training.runs import RunsFolder, default_runs_dir
from inspector.ui.background import RunSnapshot, TrainingRunner, get_runner, stop_at_exit
from inspector.ui.i18n import _

OWNER_KEY = "train.owner"
LINE_KEY = "run_line.watching"  # the run id the progress line saw going, to redraw once when it ends
HEARTBEAT_S = 2.0  # the progress line's poll: well inside background.HEARTBEAT_TIMEOUT_S
_CLEANED: set[Path] = set()  # runs folders this server used: their leftovers are removed at exit
_CLEANED_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def shared_runner() -> TrainingRunner:
    """The server's training slot. Held by Streamlit's resource cache as well, so that it survives the
    module reloads Streamlit does when a source file changes (a reload would otherwise lose a run)."""
    return get_runner()


def runs_folder() -> RunsFolder:
    """The runs folder (``PIX2PIX_RUNS_DIR`` or the user's data directory), read on every call so that
    ``app --runs DIR`` and tests can point it elsewhere. Its leftovers are removed when the server exits."""
    folder = RunsFolder(default_runs_dir())
    with _CLEANED_LOCK:
        if folder.root not in _CLEANED:
            _CLEANED.add(folder.root)
            atexit.register(_clean_at_exit, folder)
    return folder


def _clean_at_exit(folder: RunsFolder) -> None:
    # atexit runs the last registered first: the run is stopped (and saved) before its folder is looked at.
    runner = get_runner()
    stop_at_exit(runner)
    snap = runner.snapshot()
    folder.clean_temporary(protect=[snap.run_dir] if snap.active and snap.run_dir else [])


def session_owner() -> str:
    """This browser session's id as the owner of a training run."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return str(st.session_state[OWNER_KEY])


def session_label(owner: str | None = None) -> str:
    """The short label others see for this session (the first characters of its id)."""
    return (owner or session_owner())[:6]


def fraction_done(snap: RunSnapshot) -> float:
    """How far the run has come, 0..1, counted from the step it started (or resumed) at."""
    done = (snap.step - snap.start_step) / max(snap.total_steps - snap.start_step, 1)
    return min(max(done, 0.0), 1.0)


def run_progress_line() -> None:
    """Called by ``streamlit_app.py`` before every page: while this session's run is going, a small
    progress line with a Stop button, redrawn (and a heartbeat sent) every :data:`HEARTBEAT_S` s."""
    runner = shared_runner()
    owner = session_owner()
    snap = runner.snapshot()
    going = snap.active and snap.owner == owner
    if going:
        runner.heartbeat(owner)  # a full rerun (a click, another page) counts as well
    st.fragment(run_every=HEARTBEAT_S if going else None)(_progress_line)()


def _stop(runner: TrainingRunner, owner: str) -> None:
    runner.stop(owner, wait=True)  # after the current step, with a checkpoint


def _progress_line() -> None:
    runner, owner = shared_runner(), session_owner()
    snap = runner.snapshot()
    if snap.owner != owner:
        return
    if not snap.active:
        if st.session_state.pop(LINE_KEY, None) is not None:
            st.rerun()  # the run ended while polling: redraw the page once (its result), and stop polling
        return
    runner.heartbeat(owner)
    st.session_state[LINE_KEY] = snap.run_id
    line, button = st.columns([8, 1], vertical_alignment="center")
    if snap.state == "preparing":
        text = _("Run {name}: loading the images and building the models...", name=snap.run_name)
    elif snap.state == "stopping":
        text = _(
            "Run {name}: stopping after step {step} (saving a checkpoint)...",
            name=snap.run_name,
            step=snap.step,
        )
    else:
        text = _(
            "Run {name}: step {step} of {total}", name=snap.run_name, step=snap.step, total=snap.total_steps
        )
    line.progress(fraction_done(snap), text=text)
    button.button(
        _("Stop"),
        key="run_line.stop",
        on_click=_stop,
        args=(runner, owner),
        help=_("Stops after the current step and saves a checkpoint; the run stays in the runs list."),
    )

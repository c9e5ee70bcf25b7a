"""Session glue for the Train and Colorize pages: who owns the run, and stopping it on leaving.

The training slot itself is :func:`inspector.ui.background.get_runner` (one per server process,
reached through :func:`shared_runner`);
this module only knows the Streamlit side: a per-session owner id, and the hook that
``streamlit_app.py`` calls on every run so that opening another page stops this session's run.
"""

from __future__ import annotations

import uuid

import streamlit as st

from inspector.ui.background import TrainingRunner, get_runner

TRAIN_URL_PATH = "train"  # the Train page's st.Page url_path (from its file name)
OWNER_KEY = "train.owner"


@st.cache_resource(show_spinner=False)
def shared_runner() -> TrainingRunner:
    """The server's training slot. Held by Streamlit's resource cache as well, so that it survives the
    module reloads Streamlit does when a source file changes (a reload would otherwise lose a run)."""
    return get_runner()


def session_owner() -> str:
    """This browser session's id as the owner of a training run."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return st.session_state[OWNER_KEY]


def stop_when_leaving(page: st.Page) -> None:
    """Called on every script run: if this session is training and opened another page, stop the
    run (after its current step, with a checkpoint) and say so on the Train page later."""
    if OWNER_KEY not in st.session_state or page.url_path == TRAIN_URL_PATH:
        return
    runner = shared_runner()
    snap = runner.snapshot()
    if snap.active and snap.owner == st.session_state[OWNER_KEY]:
        with st.spinner("Stopping the training run you left (saving a checkpoint)..."):
            runner.stop(snap.owner, wait=True)
        st.session_state["train.notice"] = "The run stopped because you left the Train page; its checkpoint is saved."

"""Session glue for the run queue: who this session is, the app's runs, and the progress line on
every page.

The runs are trained by workers, never by the web server (``inspector.runqueue``): this module
holds the app process's :class:`RunService` (the queue and its scheduler, started once per
process), this session's token, and :func:`run_progress_line`, which ``streamlit_app.py`` calls
on every script run: while this session's run waits or trains, every page shows where it is and a
Stop button, and sends the heartbeats that keep it (a closed tab sends none, so its run stops).

The token lives in the URL (``?me=...``) as well as in the session: a tab that reconnects after
a restart of the server is still the owner of its run. A link copied from another student's tab
gets a token of its own while that student's tab is open.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st
from streamlit.runtime import get_instance
from streamlit.runtime.scriptrunner import get_script_run_ctx

from inspector.errors import UserError
from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.queue import QueuedRun
from inspector.runqueue.service import RunService, label_of, new_token
from inspector.runqueue.status import ACTIVE
from inspector.training.checkpoint import CHECKPOINT_FILE
from inspector.training.runs import RunsFolder, default_runs_dir
from inspector.ui.caches.shared import shared
from inspector.ui.i18n import _, reason
from inspector.ui.run_views import fraction, state_sentence

OWNER_KEY = "train.owner"
OWNER_PARAM = "me"
LINE_KEY = "run_line.watching"  # the run the progress line saw going, to redraw once when it ends
HEARTBEAT_S = 2.0  # the progress line's poll: well inside the worker's 8 s
_HOLDERS: dict[str, str] = {}  # token -> the Streamlit session that holds it, in this process
_HOLDERS_LOCK = threading.Lock()


# One service per runs folder and limits (a process has one of each): never evicted while it runs.
@shared(max_entries=16)
def _service(root: str, limits: ClassLimits) -> RunService:
    return RunService(Path(root), limits).start()


def class_limits() -> tuple[ClassLimits, str | None]:
    """The teacher's limits from the environment, and the reason when they could not be read (then
    the defaults hold)."""
    try:
        return ClassLimits.from_env(), None
    except UserError as exc:
        return ClassLimits(), reason(exc)


def run_service() -> RunService:
    """This app process's runs: the runs folder of ``PIX2PIX_RUNS_DIR`` (read on every call, so that
    ``app --runs DIR`` and tests can point it elsewhere) within the teacher's limits."""
    return _service(str(default_runs_dir()), class_limits()[0])


def runs_folder() -> RunsFolder:
    return run_service().queue.folder


def _claim(token: str) -> bool:
    """Hold ``token`` for this session unless another open session of this process holds it."""
    ctx = get_script_run_ctx(suppress_warning=True)
    me = ctx.session_id if ctx is not None else ""
    with _HOLDERS_LOCK:
        holder = _HOLDERS.get(token)
        if holder and holder != me:
            try:
                if get_instance().is_active_session(holder):
                    return False
            except RuntimeError:  # no runtime (AppTest): nobody else is open
                pass
        _HOLDERS[token] = me
    return True


def _valid(token: object) -> bool:
    return isinstance(token, str) and len(token) == 16 and all(c in "0123456789abcdef" for c in token)


def session_owner() -> str:
    """This browser session's token as the owner of a run (kept in the URL's ``me``)."""
    ss = st.session_state
    token = ss.get(OWNER_KEY)
    if not _valid(token):
        asked = st.query_params.get(OWNER_PARAM)
        token = str(asked) if _valid(asked) and _claim(str(asked)) else new_token()
        ss[OWNER_KEY] = token
    if st.query_params.get(OWNER_PARAM) != token:
        st.query_params[OWNER_PARAM] = str(token)
    return str(token)


def session_label(owner: str | None = None) -> str:
    """What other sessions see of this one."""
    return label_of(owner or session_owner())


def my_run() -> QueuedRun | None:
    """This session's run: the one waiting or training, else the last it asked for."""
    return run_service().of(session_owner())


def my_last_checkpoint() -> tuple[Path, int] | None:
    """The checkpoint of this session's last run, and its step (None before its first save)."""
    run = my_run()
    if run is None or not (run.path / CHECKPOINT_FILE).is_file():
        return None
    try:
        info = runs_folder().get(run.name)
    except UserError:
        return None
    return (run.path / CHECKPOINT_FILE, info.step)


def run_progress_line() -> None:
    """Called by ``streamlit_app.py`` before every page: while this session's run waits or trains, a
    progress line with a Stop button, redrawn (and a heartbeat sent) every :data:`HEARTBEAT_S` s."""
    service, owner = run_service(), session_owner()
    run = service.of(owner)
    going = run is not None and run.status.state in ACTIVE
    if going:
        service.heartbeat(owner)  # a full rerun (a click, another page) counts as well
    st.fragment(run_every=HEARTBEAT_S if going else None)(_progress_line)()


def _progress_line() -> None:
    service, owner = run_service(), session_owner()
    run = service.of(owner)
    if run is None or run.status.state not in ACTIVE:
        if st.session_state.pop(LINE_KEY, None) is not None:
            st.rerun()  # the run ended while polling: redraw the page once (its result), and stop polling
        return
    service.heartbeat(owner)
    st.session_state[LINE_KEY] = run.name
    line, button = st.columns([8, 1], vertical_alignment="center")
    line.progress(fraction(run), text=_("Run {name}: {state}", name=run.name, state=state_sentence(run)))
    button.button(
        _("Stop"),
        key="run_line.stop",
        on_click=service.stop,
        args=(run.path, owner),
        help=_("Stops after the current step and saves a checkpoint (a waiting run leaves the queue); the run "
               "stays in the runs list."),
    )  # fmt: skip

"""The Train page's list of past runs: resume, download, colorize with, delete.

The runs themselves are ``inspector.training.runs`` (core); this module only renders them and
calls back into the page to resume one (the page knows the step count and the uploads).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.runqueue.service import RunService
from inspector.runqueue.status import ACTIVE
from inspector.training.runs import KEEP_RUNS, MAX_AGE_DAYS, RunInfo
from inspector.ui.i18n import _, reason
from inspector.ui.page_registry import page_file
from inspector.ui.run_views import STATE_WORDS

COLORIZE_PAGE = page_file("colorize")
RUN_KEY = "train.run"  # the run chosen in the list
COLORIZE_RUN_KEY = "colorize.run"  # the Colorize page's run box: "Colorize with" sets it
COLORIZE_SOURCE_KEY = "colorize.source"
MiB = 1024 * 1024


def _reader(path: Path) -> Callable[[], bytes]:
    # Read on click only: a list of runs must not load every checkpoint (up to 0.7 GB each) per rerun.
    return lambda: path.read_bytes()


def download_buttons(checkpoint: Path | None, export: Path | None, step: int, key: str) -> None:
    """Two downloads: the full checkpoint (to resume) and the generator-only export (to colorize)."""
    files = (
        (checkpoint, "checkpoint", "pix2pix", N_("Download the checkpoint (step {step}, {size} MiB)"),
         N_("Weights of both networks, Adam's state and the settings: enough to resume training.")),
        (export, "export", "pix2pix-generator", N_("Download the generator only (step {step}, {size} MiB)"),
         N_("Only what colorizing needs: the generator's weights and settings. The Colorize page "
            "accepts both files.")),
    )  # fmt: skip
    for column, (path, kind, stem, label, help_text) in zip(st.columns(2), files):
        if path is not None:
            column.download_button(
                _(label, step=step, size=f"{path.stat().st_size / MiB:.1f}"),
                data=_reader(path),
                file_name=f"{stem}-step{step}.safetensors",
                mime="application/octet-stream",
                on_click="ignore",
                key=f"{key}.{kind}",
                help=_(help_text),
            )


def _colorize_with(name: str) -> None:
    st.session_state[COLORIZE_RUN_KEY] = name
    st.session_state[COLORIZE_SOURCE_KEY] = "run"


def _delete(service: RunService, name: str) -> None:
    try:
        service.delete(name)
    except UserError as exc:
        st.session_state["train.runs_notice"] = reason(exc)
    else:
        st.session_state["train.runs_notice"] = _("Run {name} was deleted.", name=name)
        st.session_state.pop(RUN_KEY, None)


def runs_section(service: RunService, owner_label: str, resume: Callable[[RunInfo], None] | None) -> None:
    """The runs table of the runs folder (the CLI's runs too) with each run's state in the queue, and
    the actions on the chosen run; ``resume`` is None while this session has a run waiting or training."""
    folder, runs, queued = service.queue.folder, service.listed(), service.runs()
    st.subheader(_("Past runs"))
    st.caption(
        _("Runs are kept in {folder}. The newest {keep} are kept, none older than {days} days, and never "
          "one that waits or trains; starting a run never deletes another.", folder=f"`{folder.root}`",
          keep=KEEP_RUNS, days=f"{MAX_AGE_DAYS:.0f}")
    )  # fmt: skip
    if message := st.session_state.pop("train.runs_notice", None):
        st.info(message)
    if not runs:
        st.info(_("No runs yet: start one above."))
        return
    states = {r.name: r.status.state for r in queued}
    active = [r.path for r in queued if r.status.state in ACTIVE]
    table = pd.DataFrame(
        {
            _("Run"): [r.name for r in runs],
            _("Started by"): [_("you") if r.owner == owner_label else r.owner for r in runs],
            _("Started"): [time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)) for r in runs],
            _("State"): [_(STATE_WORDS[states[r.name]]) if r.name in states else "-" for r in runs],
            _("Step"): [f"{r.step} / {r.total_steps}" if r.checkpoint else "-" for r in runs],
            _("Size (MiB)"): [round(r.size_bytes / MiB, 1) for r in runs],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    names = [r.name for r in runs]
    if st.session_state.get(RUN_KEY) not in names:
        st.session_state[RUN_KEY] = names[0]
    name = str(st.selectbox(_("Run"), names, key=RUN_KEY))
    run = runs[names.index(name)]
    busy = run.training or run.path in active
    if run.checkpoint is None:
        st.caption(_("This run has no checkpoint yet."))
    download_buttons(run.checkpoint, run.export, run.step, key="train.runs")
    b1, b2, b3 = st.columns(3)
    if b1.button(
        _("Resume"),
        key="train.resume_btn",
        disabled=resume is None or run.checkpoint is None or busy,
        help=_("Continues from its checkpoint with its own models, settings and images: up to its planned "
               "steps, or the Steps above more when it is complete. It waits in the queue like a new run."),
    ) and resume is not None:  # fmt: skip
        resume(run)
    if b2.button(
        _("Colorize with"),
        key="train.colorize_btn",
        disabled=run.export is None and run.checkpoint is None,
        on_click=_colorize_with,
        args=(run.name,),
    ):
        st.switch_page(COLORIZE_PAGE)
    # One click never deletes: the runs folder is shared by every session of the server, so the
    # popover says whose run it is and asks again.
    with b3.popover(_("Delete"), disabled=busy, icon=":material/delete:"):
        st.markdown(_("Delete **{name}** and its checkpoint? This cannot be undone.", name=run.name))
        if run.owner != owner_label:
            st.warning(_("This run was started by {owner}, not by you.", owner=run.owner or "?"))
        st.button(
            _("Delete for good"),
            key="train.delete_btn",
            type="primary",
            on_click=_delete,
            args=(service, run.name),
        )

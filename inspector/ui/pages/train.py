"""Train: a short pix2pix session with live loss curves and sample grids, for every student at once.

Start puts the run in the server's queue (``inspector.runqueue``): a worker process trains it as
soon as the device has room, and writes its folder in the runs folder; this page only reads that
folder. Start is never refused for lack of room: the run waits, and the page says its place and
when it should start. Each session has one run waiting or training at a time; it keeps the
settings it started with, and browsing other pages does not stop it (the progress line of
``inspector.ui.training`` follows it on every page). Past runs are listed below: resume,
download, colorize with, delete.
"""

from __future__ import annotations

import time

import streamlit as st
import torch

from inspector.errors import UserError
from inspector.runqueue.queue import Planned
from inspector.runqueue.status import ACTIVE
from inspector.training.runs import RunInfo
from inspector.ui import notebook_code as nb
from inspector.ui.common import intro, notebook_code, notice
from inspector.ui.fold import keep_values
from inspector.ui.gan_game_section import GAME_KEYS, gan_game_section
from inspector.ui.i18n import _, reason
from inspector.ui.run_live import live_view
from inspector.ui.runs_list import runs_section
from inspector.ui.train_form import train_form
from inspector.ui.training import class_limits, my_run, run_service, session_label, session_owner

intro(
    _("Train"),
    _("Train the colorization GAN for a few minutes and watch it learn. Each step the **discriminator** sees real "
      "(L, ab) pairs and generated ones, and the **generator** is pushed to fool it while staying close to the "
      "true colours (GAN loss + lambda x L1, Adam 2e-4, betas 0.5/0.999, as in the paper). The images stay on the "
      "training device as bytes; every step cuts random crops, flips them and converts them to Lab there."),
)  # fmt: skip

ss = st.session_state
service = run_service()
owner = session_owner()
limits, limits_error = class_limits()
budget = service.budget()
device = torch.device(budget.device)
if limits_error:
    st.error(_("The server's limits could not be read ({reason}); the defaults apply.", reason=limits_error))
st.caption(
    _("On this server runs train on the {device}, {slots} at a time; the others wait in line. A run may ask for "
      "up to {steps} steps and {size}x{size} images.", device=budget.device.upper(), slots=budget.slots,
      steps=limits.max_steps, size=limits.max_size)
)  # fmt: skip
if message := ss.pop("train.notice", None):
    st.info(message)

mine = my_run()
waiting = mine is not None and mine.status.state in ACTIVE
if mine is not None:
    live_view(my_run)
    if waiting:
        frozen = ", ".join(
            f"{k} {v}" for k, v in (service.queue.folder.get(mine.name).settings or {}).items()
        )
        st.caption(
            _("Your run {name} keeps the settings it started with ({settings}). Changes here or in the sidebar "
              "apply to your next run; other pages do not stop it.", name=mine.name, settings=frozen)
        )  # fmt: skip

form = train_form(device, limits)
if form.problem:
    st.error(form.problem)


def resume(run: RunInfo) -> None:
    """Queue ``run`` again from its checkpoint: up to its planned steps, or Steps more when it is complete."""
    target = run.total_steps if run.step < run.total_steps else run.step + int(form.choices.steps or 0)
    size = int(run.settings.get("size") or 0)
    batch = int(run.settings.get("batch") or 0)
    try:
        service.resubmit(run.path, Planned(target, size, batch, device.type), owner)
    except UserError as exc:
        ss["train.notice"] = reason(exc)
    st.rerun()


if waiting:
    st.caption(_("Your run is waiting or training: stop it (above) to start another."))
if st.button(
    _("Start training"), type="primary", key="train.start_btn", disabled=waiting or bool(form.problem)
):
    assert form.planned is not None  # no problem: the planner made a plan
    name = form.name or f"{form.settings.get('size')}px-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        service.submit(form.choices, owner, name, form.planned, form.settings)
    except UserError as exc:
        st.error(reason(exc))
    else:
        st.rerun()  # redraw the whole app: the progress line above the page starts polling

runs_section(service, session_label(owner), None if waiting else resume)

notice(
    [
        _("D(real) and D(fake) start near 0.5. If D wins outright (D(real) near 1, D(fake) near 0), G's GAN loss "
          "grows and its gradients carry little information; the halved D loss and lambda = 100 keep the game "
          "balanced."),
        _("G_L1 falls first: L1 alone gives plausible but greyish, averaged colours. The GAN term is what pushes "
          "toward saturated, sharper colours, at the price of noisier curves."),
        _("The grids show held-out images in eval mode (BatchNorm's running statistics, no dropout)."),
    ],
    title=_("What to notice"),
)  # fmt: skip
notebook_code(
    nb.DATASET + "\n" + nb.DATALOADER, _("ColorizationDataset and DataLoader (what this page replaces)")
)

# The GAN game behind a switch: its board runs (and is sent) only while the switch is on, and its
# settings outlast the switch (``ui.fold``); the form above is always drawn, uploads included.
keep_values(GAME_KEYS)
if st.toggle(_("Play the GAN game by hand"), key="train.game"):
    gan_game_section()

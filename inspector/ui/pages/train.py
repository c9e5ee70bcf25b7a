"""Train: a short pix2pix session with live loss curves and sample grids; one run per server.

Each run gets its own folder in the runs folder (``inspector.training.runs``) and keeps the
settings it started with: browsing other pages or changing the sidebar does not stop it (the
progress line of ``inspector.ui.training`` follows it on every page). Past runs are listed below
the live view: resume, download, colorize with, delete.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from inspector.data.archives import ARCHIVE_TYPE
from inspector.data.images import DEFAULT_LIMITS, PHOTO_TYPES
from inspector.errors import UserError
from inspector.training.checkpoint_size import max_checkpoint_bytes
from inspector.training.config import MAX_SEED
from inspector.training.device import default_sizes, pick_device
from inspector.training.plan import RunChoices, default_config, plan_config, plan_models, size_models
from inspector.training.runs import RunInfo
from inspector.training.upload_limits import largest_app_checkpoint_bytes
from inspector.ui import notebook_code as nb
from inspector.ui.background import RunSnapshot, prepare_run
from inspector.ui.common import current_configs, intro, notebook_code, notice
from inspector.ui.gan_game_section import gan_game_section
from inspector.ui.i18n import _, reason, say
from inspector.ui.runs_list import download_buttons, runs_section
from inspector.ui.training import runs_folder, session_label, session_owner, shared_runner

UPLOAD_TYPES = [*PHOTO_TYPES, ARCHIVE_TYPE]  # the decoder's photo types and the archive it reads
POLL_S = 1.5  # seconds between redraws of the live view while training
MAX_POINTS = 600  # points per curve: long runs are thinned so that a redraw stays cheap
MiB = 1024 * 1024

intro(
    _("Train"),
    _("Train the colorization GAN for a few minutes and watch it learn. Each step the **discriminator** sees real "
      "(L, ab) pairs and generated ones, and the **generator** is pushed to fool it while staying close to the "
      "true colours (GAN loss + lambda x L1, Adam 2e-4, betas 0.5/0.999, as in the paper). The images stay on the "
      "training device as bytes; every step cuts random crops, flips them and converts them to Lab there."),
)  # fmt: skip

g_side, d_side = current_configs()
ss = st.session_state
runner = shared_runner()
owner = session_owner()
label = session_label(owner)
folder = runs_folder()
device = pick_device()
sizes = default_sizes(device)
defaults = default_config(device)  # the planner's defaults, the same as the CLI's

snap = runner.snapshot()
mine = snap.active and snap.owner == owner
if not snap.active:
    ss.pop("train.watching", None)
if message := ss.pop("train.notice", None):
    st.info(message)
busy = runner.busy_for(owner)
if busy:
    st.warning(
        _("The trainer is busy: session {label} has been training since {since} (step {step} of {total}). This "
          "server trains one model at a time; try again when that run ends.", label=snap.label or "?",
          since=time.strftime("%H:%M:%S", time.localtime(snap.started_at)), step=snap.step,
          total=snap.total_steps)
    )  # fmt: skip
if mine:
    frozen = ", ".join(f"{k} {v}" for k, v in (snap.settings or {}).items())
    st.info(
        _("Your run {name} keeps the settings it started with ({settings}). Changes here or in the sidebar apply "
          "to your next run; other pages do not stop it.", name=snap.run_name, settings=frozen)
    )  # fmt: skip

# ------------------------------------------------------------------------------------- settings
data_col, model_col = st.columns(2)
uploads: list[tuple[str, bytes]] | None = None
with data_col:
    st.subheader(_("Data"))
    source_labels = {
        "samples": _("scikit-image's sample photos (no download)"),
        "upload": _("My images or a zip"),
    }
    source = st.radio(_("Images"), ["samples", "upload"], format_func=source_labels.get, key="train.source")
    if source == "upload":
        total_cap = DEFAULT_LIMITS.max_total_bytes  # what image loading reads in all; the server takes more
        files = st.file_uploader(
            _("Images, or zip files of images; up to {limit} MiB in all", limit=total_cap // MiB),
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="train.files",
            max_upload_size=total_cap // MiB,
            help=_(
                "Corrupt, tiny, huge and duplicate files are skipped and listed; nothing is written to disk."
            ),
        )
        total = sum(f.size for f in files or [])
        if total > total_cap:  # checked before any file is read: our sentence, not a traceback
            st.error(_("These files are {size} MiB together; this app trains on up to {limit} MiB of uploads.",
                       size=f"{total / MiB:.1f}", limit=total_cap // MiB))  # fmt: skip
        else:
            uploads = [(f.name, f.getvalue()) for f in files or []]
    st.caption(_("A fifth of the images are held out: the sample grids show those, never a training image."))

with model_col:
    st.subheader(_("Model"))
    sidebar = RunChoices(models=(g_side, d_side), device_sized=False)
    small_error = None
    try:
        size_models(replace(sidebar, device_sized=True), device)
    except ValueError as exc:  # UserError: these settings have no variant at the device's size
        small_error = reason(exc)
    options = ["small", "sidebar"] if small_error is None else ["sidebar"]
    size_labels = {
        "small": _("Sized for this {device}: ngf {ngf}, depth {depth}, {size}x{size} (the sidebar's preset otherwise)",
                   device=device.type.upper(), ngf=sizes.ngf, depth=sizes.depth, size=sizes.size),
        "sidebar": _("The sidebar's settings: ngf {ngf}, depth {depth}, {size}x{size}", ngf=g_side.ngf,
                     depth=g_side.depth, size=g_side.input_size),
    }  # fmt: skip
    choice = st.radio(
        _("Size"), options, index=0 if device.type != "cuda" and small_error is None else len(options) - 1,
        format_func=size_labels.get, key="train.model",
        help=_("A CPU trains the full 256x256 model at a few images per second; the small one shows progress "
               "within a minute."),
    )  # fmt: skip
    if small_error:
        st.caption(_("No small variant of these settings: {reason}", reason=small_error))
    if device.type == "cuda":
        st.caption(_("Training on **{device}** with bf16 autocast and channels_last.", device=str(device)))
    else:
        st.caption(_("Training on **{device}** in float32.", device=str(device)))

c1, c2, c3 = st.columns(3)
steps = c1.number_input(_("Steps"), 1, 1_000_000, value=defaults.steps, key="train.steps")
batch = c2.number_input(_("Batch size"), 1, 512, value=defaults.batch, key="train.batch")
lambda_l1 = c3.number_input(_("lambda (weight of L1)"), 0.0, 10_000.0, value=defaults.lambda_l1, step=10.0,
                            key="train.lambda")  # fmt: skip
with st.expander(_("More settings")):
    m1, m2, m3 = st.columns(3)
    warmup = m1.number_input(_("L1-only warm-up steps"), 0, 1_000_000, value=defaults.l1_warmup_steps,
                             key="train.warmup", help=_("G learns from L1 alone for these first steps (D still "
                                                        "trains)."))  # fmt: skip
    smoothing = m2.number_input(
        _("Label smoothing"),
        0.0,
        0.45,
        value=defaults.label_smoothing,
        step=0.05,
        key="train.smoothing",
        help=_("One-sided: D's target for real pairs is 1 - this."),
    )
    seed = m3.number_input(_("Seed"), 0, MAX_SEED, value=defaults.seed, key="train.seed")
    sample_every = m1.number_input(_("Sample grid every (steps)"), 1, 100_000, value=defaults.sample_every,
                                   key="train.sample_every")  # fmt: skip
    lr = m2.number_input(_("Learning rate"), 1e-6, 1e-1, value=defaults.lr, format="%.1e", key="train.lr")
run_name = st.text_input(
    _("Run name"),
    key="train.name",
    placeholder=_("e.g. my-first-run (optional)"),
    help=_("The run's folder in the runs folder; a name already taken gets -2, -3..."),
)

choices = replace(
    sidebar,
    device_sized=choice == "small",
    uploads=tuple(uploads) if uploads else None,
    steps=int(steps),
    batch=int(batch),
    lambda_l1=float(lambda_l1),
    l1_warmup_steps=int(warmup),
    label_smoothing=float(smoothing),
    seed=int(seed),
    sample_every=int(sample_every),
    lr=float(lr),
)
problem = None
settings: dict[str, Any] = {}
try:  # the checks of the planner that need no images; the images are loaded after Start
    g_run, d_run = plan_models(choices, device)
    config = plan_config(choices, device)
    settings = {"ngf": g_run.ngf, "depth": g_run.depth, "size": g_run.input_size, "steps": config.steps,
                "batch": config.batch, "lambda": config.lambda_l1, "lr": config.lr, "seed": config.seed,
                "data": config.data}  # fmt: skip
    largest = max_checkpoint_bytes(g_run, d_run)
    if largest > largest_app_checkpoint_bytes():  # the app accepts back only what it can write
        problem = _("These models would write checkpoints of up to {size} MiB, more than the {limit} MiB of the "
                    "largest preset, which is the most this app trains and accepts back. Make ngf, ndf or the depth "
                    "smaller, or train them with the CLI.", size=f"{largest / MiB:.0f}",
                    limit=f"{largest_app_checkpoint_bytes() / MiB:.0f}")  # fmt: skip
except ValueError as exc:  # UserError
    problem = reason(exc)
if problem:
    st.error(problem)
if source == "upload" and not uploads:
    problem = problem or _("upload some images first")


def _start(run_choices: RunChoices, run_dir: Path, run_settings: dict[str, Any], new: bool) -> None:
    if runner.start(owner, prepare_run(run_choices), run_dir, label=label, settings=run_settings):
        ss["train.watching"] = runner.snapshot().run_id
        folder.prune(protect=[run_dir])  # the retention policy; never the run that trains
        # Redraw the whole app: the progress line above the page was drawn before this click
        # started the run, so it is not polling yet.
        st.rerun()
    if new:  # the empty folder made for this Start; another session's run is untouched
        shutil.rmtree(run_dir, ignore_errors=True)
    ss["train.notice"] = _("Another session started training a moment ago: the trainer is busy.")


def resume(run: RunInfo) -> None:
    """Continue ``run`` from its checkpoint: up to its planned steps, or Steps more when it is complete."""
    target = run.total_steps if run.step < run.total_steps else run.step + int(steps)
    resumed = RunChoices(resume=run.path, steps=target, uploads=tuple(uploads) if uploads else None)
    _start(resumed, run.path, {**run.settings, "steps": target, "resumed from": run.step}, new=False)
    st.rerun()


if st.button(
    _("Start training"), type="primary", key="train.start_btn", disabled=busy or snap.active or bool(problem)
):
    name = run_name or f"{settings.get('size')}px-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        run_dir = folder.create(name, owner=label, settings=settings)
    except UserError as exc:
        st.error(reason(exc))
    else:
        _start(replace(choices, out=run_dir), run_dir, settings, new=True)
        if message := ss.pop("train.notice", None):
            st.warning(message)
    snap = runner.snapshot()


# ------------------------------------------------------------------------------------- live view
def _charts(s: RunSnapshot) -> None:
    rows = s.metrics[:: max(len(s.metrics) // MAX_POINTS, 1)]
    frame = pd.DataFrame(list(rows)).set_index("step")
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


def _result(s: RunSnapshot) -> None:
    if s.error:
        st.error(say(s.error))
        return
    r = s.result
    if r is None:
        return
    show = {"completed": st.success, "stopped": st.info, "diverged": st.error, "out_of_memory": st.error}[
        r.status
    ]
    said = say(r.message)  # the path is a value of the sentence: it reads the same in every language
    show(said.replace(str(r.checkpoint), _("the checkpoint below")) if r.checkpoint else said)
    if r.checkpoint is not None and Path(r.checkpoint).exists():
        export = Path(r.checkpoint).with_name("generator.safetensors")
        download_buttons(Path(r.checkpoint), export if export.exists() else None, r.checkpoint_step or 0,
                         key="train.download")  # fmt: skip
        st.caption(_("Run {name} is in the runs list below. Open the **Colorize** page to try it on a photo, or "
                     "upload either file there later.", name=s.run_name))  # fmt: skip


def live_view() -> None:
    s = runner.snapshot()
    if s.owner != owner or s.state == "idle":
        return
    runner.heartbeat(owner)
    if s.metrics:
        last = s.metrics[-1]
        k1, k2, k3, k4 = st.columns(4)
        k1.metric(_("Images / s"), f"{last['images_per_s']:.1f}")
        k2.metric(_("Memory (MiB)"), f"{last['memory_mb']:.0f}")
        k3.metric("D(real)", f"{last['D(real)']:.2f}")
        k4.metric("D(fake)", f"{last['D(fake)']:.2f}")
        _charts(s)
    if s.sample is not None:
        st.image(
            s.sample.grid,
            caption=_(
                "Step {step}: L input | generated | ground truth (held-out images)", step=s.sample.step
            ),
            width=min(3 * 256, s.sample.grid.shape[1] * 2),
        )
    if s.notes:
        with st.expander(_("{n} file(s) skipped", n=len(s.notes))):
            st.markdown("\n".join(f"- {say(n)}" for n in s.notes))
    if not s.active:
        _result(s)
        if ss.pop("train.watching", None) is not None:
            st.rerun()  # the run ended during a poll: redraw the whole page once, without polling


st.fragment(run_every=POLL_S if mine or (snap.active and snap.owner == owner) else None)(live_view)()
runs_section(folder, runner.snapshot(), label, None if busy or runner.snapshot().active else resume)

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

gan_game_section()

"""Train: a short pix2pix session with live loss curves and sample grids; one run per server."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from inspector.training.config import MAX_SEED
from inspector.training.device import default_sizes, pick_device
from inspector.training.plan import RunChoices, default_config, plan_config, plan_models, size_models
from inspector.ui import notebook_code as nb
from inspector.ui.background import RunSnapshot, prepare_run
from inspector.ui.common import current_configs, intro, notebook_code, notice
from inspector.ui.gan_game import gan_game_section
from inspector.ui.training import session_owner, shared_runner

RUN_PREFIX = "pix2pix-app-"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp", "zip"]
POLL_S = 1.5  # seconds between redraws of the live view while training
MAX_POINTS = 600  # points per curve: long runs are thinned so that a redraw stays cheap

intro(
    "Train",
    "Train the colorization GAN for a few minutes and watch it learn. Each step the **discriminator** sees real "
    "(L, ab) pairs and generated ones, and the **generator** is pushed to fool it while staying close to the true "
    "colours (GAN loss + lambda x L1, Adam 2e-4, betas 0.5/0.999, as in the paper). The images stay on the training "
    "device as bytes; every step cuts random crops, flips them and converts them to Lab there.",
)

g_side, d_side = current_configs()
ss = st.session_state
runner = shared_runner()
owner = session_owner()
device = pick_device()
sizes = default_sizes(device)
defaults = default_config(device)  # the planner's defaults, the same as the CLI's

# A full rerun of this page (any setting changed) stops this session's run cleanly: only the
# live view below reruns on its own while training, and the Start click itself is exempt.
snap = runner.snapshot()
if snap.active and snap.owner == owner and not ss.get("train.start_btn"):
    with st.spinner("Stopping the run (saving a checkpoint)..."):
        runner.stop(owner, wait=True)
    ss["train.notice"] = "The page was rerun, so the run stopped after its current step; its checkpoint is saved."
    snap = runner.snapshot()
if not snap.active:
    ss.pop("train.watching", None)
if message := ss.pop("train.notice", None):
    st.info(message)
busy = runner.busy_for(owner)
if busy:
    st.warning(
        f"The trainer is busy: another session is training (step {snap.step} of {snap.total_steps}). This server "
        "trains one model at a time; try again when that run ends."
    )

# ------------------------------------------------------------------------------------- settings
data_col, model_col = st.columns(2)
uploads: list[tuple[str, bytes]] | None = None
with data_col:
    st.subheader("Data")
    source = st.radio(
        "Images",
        ["samples", "upload"],
        format_func={"samples": "scikit-image's sample photos (no download)", "upload": "My images or a zip"}.get,
        key="train.source",
    )
    if source == "upload":
        files = st.file_uploader("Images, or zip files of images", type=UPLOAD_TYPES, accept_multiple_files=True,
                                 key="train.files", help="Corrupt, tiny, huge and duplicate files are skipped and "
                                 "listed; nothing is written to disk.")
        uploads = [(f.name, f.getvalue()) for f in files or []]
    st.caption("A fifth of the images are held out: the sample grids show those, never a training image.")

with model_col:
    st.subheader("Model")
    sidebar = RunChoices(models=(g_side, d_side), device_sized=False)
    small_error = None
    try:
        size_models(replace(sidebar, device_sized=True), device)
    except ValueError as exc:  # UserError: these settings have no variant at the device's size
        small_error = str(exc)
    options = ["small", "sidebar"] if small_error is None else ["sidebar"]
    choice = st.radio(
        "Size",
        options,
        index=0 if device.type != "cuda" and small_error is None else len(options) - 1,
        format_func={
            "small": f"Sized for this {device.type.upper()}: ngf {sizes.ngf}, depth {sizes.depth}, "
            f"{sizes.size}x{sizes.size} (the sidebar's preset otherwise)",
            "sidebar": f"The sidebar's settings: ngf {g_side.ngf}, depth {g_side.depth}, "
            f"{g_side.input_size}x{g_side.input_size}",
        }.get,
        key="train.model",
        help="A CPU trains the full 256x256 model at a few images per second; the small one shows progress "
        "within a minute.",
    )
    if small_error:
        st.caption(f"No small variant of these settings: {small_error}")
    st.caption(f"Training on **{device}**" + (" with bf16 autocast and channels_last." if device.type == "cuda"
                                              else " in float32."))

c1, c2, c3 = st.columns(3)
steps = c1.number_input("Steps", 1, 1_000_000, value=defaults.steps, key="train.steps")
batch = c2.number_input("Batch size", 1, 512, value=defaults.batch, key="train.batch")
lambda_l1 = c3.number_input("lambda (weight of L1)", 0.0, 10_000.0, value=defaults.lambda_l1, step=10.0,
                            key="train.lambda")
with st.expander("More settings"):
    m1, m2, m3 = st.columns(3)
    warmup = m1.number_input("L1-only warm-up steps", 0, 1_000_000, value=defaults.l1_warmup_steps,
                             key="train.warmup", help="G learns from L1 alone for these first steps (D still trains).")
    smoothing = m2.number_input("Label smoothing", 0.0, 0.45, value=defaults.label_smoothing, step=0.05,
                                key="train.smoothing", help="One-sided: D's target for real pairs is 1 - this.")
    seed = m3.number_input("Seed", 0, MAX_SEED, value=defaults.seed, key="train.seed")
    sample_every = m1.number_input("Sample grid every (steps)", 1, 100_000, value=defaults.sample_every,
                                   key="train.sample_every")
    lr = m2.number_input("Learning rate", 1e-6, 1e-1, value=defaults.lr, format="%.1e", key="train.lr")

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
try:  # the checks of the planner that need no images; the images are loaded after Start
    plan_models(choices, device)
    plan_config(choices, device)
except ValueError as exc:  # UserError
    problem = str(exc)
    st.error(problem)
if source == "upload" and not uploads:
    problem = problem or "upload some images first"

if st.button("Start training", type="primary", key="train.start_btn", disabled=busy or snap.active or bool(problem)):
    old = snap.run_dir
    if old is not None and old.name.startswith(RUN_PREFIX) and old.exists():
        shutil.rmtree(old, ignore_errors=True)  # the previous app run of this server: superseded
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    if runner.start(owner, prepare_run(replace(choices, out=run_dir)), run_dir):
        ss["train.watching"] = runner.snapshot().run_id
    else:
        st.warning("Another session started training a moment ago: the trainer is busy.")
    snap = runner.snapshot()


# ------------------------------------------------------------------------------------- live view
def _charts(s: RunSnapshot) -> None:
    rows = s.metrics[:: max(len(s.metrics) // MAX_POINTS, 1)]
    frame = pd.DataFrame(list(rows)).set_index("step")
    left, mid, right = st.columns(3)
    with left:
        st.markdown("**Adversarial losses** (BCE)")
        st.line_chart(frame[["G_GAN", "D_real", "D_fake"]], height=220)
    with mid:
        st.markdown("**G's L1** (mean |ab error|)")
        st.line_chart(frame[["G_L1"]], height=220)
    with right:
        st.markdown("**D(real) and D(fake)** (mean probability)")
        st.line_chart(frame[["D(real)", "D(fake)"]], height=220)


def _result(s: RunSnapshot) -> None:
    if s.error:
        st.error(s.error)
        return
    r = s.result
    if r is None:
        return
    show = {"completed": st.success, "stopped": st.info, "diverged": st.error, "out_of_memory": st.error}[r.status]
    show(r.message.replace(str(r.checkpoint), "the checkpoint below") if r.checkpoint else r.message)
    if r.checkpoint is not None and Path(r.checkpoint).exists():
        st.download_button(
            f"Download the checkpoint (step {r.checkpoint_step}, .safetensors)",
            data=Path(r.checkpoint).read_bytes(),
            file_name=f"pix2pix-step{r.checkpoint_step}.safetensors",
            mime="application/octet-stream",
            on_click="ignore",
            key="train.download",
        )
        st.caption("Weights, optimizer state and settings in one file. Open the **Colorize** page to try it on a "
                   "photo, or upload it there later.")


def live_view() -> None:
    s = runner.snapshot()
    if s.owner != owner or s.state == "idle":
        return
    runner.heartbeat(owner)
    if s.state == "preparing":
        st.info("Loading the images and building the models...")
    if s.total_steps:
        done = (s.step - s.start_step) / max(s.total_steps - s.start_step, 1)
        st.progress(min(max(done, 0.0), 1.0), text=f"Step {s.step} of {s.total_steps}")
    if s.active:
        st.button("Stop", key="train.stop_btn", on_click=runner.stop, kwargs={"owner": owner, "wait": True},
                  help="Stops after the current step and saves a checkpoint.")
    if s.metrics:
        last = s.metrics[-1]
        k1, k2, k3, k4 = st.columns(4)
        k1.metric("Images / s", f"{last['images_per_s']:.1f}")
        k2.metric("Memory (MiB)", f"{last['memory_mb']:.0f}")
        k3.metric("D(real)", f"{last['D(real)']:.2f}")
        k4.metric("D(fake)", f"{last['D(fake)']:.2f}")
        _charts(s)
    if s.sample is not None:
        st.image(s.sample.grid, caption=f"Step {s.sample.step}: L input | generated | ground truth "
                 "(held-out images)", width=min(3 * 256, s.sample.grid.shape[1] * 2))
    if s.notes:
        with st.expander(f"{len(s.notes)} file(s) skipped"):
            st.markdown("\n".join(f"- {n}" for n in s.notes))
    if not s.active:
        _result(s)
        if ss.pop("train.watching", None) is not None:
            st.rerun()  # the run ended during a poll: redraw the whole page once, without polling


st.fragment(run_every=POLL_S if snap.active and snap.owner == owner else None)(live_view)()

notice(
    [
        "D(real) and D(fake) start near 0.5. If D wins outright (D(real) near 1, D(fake) near 0), G's GAN loss "
        "grows and its gradients carry little information; the halved D loss and lambda = 100 keep the game balanced.",
        "G_L1 falls first: L1 alone gives plausible but greyish, averaged colours. The GAN term is what pushes toward "
        "saturated, sharper colours, at the price of noisier curves.",
        "The grids show held-out images in eval mode (BatchNorm's running statistics, no dropout).",
    ]
)
notebook_code(nb.DATASET + "\n" + nb.DATALOADER, "ColorizationDataset and DataLoader (what this page replaces)")

gan_game_section()

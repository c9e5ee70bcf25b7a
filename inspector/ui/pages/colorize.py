"""Colorize: a photo, made grey, coloured by a trained or uploaded checkpoint."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import streamlit as st

from inspector.data.image_set import SAMPLE_FILES
from inspector.data.images import load_image
from inspector.errors import UserError
from inspector.training.colorize import colorize, load_generator
from inspector.ui import notebook_code as nb
from inspector.ui.common import current_generator, intro, notebook_code, notice
from inspector.ui.training import session_owner, shared_runner

MAX_CHECKPOINT_MB = 64  # the server's upload cap (.streamlit/config.toml); a CPU-sized model is ~10 MB
MAX_PHOTO_MB = 20
CHECKPOINT_TYPES = ["safetensors", "pt", "pth", "bin", "ckpt"]
PHOTO_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"]

intro(
    "Colorize",
    "Give the generator a photo. It is made grey first (only its lightness L is kept), the generator predicts the "
    "two colour channels a and b at its training size, and those are scaled up and joined with the photo's own "
    "full-resolution L. Use the checkpoint of your run on the **Train** page, or upload one.",
)
owner = session_owner()
notice(
    [
        "The generator never sees colour: the photo is converted to Lab and only L goes in, normalized as the "
        "notebook's dataset does (L / 50 - 1). What comes out is ab / 110, scaled back and joined with L.",
        "So the colorized photo keeps every edge and shadow of the original; only the hues are the model's guess.",
    ],
    title="What happens here",
)
notebook_code(nb.DATASET, "ColorizationDataset: the L / ab normalization that colorizing undoes")

# --------------------------------------------------------------------------------- checkpoint
snap = shared_runner().snapshot()
mine = snap.owner == owner and snap.result is not None and snap.result.checkpoint is not None
last = Path(snap.result.checkpoint) if mine and snap.result else None
options = (["last"] if last is not None and last.exists() else []) + ["upload"]
source = st.radio(
    "Checkpoint",
    options,
    format_func={"last": f"My last training run (step {snap.result.checkpoint_step if mine else 0})",
                 "upload": "Upload a checkpoint"}.get,
    key="colorize.source",
    horizontal=True,
)
checkpoint: bytes | Path | None = None
name = None
if source == "last":
    checkpoint, name = last, last.name if last else None
else:
    up = st.file_uploader(
        "A checkpoint: .safetensors from the Train page or the CLI, or a PyTorch .pt/.pth of plain tensors",
        type=CHECKPOINT_TYPES, key="colorize.checkpoint", max_upload_size=MAX_CHECKPOINT_MB,
        help="Never unpickled: safetensors holds only tensors, and .pt files are read with weights_only=True, "
        "which refuses anything that would run code.",
    )
    if up is not None:
        checkpoint, name = up.getvalue(), up.name
use_sidebar = st.checkbox(
    "Load it into the sidebar's architecture",
    key="colorize.sidebar",
    help="Needed for bare weights (a .pt state dict has no settings); otherwise the checkpoint's own settings are "
    "used. A checkpoint of another architecture is refused with the keys that do not fit.",
)
if checkpoint is None:
    st.info("Train a model on the **Train** page, or upload a checkpoint, to colorize a photo.")
    st.stop()
g_side = current_generator() if use_sidebar else None  # the sidebar matters only when chosen
try:
    generator, ckpt = load_generator(checkpoint, name=name, generator_config=g_side)
except UserError as exc:
    st.error(f"This checkpoint cannot be used: {exc}")
    st.stop()
g = ckpt.generator_config
st.caption(f"Generator: ngf {g.ngf}, depth {g.depth}, {g.input_size}x{g.input_size}, "
           f"{sum(p.numel() for p in generator.parameters()):,} parameters, trained for {ckpt.step} steps.")

# ------------------------------------------------------------------------------------- photo
kind = st.radio("Photo", ["sample", "upload"], key="colorize.photo_source", horizontal=True,
                format_func={"sample": "A sample photo", "upload": "My photo"}.get)
photo: bytes | None = None
photo_name = "photo"
if kind == "sample":
    photo_name = st.selectbox("Sample photo", list(SAMPLE_FILES), key="colorize.sample")
    resource = importlib.resources.files("skimage") / "data" / SAMPLE_FILES[photo_name]
    photo = resource.read_bytes() if resource.is_file() else None
else:
    up_photo = st.file_uploader("A photo", type=PHOTO_TYPES, key="colorize.upload", max_upload_size=MAX_PHOTO_MB)
    if up_photo is not None:
        photo, photo_name = up_photo.getvalue(), up_photo.name
if photo is None:
    st.info("Choose or upload a photo.")
    st.stop()
try:
    image = load_image(photo, photo_name)
except UserError as exc:
    st.error(str(exc))
    st.stop()
try:
    with st.spinner("Colorizing..."):
        result = colorize(generator, image)
except (RuntimeError, ValueError) as exc:  # e.g. out of memory on a huge model: a message, never a traceback
    st.error(f"Colorizing failed: {exc}")
    st.stop()
grey_col, colour_col, original_col = st.columns(3)
grey_col.image(result.grey, caption="What the generator sees: L only", width="stretch")
colour_col.image(result.colour, caption="Colorized: the photo's L + predicted ab", width="stretch")
original_col.image(result.original, caption="The original", width="stretch")
notice(
    [
        "A briefly trained model mostly learns the safe average: sky-ish blues above, browns and greens below, "
        "muted everywhere. Longer training and more images give bolder colours.",
        f"The generator ran at {result.model_size}x{result.model_size}; colour edges are soft because ab was scaled "
        "up from there, while the detail is the original's own lightness.",
    ]
)

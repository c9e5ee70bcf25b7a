"""Colorize: a photo, made grey, coloured by a trained or uploaded checkpoint."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from inspector.data.images import PHOTO_TYPES, load_image
from inspector.data.samples import SAMPLE_FILES, sample_photo
from inspector.errors import UserError
from inspector.training.checkpoint import CHECKPOINT_TYPES, EXPORT_FILE
from inspector.training.colorize import colorize, load_generator
from inspector.training.upload_limits import (
    MAX_PHOTO_MB,
    checkpoint_upload_limit_bytes,
    server_upload_limit_mb,
)
from inspector.ui import notebook_code as nb
from inspector.ui.common import current_generator, intro, notebook_code, notice
from inspector.ui.i18n import _, reason
from inspector.ui.training import my_last_checkpoint, runs_folder

SOURCE_KEY = "colorize.source"
RUN_KEY = "colorize.run"  # the Train page's "Colorize with" sets it
MiB = 1024 * 1024

intro(
    _("Colorize"),
    _("Give the generator a photo. It is made grey first (only its lightness L is kept), the generator predicts "
      "the two colour channels a and b at its training size, and those are scaled up and joined with the photo's "
      "own full-resolution L. Use a run of the **Train** page, or upload a checkpoint."),
)  # fmt: skip
ss = st.session_state
notice(
    [
        _("The generator never sees colour: the photo is converted to Lab and only L goes in, normalized as the "
          "notebook's dataset does (L / 50 - 1). What comes out is ab / 110, scaled back and joined with L."),
        _("So the colorized photo keeps every edge and shadow of the original; only the hues are the model's "
          "guess."),
    ],
    title=_("What happens here"),
)  # fmt: skip
notebook_code(nb.DATASET, _("ColorizationDataset: the L / ab normalization that colorizing undoes"))

# --------------------------------------------------------------------------------- checkpoint
mine = my_last_checkpoint()
last, last_step = mine if mine is not None else (None, 0)
runs = [r for r in runs_folder().list_runs() if r.export is not None or r.checkpoint is not None]
options = (["last"] if last is not None and last.exists() else []) + (["run"] if runs else []) + ["upload"]
if ss.get(SOURCE_KEY) not in options:
    ss.pop(SOURCE_KEY, None)
source_labels = {
    "last": _("My last training run (step {step})", step=last_step),
    "run": _("A run from the runs folder"),
    "upload": _("Upload a checkpoint"),
}
source = st.radio(_("Checkpoint"), options, format_func=source_labels.get, key=SOURCE_KEY, horizontal=True)
checkpoint: bytes | Path | None = None
name = None
if source == "last" and last is not None:
    export = last.with_name(EXPORT_FILE)
    checkpoint = export if export.exists() else last  # the export: the same weights, a sixth of the bytes
    name = checkpoint.name
elif source == "run":
    names = [r.name for r in runs]
    if ss.get(RUN_KEY) not in names:
        ss[RUN_KEY] = names[0]
    chosen = runs[names.index(str(st.selectbox(_("Run"), names, key=RUN_KEY)))]
    checkpoint = chosen.export or chosen.checkpoint
    name = checkpoint.name if checkpoint is not None else None
else:
    limit = checkpoint_upload_limit_bytes()
    up = st.file_uploader(
        _("A checkpoint: the full checkpoint or the generator export from the Train page or the CLI "
          "(.safetensors), or a PyTorch .pt/.pth of plain tensors; up to {limit} MiB",
          limit=limit // MiB),
        type=list(CHECKPOINT_TYPES), key="colorize.checkpoint", max_upload_size=server_upload_limit_mb(),
        help=_("Never unpickled: safetensors holds only tensors, and .pt files are read with weights_only=True, "
               "which refuses anything that would run code."),
    )  # fmt: skip
    if up is not None:
        if up.size > limit:  # our own sentence, not the server's, for a file just over the limit
            st.error(
                _(
                    "{name} is {size} MiB; this app accepts checkpoints up to {limit} MiB, the largest it can "
                    "write with a margin.",
                    name=up.name,
                    size=f"{up.size / MiB:.1f}",
                    limit=limit // MiB,
                )
            )
            st.stop()
        checkpoint, name = up.getvalue(), up.name
use_sidebar = st.checkbox(
    _("Load it into the sidebar's architecture"),
    key="colorize.sidebar",
    help=_(
        "Needed for bare weights (a .pt state dict has no settings); otherwise the checkpoint's own settings "
        "are used. A checkpoint of another architecture is refused with the keys that do not fit."
    ),
)
if checkpoint is None:
    st.info(_("Train a model on the **Train** page, or upload a checkpoint, to colorize a photo."))
    st.stop()
g_side = current_generator() if use_sidebar else None  # the sidebar matters only when chosen
try:
    generator, ckpt = load_generator(checkpoint, name=name, generator_config=g_side)
except UserError as exc:
    st.error(_("This checkpoint cannot be used: {reason}", reason=reason(exc)))
    st.stop()
g = ckpt.generator_config
st.caption(_("Generator: ngf {ngf}, depth {depth}, {size}x{size}, {params} parameters, trained for {steps} steps.",
             ngf=g.ngf, depth=g.depth, size=g.input_size, params=f"{sum(p.numel() for p in generator.parameters()):,}",
             steps=ckpt.step))  # fmt: skip

# ------------------------------------------------------------------------------------- photo
photo_labels = {"sample": _("A sample photo"), "upload": _("My photo")}
kind = st.radio(_("Photo"), ["sample", "upload"], key="colorize.photo_source", horizontal=True,
                format_func=photo_labels.get)  # fmt: skip
photo: bytes | None = None
photo_name = "photo"
sample: str | None = None
if kind == "sample":
    sample = str(st.selectbox(_("Sample photo"), list(SAMPLE_FILES), key="colorize.sample"))
else:
    up_photo = st.file_uploader(_("A photo, up to {limit} MiB", limit=MAX_PHOTO_MB), type=list(PHOTO_TYPES),
                                key="colorize.upload", max_upload_size=2 * MAX_PHOTO_MB)  # fmt: skip
    if up_photo is not None:
        if up_photo.size > MAX_PHOTO_MB * MiB:
            st.error(_("{name} is {size} MiB; this app accepts photos up to {limit} MiB.", name=up_photo.name,
                       size=f"{up_photo.size / MiB:.1f}", limit=MAX_PHOTO_MB))  # fmt: skip
            st.stop()
        photo, photo_name = up_photo.getvalue(), up_photo.name
if sample is None and photo is None:
    st.info(_("Choose or upload a photo."))
    st.stop()
try:
    image = sample_photo(sample) if sample is not None else load_image(photo or b"", photo_name)
except UserError as exc:
    st.error(reason(exc))
    st.stop()
try:
    with st.spinner(_("Colorizing...")):
        result = colorize(generator, image)
except (RuntimeError, ValueError) as exc:  # e.g. out of memory on a huge model: a message, never a traceback
    st.error(_("Colorizing failed: {reason}", reason=reason(exc)))
    st.stop()
grey_col, colour_col, original_col = st.columns(3)
grey_col.image(result.grey, caption=_("What the generator sees: L only"), width="stretch")
colour_col.image(result.colour, caption=_("Colorized: the photo's L + predicted ab"), width="stretch")
original_col.image(result.original, caption=_("The original"), width="stretch")
notice(
    [
        _("A briefly trained model mostly learns the safe average: sky-ish blues above, browns and greens below, "
          "muted everywhere. Longer training and more images give bolder colours."),
        _("The generator ran at {size}x{size}; colour edges are soft because ab was scaled up from there, while "
          "the detail is the original's own lightness.", size=result.model_size),
    ],
    title=_("What to notice"),
)  # fmt: skip

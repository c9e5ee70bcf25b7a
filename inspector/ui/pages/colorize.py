"""Colorize: a photo, made grey, coloured by a trained or uploaded checkpoint."""

from __future__ import annotations

import hashlib

import streamlit as st

from inspector.data.images import PHOTO_TYPES
from inspector.data.samples import SAMPLE_FILES
from inspector.errors import UserError
from inspector.training.upload_limits import MAX_PHOTO_MB
from inspector.ui import notebook_code as nb
from inspector.ui.caches.colorize import colorized_pictures
from inspector.ui.common import intro, notebook_code, notice
from inspector.ui.i18n import _, reason
from inspector.ui.model_source import describe, explain_untrained, pick_networks
from inspector.ui.pictures import show

MiB = 1024 * 1024  # the Train page's "Colorize with" sets colorize.source to "run" and colorize.run

intro(
    _("Colorize"),
    _("Give the generator a photo. It is made grey first (only its lightness L is kept), the generator predicts "
      "the two colour channels a and b at its training size, and those are scaled up and joined with the photo's "
      "own full-resolution L. The trained networks that ship with the app colour at once; use a run of the "
      "**Train** page, or upload a checkpoint from anywhere (this app's, the notebook's, the pix2pix reference "
      "code's)."),
)  # fmt: skip
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

# --------------------------------------------------------------------------------- networks
nets = pick_networks("colorize", label=_("Generator"))
st.caption(describe(nets))
explain_untrained("colorize", nets, batch_stats_button=False)
generator = nets.generator

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
photo_key = f"sample:{sample}" if sample is not None else hashlib.sha256(photo or b"").hexdigest()
try:
    result = colorized_pictures(nets.key, generator, photo_key, sample, photo or b"", photo_name)
except UserError as exc:
    st.error(reason(exc))
    st.stop()
except (RuntimeError, ValueError) as exc:  # e.g. out of memory on a huge model: a message, never a traceback
    st.error(_("Colorizing failed: {reason}", reason=reason(exc)))
    st.stop()
grey_col, colour_col, original_col = st.columns(3)
show(grey_col, result.grey, caption=_("What the generator sees: L only"), width="stretch")
show(colour_col, result.colour, caption=_("Colorized: the photo's L + predicted ab"), width="stretch")
show(original_col, result.original, caption=_("The original"), width="stretch")
notice(
    [
        _("A briefly trained model mostly learns the safe average: sky-ish blues above, browns and greens below, "
          "muted everywhere. Longer training and more images give bolder colours."),
        _("The generator ran at {size}x{size}; colour edges are soft because ab was scaled up from there, while "
          "the detail is the original's own lightness.", size=result.model_size),
    ],
    title=_("What to notice"),
)  # fmt: skip

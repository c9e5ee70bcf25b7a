"""Lab colour: one photo split into L, a and b, and the tensors the generator reads and must predict."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from inspector.colour.lab_view import SHOW_LIGHTNESS
from inspector.data.images import ACCEPTED_FORMATS, PHOTO_TYPES
from inspector.data.samples import SAMPLE_FILES
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.training.upload_limits import MAX_PHOTO_MB
from inspector.ui.caches.photos import LAB_SIZE, lab_sample, lab_upload, photo_lab_view
from inspector.ui.common import intro, notebook_code, notice
from inspector.ui.i18n import _, reason, say
from inspector.ui.notebook_code import DATASET
from inspector.ui.pictures import photo, show

SIZE = LAB_SIZE  # the notebook's training size
# The radio's values stay English (links and tests set them); the labels are translated.
LIGHTNESS = format(SHOW_LIGHTNESS, ".0f")  # the L at which a and b are shown alone
SOURCES = {"Sample photo": N_("Sample photo"), "Upload": N_("Upload")}

intro(
    _("Lab colour"),
    _(
        "The notebook does not give the generator an RGB photo. It converts the photo to **CIE Lab**: "
        "**L** is lightness (0 black to 100 white), **a** runs from green to red and **b** from blue to "
        "yellow. The generator reads L, which is the grey photo, and must invent a and b: that is what "
        "colorizing means. Pick a sample photo or upload your own."
    ),
)


source, choice = st.columns([1, 2])
labels = {k: _(v) for k, v in SOURCES.items()}  # looked up now: the labels of this run's language
kind = source.radio(_("Image"), list(SOURCES), format_func=labels.get, horizontal=True, key="lab.source")
if kind == "Sample photo":
    name = choice.selectbox(
        _("Sample photo"),
        list(SAMPLE_FILES),
        key="lab.sample",
        help=_("Colour photos shipped with scikit-image."),
    )
    pixels, photo_key = lab_sample(name), f"sample:{name}"
else:
    upload = choice.file_uploader(
        _("A photo"),
        type=list(PHOTO_TYPES),
        key="lab.upload",
        max_upload_size=MAX_PHOTO_MB,  # the server allows checkpoints of 700 MB; a photo needs far less
        help=_("Accepted formats: {formats}.", formats=", ".join(ACCEPTED_FORMATS)),
    )
    if upload is None:
        st.info(_("Upload a photo to take it apart, or pick a sample photo."))
        st.stop()
    try:
        data = upload.getvalue()
        pixels, photo_key = lab_upload(data, upload.name), "upload:" + hashlib.sha256(data).hexdigest()
    except UserError as error:  # the decoder's reason names the file
        st.error(_("This file cannot be used. {reason}", reason=reason(error)))
        st.stop()

view = photo_lab_view(photo_key, pixels)

st.subheader(_("The photo and its three Lab channels"))
columns = st.columns(4)
show(columns[0], photo(view.rgb), caption=_("RGB, resized and centre-cropped to {size}x{size}", size=SIZE))
show(columns[1], photo(view.lightness), caption=_("L: lightness, the generator's only input"))
show(
    columns[2],
    photo(view.a_only),
    caption=_("a alone (at L = {lightness}): green to red", lightness=LIGHTNESS),
)
show(
    columns[3],
    photo(view.b_only),
    caption=_("b alone (at L = {lightness}): blue to yellow", lightness=LIGHTNESS),
)

st.subheader(_("Ranges: what this photo uses, and what is possible"))
MIN_HERE, MAX_HERE, MIN_POSSIBLE, MAX_POSSIBLE = (
    _("min here"),
    _("max here"),
    _("min possible"),
    _("max possible"),
)
st.dataframe(
    pd.DataFrame(
        {
            _("tensor"): [say(r.tensor) for r in view.ranges],
            _("shape"): [str(r.shape) for r in view.ranges],
            MIN_HERE: [r.observed_min for r in view.ranges],
            MAX_HERE: [r.observed_max for r in view.ranges],
            MIN_POSSIBLE: [r.possible_min for r in view.ranges],
            MAX_POSSIBLE: [r.possible_max for r in view.ranges],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        c: st.column_config.NumberColumn(format="%.2f")
        for c in (MIN_HERE, MAX_HERE, MIN_POSSIBLE, MAX_POSSIBLE)
    },
)
st.caption(
    _(
        "Possible: over every colour sRGB can show. a and b never reach the nominal ±128 of Lab, so "
        "ab/110 stays inside (-1, 1), the range of the generator's final tanh."
    )
)

left, right = st.columns(2)
with left:
    st.markdown(_("**What the generator starts from**"))
    show(None, photo(view.l_only), caption=_("lab2rgb(L, a = 0, b = 0): the input, with no colour at all"))
with right:
    st.markdown(_("**What it must predict: ab/110 for every pixel**"))
    centres = (view.histogram_edges[:-1] + view.histogram_edges[1:]) / 2
    # A Vega-Lite spec as a dict over Arrow: st.bar_chart validated an Altair chart on every view
    # (a third of the page's CPU with a class)
    n = len(centres)
    st.vega_lite_chart(
        pa.table({"value": np.tile(np.round(centres, 2), 2), "pixels": np.concatenate([view.histogram_a,
                  view.histogram_b]), "channel": ["a/110"] * n + ["b/110"] * n}),
        {"mark": {"type": "bar", "opacity": 0.7},
         "encoding": {"x": {"field": "value", "type": "quantitative", "title": _("value")},
                      "y": {"field": "pixels", "type": "quantitative", "title": _("pixels"), "stack": None},
                      "color": {"field": "channel", "type": "nominal", "title": None}}},
        width="stretch",
    )  # fmt: skip
    st.caption(
        _("{share} of the pixels have |a| and |b| below 5: almost grey.", share=format(view.near_grey, ".0%"))
    )

notice(
    [
        _(
            "L alone is the whole photo in grey: shapes, light and shade are all there. Only the colour is missing."
        ),
        _(
            "The notebook scales L to [-1, 1] (L/50 - 1) for the input and a, b by 1/110 for the target, "
            "shaped {l_shape} and {ab_shape} for one image.",
            l_shape=tuple(view.L_input.shape),
            ab_shape=tuple(view.ab_target.shape),
        ),
        _(
            "Most pixels have small a and b: a generator that predicts 0 (grey) everywhere already has a "
            "low L1 loss. That is why early results look sepia, and why pix2pix adds the GAN loss."
        ),
        _("The ranges this photo uses are much narrower than what is possible; vivid colours are rare."),
    ]
)
notebook_code(DATASET, "ColorizationDataset (resize, flip, rgb2lab, L/50 - 1, ab/110)")
st.caption(
    _(
        "Here, as in training, a photo is decoded once, its shorter side resized to {size} (bicubic) "
        "and its centre cut out, where the notebook stretches it to 256x256; the Lab conversion is "
        "batched PyTorch (inspector.colour.lab), checked against scikit-image's rgb2lab.",
        size=SIZE,
    )
)

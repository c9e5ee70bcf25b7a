"""What the "see inside" pages look at: a photo (a sample or an upload) and a pair of networks
(``inspector.ui.model_source``: the trained pair that ships with the app, the untrained one of the
sidebar's settings, a run, or a checkpoint from anywhere).

Every picker returns a hashable key next to its value, so that the pages' cached functions
(``inspector.ui.caches``) are keyed on the photo and the model, never on the widgets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from inspector.data.images import PHOTO_TYPES
from inspector.data.samples import SAMPLE_FILES
from inspector.errors import UserError
from inspector.training.upload_limits import MAX_PHOTO_MB
from inspector.ui.caches.photos import inside_photo
from inspector.ui.i18n import _, reason
from inspector.ui.model_source import Networks, describe, pick_networks

T = TypeVar("T")


def photo_picker(prefix: str, size: int) -> tuple[str, np.ndarray]:
    """(photo key, (3, size, size) uint8): a sample, or an upload validated like the other pages."""
    kind = st.radio(
        _("Photo"),
        ["sample", "upload"],
        key=f"{prefix}.photo_source",
        horizontal=True,
        format_func=lambda v: _("A sample photo") if v == "sample" else _("My photo"),
    )
    if kind == "sample":
        name = st.selectbox(_("Sample photo"), list(SAMPLE_FILES), key=f"{prefix}.sample")
        key, data, file_name = f"sample:{name}", None, str(name)
    else:
        up = st.file_uploader(
            _("A photo"), type=list(PHOTO_TYPES), key=f"{prefix}.upload", max_upload_size=MAX_PHOTO_MB
        )
        if up is None:
            st.info(_("Choose or upload a photo."))
            st.stop()
        raw = up.getvalue()
        key, data, file_name = "upload:" + hashlib.sha256(raw).hexdigest(), raw, up.name
    try:
        return f"{key}@{size}", inside_photo(key, size, data, file_name)
    except UserError as exc:
        st.error(_("This photo cannot be used: {reason}", reason=reason(exc)))
        st.stop()


@dataclass(frozen=True, eq=False)
class Inputs(Generic[T]):
    """What a see-inside page looks at, and the value of the page's own controls."""

    networks: Networks
    controls: T
    photo_key: str
    rgb: np.ndarray  # (3, S, S) uint8
    photo_column: DeltaGenerator  # where the photo was picked: a page may show it there


def pick_inputs(prefix: str, controls: Callable[[], T]) -> Inputs[T]:
    """The networks and the page's own ``controls`` on the left, the photo on the right. The controls
    are drawn before the photo is picked: a page waiting for an upload still shows them."""
    setup, photo_column = st.columns([3, 2])
    with setup:
        networks = pick_networks(prefix)
        st.caption(describe(networks))
        values = controls()
    with photo_column:
        photo_key, rgb = photo_picker(prefix, networks.size)
    return Inputs(networks, values, photo_key, rgb, photo_column)


AUTO_RUN_PARAMS = 5_000_000  # a smaller generator answers in well under a second: no button


def run_on_request(
    prefix: str, networks: Networks, run_key: tuple[object, ...], label: str, wait: str
) -> bool:
    """Whether the page may run the generator now: a small one at once; a large one (the notebook's
    at 256 takes seconds on a CPU) once the button ``label`` was clicked for ``run_key``, and from
    then on for the session (its answer is cached). Until the click, ``wait`` says what it costs."""
    ran: set[tuple[object, ...]] = st.session_state.get(f"{prefix}.ran", set())
    if networks.parameters <= AUTO_RUN_PARAMS or run_key in ran:
        return True
    if st.button(label, type="primary", key=f"{prefix}.run"):
        st.session_state[f"{prefix}.ran"] = ran | {run_key}
        return True
    st.info(wait)
    return False

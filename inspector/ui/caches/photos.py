"""Cached photos: scikit-image's sample photos at a page's size, a learner's upload decoded by the
bounded decoder (``inspector.data.images``), and a photo's Lab view."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from inspector.colour.lab_view import LabView, lab_view
from inspector.data.images import image_to_tensor, load_square
from inspector.data.samples import SAMPLE_FILES, sample_photo
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner

LAB_SIZE = 256  # the notebook's training size


@spinner(N_("Loading the sample photo..."))
@st.cache_data(max_entries=4, show_spinner=False)
def astronaut(size: int) -> np.ndarray:
    """scikit-image's astronaut photo, (size, size, 3) uint8."""
    return np.asarray(sample_photo("astronaut", size))


@st.cache_data(max_entries=len(SAMPLE_FILES), show_spinner=False)
def lab_sample(name: str) -> np.ndarray:
    """A scikit-image sample photo, LAB_SIZE x LAB_SIZE, as a (3, S, S) uint8 array."""
    return image_to_tensor(sample_photo(name, LAB_SIZE)).numpy()


@spinner(N_("Decoding the image..."))
@st.cache_data(max_entries=8, show_spinner=False)
def lab_upload(data: bytes, name: str) -> np.ndarray:
    """An uploaded file, decoded safely (see inspector.data.images). Raises UserError, which is not cached."""
    return load_square(data, name, LAB_SIZE).numpy()


@shared(max_entries=16)
def photo_lab_view(key: str, _pixels: np.ndarray) -> LabView:
    """``lab_view`` of a (3, S, S) uint8 photo, once per photo: ``key`` names it (a sample's name or
    an upload's SHA-256); the pixels are not hashed again on every rerun. Frozen, shared: read only."""
    return lab_view(torch.from_numpy(_pixels))


@spinner(N_("Decoding the photo..."))
@shared(max_entries=16)  # one array for all: never modified by a page
def inside_photo(key: str, size: int, _data: bytes | None = None, name: str = "photo") -> np.ndarray:
    """(3, size, size) uint8 of a sample (``key`` "sample:<name>") or of uploaded ``_data`` (``key``
    its hash). Raises UserError for a file that is not a usable image (not cached)."""
    if key.startswith("sample:"):
        return image_to_tensor(sample_photo(key.removeprefix("sample:"), size)).numpy()
    if _data is None:
        raise UserError("no photo was given")
    return load_square(_data, name, size).numpy()

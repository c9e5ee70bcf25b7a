"""Cached pictures of convolutions: the Conv vs ConvTranspose animations and their frames and GIFs,
the untrained decoders' checkerboard and what makes it, and the discriminator's receptive field."""

from __future__ import annotations

import numpy as np
import streamlit as st

from inspector.conv.animation import ConvAnimation, ConvSettings, conv_animation
from inspector.conv.frame_files import gif_bytes, png_bytes
from inspector.conv.overlap import (
    Checkerboard,
    CheckerboardCause,
    checkerboard,
    checkerboard_causes,
    overlap_map,
)
from inspector.conv.receptive_field import ReceptiveField, receptive_field
from inspector.conv.render import render_frame
from inspector.i18n.catalog import translator
from models import DiscriminatorConfig


@st.cache_resource(max_entries=32, show_spinner=False)
def animation(settings: ConvSettings, seed: int) -> ConvAnimation:
    """The frames of one conv; raises ValueError for settings PyTorch refuses (not cached)."""
    s = settings
    return conv_animation(
        s.in_size, s.kernel, s.stride, s.padding, s.dilation, s.output_padding, s.transposed, seed
    )


@st.cache_resource(max_entries=512, show_spinner=False)
def frame_png(settings: ConvSettings, seed: int, view: str, index: int, lang: str = "en") -> bytes:
    return png_bytes(render_frame(animation(settings, seed), index, view, tr=translator(lang)))


@st.cache_resource(max_entries=16, show_spinner=False)  # the page shows its own, translated spinner
def animation_gif(settings: ConvSettings, seed: int, view: str, lang: str = "en") -> bytes:
    return gif_bytes(animation(settings, seed), view, tr=translator(lang))


@st.cache_resource(max_entries=64, show_spinner=False)
def overlap_counts(
    kernel: int, stride: int, padding: int, in_size: int, output_padding: int = 0
) -> np.ndarray:
    """``overlap_map``: the same array for every session, so its table and chart are made once
    (``ui.derived``). Raises UserError for impossible settings (not cached)."""
    return overlap_map(kernel, stride, padding, in_size, output_padding)


@st.cache_resource(max_entries=32, show_spinner=False)
def flat_response(kernel: int, stride: int, padding: int, in_size: int) -> Checkerboard:
    """Two untrained decoders of two steps on a flat input (see ``inspector.conv.overlap``)."""
    return checkerboard(kernel, stride, padding, in_size)


@st.cache_resource(max_entries=1, show_spinner=False)
def flat_causes() -> tuple[CheckerboardCause, ...]:
    """The flat-input test at k=4 and k=3 (stride 2, padding 1) with random and with uniform weights."""
    return checkerboard_causes()


@st.cache_resource(max_entries=16, show_spinner=False)
def discriminator_field(cfg: DiscriminatorConfig) -> ReceptiveField:
    return receptive_field(cfg)

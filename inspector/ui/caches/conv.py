"""Cached pictures of convolutions: the Conv vs ConvTranspose animations and their frames and GIFs,
the untrained decoders' checkerboard and what makes it, and the discriminator's receptive field."""

from __future__ import annotations

import numpy as np

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
from inspector.i18n.catalog import N_, translator
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models import DiscriminatorConfig


@shared(max_entries=32)
def animation(settings: ConvSettings, seed: int) -> ConvAnimation:
    """The frames of one conv; raises ValueError for settings PyTorch refuses (not cached)."""
    s = settings
    return conv_animation(
        s.in_size, s.kernel, s.stride, s.padding, s.dilation, s.output_padding, s.transposed, seed
    )


@shared(max_entries=512)
def frame_png(settings: ConvSettings, seed: int, view: str, index: int, lang: str = "en") -> bytes:
    return png_bytes(render_frame(animation(settings, seed), index, view, tr=translator(lang)))


@spinner(N_("Rendering the GIF..."))  # only while one renders: a cached GIF shows no spinner
@shared(max_entries=16)
def animation_gif(settings: ConvSettings, seed: int, view: str, lang: str = "en") -> bytes:
    return gif_bytes(animation(settings, seed), view, tr=translator(lang))


@shared(max_entries=64)
def overlap_counts(
    kernel: int, stride: int, padding: int, in_size: int, output_padding: int = 0
) -> np.ndarray:
    """``overlap_map``: the same array for every session, so its table and chart are made once
    (``ui.derived``). Raises UserError for impossible settings (not cached)."""
    return overlap_map(kernel, stride, padding, in_size, output_padding)


@shared(max_entries=32)
def flat_response(kernel: int, stride: int, padding: int, in_size: int) -> Checkerboard:
    """Two untrained decoders of two steps on a flat input (see ``inspector.conv.overlap``)."""
    return checkerboard(kernel, stride, padding, in_size)


@shared(max_entries=1)
def flat_causes() -> tuple[CheckerboardCause, ...]:
    """The flat-input test at k=4 and k=3 (stride 2, padding 1) with random and with uniform weights."""
    return checkerboard_causes()


@shared(max_entries=16)
def discriminator_field(cfg: DiscriminatorConfig) -> ReceptiveField:
    return receptive_field(cfg)

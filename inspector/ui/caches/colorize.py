"""The Colorize page's pictures, made once per (networks, photo) and served to every session.

A view of the page used to decode the photo, run the generator, convert Lab to RGB and encode
three pictures: 160-200 ms of the server's CPU for each of 30 students asking at once. Cached as
encoded bytes (``shared``: frozen, never copied), a view only sends them. The photo is keyed
by its source ("sample:<name>" or the upload's SHA-256); its bytes and the generator travel
unhashed (keyed by ``photo_key`` and ``model_key``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from torch import nn

from inspector.data.images import load_image
from inspector.data.samples import sample_photo
from inspector.i18n.catalog import N_
from inspector.training.colorize import colorize
from inspector.ui.caches.inside import ModelKey
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner

JPEG_QUALITY = 92  # photos: a tenth of a PNG's bytes, no visible loss at the size shown


@dataclass(frozen=True)
class ColorizedPictures:
    """The grey input, the colorization and the original as JPEG bytes, and the side the generator
    ran at."""

    grey: bytes
    colour: bytes
    original: bytes
    model_size: int


def _jpeg(rgb: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> JPEG bytes."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


@spinner(N_("Colorizing..."))
@shared(max_entries=16)
def colorized_pictures(
    model_key: ModelKey, _generator: nn.Module, photo_key: str, sample: str | None, _photo: bytes, name: str
) -> ColorizedPictures:
    """The sample photo ``sample`` (else the uploaded ``_photo``) colorized by ``_generator``.
    Raises UserError for a photo that cannot be read, RuntimeError or ValueError when the
    generator fails (neither is cached)."""
    image = sample_photo(sample) if sample is not None else load_image(_photo, name)
    result = colorize(_generator, image)
    return ColorizedPictures(
        _jpeg(result.grey), _jpeg(result.colour), _jpeg(result.original), result.model_size
    )

"""Pictures a page shows, encoded once: the one owner of turning arrays and PIL images into the
bytes ``st.image`` sends, and of showing them (:func:`show`).

``st.image`` given an array encodes it again on every view (PNG or JPEG, tens of ms for a photo):
with 30 students opening a page at once that was most of the server's CPU on the inside pages.
The results the pages show come from caches (``ui.caches``), so the same array object comes back
view after view: :func:`encoded` keeps its bytes for as long as that object lives
(``ui.derived``). A picture drawn from a result (a heat map of a difference, an overlay at a
slider's position) is keyed by that result and the drawing's own arguments.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Hashable
from typing import Any, Literal

import numpy as np
import streamlit as st
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from inspector.ui.derived import derived

Format = Literal["PNG", "JPEG"]
JPEG_QUALITY = 92  # photos: a fraction of a PNG's bytes, no visible loss at the size shown


def _encode(picture: np.ndarray | Image.Image, fmt: Format) -> bytes:
    """(H, W), (H, W, 3) or (H, W, 4) uint8, or a PIL image -> PNG or JPEG bytes."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.ascontiguousarray(picture))
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format=fmt, **({"quality": JPEG_QUALITY} if fmt == "JPEG" else {}))
    return buf.getvalue()


def encoded(
    source: object,
    draw: Callable[[Any], np.ndarray | Image.Image] | None = None,
    key: Hashable = (),
    fmt: Format = "PNG",
) -> bytes:
    """The bytes of ``draw(source)`` (of ``source`` itself when ``draw`` is None), encoded once per
    live ``source`` object and ``key`` (what else the drawing depends on: a slider, the language;
    ``ui.derived``). A ``source`` that takes no weak reference is encoded every time."""

    def encode(obj: Any) -> bytes:
        return _encode(draw(obj) if draw is not None else obj, fmt)

    return derived(source, encode, key=(getattr(draw, "__qualname__", None), key, fmt))


def photo(source: np.ndarray) -> bytes:
    """A photo (H, W, 3) uint8 as JPEG, once per array."""
    return encoded(source, fmt="JPEG")


def chw_to_hwc(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) -> (H, W, 3): the inside pages' photos as a picture."""
    return rgb.transpose(1, 2, 0)


def show(
    where: DeltaGenerator | None,
    data: bytes,
    caption: str | None = None,
    width: int | Literal["stretch", "content"] = "content",
) -> None:
    """``st.image`` of encoded bytes (in ``where``, a column, or the main area), with their format
    named: left to "auto", Streamlit decodes every PNG without alpha and encodes it again as JPEG,
    on every view (half the Feature maps page's CPU)."""
    fmt: Format = "JPEG" if data[:3] == b"\xff\xd8\xff" else "PNG"
    (where or st).image(data, caption=caption, width=width, output_format=fmt)

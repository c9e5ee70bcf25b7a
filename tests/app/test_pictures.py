"""``ui.pictures.encoded``: a picture is drawn and encoded once per live result and key, and the
bytes are the picture (PNG decodes to the same pixels)."""

from __future__ import annotations

import gc
import io

import numpy as np
from PIL import Image

from inspector.ui import derived, pictures


def test_a_result_is_encoded_once_per_key_and_forgotten_with_it() -> None:
    values = np.random.default_rng(0).random((8, 8))
    calls: list[tuple[int, ...]] = []

    def draw(a: np.ndarray) -> np.ndarray:
        calls.append(a.shape)
        return (a * 255).astype(np.uint8)

    first = pictures.encoded(values, draw, key=1)
    assert pictures.encoded(values, draw, key=1) is first and len(calls) == 1  # the same bytes, no redraw
    pictures.encoded(values, draw, key=2)
    assert len(calls) == 2  # another key draws again
    decoded = np.asarray(Image.open(io.BytesIO(first)))
    np.testing.assert_array_equal(decoded, (values * 255).astype(np.uint8))
    ident = id(values)
    assert sum(k[0] == ident for k in derived._memo) == 2
    del values
    gc.collect()
    assert not any(k[0] == ident for k in derived._memo)  # both keys left with their result


def test_photos_are_jpeg_and_an_unreferenceable_source_is_encoded_each_time() -> None:
    rgb = np.full((16, 16, 3), 200, np.uint8)
    assert pictures.photo(rgb)[:3] == b"\xff\xd8\xff"  # JPEG
    image = Image.new("RGB", (4, 4))  # PIL images take weak references too; a tuple does not
    assert pictures.encoded(image)[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = ((0, 0, 0),)
    a = pictures.encoded(pixels, lambda p: np.zeros((2, 2), np.uint8))
    b = pictures.encoded(pixels, lambda p: np.zeros((2, 2), np.uint8))
    assert a == b and a is not b

"""The pictures: per-channel scaling, one row per map, the verdict overlay's field box."""

from __future__ import annotations

import numpy as np
import torch

from inspector.inside.features import feature_maps
from inspector.inside.pictures import (
    GAP,
    LINE,
    channel_image,
    feature_grid,
    heatmap,
    map_label,
    verdict_overlay,
)
from inspector.inside.verdict import patch_verdict
from models import build_discriminator, build_generator, init_weights, preset


def test_channel_image_uses_its_own_range() -> None:
    tile = np.asarray(channel_image(np.array([[1e-6, 2e-6], [3e-6, 4e-6]]), 4))
    assert tile.shape == (4, 4) and tile.min() == 0 and tile.max() == 255  # a weak channel still shows
    assert np.asarray(channel_image(np.full((3, 3), 7.0), 6)).max() == 0  # flat: black, no division by 0
    assert heatmap(np.array([[0.0, 1.0]])).shape == (1, 2, 3)


def test_feature_grid_has_a_row_per_map() -> None:
    g = init_weights(build_generator(preset("notebook")[0].replace(ngf=4, depth=5, input_size=32)), seed=0)
    maps = feature_maps(g, torch.zeros(1, 1, 32, 32))
    sheet = feature_grid(maps, n=4, tile=20)
    # a row is as tall as its tiles or its label's lines (a cat's label has three), and a gap above and below
    assert sheet.height == sum(max(20, len(map_label(m)) * LINE) + 2 * GAP for m in maps)


def test_verdict_overlay_draws_the_field() -> None:
    d = build_discriminator(preset("notebook")[1].replace(ndf=2, input_size=128))
    v = patch_verdict(d, torch.zeros(1, 1, 128, 128), torch.zeros(1, 2, 128, 128))
    photo = np.zeros((128, 128, 3), np.uint8)
    picture = np.asarray(verdict_overlay(photo, v, cell=(1, 1), side=128))
    words = picture.shape[0] - 128  # the lines above the photo
    assert picture.shape[1:] == (128, 3) and words >= 2 * LINE
    top, left = (int(c) for c in v.boxes[1, 1, :2])
    assert tuple(picture[words + top, left + 2]) == (
        255,
        255,
        255,
    )  # the white outline of cell (1, 1)'s field


def test_the_verdict_overlay_speaks_the_translators_language() -> None:
    """English by default (the CLI's picture); Korean words through ``tr`` in NanumGothic, the
    picture itself unchanged."""
    from inspector.i18n.catalog import translator

    d = build_discriminator(preset("notebook")[1].replace(ndf=2, input_size=128))
    v = patch_verdict(d, torch.zeros(1, 1, 128, 128), torch.zeros(1, 2, 128, 128))
    photo = np.zeros((128, 128, 3), np.uint8)
    english = np.asarray(verdict_overlay(photo, v, side=128))
    assert np.array_equal(english, np.asarray(verdict_overlay(photo, v, side=128, tr=translator("en"))))
    korean = np.asarray(verdict_overlay(photo, v, side=128, tr=translator("ko")))
    assert np.array_equal(korean[-128:], english[-128:])  # the photo and its tint
    ko_words, en_words = korean[: korean.shape[0] - 128], english[: english.shape[0] - 128]
    assert ko_words.shape != en_words.shape or not np.array_equal(ko_words, en_words)  # the words above it
    assert (ko_words < 128).any()  # drawn, not left blank


def test_the_pictures_are_readable_at_the_size_the_app_shows_them() -> None:
    """Feature grid in a half-width column (trained beside untrained) and the whole main area, the
    verdict overlay (420 px, stretched to a half column), in both languages: every word at 12 px or
    more as shown, none past the picture's edge; a narrow grid gets smaller tiles, not smaller words."""
    from inspector.i18n.catalog import translator
    from tests.readable import COLUMN_PX, MAIN_PX, MIN_PX, drawn_words, shown_px

    g = init_weights(build_generator(preset("notebook")[0].replace(ngf=8, depth=6, input_size=64)), seed=0)
    maps = feature_maps(g, torch.zeros(1, 1, 64, 64))
    for width, n in ((COLUMN_PX, 8), (COLUMN_PX, 16), (MAIN_PX, 16)):
        with drawn_words() as words:
            sheet = feature_grid(maps, n=n, tile=56, max_width=width)
        assert sheet.width <= width and words
        assert all(shown_px(w, width) >= MIN_PX and w.right <= sheet.width + 1 for w in words)
    d = build_discriminator(preset("notebook")[1].replace(ndf=2, input_size=128))
    v = patch_verdict(d, torch.zeros(1, 1, 128, 128), torch.zeros(1, 2, 128, 128))
    for lang in ("en", "ko"):
        with drawn_words() as words:
            picture = verdict_overlay(np.zeros((128, 128, 3), np.uint8), v, side=420, tr=translator(lang))
        stretched = [w.px * COLUMN_PX / picture.width for w in words]  # st.image(width="stretch")
        assert min(stretched) >= MIN_PX and all(w.right <= picture.width + 1 for w in words)

"""The pictures: per-channel scaling, one row per map, the verdict overlay's field box."""

from __future__ import annotations

import numpy as np
import torch

from inspector.inside.features import feature_maps
from inspector.inside.pictures import channel_image, feature_grid, heatmap, verdict_overlay
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
    assert sheet.height == len(maps) * (20 + 8)


def test_verdict_overlay_draws_the_field() -> None:
    d = build_discriminator(preset("notebook")[1].replace(ndf=2, input_size=128))
    v = patch_verdict(d, torch.zeros(1, 1, 128, 128), torch.zeros(1, 2, 128, 128))
    photo = np.zeros((128, 128, 3), np.uint8)
    picture = np.asarray(verdict_overlay(photo, v, cell=(1, 1), side=128))
    assert picture.shape == (128 + 30, 128, 3)
    top, left = (int(c) for c in v.boxes[1, 1, :2])
    assert tuple(picture[30 + top, left + 2]) == (255, 255, 255)  # the white outline of cell (1, 1)'s field


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
    assert np.array_equal(korean[30:], english[30:])  # the photo and its tint
    assert not np.array_equal(korean[:30], english[:30])  # the words above it
    assert (korean[:30] < 128).any()  # drawn, not left blank

"""Receptive fields: the layer walk against a gradient oracle, and the paper's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from inspector.conv.receptive_field import field_overlay, gradient_field, receptive_field
from inspector.data.samples import sample_photo
from models import DiscriminatorConfig, build_discriminator, build_generator, preset


@pytest.mark.parametrize(
    ("name", "size", "grid", "jump"),
    [("pix2pix", 70, 30, 8), ("notebook", 94, 8, 32), ("notebook-as-written", 94, 8, 32)],
)
def test_the_presets(name: str, size: int, grid: int, jump: int) -> None:
    rf = receptive_field(preset(name)[1])
    assert (rf.size, rf.grid, rf.jump, rf.input_size) == (size, grid, jump, 256)
    assert [layer.rf for layer in rf.layers][:3] == [4, 10, 22]
    # Its own model walks to the same numbers as the config.
    assert receptive_field(build_discriminator(preset(name)[1].replace(ndf=2)), 256).size == size


def _bbox(mask: torch.Tensor) -> tuple[int, int, int, int]:
    ys, xs = torch.nonzero(mask, as_tuple=True)
    return (int(ys.min()), int(xs.min()), int(ys.max()), int(xs.max()))


@pytest.mark.parametrize(
    "cfg",
    [
        DiscriminatorConfig(ndf=4, input_size=96),  # 70x70 PatchGAN
        DiscriminatorConfig(ndf=4, last_stride=2, end_bias=False, input_size=128),  # the notebook's
        DiscriminatorConfig(ndf=4, n_layers=2, norm="none", input_size=48),
        DiscriminatorConfig(ndf=4, n_layers=4, last_stride=2, input_size=128),
    ],
)
def test_walk_matches_backprop(cfg: DiscriminatorConfig) -> None:
    rf = receptive_field(cfg)
    model = build_discriminator(cfg)
    g = rf.grid
    assert g is not None and g == cfg.output_size
    for row, col in {(0, 0), (g // 2, g // 2), (g - 1, g - 1), (0, g - 1)}:
        mask = gradient_field(model, (1, cfg.in_channels, cfg.input_size, cfg.input_size), row, col)
        assert _bbox(mask) == rf.field(row, col)
        top, left, bottom, right = rf.field(row, col)
        # Every pixel of the (clipped) square reaches the cell, none outside it does.
        assert int(mask.sum()) == (bottom - top + 1) * (right - left + 1)


def test_instance_norm_reaches_beyond_the_conv_field() -> None:
    # InstanceNorm divides by statistics of the whole map, so every pixel moves every output a
    # little: the conv field is the field of the local computation, and the oracle shows why.
    cfg = DiscriminatorConfig(ndf=4, norm="instance", input_size=96)
    mask = gradient_field(build_discriminator(cfg), (1, 3, 96, 96), 5, 5)
    assert bool(mask.all()) and receptive_field(cfg).size == 70


def test_any_chain_of_convs_and_pools() -> None:
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2, 2, 3, dilation=2),
        nn.AvgPool2d(3, stride=2),
        nn.Conv2d(2, 1, 1),
    )
    rf = receptive_field(net, 40)
    # 3 -> 4 (pool 2) -> 4 + 4*2 = 12 (dilated 3 spans 5) -> 12 + 2*2 = 16 (avg 3 at jump 2) -> 16 (1x1)
    assert [layer.rf for layer in rf.layers] == [3, 4, 12, 16, 16] and rf.jump == 4
    mask = gradient_field(net.double(), (1, 1, 40, 40), 2, 3)
    assert _bbox(mask) == rf.field(2, 3)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="upsamples"):
        receptive_field(build_generator(preset("notebook")[0].replace(ngf=2)))
    with pytest.raises(ValueError, match="expected a discriminator"):
        receptive_field(preset("notebook")[0])  # a GeneratorConfig
    with pytest.raises(ValueError, match="too small"):
        receptive_field(DiscriminatorConfig(), input_size=16)
    rf = receptive_field(preset("pix2pix")[1])
    with pytest.raises(ValueError, match="outside the 30x30"):
        rf.field(30, 0)
    assert rf.field(0, 0, clip=False) == (-23, -23, 46, 46)


def test_field_drawn_over_the_sample_photo() -> None:
    photo = np.asarray(sample_photo("astronaut", 256))
    assert photo.shape == (256, 256, 3) and photo.dtype == np.uint8
    rf = receptive_field(preset("notebook")[1])
    img = np.asarray(field_overlay(photo, rf, 4, 4, neighbour=False, side_px=256))
    margin = (img.shape[0] - 256) // 2
    top, left, _, right = rf.field(4, 4)  # (97, 97, 190, 190)
    red = img[margin + top, margin + (left + right) // 2]  # on the field's top edge
    assert red[0] > 200 and red[1] < 80 and red[2] < 80
    # Inside the field the photo is at full brightness, outside it is dimmed.
    inside = img[margin + 140, margin + 140].astype(int)
    outside = img[margin + 20, margin + 140].astype(int)
    assert np.abs(inside - photo[140, 140]).max() <= 3
    assert outside.sum() < photo[20, 140].astype(int).sum() * 0.6
    with pytest.raises(ValueError, match="computed for 256"):
        field_overlay(np.asarray(sample_photo("astronaut", 128)), rf, 0, 0)

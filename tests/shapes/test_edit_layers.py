"""layer_channels / with_channels, and the rule that a norm layer has one channel count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inspector.shapes.edit_layers import layer_channels, with_channels
from models import build, preset


def test_only_norms_have_a_single_count() -> None:
    layers = layer_channels(build(preset("notebook")[1], device="meta"))
    assert [(x.name, x.single_count) for x in layers[:3]] == [
        ("model.0", False),
        ("model.2", False),
        ("model.3", True),  # BatchNorm2d(128)
    ]


@pytest.mark.parametrize(
    ("name", "edit", "meant"),
    [
        ("model.3", (64, 128), (64, 64)),  # a norm: the number the user changed counts for both
        ("model.3", (128, 64), (64, 64)),
        ("model.3", (128, 128), (128, 128)),
        ("model.2", (3, 128), (3, 128)),  # a conv: in and out as given
    ],
)
def test_an_edit_means_what_the_layer_can_take(
    name: str, edit: tuple[int, int], meant: tuple[int, int]
) -> None:
    layer = {x.name: x for x in layer_channels(build(preset("notebook")[1], device="meta"))}[name]
    assert layer.edited(*edit) == meant


def test_an_edited_norm_is_rebuilt_with_its_one_count() -> None:
    model = build(preset("notebook")[1], device="meta")
    layer = {x.name: x for x in layer_channels(model)}["model.3"]
    edited = with_channels(model, {"model.3": layer.edited(64, 128)})
    norm = dict(edited.named_modules())["model.3"]
    assert isinstance(norm, nn.BatchNorm2d) and norm.num_features == 64
    assert norm.weight.device == torch.device("meta")

"""Shape and layer text, and the top-level-block rule shared by the tracer and the summaries."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inspector.shapes.blocks import top_level_blocks
from inspector.shapes.labels import describe_layer, fmt_chw, fmt_shape, fmt_value
from inspector.shapes.summary import block_params
from inspector.shapes.trace import trace
from models import build_discriminator, build_generator, preset


def test_shape_text() -> None:
    assert fmt_shape((1, 512, 2, 2)) == "1x512x2x2" == fmt_shape(torch.Size([1, 512, 2, 2]))
    assert fmt_shape(None) == "--"
    assert fmt_chw((1, 512, 2, 2)) == "512x2x2" and fmt_chw((10,)) == "10" and fmt_chw(None) == "?"
    assert [fmt_value(v) for v in ((1, 3), 64, None)] == ["1x3", "64", "--"]


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (nn.Conv2d(3, 64, 4), "Conv2d(3, 64)"),
        (nn.ConvTranspose2d(1024, 512, 4), "ConvTranspose2d(1024, 512)"),
        (nn.BatchNorm2d(128), "BatchNorm2d(128)"),
        (nn.InstanceNorm2d(8), "InstanceNorm2d(8)"),
        (nn.GroupNorm(32, 256), "GroupNorm(32, 256)"),
        (nn.Linear(512, 10), "Linear(512, 10)"),
        (nn.LeakyReLU(0.2), "LeakyReLU"),
        (None, "?"),
    ],
)
def test_describe_layer(module: nn.Module | None, text: str) -> None:
    assert describe_layer(module) == text


def test_one_block_rule_for_trace_and_summary() -> None:
    g_cfg, d_cfg = preset("notebook")
    with torch.device("meta"):
        models = [build_generator(g_cfg), build_discriminator(d_cfg)]
    # A model whose only child is a container that is not a Sequential: the same rule for both.
    wrapped = nn.Module()
    wrapped.body = nn.ModuleDict({"a": nn.Conv2d(3, 4, 3), "b": nn.ReLU()})
    for model in models:
        _, blocks = top_level_blocks(model)
        assert [b.name for b in block_params(model)] == [n for n, _ in blocks]
        size = model.config.input_size
        traced = trace(model, (1, model.config.in_channels, size, size))
        assert {b.name for b in traced.blocks} == {n for n, _ in blocks}
    assert top_level_blocks(models[1])[0] == "model" and top_level_blocks(models[0])[0] == ""
    assert [b.name for b in block_params(wrapped)] == ["body.a", "body.b"]
    assert [b.layers for b in block_params(models[1])[:4]] == [
        "Conv2d(3, 64)",
        "LeakyReLU",
        "Conv2d(64, 128)",
        "BatchNorm2d(128)",
    ]

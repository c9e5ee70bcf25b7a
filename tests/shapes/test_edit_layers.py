"""layer_channels / with_channels, and the rule that a norm layer has one channel count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from inspector.shapes.edit_layers import edit, layer_channels, set_field, with_channels
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


# --- every rule of the editor against PyTorch: the edited layer is the layer PyTorch would build ---
def _layout(m: nn.Module) -> tuple[str, str, dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Class, constructor arguments as PyTorch prints them, and every parameter's and buffer's shape."""
    params = {n: tuple(p.shape) for n, p in m.named_parameters()}
    buffers = {n: tuple(b.shape) for n, b in m.named_buffers()}
    return type(m).__name__, m.extra_repr(), params, buffers


EDITS = [
    # (layer as built, field, new value, the layer PyTorch builds with that value)
    (lambda: nn.Conv1d(4, 8, 3), "in_channels", 6, lambda: nn.Conv1d(6, 8, 3)),
    (
        lambda: nn.Conv2d(3, 64, 4, 2, 1, bias=False),
        "out_channels",
        128,
        lambda: nn.Conv2d(3, 128, 4, 2, 1, bias=False),
    ),
    (lambda: nn.Conv3d(2, 4, 3, padding=1), "in_channels", 5, lambda: nn.Conv3d(5, 4, 3, padding=1)),
    (
        lambda: nn.ConvTranspose2d(1024, 512, 4, 2, 1, output_padding=1),
        "in_channels",
        512,
        lambda: nn.ConvTranspose2d(512, 512, 4, 2, 1, output_padding=1),
    ),
    (lambda: nn.ConvTranspose2d(8, 4, 3), "out_channels", 6, lambda: nn.ConvTranspose2d(8, 6, 3)),
    # depthwise: the groups follow in_channels and out keeps its multiple
    (lambda: nn.Conv2d(32, 32, 3, groups=32), "in_channels", 64, lambda: nn.Conv2d(64, 64, 3, groups=64)),
    (lambda: nn.Conv2d(32, 64, 3, groups=32), "in_channels", 48, lambda: nn.Conv2d(48, 96, 3, groups=48)),
    (
        lambda: nn.ConvTranspose2d(8, 8, 3, groups=8),
        "in_channels",
        16,
        lambda: nn.ConvTranspose2d(16, 16, 3, groups=16),
    ),
    # a depthwise conv's out may grow a multiple; a grouped conv keeps its groups
    (lambda: nn.Conv2d(32, 32, 3, groups=32), "out_channels", 64, lambda: nn.Conv2d(32, 64, 3, groups=32)),
    (lambda: nn.Conv2d(64, 64, 3, groups=8), "in_channels", 128, lambda: nn.Conv2d(128, 64, 3, groups=8)),
    (lambda: nn.Linear(10, 5), "in_features", 7, lambda: nn.Linear(7, 5)),
    (lambda: nn.Linear(10, 5, bias=False), "out_features", 3, lambda: nn.Linear(10, 3, bias=False)),
    (lambda: nn.BatchNorm1d(4), "num_features", 6, lambda: nn.BatchNorm1d(6)),
    (lambda: nn.BatchNorm2d(128), "num_features", 64, lambda: nn.BatchNorm2d(64)),
    (lambda: nn.BatchNorm3d(8, affine=False), "num_features", 2, lambda: nn.BatchNorm3d(2, affine=False)),
    (
        lambda: nn.BatchNorm2d(8, track_running_stats=False),
        "num_features",
        16,
        lambda: nn.BatchNorm2d(16, track_running_stats=False),
    ),
    (lambda: nn.InstanceNorm2d(8, affine=True), "num_features", 4, lambda: nn.InstanceNorm2d(4, affine=True)),
    (lambda: nn.InstanceNorm2d(8), "num_features", 4, lambda: nn.InstanceNorm2d(4)),
    (lambda: nn.GroupNorm(4, 16), "num_channels", 32, lambda: nn.GroupNorm(4, 32)),
    (lambda: nn.LayerNorm(1024), "normalized_shape", (768,), lambda: nn.LayerNorm(768)),
    (lambda: nn.LayerNorm(8), "normalized_shape", 12, lambda: nn.LayerNorm(12)),
    (lambda: nn.LayerNorm((4, 4)), "normalized_shape", (2, 3), lambda: nn.LayerNorm((2, 3))),
    (
        lambda: nn.LayerNorm(8, elementwise_affine=False),
        "normalized_shape",
        (6,),
        lambda: nn.LayerNorm(6, elementwise_affine=False),
    ),
    (lambda: nn.LayerNorm(8, bias=False), "normalized_shape", (6,), lambda: nn.LayerNorm(6, bias=False)),
]


@pytest.mark.parametrize(("built", "field", "value", "fresh"), EDITS)
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_an_edited_layer_is_the_layer_pytorch_builds(
    built: Callable[[], nn.Module], field: str, value: object, fresh: Callable[[], nn.Module], device: str
) -> None:
    layer = built().to(device)
    set_field(layer, field, value)  # type: ignore[arg-type]
    assert _layout(layer) == _layout(fresh())
    assert all(t.device == torch.device(device) for t in [*layer.parameters(), *layer.buffers()])
    if device == "cpu":  # initialized as PyTorch initializes it: the running stats of a fresh norm
        for name, buffer in layer.named_buffers():
            assert torch.equal(buffer, dict(fresh().named_buffers())[name])


@pytest.mark.parametrize(
    ("layer", "field", "value", "pytorch"),
    [
        # (layer, field, value, the same layer built by PyTorch, which refuses it too; None: no such layer)
        (nn.Conv2d(64, 64, 3, groups=8), "in_channels", 60, lambda: nn.Conv2d(60, 64, 3, groups=8)),
        (nn.Conv2d(32, 32, 3, groups=32), "out_channels", 48, lambda: nn.Conv2d(32, 48, 3, groups=32)),
        (nn.GroupNorm(4, 16), "num_channels", 18, lambda: nn.GroupNorm(4, 18)),
        (nn.Conv2d(3, 8, 3), "num_features", 4, None),  # not a field of a conv
        (nn.BatchNorm2d(8), "num_features", 0, None),
        (nn.ReLU(), "in_channels", 4, None),
    ],
)
def test_what_pytorch_would_refuse_the_editor_refuses(
    layer: nn.Module, field: str, value: int, pytorch: Callable[[], nn.Module] | None
) -> None:
    with pytest.raises(ValueError):
        set_field(layer, field, value)
    if pytorch is not None:
        with pytest.raises(ValueError):
            pytorch()


def test_a_subclass_keeps_its_class_and_its_forward() -> None:
    class NormAct(nn.BatchNorm2d):  # timm's BatchNormAct2d in small
        def __init__(self, n: int) -> None:
            super().__init__(n)
            self.act = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(super().forward(x))

    model = nn.Sequential(nn.Conv2d(3, 8, 1), NormAct(16)).eval()
    edit(model, "1", "num_features", 8)
    assert type(model[1]) is NormAct and model[1].num_features == 8
    assert (model(torch.randn(1, 3, 4, 4)) >= 0).all()  # it runs, and its ReLU still acts


def test_edits_that_mend_a_model_make_pytorch_run_it() -> None:
    """The doctor's kind of edit on a MobileNet-like block: the edited model runs for real, and gives
    the shape of the model written with the right numbers."""
    broken = nn.Sequential(
        nn.Conv2d(3, 64, 1),  # 0: makes 64
        nn.Conv2d(32, 32, 3, padding=1, groups=32),  # 1: depthwise built for 32
        nn.BatchNorm2d(32),
        nn.Conv2d(32, 16, 1),
        nn.GroupNorm(4, 16),
        nn.Flatten(2),
        nn.LayerNorm(25),  # 6: the tokens are 4 * 4 = 16 wide
        nn.Linear(16, 10),
    )
    x = torch.randn(2, 3, 4, 4)
    with pytest.raises(RuntimeError):
        broken(x)
    for name, field, value in [
        ("1", "in_channels", 64),  # depthwise: groups and out follow -> 64
        ("2", "num_features", 64),
        ("3", "in_channels", 64),
        ("6", "normalized_shape", (16,)),
    ]:
        edit(broken, name, field, value)
    right = nn.Sequential(
        nn.Conv2d(3, 64, 1),
        nn.Conv2d(64, 64, 3, padding=1, groups=64),
        nn.BatchNorm2d(64),
        nn.Conv2d(64, 16, 1),
        nn.GroupNorm(4, 16),
        nn.Flatten(2),
        nn.LayerNorm(16),
        nn.Linear(16, 10),
    )
    assert [_layout(m) for m in broken] == [_layout(m) for m in right]
    assert broken(x).shape == right(x).shape == (2, 16, 10)
    # the same edits on a meta copy (the table's with_channels), then made real: PyTorch runs it
    meta = with_channels(right, {"1": (32, 32), "2": (32, 32)})
    assert (meta[1].groups, meta[1].in_channels, meta[2].num_features) == (32, 32, 32)
    mended = with_channels(meta, {"1": (64, 64), "2": (64, 64)}).to_empty(device="cpu")
    assert mended(x).shape == (2, 16, 10)


def test_the_table_lists_a_layer_norm_over_one_dim_as_one_count() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.LayerNorm((2, 4)))
    rows = {r.name: r for r in layer_channels(model)}
    assert (rows["1"].in_channels, rows["1"].out_channels, rows["1"].single_count) == (8, 8, True)
    assert "2" not in rows  # a norm over several dims has no channel count to edit
    edited = with_channels(model, {"1": rows["1"].edited(6, 8), "0": (4, 6)})
    assert tuple(edited[1].normalized_shape) == (6,) and edited[0].out_features == 6
    with pytest.raises(ValueError, match="'9'"):
        with_channels(model, {"9": (1, 1)})

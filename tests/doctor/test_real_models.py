"""Healthy models of torchvision, timm, segmentation_models_pytorch and MONAI are reported healthy.

Every model is built without weights (nothing is downloaded) at a size where PyTorch runs it; the
oracle is PyTorch itself: a real CPU forward must succeed, and then the doctor must find no problem,
in eval and in train mode. One false alarm on a healthy model is enough for a user to stop trusting
the tool.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass

import pytest
import torch
from torch import nn

import inspector
from inspector.doctor.changes import apply

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    library: str
    name: str
    build: Callable[[], nn.Module]
    shape: tuple[int, ...]

    @property
    def id(self) -> str:
        return f"{self.library}:{self.name}"


def _tv(name: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision

        return torchvision.models.get_model(name, weights=None, **kw)

    return build


def _timm(name: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False, **kw)

    return build


def _smp(arch: str, encoder: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import segmentation_models_pytorch as smp

        return smp.create_model(arch, encoder_name=encoder, encoder_weights=None, **kw)

    return build


def _monai(name: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        from monai import networks

        return getattr(networks.nets, name)(**kw)

    return build


IMG = (2, 3, 64, 64)
CASES = [
    Case("torchvision", "resnet18", _tv("resnet18"), IMG),
    Case("torchvision", "densenet121", _tv("densenet121"), IMG),
    Case("torchvision", "mobilenet_v3_small", _tv("mobilenet_v3_small"), IMG),
    Case("torchvision", "efficientnet_b0", _tv("efficientnet_b0"), IMG),
    Case("torchvision", "convnext_tiny", _tv("convnext_tiny"), IMG),
    Case("torchvision", "regnet_y_400mf", _tv("regnet_y_400mf"), IMG),
    Case("torchvision", "shufflenet_v2_x0_5", _tv("shufflenet_v2_x0_5"), IMG),
    Case("torchvision", "squeezenet1_1", _tv("squeezenet1_1"), IMG),
    Case("torchvision", "swin_t", _tv("swin_t"), IMG),
    Case("torchvision", "vit_b_16", _tv("vit_b_16"), (1, 3, 224, 224)),
    Case(
        "torchvision",
        "lraspp_mobilenet_v3_large",
        _tv("lraspp_mobilenet_v3_large", weights_backbone=None),
        IMG,
    ),
    Case("torchvision", "fcn_resnet50", _tv("fcn_resnet50", weights_backbone=None, aux_loss=False), IMG),
    Case("timm", "convnext_atto", _timm("convnext_atto"), IMG),
    Case("timm", "efficientnet_b0", _timm("efficientnet_b0"), IMG),
    Case("timm", "resnet18d", _timm("resnet18d"), IMG),
    Case("timm", "vit_tiny_patch16_224", _timm("vit_tiny_patch16_224"), (1, 3, 224, 224)),
    Case("timm", "mobilevit_xxs", _timm("mobilevit_xxs"), IMG),
    Case("timm", "regnetx_002", _timm("regnetx_002"), IMG),
    Case("timm", "poolformer_s12", _timm("poolformer_s12"), IMG),
    Case("timm", "edgenext_xx_small", _timm("edgenext_xx_small"), IMG),
    Case("timm", "nf_resnet26", _timm("nf_resnet26"), IMG),
    Case("timm", "cspresnet50", _timm("cspresnet50"), IMG),
    Case("smp", "Unet-resnet18", _smp("Unet", "resnet18"), IMG),
    Case("smp", "UnetPlusPlus-resnet18", _smp("UnetPlusPlus", "resnet18"), IMG),
    Case("smp", "FPN-resnet18", _smp("FPN", "resnet18"), IMG),
    Case("smp", "DeepLabV3Plus-resnet18", _smp("DeepLabV3Plus", "resnet18"), IMG),
    Case("smp", "Linknet-resnet18", _smp("Linknet", "resnet18"), IMG),
    Case("smp", "MAnet-resnet18", _smp("MAnet", "resnet18"), IMG),
    Case("smp", "Segformer-mit_b0", _smp("Segformer", "mit_b0"), IMG),
    Case("smp", "Unet-efficientnet-b0", _smp("Unet", "efficientnet-b0"), IMG),
    Case("smp", "Unet-timm-convnext", _smp("Unet", "tu-convnext_atto"), IMG),
    Case(
        "monai",
        "BasicUNet-2d",
        _monai("BasicUNet", spatial_dims=2, in_channels=1, out_channels=2),
        (2, 1, 64, 64),
    ),
    Case(
        "monai",
        "UNet-2d",
        _monai("UNet", spatial_dims=2, in_channels=1, out_channels=2, channels=(8, 16, 32), strides=(2, 2)),
        (2, 1, 64, 64),
    ),
    Case(
        "monai",
        "UNet-3d",
        _monai("UNet", spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8, 16), strides=(2, 2)),
        (1, 1, 16, 32, 32),
    ),
    Case(
        "monai",
        "AttentionUnet-2d",
        _monai(
            "AttentionUnet",
            spatial_dims=2,
            in_channels=1,
            out_channels=2,
            channels=(8, 16, 32),
            strides=(2, 2),
        ),
        (2, 1, 64, 64),
    ),
    Case(
        "monai",
        "SegResNet-2d",
        _monai("SegResNet", spatial_dims=2, in_channels=1, out_channels=2, init_filters=8),
        (2, 1, 64, 64),
    ),
    Case(
        "monai",
        "DynUNet-2d",
        _monai(
            "DynUNet",
            spatial_dims=2,
            in_channels=1,
            out_channels=2,
            kernel_size=[3, 3, 3],
            strides=[1, 2, 2],
            upsample_kernel_size=[2, 2],
        ),
        (2, 1, 64, 64),
    ),
]


@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_healthy_model_is_reported_healthy(case: Case, mode: str) -> None:
    torch.manual_seed(0)
    model = case.build().train(mode == "train")
    with torch.no_grad():
        model(torch.randn(case.shape))  # the oracle: PyTorch runs it
    dx = inspector.diagnose(model, case.shape)
    assert dx.ok, [p.message for p in dx.problems]


# --- a wrong norm in a real model: the norm is blamed, not the layers after it (issue 22) ---
@dataclass(frozen=True)
class BrokenNorm:
    """``layer`` of ``case``'s model replaced by ``wrong()``: the doctor must name that layer alone,
    with its own fix proven; ``right()`` is the norm that was there (the oracle runs with it)."""

    case: Case
    layer: str
    wrong: Callable[[], nn.Module]
    right: Callable[[], nn.Module]
    change: str  # the one change the doctor proves

    @property
    def id(self) -> str:
        return f"{self.case.id}:{self.layer}"


def _layer_norm_2d(width: int) -> nn.Module:
    from torchvision.models.convnext import LayerNorm2d

    return LayerNorm2d(width, eps=1e-6)


def _timm_layer_norm_2d(width: int) -> nn.Module:
    from timm.layers import LayerNorm2d

    return LayerNorm2d(width)


BY_ID = {c.id: c for c in CASES}
BROKEN_NORMS = [
    BrokenNorm(
        BY_ID["torchvision:vit_b_16"],
        "encoder.ln",
        lambda: nn.LayerNorm(1024, eps=1e-6),  # on 768-wide tokens
        lambda: nn.LayerNorm(768, eps=1e-6),
        "encoder.ln LayerNorm normalized_shape (1024,) -> (768,)",
    ),
    BrokenNorm(
        BY_ID["torchvision:swin_t"],
        "features.0.2",  # the patch embedding's norm, channels last (B, H, W, C)
        lambda: nn.LayerNorm(128),
        lambda: nn.LayerNorm(96),
        "features.0.2 LayerNorm normalized_shape (128,) -> (96,)",
    ),
    BrokenNorm(
        BY_ID["torchvision:convnext_tiny"],
        "classifier.0",  # a LayerNorm2d: judged by running it
        lambda: _layer_norm_2d(1024),
        lambda: _layer_norm_2d(768),
        "classifier.0 LayerNorm2d normalized_shape (1024,) -> (768,)",
    ),
    BrokenNorm(
        BY_ID["timm:convnext_atto"],
        "stem.1",
        lambda: _timm_layer_norm_2d(64),
        lambda: _timm_layer_norm_2d(40),
        "stem.1 LayerNorm2d normalized_shape (64,) -> (40,)",
    ),
    BrokenNorm(
        BY_ID["torchvision:resnet18"],
        "bn1",
        lambda: nn.GroupNorm(32, 128),  # after conv1's 64 channels
        lambda: nn.GroupNorm(32, 64),
        "bn1 GroupNorm num_channels 128 -> 64",
    ),
    BrokenNorm(
        BY_ID["monai:SegResNet-2d"],
        "down_layers.1.1.norm1",
        lambda: nn.GroupNorm(8, 32),
        lambda: nn.GroupNorm(8, 16),
        "down_layers.1.1.norm1 GroupNorm num_channels 32 -> 16",
    ),
]


def _with_layer(model: nn.Module, name: str, layer: nn.Module) -> nn.Module:
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, attr, layer)
    return model


@pytest.mark.parametrize("broken", BROKEN_NORMS, ids=[b.id for b in BROKEN_NORMS])
def test_a_wrong_norm_is_blamed_and_its_fix_proven(broken: BrokenNorm) -> None:
    torch.manual_seed(0)
    case = broken.case
    model = _with_layer(case.build().eval(), broken.layer, broken.wrong())
    with pytest.raises(RuntimeError), torch.no_grad():
        model(torch.randn(case.shape))  # PyTorch stops, in its own words
    d = inspector.diagnose(model, case.shape)
    assert [p.module for p in d.problems] == [broken.layer]  # not the layers after it
    (p,) = d.problems
    assert p.verified and [c.text() for c in p.changes] == [broken.change]
    # The oracle: the proven change, made by the editor on a real copy as a user would, runs...
    copy = deepcopy(model)
    assert all(apply(copy, c) for c in p.changes)
    with torch.no_grad():
        copy(torch.randn(case.shape))
    # ... and so does the model with the norm it had
    with torch.no_grad():
        _with_layer(model, broken.layer, broken.right().eval())(torch.randn(case.shape))

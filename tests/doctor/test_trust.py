"""A doctor practitioners can trust (issue 10): layers judged by running, fused layers, proven
fixes, advice that fits the model. PyTorch is the oracle: a fix is applied for real and run."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from inspector.doctor import proof
from inspector.doctor.changes import Change, apply
from inspector.doctor.diagnose import _quick, diagnose
from inspector.doctor.rules import explainer_for, judged_by_running, rule_for
from inspector.shapes.input_sizes import valid_input_sizes
from inspector.shapes.meta import meta_copy
from models import build_discriminator, build_generator, preset


class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's and timm's: normalizes the channels of (B, C, H, W)."""

    def forward(self, x: Tensor) -> Tensor:
        y = nn.functional.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias)
        return y.permute(0, 3, 1, 2)


class NormAct(nn.BatchNorm2d):
    """timm's BatchNormAct2d in small: a BatchNorm2d subclass with an activation child."""

    def __init__(self, num_features: int) -> None:
        super().__init__(num_features)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(super().forward(x))


def _pytorch_runs(model: nn.Module, shape: tuple[int, ...]) -> bool:
    try:
        with torch.no_grad():
            model(torch.zeros(shape))
    except (RuntimeError, ValueError):
        return False
    return True


def test_a_subclass_that_overrides_forward_is_judged_by_running_it() -> None:
    assert rule_for(LayerNorm2d(8)) is None and judged_by_running(LayerNorm2d(8))
    assert explainer_for(LayerNorm2d(8)) is not None  # the parent's rule explains only a failure
    assert rule_for(NormAct(8)) is None and judged_by_running(NormAct(8))  # children: not a leaf
    healthy = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), LayerNorm2d(8), NormAct(8), nn.Conv2d(8, 2, 1))
    for mode in (True, False):
        healthy.train(mode)
        assert _pytorch_runs(healthy, (2, 3, 6, 10))
        assert diagnose(healthy, (2, 3, 6, 10)).ok


def test_a_channels_first_layer_norm_with_the_wrong_width_gets_numbers_and_a_proven_fix() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), LayerNorm2d(16), nn.Conv2d(16, 2, 1)).eval()
    assert not _pytorch_runs(model, (1, 3, 5, 7))
    d = diagnose(model, (1, 3, 5, 7))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [("1", "channels", 16, 8)]
    p = d.problems[0]
    assert "1 (LayerNorm2d" in p.message and "from 0" in p.message
    # LayerNorm2d(8) then feeds 8 channels to Conv2d(16, ...): the proof says what else must change.
    assert p.verified and [c.text() for c in p.changes] == [
        "1 LayerNorm2d normalized_shape (16,) -> (8,)",
        "2 Conv2d in_channels 16 -> 8",
    ]
    fixed = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), LayerNorm2d(8), nn.Conv2d(8, 2, 1)).eval()
    assert _pytorch_runs(fixed, (1, 3, 5, 7))  # the oracle agrees with the proof


def test_a_fused_norm_is_checked_as_the_layer_the_user_wrote() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), NormAct(16), nn.Conv2d(16, 4, 1)).eval()
    d = diagnose(model, (1, 3, 8, 8))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [("1", "channels", 16, 8)]
    p = d.problems[0]
    assert "NormAct num_features 16 -> 8" in p.fix or "Conv2d out_channels 8 -> 16" in p.fix
    assert p.verified
    assert [c.text() for c in p.changes] == ["0 Conv2d out_channels 8 -> 16"]  # the one change


@pytest.mark.slow
def test_timm_batchnormact_with_its_width_changed() -> None:
    timm = pytest.importorskip("timm")
    from timm.layers import BatchNormAct2d

    model = timm.create_model("efficientnet_b0", pretrained=False).eval()
    model.blocks[1][0].bn1 = BatchNormAct2d(64, act_layer=nn.SiLU)  # conv_pw makes 96
    with pytest.raises(RuntimeError, match="running_mean should contain 96 elements not 64"):
        model(torch.zeros(1, 3, 64, 64))  # PyTorch's words, no layer named
    d = diagnose(model, (1, 3, 64, 64))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [
        ("blocks.1.0.bn1", "channels", 64, 96)
    ]
    p = d.problems[0]
    assert "blocks.1.0.bn1: BatchNormAct2d num_features 64 -> 96" in p.fix
    assert p.verified and [c.text() for c in p.changes] == [
        "blocks.1.0.bn1 BatchNormAct2d num_features 64 -> 96"
    ]
    model.blocks[1][0].bn1 = BatchNormAct2d(96, act_layer=nn.SiLU)
    assert _pytorch_runs(model, (1, 3, 64, 64))


def test_the_smallest_proven_set_of_changes_wins() -> None:
    # BatchNorm2d(128) after Conv2d(3, 64): the conv's out_channels alone make it run; the norm's
    # num_features need the next conv changed too.
    model = nn.Sequential(nn.Conv2d(3, 64, 1), nn.BatchNorm2d(128), nn.Conv2d(128, 8, 1)).eval()
    d = diagnose(model, (1, 3, 4, 4))
    (p,) = d.problems
    assert p.verified and [c.text() for c in p.changes] == ["0 Conv2d out_channels 64 -> 128"]
    norm_first = (Change("1", "BatchNorm2d", "num_features", 128, 64),)
    proven = proof.prove_option(model, (1, 3, 4, 4), p, norm_first, {("1", "channels")}, _quick)
    assert proven.verified and proven.runs
    changes = proven.changes
    assert [c.text() for c in changes] == [
        "1 BatchNorm2d num_features 128 -> 64",
        "2 Conv2d in_channels 128 -> 64",
    ]
    # The changes applied for real, as a user would: PyTorch runs it.
    copy = meta_copy(model)
    assert all(apply(copy, c) for c in changes)
    assert [copy[1].num_features, copy[2].in_channels] == [64, 64]


def test_a_fix_that_does_not_fix_is_a_suggestion() -> None:
    # The add's two sides differ in stride: the doctor has no change to prove.
    class TwoStrides(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3, 2, 1)
            self.b = nn.Conv2d(3, 4, 3, 1, 1)

        def forward(self, x: Tensor) -> Tensor:
            return self.a(x) + self.b(x)

    d = diagnose(TwoStrides(), (1, 3, 8, 8))
    assert d.problems and not d.problems[0].verified
    assert proof.fix_text(d.problems[0]).startswith("suggestion")


def test_verified_and_changes_in_the_json() -> None:
    d = diagnose(build_discriminator(preset("notebook-as-written")[1]), (1, 3, 256, 256))
    data = d.to_dict()["problems"]
    assert [p["verified"] for p in data] == [True, True]
    assert data[0]["changes"] == [
        {
            "module": "model.2",
            "kind": "Conv2d",
            "field": "in_channels",
            "old": 3,
            "new": 64,
            "text": "model.2 Conv2d in_channels 3 -> 64",
        }
    ]
    assert "options" not in data[0]


def test_a_resnet_fed_one_channel_gets_generic_words() -> None:
    torchvision = pytest.importorskip("torchvision")
    d = diagnose(torchvision.models.resnet18(weights=None).eval(), (1, 1, 64, 64))
    (p,) = d.problems
    assert "The first layer expects 3 channels: an RGB image, or change in_channels" in p.message
    assert "torch.cat([L, ab]" not in p.fix and "Lab" not in p.message
    assert p.verified and p.changes[0].text() == "input 1x1x64x64 -> 1x3x64x64"


def test_a_hand_written_patchgan_gets_the_lab_advice() -> None:
    # The notebook's discriminator written by hand: 4x4 convs, a 1-channel patch map at the end.
    layers: list[nn.Module] = [nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(128, 1, 4, 1, 1)]
    d = diagnose(nn.Sequential(*layers), (1, 1, 64, 64))
    assert "torch.cat([L, ab], dim=1)" in d.problems[0].fix


class _Pieces(nn.Module):
    """A two-headed layer that takes a cat apart again: chunk gives 24 of its 48 channels."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(3, 24, 1), nn.Conv2d(3, 24, 1), nn.Conv2d(48, 8, 1)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = torch.cat([self.a(x), self.b(x)], dim=1).chunk(2, dim=1)
        return self.c(h)


def test_a_piece_of_a_cat_is_described_as_a_piece() -> None:
    (p,) = diagnose(_Pieces(), (1, 3, 8, 8)).problems
    assert (p.module, p.expected, p.actual) == ("c", 48, 24)
    assert "24 of the 48 made by torch.cat of 24 from a and 24 from b" in p.message
    assert p.fix.startswith(
        "c: Conv2d in_channels 48 -> 24 (24 of the 48 made by torch.cat#0: 24 from a + 24 from b)"
    )


@pytest.mark.slow
def test_smp_unet_with_a_forgotten_skip_names_the_encoder_side() -> None:
    smp = pytest.importorskip("segmentation_models_pytorch")
    model = smp.Unet("resnet18", encoder_weights=None).eval()
    model.decoder.blocks[1].conv1[0] = nn.Conv2d(256, 128, 3, padding=1, bias=False)  # the skip forgotten
    with pytest.raises(RuntimeError, match=r"expected input.* to have 256 channels, but got 384"):
        model(torch.zeros(1, 3, 64, 64))
    (p,) = diagnose(model, (1, 3, 64, 64)).problems
    assert (p.module, p.expected, p.actual) == ("decoder.blocks.1.conv1.0", 256, 384)
    # The skip is the encoder's tensor (made earlier, same resolution), though it stands second.
    assert p.fix == (
        "decoder.blocks.1.conv1.0: Conv2d in_channels 256 -> 384 "
        "(256 from decoder.blocks.0 + 128 skip from encoder.layer2)"
    )
    assert p.verified


def _notebook_generator_as_written() -> nn.Module:
    """The notebook's Pix2Pix_Generator cells joined into a plain nn.Module, as a student would save them."""
    from inspector.ui import notebook_code as nb

    namespace: dict[str, object] = {}
    exec(compile("import torch\n" + nb.GENERATOR, "pix2pix_generator.py", "exec"), namespace)  # our own text
    cls = namespace["Pix2Pix_Generator"]
    assert isinstance(cls, type)
    return cls()


def test_sizes_of_the_notebooks_generator_as_written_agree_with_the_doctor() -> None:
    model = _notebook_generator_as_written().eval()
    sizes = valid_input_sizes(model, (1, 1, 256, 256))
    # 257 runs, but gives a 256x256 output for a 257x257 L: not a size that works.
    assert sizes is not None and (sizes.step, sizes.minimum, sizes.maximum) == (256, 256, None)
    d = diagnose(model, (1, 1, 300, 300))
    assert [p.kind for p in d.problems] == ["concat"] * 3
    assert "use an input size of 256 or 512 instead of 300" in d.problems[0].fix
    assert all(p.verified for p in d.problems)
    for size in sizes.examples(2):  # never a size the doctor rejects
        assert diagnose(model, (1, 1, size, size), prove=False).ok
    odd = diagnose(model, (1, 1, 257, 257), prove=False)
    assert odd.ok and "does not have the input's size 1x1x257x257" in odd.notes[-1]
    # it names the nearest sizes that come back unchanged, each checked by running the model
    proven = diagnose(model, (1, 1, 257, 257))
    assert "an input of 1x1x256x256 or 1x1x512x512 comes back unchanged" in proven.notes[-1]
    for size in (256, 512):
        out = model.to("meta")(torch.empty(1, 1, size, size, device="meta"))
        assert tuple(out.shape[2:]) == (size, size)


def test_a_vit_built_for_224_gets_224() -> None:
    torchvision = pytest.importorskip("torchvision")
    model = torchvision.models.vit_b_16(weights=None).eval()
    sizes = valid_input_sizes(model, (1, 3, 300, 300))
    assert sizes is not None and sizes.describe() == "only 224"
    (p,) = diagnose(model, (1, 3, 300, 300)).problems
    assert "Expected 224 but got 300" in p.message
    assert p.fix.startswith("use an input size of 224 instead of 300") and p.verified


@pytest.mark.parametrize(
    "norm",
    [nn.BatchNorm2d(8), nn.InstanceNorm2d(8)],
    ids=["batch-norm-train", "instance-norm"],
)
def test_a_norm_on_one_value_names_the_smallest_size_that_works(norm: nn.Module) -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.Conv2d(8, 8, 4, 2, 1), norm).train()
    assert not _pytorch_runs(model, (1, 3, 4, 4))
    (p,) = diagnose(model, (1, 3, 4, 4)).problems
    assert (p.module, p.kind) == ("2", "batch-stats")
    assert p.fix.startswith("use an input size of 8 instead of 4") and p.verified
    assert _pytorch_runs(model, (1, 3, 8, 8))


@pytest.mark.slow
def test_monai_expected_more_than_one_spatial_element() -> None:
    nets = pytest.importorskip("monai.networks.nets")
    model = nets.UNet(
        spatial_dims=2, in_channels=1, out_channels=2, channels=(8, 16, 32), strides=(2, 2)
    ).train()
    (p,) = diagnose(model, (1, 1, 4, 4)).problems
    assert p.kind == "batch-stats" and "Expected more than 1 spatial element" in p.message
    assert p.fix.startswith("use an input size of 8 instead of 4") and p.verified


def test_skips_rewritten_in_place_are_notes_not_problems() -> None:
    d = diagnose(build_generator(preset("notebook")[0]), (1, 1, 256, 256))
    assert d.ok and len(d.notes) == 6
    assert d.notes[0] == (
        "torch.cat#0 before decoder_6 uses the output of encoder_6 after middle.0 changed it in place: "
        "the skip carries the activated tensor, not encoder_6's own output."
    )
    assert d.to_dict()["notes"] == list(d.notes)


def test_a_non_square_input_gets_a_fix_per_side() -> None:
    d = diagnose(build_generator(preset("notebook")[0]), (1, 1, 256, 300))
    assert d.problems and all(p.kind == "concat" for p in d.problems)
    p = d.problems[0]
    assert p.fix.startswith("use a width of 256 or 512 instead of 300")
    assert p.verified and p.changes[0].text() == "input 1x1x256x300 -> 1x1x256x256"

"""The presets reproduce the notebook and the pix2pix reference; configs refuse bad settings."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from models import (
    DiscriminatorConfig,
    GeneratorConfig,
    build_discriminator,
    build_generator,
    generator_plan,
    list_presets,
    preset,
)
from tests.models.reference_nets import reference_patchgan, reference_unet


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def on_meta(build, cfg):
    with torch.device("meta"):
        return build(cfg)


@pytest.mark.parametrize(
    ("name", "gen_params", "disc_params"),
    [
        ("notebook", 54_407_810, 2_765_568),
        ("notebook-as-written", 54_407_810, 2_637_568),
        ("pix2pix", 54_409_858, 2_765_633),
    ],
)
def test_preset_parameter_counts(name: str, gen_params: int, disc_params: int) -> None:
    g, d = preset(name)
    assert n_params(on_meta(build_generator, g)) == gen_params
    assert n_params(on_meta(build_discriminator, d)) == disc_params


def test_preset_registry() -> None:
    assert list_presets() == ["notebook", "notebook-as-written", "pix2pix"]
    with pytest.raises(ValueError, match=r"unknown preset 'nope'.*notebook, notebook-as-written, pix2pix"):
        preset("nope")


def test_presets_name_their_classes_as_their_source_does() -> None:
    from models.presets import source_class_name

    g, d = preset("notebook")
    assert (source_class_name(g), source_class_name(d)) == ("Pix2Pix_Generator", "Pix2Pix_Discriminator")
    assert source_class_name(preset("notebook-as-written")[1]) == "Pix2Pix_Discriminator"  # its typo too
    assert source_class_name(g.replace(input_size=512)) == "Pix2Pix_Generator"  # a size is no class
    assert [source_class_name(c) for c in preset("pix2pix")] == ["UnetGenerator", "NLayerDiscriminator"]
    assert source_class_name(g.replace(ngf=32)) is None  # another network: our own class's name


def test_notebook_generator_block_names_and_channels() -> None:
    g = build_generator(preset("notebook")[0])
    names = [n for n, _ in g.named_children()]
    assert names == [
        "input_layer",
        *(f"encoder_{k}" for k in range(1, 7)),
        "middle",
        *(f"decoder_{k}" for k in range(6, 0, -1)),
        "output_layer",
    ]
    # decoder in_channels are the sums of the skip concatenations (seed README).
    assert [g.get_submodule(f"decoder_{k}")[1].in_channels for k in range(6, 0, -1)] == [
        1024,
        1024,
        1024,
        1024,
        512,
        256,
    ]
    assert g.output_layer[1].in_channels == 64  # the notebook has no outermost skip
    assert all(isinstance(g.get_submodule(f"decoder_{k}")[-1], nn.Dropout) for k in range(1, 7))


def test_pix2pix_generator_dropout_and_outer_skip() -> None:
    g = build_generator(preset("pix2pix")[0])
    with_dropout = [b.name for b in generator_plan(g.config) if b.dropout]
    assert with_dropout == ["decoder_6", "decoder_5", "decoder_4"]
    assert g.output_layer[1].in_channels == 128


def test_generators_match_the_recursive_reference_shapes() -> None:
    ours = build_generator(preset("pix2pix")[0])
    ref = reference_unet()
    assert n_params(ours) == n_params(ref) == 54_409_858
    shapes = sorted(tuple(p.shape) for p in ours.parameters())
    assert shapes == sorted(tuple(p.shape) for p in ref.parameters())


@pytest.mark.parametrize("name", ["notebook", "pix2pix"])
@pytest.mark.parametrize("size", [256, 512])
def test_generator_output_shape(name: str, size: int) -> None:
    g = on_meta(build_generator, preset(name)[0])
    assert g(torch.empty(2, 1, size, size, device="meta")).shape == (2, 2, size, size)


def test_generator_real_forward_is_bounded() -> None:
    g = build_generator(GeneratorConfig(ngf=8, depth=5, input_size=32)).eval()
    torch.manual_seed(0)
    with torch.no_grad():
        y = g(torch.randn(2, 1, 32, 32))
    assert y.shape == (2, 2, 32, 32) and y.abs().max() <= 1  # Tanh output


def test_pix2pix_discriminator_equals_the_reference() -> None:
    ours = build_discriminator(preset("pix2pix")[1]).eval()
    ref = reference_patchgan().eval()
    # Same layer names (model.0 .. model.11) and shapes: the reference's weights load as they are.
    assert [k for k, _ in ours.state_dict().items()] == [k for k, _ in ref.state_dict().items()]
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = ours(x)
        assert out.shape == (1, 1, 30, 30)
        torch.testing.assert_close(out, ref(x))


def test_notebook_discriminator_layers_and_output() -> None:
    d = build_discriminator(preset("notebook")[1])
    kinds = [type(m).__name__ for m in d.model]
    assert kinds == [
        "Conv2d",
        "LeakyReLU",
        "Conv2d",
        "BatchNorm2d",
        "LeakyReLU",
        "Conv2d",
        "BatchNorm2d",
        "LeakyReLU",
        "Conv2d",
        "BatchNorm2d",
        "LeakyReLU",
        "Conv2d",
    ]
    assert all(m.bias is None for m in d.model if isinstance(m, nn.Conv2d))
    assert all(m.stride == (2, 2) for m in d.model if isinstance(m, nn.Conv2d))
    out = on_meta(build_discriminator, preset("notebook")[1])(torch.empty(1, 3, 256, 256, device="meta"))
    assert out.shape == (1, 1, 8, 8)


def test_notebook_as_written_builds_then_fails_like_pytorch_says() -> None:
    d = build_discriminator(preset("notebook-as-written")[1])
    assert (d.model[2].in_channels, d.model[2].out_channels) == (3, 64)
    with pytest.raises(
        RuntimeError,
        match=r"weight of size \[64, 3, 4, 4\], expected input\[1, 64, 128, 128\] "
        r"to have 3 channels, but got 64 channels instead",
    ):
        d(torch.zeros(1, 3, 256, 256))


@pytest.mark.parametrize(
    "cfg",
    [
        GeneratorConfig(ngf=32, depth=7, input_size=128),
        GeneratorConfig(norm="instance", dropout="none", outer_skip=False, input_size=512),
        GeneratorConfig(norm="none", depth=4, input_size=48, in_channels=3, out_channels=3),
        GeneratorConfig(depth=2, input_size=4, ngf=4),
    ],
)
def test_user_generators_run(cfg: GeneratorConfig) -> None:
    g = on_meta(build_generator, cfg)
    x = torch.empty(1, cfg.in_channels, cfg.input_size, cfg.input_size, device="meta")
    assert g(x).shape == (1, cfg.out_channels, cfg.input_size, cfg.input_size)


@pytest.mark.parametrize(
    "cfg",
    [
        DiscriminatorConfig(n_layers=1, input_size=64),
        DiscriminatorConfig(n_layers=5, last_stride=2),
        DiscriminatorConfig(norm="instance", ndf=16, input_size=70),
        DiscriminatorConfig(norm="none"),
    ],
)
def test_discriminator_output_size_matches_formula(cfg: DiscriminatorConfig) -> None:
    d = on_meta(build_discriminator, cfg)
    out = d(torch.empty(1, cfg.in_channels, cfg.input_size, cfg.input_size, device="meta"))
    assert out.shape == (1, 1, cfg.output_size, cfg.output_size)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ngf": 0}, r"ngf must be in \[1, 4096\], got 0"),
        ({"ngf": -3}, r"ngf must be in"),
        ({"depth": 0}, r"depth must be in \[2, 12\], got 0"),
        (
            {"depth": 9},
            r"multiple of 2\*\*depth = 512.*got 256.*nearest valid sizes: 512.*depths that fit 256: 2, 3, 4, 5, 6, 7, 8",
        ),
        ({"input_size": 255}, r"multiple of 2\*\*depth = 256.*nearest valid sizes: 256"),
        ({"input_size": 300}, r"nearest valid sizes: 256, 512"),
        ({"norm": "group"}, r"norm must be one of batch, instance, none; got 'group'"),
        ({"dropout": "some"}, r"dropout must be one of none, reference, all"),
        ({"in_channels": 1.5}, r"in_channels must be an integer"),
        ({"dropout_p": 1.0}, r"dropout_p must be in \[0, 1\)"),
    ],
)
def test_generator_config_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ndf": 0}, r"ndf must be in"),
        ({"n_layers": 0}, r"n_layers must be in \[1, 8\]"),
        ({"last_stride": 3}, r"last_stride must be in \[1, 2\]"),
        ({"norm": "layer"}, r"norm must be one of"),
        ({"input_size": 16, "n_layers": 5, "last_stride": 2}, r"too small.*use input_size >= "),
    ],
)
def test_discriminator_config_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DiscriminatorConfig(**kwargs)


def test_configs_are_hashable_and_round_trip() -> None:
    g, d = preset("notebook")
    assert hash(g) == hash(GeneratorConfig.from_dict(g.to_dict()))
    assert d == DiscriminatorConfig.from_dict(d.to_dict())
    with pytest.raises(ValueError, match="unknown GeneratorConfig fields: bogus"):
        GeneratorConfig.from_dict({**g.to_dict(), "bogus": 1})

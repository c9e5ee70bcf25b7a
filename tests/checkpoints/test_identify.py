"""Checkpoints from anywhere are identified by their structure and proven: the reference code's
UnetGenerator (unet_256, unet_128; batch and instance; several ngf) and NLayerDiscriminator, the
notebook's classes, DataParallel and compiled models. The oracle is the network that wrote the
file: our model built from the identified config, with the file's weights, gives its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inspector.checkpoints.identify import identify
from inspector.training.checkpoint import load_checkpoint
from models import DiscriminatorConfig, GeneratorConfig, build, preset
from tests.checkpoints.files import same_outputs, saved, trained_like
from tests.checkpoints.notebook_classes import Pix2Pix_Discriminator, Pix2Pix_Generator
from tests.models.reference_nets import reference_patchgan, reference_unet

REFERENCE_G = [  # (num_downs, ngf, norm): unet_128 and unet_256
    (7, 8, "batch"),
    (7, 8, "instance"),
    (8, 4, "batch"),
    (8, 4, "instance"),
    pytest.param(7, 32, "batch", marks=pytest.mark.slow),
    pytest.param(8, 32, "instance", marks=pytest.mark.slow),
    pytest.param(8, 64, "batch", marks=pytest.mark.slow),  # unet_256 itself: 54,409,858 parameters
    pytest.param(7, 64, "instance", marks=pytest.mark.slow),
]
PREFIXES = ["", "module.", "_orig_mod.", "_orig_mod.module."]


def _ours(
    found_state: dict[str, torch.Tensor], cfg: GeneratorConfig | DiscriminatorConfig
) -> torch.nn.Module:
    model = build(cfg)
    model.load_state_dict(found_state, strict=True)
    return model.eval()


@pytest.mark.parametrize(("num_downs", "ngf", "norm"), REFERENCE_G)
def test_reference_generators_are_identified_and_give_the_references_outputs(
    tmp_path: Path, num_downs: int, ngf: int, norm: str
) -> None:
    ref = trained_like(reference_unet(num_downs=num_downs, ngf=ngf, norm=norm), seed=num_downs + ngf)
    found = identify(saved(tmp_path / "latest_net_G.pth", ref.state_dict()))
    g = found.get("generator")
    assert found.part == "generator" and g is not None and g.proven and found.proven
    assert g.family == "reference" and g.problem is None
    assert g.config == GeneratorConfig(
        ngf=ngf, depth=num_downs, norm=norm, dropout="reference", outer_skip=True, input_size=2**num_downs
    )  # unet_256 at 256, unet_128 at 128: the size the name says
    assert g.parameters == sum(p.numel() for p in ref.parameters())
    assert any("dropout leaves no trace" in n for n in g.notes)
    x = torch.rand(2, 1, 2**num_downs, 2**num_downs, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert same_outputs(_ours(g.state, g.config), ref, x) < 1e-9  # float64: rounding only


@pytest.mark.parametrize("prefix", PREFIXES)
def test_dataparallel_and_compile_prefixes_are_removed_and_said(tmp_path: Path, prefix: str) -> None:
    ref = trained_like(reference_unet(num_downs=7, ngf=4), seed=3)
    g = identify(saved(tmp_path / "g.pth", ref.state_dict(), prefix)).get("generator")
    assert g is not None and g.proven and g.family == "reference"
    said = [n for n in g.notes if "prefix removed" in n]
    assert len(said) == prefix.count(".")  # one note per wrapper
    assert ("module." in prefix) == any("DataParallel" in n for n in said)
    assert ("_orig_mod." in prefix) == any("torch.compile" in n for n in said)


def test_the_reference_concatenates_the_skip_first_and_the_halves_are_swapped(tmp_path: Path) -> None:
    ref = trained_like(reference_unet(num_downs=7, ngf=4), seed=5)
    sd = ref.state_dict()
    g = identify(saved(tmp_path / "g.pth", sd)).get("generator")
    assert g is not None
    top = (
        "model.model.3.weight"  # the outermost upconv: cat([input_layer's output, decoder_1's]) -> 2 channels
    )
    half = sd[top].shape[0] // 2
    assert torch.equal(g.state["output_layer.1.weight"][:half], sd[top][half:])
    assert torch.equal(g.state["output_layer.1.weight"][half:], sd[top][:half])
    assert torch.equal(g.state["encoder_1.1.weight"], sd["model.model.1.model.1.weight"])  # no cat: as is
    innermost = "model.model.1.model" + ".3.model" * 5  # level 6 of unet_128: the bottleneck (middle)
    assert torch.equal(g.state["middle.3.weight"], sd[f"{innermost}.3.weight"])


def test_old_instance_norm_statistics_are_dropped_as_the_reference_does(tmp_path: Path) -> None:
    old = trained_like(reference_unet(num_downs=7, ngf=4, norm="instance", tracked=True), seed=7)
    current = reference_unet(num_downs=7, ngf=4, norm="instance")
    current.load_state_dict(
        {k: v for k, v in old.state_dict().items() if "running" not in k and "num_batches" not in k}
    )
    g = identify(saved(tmp_path / "old.pth", old.state_dict())).get("generator")
    assert g is not None and g.proven and g.config is not None and g.config.norm == "instance"
    assert any("running statistics of InstanceNorm layers dropped" in n for n in g.notes)
    x = torch.rand(1, 1, 128, 128, generator=torch.Generator().manual_seed(2))
    assert (
        same_outputs(_ours(g.state, g.config), current, x) < 1e-9
    )  # today's reference code's answer (float64)


@pytest.mark.parametrize(
    ("n_layers", "ndf", "norm"),
    [
        (3, 8, "batch"),
        (2, 8, "batch"),
        (3, 4, "instance"),
        (2, 16, "instance"),
        (5, 4, "batch"),
        (3, 64, "batch"),
    ],
)
def test_reference_discriminators_are_identified(tmp_path: Path, n_layers: int, ndf: int, norm: str) -> None:
    ref = trained_like(reference_patchgan(ndf=ndf, n_layers=n_layers, norm=norm), seed=n_layers)
    found = identify(saved(tmp_path / "latest_net_D.pth", ref.state_dict(), "module."))
    d = found.get("discriminator")
    assert found.part == "discriminator" and d is not None and d.proven and d.family == "reference"
    assert d.config == DiscriminatorConfig(
        ndf=ndf, n_layers=n_layers, norm=norm, last_stride=1, end_bias=True
    )
    assert any("strides leave no trace" in n for n in d.notes)
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    assert same_outputs(_ours(d.state, d.config), ref, x) < 1e-9


@pytest.mark.parametrize("width", [8, pytest.param(64, marks=pytest.mark.slow)])
def test_the_notebooks_classes_are_identified(tmp_path: Path, width: int) -> None:
    G = trained_like(Pix2Pix_Generator(width), seed=1)
    D = trained_like(Pix2Pix_Discriminator(width, fixed=True), seed=2)
    path = tmp_path / "notebook.pth"
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, path)
    found = identify(path)
    g, d = found.get("generator"), found.get("discriminator")
    assert found.part == "both" and found.proven and g is not None and d is not None
    assert g.family == d.family == "notebook"
    nb_g, nb_d = preset("notebook")
    assert g.config == nb_g.replace(ngf=width)
    assert d.config == nb_d.replace(ndf=width)  # the notebook's 8x8 map: last_stride 2, no end biases
    if width == 64:
        assert g.parameters == 54_407_810 and d.parameters == 2_765_568
    x = torch.rand(1, 1, 256, 256, generator=torch.Generator().manual_seed(0))
    assert same_outputs(_ours(g.state, g.config), G, x) < 1e-9
    xy = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(1))
    assert same_outputs(_ours(d.state, d.config), D, xy) < 1e-9


def test_the_notebooks_discriminator_as_written_is_named_and_fails_as_in_the_notebook(tmp_path: Path) -> None:
    found = identify(saved(tmp_path / "d.pth", Pix2Pix_Discriminator(8).state_dict()))
    d = found.get("discriminator")
    assert d is not None and d.config is not None and d.config.notebook_bug
    assert not d.proven and not found.proven
    assert "does not run" in d.problem and "to have 3 channels, but got 8 channels" in d.problem


def test_a_file_of_both_networks_from_the_reference_code(tmp_path: Path) -> None:
    G, D = reference_unet(num_downs=7, ngf=4), reference_patchgan(ndf=4, n_layers=2)
    path = tmp_path / "both.pth"
    torch.save({"netG": G.state_dict(), "netD": D.state_dict()}, path)
    found = identify(path)
    assert found.part == "both" and found.proven
    assert found.networks["discriminator"].config.input_size == 128  # judges what the generator makes
    ckpt = load_checkpoint(path)  # what Colorize and the inside pages load
    assert ckpt.generator_config == found.networks["generator"].config and ckpt.discriminator


def test_unknown_layouts_are_named_not_guessed(tmp_path: Path) -> None:
    found = identify(saved(tmp_path / "x.pth", {"backbone.conv.weight": torch.zeros(4, 1, 3, 3)}))
    net = found.get("generator")
    assert net is not None and net.family == "unknown" and not found.proven
    assert "backbone.conv.weight" in net.problem and "model.model.0.weight" in net.problem
    assert found.to_json()["source"] == "unknown" and found.to_json()["problems"]


def test_a_layout_with_keys_the_reference_does_not_have_is_not_proven(tmp_path: Path) -> None:
    sd = reference_unet(num_downs=7, ngf=4).state_dict()
    sd["model.model.1.model.9.weight"] = torch.zeros(3)
    net = identify(saved(tmp_path / "g.pth", sd)).get("generator")
    assert net is not None and not net.proven and "unexpected keys" in net.problem


def test_our_own_run_is_this_projects_and_keeps_its_header(tmp_path: Path) -> None:
    from inspector.training.checkpoint import save_checkpoint

    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    save_checkpoint(tmp_path / "run", build(g), build(d), step=12)
    found = identify(tmp_path / "run")
    assert found.step == 12 and found.proven and found.networks["generator"].config == g
    assert {n.family for n in found.networks.values()} == {"pix2pix-inspector"}
    data = found.to_json()
    assert data["config"] == {"generator": g.to_dict(), "discriminator": d.to_dict()}
    assert data["source"] == {"generator": "pix2pix-inspector", "discriminator": "pix2pix-inspector"}


def test_a_header_cannot_make_a_small_file_run_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator of depth 10 needs 1024 x 1024 inputs: refused from its config, before it is built."""
    from inspector.checkpoints import identify as module
    from inspector.training.checkpoint import save_generator_export

    cfg = GeneratorConfig(ngf=1, depth=10, max_mult=1, input_size=1024)
    path = save_generator_export(tmp_path / "deep.safetensors", build(cfg))
    assert path.stat().st_size < 50_000

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built for a run the bounds refuse")

    monkeypatch.setattr(module, "build", never)
    net = identify(path).networks["generator"]
    assert net.config == cfg and not net.proven and "at most at 512x512" in net.problem

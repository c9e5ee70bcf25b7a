"""The checkpoint doctor (a mismatch told as settings, a proposal proven), the export (this project's
format, value for value) and the comparison of two checkpoints (per block, and on a photo)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from inspector.checkpoints.compare import compare
from inspector.checkpoints.export import export
from inspector.checkpoints.fit import fit_network
from inspector.checkpoints.identify import identify
from inspector.errors import UserError
from inspector.i18n.catalog import translator
from inspector.training.colorize import load_generator
from models import preset
from models.reference_layout import after_cat, generator_modules, swap_cat_halves
from models.text import render
from tests.checkpoints.files import same_outputs, saved, trained_like
from tests.checkpoints.notebook_classes import Pix2Pix_Discriminator, Pix2Pix_Generator
from tests.models.reference_nets import reference_unet

KO = translator("ko")


def _reference(tmp_path: Path, seed: int = 0, name: str = "latest_net_G.pth", **kw: object) -> Path:
    spec = {"num_downs": 7, "ngf": 8, **kw}
    return saved(tmp_path / name, trained_like(reference_unet(**spec), seed=seed).state_dict())  # type: ignore[arg-type]


def _hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


# -------------------------------------------------------------------------------------- fit


def test_a_mismatch_is_told_as_settings_with_a_proven_proposal(tmp_path: Path) -> None:
    net = identify(_reference(tmp_path)).networks["generator"]
    chosen, _ = preset("pix2pix")
    f = fit_network(net, chosen)
    assert not f.fits and f.differences == ("trained with ngf 8, depth 7; this is ngf 64, depth 8",)
    assert (
        f.proposal == chosen.replace(ngf=8, depth=7) and f.proposal_proven
    )  # 256 is still a multiple of 2**7
    assert {b.block for b in f.blocks} >= {"input_layer", "encoder_6", "decoder_6", "middle", "output_layer"}
    first = next(b for b in f.blocks if b.block == "input_layer")
    assert (first.expected, first.actual) == ("64x1x4x4", "8x1x4x4")  # what the U diagram writes in red
    assert (
        f.detail is not None and "missing keys" in f.detail
    )  # the key-by-key answer, folded away in the app
    korean = render(f.differences[0], KO)
    assert _hangul(korean) and "ngf 8, depth 7" in korean and "ngf 64, depth 8" in korean


@pytest.mark.parametrize(
    ("kw", "sentence"),
    [
        ({"in_ch": 3}, "trained on 3 input channels (RGB); this generator takes 1 (L)"),
        (
            {"norm": "instance"},
            "trained with instance norm (no running statistics, biased convs); this is batch norm "
            "(running statistics stored)",
        ),
        ({"out_ch": 3}, "trained to give 3 output channels (RGB); this generator gives 2 (ab)"),
    ],
)
def test_each_setting_is_named(tmp_path: Path, kw: dict[str, object], sentence: str) -> None:
    net = identify(_reference(tmp_path, **kw)).networks["generator"]
    chosen = preset("pix2pix")[0].replace(ngf=8, depth=7)
    f = fit_network(net, chosen)
    assert f.differences == (sentence,) and f.proposal_proven
    assert _hangul(render(f.differences[0], KO))


def test_the_notebook_against_the_reference_preset(tmp_path: Path) -> None:
    path = tmp_path / "nb.pth"
    torch.save(
        {"G": Pix2Pix_Generator(8).state_dict(), "D": Pix2Pix_Discriminator(8, fixed=True).state_dict()}, path
    )
    found = identify(path)
    g, d = preset("pix2pix")
    fg = fit_network(found.networks["generator"], g.replace(ngf=8))
    assert fg.differences == ("trained with no outermost skip; this is the outermost skip",)
    assert [b.block for b in fg.blocks] == ["output_layer"]
    fd = fit_network(found.networks["discriminator"], d.replace(ndf=8))
    assert fd.differences == (
        "trained with no bias on the first and last conv; this is biases on the first and last conv",
    )
    assert fd.proposal is not None and fd.proposal.end_bias is False and fd.proposal_proven


def test_a_file_that_fits_says_so(tmp_path: Path) -> None:
    net = identify(_reference(tmp_path)).networks["generator"]
    f = fit_network(
        net, preset("pix2pix")[0].replace(ngf=8, depth=7, dropout="none")
    )  # dropout leaves no trace
    assert f.fits and not f.differences and not f.blocks and f.detail is None


# ----------------------------------------------------------------------------------- export


def test_export_writes_the_same_tensors_value_for_value(tmp_path: Path) -> None:
    source = _reference(tmp_path)
    original = torch.load(source, weights_only=True)
    found = identify(source)
    written = export(found, tmp_path / "ours.safetensors")
    tensors = load_file(written)
    names = {ours: theirs for ours, theirs in generator_modules(7).items()}
    assert len(tensors) == len(original)
    for key, value in tensors.items():
        module, attr = key.removeprefix("generator.").rsplit(".", 1)
        theirs = original[f"{names[module]}.{attr}"]
        expected = swap_cat_halves(theirs) if attr == "weight" and after_cat(module) else theirs
        assert value.dtype == expected.dtype and torch.equal(value, expected), key
    again = identify(written)  # this project's header now: the same config, proven
    assert again.networks["generator"].family == "pix2pix-inspector" and again.proven
    assert again.networks["generator"].config == found.networks["generator"].config
    generator, _ = load_generator(written)
    x = torch.rand(1, 1, 128, 128, generator=torch.Generator().manual_seed(0))
    ref = reference_unet(num_downs=7, ngf=8)
    ref.load_state_dict(original)
    assert same_outputs(generator, ref, x) < 1e-9


def test_only_proven_networks_are_exported(tmp_path: Path) -> None:
    found = identify(saved(tmp_path / "d.pth", Pix2Pix_Discriminator(8).state_dict()))  # the notebook's typo
    with pytest.raises(UserError, match="cannot be exported: it does not run"):
        export(found, tmp_path / "out.safetensors")
    assert not (tmp_path / "out.safetensors").exists()


# ---------------------------------------------------------------------------------- compare


def test_compare_per_block_against_an_oracle_and_on_a_photo(tmp_path: Path) -> None:
    a_path, b_path = _reference(tmp_path, 0, "a.pth"), _reference(tmp_path, 1, "b.pth")
    a, b = identify(a_path), identify(b_path)
    rgb = np.random.default_rng(0).integers(0, 256, (3, 128, 128), dtype=np.uint8)
    c = compare(a, b, rgb)["generator"]
    sa, sb = torch.load(a_path, weights_only=True), torch.load(b_path, weights_only=True)
    theirs = generator_modules(7)["encoder_2.1"]  # one conv, no norm weights in the block besides BatchNorm's
    block = next(x for x in c.blocks if x.block == "encoder_2")
    keys = [
        f"{theirs}.weight",
        f"{generator_modules(7)['encoder_2.2']}.weight",
        f"{generator_modules(7)['encoder_2.2']}.bias",
    ]
    diff = math.sqrt(sum(float((sb[k] - sa[k]).double().square().sum()) for k in keys))
    norm = math.sqrt(sum(float(sa[k].double().square().sum()) for k in keys))
    assert block.relative_change == pytest.approx(diff / norm, rel=1e-9)
    assert c.blocks[0].block == "input_layer" and c.blocks[-1].block == "output_layer"
    assert c.outputs is not None and c.outputs.a.shape == (128, 128, 3) and c.outputs.mean > 0
    same = compare(a, a, rgb)["generator"]
    assert same.overall == 0 and all(x.relative_change == 0 for x in same.blocks)
    assert same.outputs is not None and same.outputs.max == 0


def test_compare_refuses_two_architectures_in_words(tmp_path: Path) -> None:
    a = identify(_reference(tmp_path, 0, "a.pth"))
    b = identify(_reference(tmp_path, 0, "b.pth", ngf=4))
    with pytest.raises(UserError, match="different architectures: trained with ngf 8; this is ngf 4"):
        compare(a, b)

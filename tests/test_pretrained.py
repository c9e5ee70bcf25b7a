"""The trained pair that ships with the package: small, what its recipe says, reproducible, and telling
on first sight where the untrained pair shows nothing (colour, living feature maps, a skip ablation
that changes the picture, dropout runs that differ). The untrained oracle is the same architecture
with the notebook's N(0, 0.02) init, run the same way."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from inspector.colour.lab import AB_SCALE
from inspector.data.images import image_to_tensor
from inspector.data.samples import sample_photo
from inspector.inside.features import feature_maps
from inspector.inside.inputs import photo_lab
from inspector.inside.lens import dropout_lens
from inspector.inside.skips import ALL, ablate_skip
from inspector.pretrained import PHOTOS, RECIPE, load_pretrained, pretrained_path
from inspector.training.checkpoint import META_KEY
from models import build, init_weights

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pair():  # type: ignore[no-untyped-def]
    generator, discriminator, ckpt = load_pretrained()
    untrained = init_weights(build(ckpt.generator_config), seed=0).eval()
    rgb = image_to_tensor(sample_photo("astronaut", RECIPE.size)).numpy()
    L, _ = photo_lab(rgb)
    return generator, discriminator, ckpt, untrained, L


def _header(path: Path) -> dict:  # type: ignore[type-arg]
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(json.loads(data[8 : 8 + n])["__metadata__"][META_KEY])


def test_it_is_small_half_precision_and_says_its_recipe(pair) -> None:  # type: ignore[no-untyped-def]
    _, _, ckpt, _, _ = pair
    path = pretrained_path()
    assert path.stat().st_size < 3 * 2**20  # a few MB in the repository and the wheel
    header = _header(path)
    assert header["dtype"] == "float16" and header["kind"] == "networks"
    assert header["source"]["recipe"]["steps"] == RECIPE.steps and header["source"]["photos"] == list(PHOTOS)
    g, d = RECIPE.configs()
    assert (ckpt.generator_config, ckpt.discriminator_config) == (g, d) and ckpt.step == RECIPE.steps
    assert "motorcycle" not in PHOTOS  # no licence stated: not trained on
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "pretrained/*.safetensors" in pyproject  # shipped in the wheel


def test_it_colours_where_the_untrained_one_is_grey(pair) -> None:  # type: ignore[no-untyped-def]
    generator, _, _, untrained, L = pair
    with torch.no_grad():
        chroma = [float((g(L) * AB_SCALE).norm(dim=1).mean()) for g in (generator, untrained)]
    assert chroma[0] > 8 and chroma[1] < 1, chroma  # Lab units of colour: visible against grey


def test_its_feature_maps_live_and_its_skips_matter(pair) -> None:  # type: ignore[no-untyped-def]
    generator, _, _, untrained, L = pair
    deep = {}
    for name, g in (("trained", generator), ("untrained", untrained)):
        maps = feature_maps(g, L)
        deep[name] = float(maps["middle"].energy.max())
    assert deep["trained"] > 100 * deep["untrained"], deep  # eval-mode BN with initial statistics: tiny
    assert ablate_skip(generator, L, ALL).mean_difference > 1.0  # zeroing the skips changes the picture
    assert ablate_skip(untrained, L, ALL).mean_difference < 0.5


def test_its_dropout_runs_differ(pair) -> None:  # type: ignore[no-untyped-def]
    generator, _, _, untrained, L = pair
    assert dropout_lens(generator, L, n=4).mean_spread > 0.5
    assert dropout_lens(untrained, L, n=4).mean_spread < 0.1


def test_batch_statistics_wake_the_untrained_network(pair) -> None:  # type: ignore[no-untyped-def]
    """The one-click switch of the inside pages: BatchNorm on the photo's own statistics."""
    _, _, _, untrained, L = pair
    eval_energy = float(feature_maps(untrained, L)["middle"].energy.max())
    batch_energy = float(feature_maps(untrained, L, mode="batch-stats")["middle"].energy.max())
    assert batch_energy > 100 * eval_energy


def test_the_recipe_is_reproducible(tmp_path: Path) -> None:
    from tools.train_pretrained import train

    a, b = train(2, tmp_path / "a.safetensors"), train(2, tmp_path / "b.safetensors")
    assert a.read_bytes() == b.read_bytes()

"""init_weights: the statistics each scheme promises, checked on real tensors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from models import GeneratorConfig, build_discriminator, build_generator, init_weights, preset


@pytest.fixture(scope="module")
def small_generator() -> nn.Module:
    # ngf 32 keeps it quick while every conv still has >= 500 weights.
    return build_generator(GeneratorConfig(ngf=32, depth=6, input_size=64))


def _convs(m: nn.Module) -> list[nn.Module]:
    return [x for x in m.modules() if isinstance(x, (nn.Conv2d, nn.ConvTranspose2d))]


def test_normal_matches_the_paper() -> None:
    g = init_weights(build_generator(preset("notebook")[0]), "normal", seed=0)
    weights = torch.cat([c.weight.flatten() for c in _convs(g)])
    assert abs(weights.std().item() - 0.02) < 0.02 * 0.05
    assert abs(weights.mean().item()) < 1e-4
    for c in _convs(g):
        # every layer on its own, not only the pooled 54M numbers
        assert abs(c.weight.std().item() - 0.02) < 0.02 * 0.05 or c.weight.numel() < 5000
        assert c.bias is None or torch.count_nonzero(c.bias) == 0
    bns = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    gamma = torch.cat([b.weight for b in bns])
    assert abs(gamma.mean().item() - 1.0) < 2e-3 and abs(gamma.std().item() - 0.02) < 0.02 * 0.1
    assert all(torch.count_nonzero(b.bias) == 0 for b in bns)


def test_seeded_and_leaves_global_rng_alone(small_generator: nn.Module) -> None:
    state = torch.get_rng_state()
    a = [p.clone() for p in init_weights(small_generator, "normal", seed=7).parameters()]
    assert torch.equal(state, torch.get_rng_state())
    b = [p.clone() for p in init_weights(small_generator, "normal", seed=7).parameters()]
    c = [p.clone() for p in init_weights(small_generator, "normal", seed=8).parameters()]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_default_restores_pytorch_init(small_generator: nn.Module) -> None:
    init_weights(small_generator, "normal", seed=0)
    init_weights(small_generator, "default", seed=0)
    for c in _convs(small_generator):
        fan_in = nn.init._calculate_fan_in_and_fan_out(c.weight)[0]
        bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert c.weight.abs().max().item() <= bound + 1e-7
        if c.weight.numel() > 10_000:
            assert abs(c.weight.std().item() - bound / math.sqrt(3)) < 0.03 * bound
    bns = [m for m in small_generator.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.all(b.weight == 1) for b in bns)


@pytest.mark.parametrize("scheme", ["xavier", "kaiming"])
def test_xavier_and_kaiming_std(small_generator: nn.Module, scheme: str) -> None:
    init_weights(small_generator, scheme, gain=0.02, seed=1)
    for c in _convs(small_generator):
        if c.weight.numel() < 20_000:
            continue
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(c.weight)
        want = 0.02 * math.sqrt(2 / (fan_in + fan_out)) if scheme == "xavier" else math.sqrt(2 / fan_in)
        assert abs(c.weight.std().item() - want) < 0.05 * want


def test_bad_scheme_and_gain() -> None:
    d = build_discriminator(preset("notebook")[1])
    with pytest.raises(ValueError, match="scheme must be one of normal, xavier, kaiming, default; got 'he'"):
        init_weights(d, "he")
    with pytest.raises(ValueError, match="gain must be a number in"):
        init_weights(d, "normal", gain=0)

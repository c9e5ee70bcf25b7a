"""Weight statistics against the theory of each init scheme, and activations at init."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from torch import nn

from inspector.init_study.activations import activation_comparison, activation_stats, probe_shape
from inspector.init_study.figure import histogram_figure
from inspector.init_study.theory import AS_BUILT, Dist, Theory, theory_for
from inspector.init_study.weights import init_comparison, tensor_stats, weight_stats
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator, preset

SMALL_G = GeneratorConfig(ngf=16, depth=5, input_size=32, outer_skip=False, dropout="all")


@pytest.fixture(scope="module")
def small_g() -> nn.Module:
    torch.manual_seed(0)
    return build_generator(SMALL_G)


@pytest.fixture(scope="module")
def comparison(small_g: nn.Module):
    return init_comparison(small_g, ("normal", "xavier", "kaiming", "default"), seed=0)


def test_as_built_matches_pytorchs_default_bound(small_g: nn.Module, comparison) -> None:
    built = comparison[AS_BUILT]
    for t in built.tensors:
        if t.kind in ("conv", "conv_transpose"):
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]  # PyTorch: size(1) * k * k, for both kinds
            bound = 1 / math.sqrt(fan_in)
            assert t.fan_in == fan_in
            assert t.theory is not None and t.theory.components[0][1] == Dist("uniform", -bound, bound)
            assert -bound <= t.min and t.max <= bound  # never outside the bound
            assert abs(t.std - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)  # std 1/sqrt(3 fan_in)
        elif t.kind == "norm_weight":
            assert t.min == t.max == 1.0 and t.theory.label == "constant 1"
        elif t.kind == "norm_bias":
            assert t.min == t.max == 0.0


def test_transposed_fan_in_uses_the_out_channels() -> None:
    up = nn.ConvTranspose2d(64, 8, kernel_size=4)  # weight (64, 8, 4, 4): fan_in 8*16 = 128
    th = theory_for(up, "weight", "default")
    assert th is not None and th.components[0][1].b == pytest.approx(1 / math.sqrt(128))
    assert th.std == pytest.approx(1 / math.sqrt(3 * 128))


def test_normal_matches_n0_002(comparison) -> None:
    after = comparison["normal"]
    conv = after.groups["all_conv"]
    assert conv.theory.label == "N(0, 0.02)" and conv.theory.std == pytest.approx(0.02)
    assert abs(conv.std - 0.02) < 0.02 * 0.02 and abs(conv.mean) < 2e-4
    # The histogram's shape, not only its moments: counts within a few sigma of the theory's.
    expected = conv.theory.expected_counts(conv.hist.edges, conv.numel)
    big = expected > 50
    z = (conv.hist.counts[big] - expected[big]) / np.sqrt(expected[big])
    assert np.abs(z).max() < 6
    norm = after.groups["norm_weight"]
    assert abs(norm.mean - 1.0) < 0.005 and abs(norm.std - 0.02) < 0.005
    assert after.groups["norm_bias"].min == after.groups["norm_bias"].max == 0.0


def test_every_scheme_matches_its_own_theory(comparison) -> None:
    for key, stats in comparison.items():
        for t in stats.tensors:
            if t.kind in ("conv", "conv_transpose") and t.numel >= 2000:
                assert abs(t.std - t.theory.std) < 0.06 * t.theory.std, (key, t.name)
        g = stats.groups["all_conv"]
        assert abs(g.std - g.theory.std) < 0.03 * g.theory.std, key


def test_histograms_count_every_weight(small_g: nn.Module, comparison) -> None:
    stats = comparison[AS_BUILT]
    n = sum(p.numel() for p in small_g.parameters())
    assert sum(t.numel for t in stats.tensors) == n
    for t in stats.tensors:
        assert t.hist.counts.sum() == t.numel and len(t.hist.edges) == len(t.hist.counts) + 1 == 61
    total = stats.groups["all_conv"]
    assert total.hist.counts.sum() == total.numel
    parts = stats.groups["conv"].hist.counts + stats.groups["conv_transpose"].hist.counts
    np.testing.assert_array_equal(parts, total.hist.counts)
    # A per-tensor histogram against numpy's.
    t = stats.tensor("encoder_1.1.weight")
    ref, _ = np.histogram(small_g.encoder_1[1].weight.detach().numpy().ravel(), bins=t.hist.edges)
    assert np.abs(ref - t.hist.counts).sum() <= 2  # float32 vs float64 bin edges


def test_groups_only_and_one_tensor_equal_the_full_count(small_g: nn.Module) -> None:
    """The app's first visit counts the groups only and one layer when it is picked: same numbers."""
    full = weight_stats(small_g)
    lean = weight_stats(small_g, tensor_histograms=False)
    assert all(t.hist is None for t in lean.tensors)
    for key, group in full.groups.items():
        assert group.hist is not None and lean.groups[key].hist is not None
        np.testing.assert_array_equal(group.hist.counts, lean.groups[key].hist.counts)
        assert (group.mean, group.std, group.min, group.max) == pytest.approx(
            (lean.groups[key].mean, lean.groups[key].std, lean.groups[key].min, lean.groups[key].max)
        )
    for t in full.tensors:
        one = tensor_stats(small_g, t.name)
        assert one.row() == t.row() and one.hist is not None and t.hist is not None
        np.testing.assert_array_equal(one.hist.counts, t.hist.counts)
        np.testing.assert_array_equal(one.hist.edges, t.hist.edges)
        ref, _edges = np.histogram(
            small_g.get_parameter(t.name).detach().numpy().ravel(), bins=one.hist.edges
        )
        # float32 vs float64 bin edges: a value on an edge may land in the next bin
        assert np.abs(ref - one.hist.counts).sum() <= max(2, 1e-4 * t.numel)
    assert "edges" not in lean.to_dict()["tensors"][0] and "edges" in lean.to_dict()["groups"]["conv"]
    with pytest.raises(KeyError, match="no parameter named"):
        tensor_stats(small_g, "encoder_9.weight")


def test_comparison_leaves_the_model_alone(small_g: nn.Module) -> None:
    before = [p.detach().clone() for p in small_g.parameters()]
    init_comparison(small_g, ("normal",))
    assert all(torch.equal(a, b) for a, b in zip(before, small_g.parameters()))


def test_mixture_theory() -> None:
    a = Theory(((1.0, Dist("uniform", -1, 1)),), "a")
    b = Theory(((1.0, Dist("normal", 0, 2)),), "b")
    m = Theory.mix([(1, a), (3, b)])
    assert m.std == pytest.approx(math.sqrt(0.25 * (1 / 3) + 0.75 * 4))
    edges = np.linspace(-10, 10, 41)
    assert m.expected_counts(edges, 1000).sum() == pytest.approx(1000, rel=1e-4)
    c = Theory(((1.0, Dist("constant", 1.0)),), "ones")
    assert c.expected_counts(np.array([0.5, 1.0]), 7).tolist() == [7.0]


def test_the_54m_generator_is_fast() -> None:
    model = build_generator(preset("notebook")[0])
    start = time.perf_counter()
    stats = weight_stats(model)
    elapsed = time.perf_counter() - start
    assert stats.groups["all_conv"].numel + 2 + 2 * 4928 == 54_407_810
    # bench/weight_hist.py measures it (about 0.6 s on 2 idle cores). This bound only catches a
    # per-element Python loop or a quadratic slip; it must hold on a loaded CI machine too.
    assert elapsed < 10


def test_meta_model_is_refused() -> None:
    with torch.device("meta"):
        m = build_discriminator(DiscriminatorConfig(ndf=4))
    with pytest.raises(ValueError, match="meta"):
        weight_stats(m)


def test_activations_show_vanishing_and_kaiming_keeps_the_signal() -> None:
    d = DiscriminatorConfig(ndf=16, n_layers=3, last_stride=2, end_bias=False, input_size=64)
    model = build_discriminator(d)
    shape = probe_shape(d)
    assert shape == (2, 3, 64, 64)
    acts = activation_comparison(model, shape, ("normal", "xavier", "kaiming"), mode="eval")
    convs = {k: [r.std for r in a.of_type("Conv2d")] for k, a in acts.items()}
    assert all(len(v) == 5 for v in convs.values())
    # As built, each conv keeps about 1/sqrt(3) of the signal (and LeakyReLU halves it again).
    assert convs[AS_BUILT][-1] < convs[AS_BUILT][0] / 20
    assert convs["xavier"][-1] < 1e-6  # gain 0.02 on top of xavier: the signal vanishes
    assert 0.3 < convs["kaiming"][-1] < 3  # kaiming's sqrt(2 / fan_in) keeps it near 1
    # Train mode: BatchNorm renormalizes each block, so norm outputs sit near std 1.
    train = activation_stats(model, shape, mode="train")
    norms = [r.std for r in train.of_type("BatchNorm2d")]
    assert norms and all(abs(s - 1) < 0.05 for s in norms)
    assert model.training  # the model itself is untouched (built in train mode)


def test_probe_shape_for_the_unet() -> None:
    assert probe_shape(preset("notebook")[0], batch=1) == (1, 1, 256, 256)
    assert probe_shape(SMALL_G) == (2, 1, 64, 64)


def test_json_ready_and_figure(comparison) -> None:
    d = comparison["normal"].to_dict()
    assert d["scheme"] == "normal" and "all_conv" in d["groups"]
    assert len(d["groups"]["all_conv"]["counts"]) == 60
    fig = histogram_figure(
        [comparison[AS_BUILT].groups["all_conv"], comparison["normal"].groups["norm_weight"]],
        ["as built", "normal"],
    )
    assert len(fig.axes) == 2

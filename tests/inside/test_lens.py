"""Train vs eval: Dropout's spread, BatchNorm's two statistics, and BatchNorm at batch 1 == InstanceNorm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inspector.errors import UserError
from inspector.inside.lens import batchnorm_lens, batchnorm_vs_instancenorm, dropout_lens
from models import build_generator, init_weights, preset

SMALL = preset("notebook")[0].replace(ngf=4, depth=5, input_size=32)
L = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _model() -> nn.Module:
    return init_weights(build_generator(SMALL), seed=0).eval()


def test_dropout_runs_differ_and_eval_runs_do_not() -> None:
    model = _model()
    lens = dropout_lens(model, L, n=3, seed=4)
    assert lens.dropout_layers == ("decoder_3.3", "decoder_2.3", "decoder_1.3")
    a, b, c = lens.samples_ab
    assert not np.array_equal(a, b) and not np.array_equal(b, c) and lens.mean_spread > 0
    # The oracle: only Dropout in train mode, n forwards after one seed.
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()
    torch.manual_seed(4)
    with torch.no_grad():
        runs = [model(L)[0] for _ in range(3)]
    for got, want in zip(lens.samples_ab, runs):
        np.testing.assert_array_equal(got, want.numpy())
    model.eval()
    with torch.no_grad():
        first, second = model(L), model(L)
    assert torch.equal(first, second)  # eval: Dropout is the identity, every run is the same
    np.testing.assert_array_equal(lens.eval_ab, first[0].numpy())
    spread = (torch.stack(runs).std(0, unbiased=False) * 110).norm(dim=0)
    np.testing.assert_allclose(lens.spread, spread.numpy(), rtol=1e-4, atol=1e-5)
    assert not model.training and all(not m.training for m in model.modules())


def test_dropout_lens_needs_two_runs() -> None:
    with pytest.raises(UserError, match="n must be an integer from 2 to 16"):
        dropout_lens(_model(), L, n=1)


def test_batchnorm_lens_against_hooks_and_modes() -> None:
    model = _model()
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lens = batchnorm_lens(model, x)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # running stats restored
    norms = [n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert [layer.name for layer in lens.layers] == norms and lens.batch_size == 2
    # Oracle: BatchNorm in train mode, Dropout off, and what each norm's input was.
    seen: dict[str, torch.Tensor] = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m.register_forward_pre_hook(lambda mod, a, n=name: seen.__setitem__(n, a[0].clone()))
            m.train()
    with torch.no_grad():
        train_out = model(x)
    np.testing.assert_array_equal(lens.batch_stats_output, train_out[0].numpy())
    for layer in lens.layers:
        t = seen[layer.name]
        np.testing.assert_allclose(layer.batch_mean, t.mean((0, 2, 3)).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            layer.batch_var, t.var((0, 2, 3), unbiased=False).numpy(), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_array_equal(layer.running_var, np.ones_like(layer.running_var))  # untrained
    model.load_state_dict(before)
    model.eval()
    with torch.no_grad():
        np.testing.assert_array_equal(lens.running_stats_output, model(x)[0].numpy())
    assert lens.max_difference > 0


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(1, 8, 16, 16), (1, 3, 5, 7), (1, 64, 2, 2)])
def test_batchnorm_at_batch_1_is_instancenorm(affine: bool, shape: tuple[int, ...]) -> None:
    x = torch.randn(shape, generator=torch.Generator().manual_seed(2)) * 4 + 3
    eq = batchnorm_vs_instancenorm(x, affine=affine)
    assert eq.max_abs_difference <= 1e-5
    assert eq.batch2_difference > 1e-2  # a second image in the batch: not instance norm any more
    # Independent oracles: InstanceNorm2d without affine, and the formula by hand.
    inorm = nn.InstanceNorm2d(shape[1])(x)[0]
    manual = (x - x.mean((2, 3), keepdim=True)) / torch.sqrt(
        x.var((2, 3), unbiased=False, keepdim=True) + 1e-5
    )
    if not affine:
        np.testing.assert_allclose(eq.batch_norm, inorm.numpy(), atol=1e-5)
        np.testing.assert_allclose(eq.batch_norm, manual[0].numpy(), atol=1e-5)
    bn = F.batch_norm(x, None, None, training=True)[0]
    if not affine:
        np.testing.assert_allclose(eq.instance_norm, bn.numpy(), atol=1e-5)


def test_default_demonstration_and_refusals() -> None:
    eq = batchnorm_vs_instancenorm()
    assert eq.batch_norm.shape == (8, 16, 16) and eq.max_abs_difference <= 1e-5
    with pytest.raises(UserError, match="one image"):
        batchnorm_vs_instancenorm(torch.zeros(2, 3, 4, 4))
    with pytest.raises(UserError, match="more than one pixel"):
        batchnorm_vs_instancenorm(torch.zeros(1, 3, 1, 1))

"""The patch verdict: sigmoid(D(cat(L, ab))) cell by cell, with the receptive-field boxes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inspector.conv.receptive_field import gradient_field, receptive_field
from inspector.errors import UserError
from inspector.inside.tap import lab_rgb
from inspector.inside.verdict import patch_verdict, real_and_fake_verdicts
from models import build_discriminator, build_generator, init_weights, preset


def _inputs(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.rand(2, 1, size, size, generator=gen) * 2 - 1, (
        torch.rand(2, 2, size, size, generator=gen) - 0.5
    )


@pytest.mark.parametrize(("name", "grid", "field"), [("notebook", 8, 94), ("pix2pix", 30, 70)])
def test_verdict_is_sigmoid_of_d(name: str, grid: int, field: int) -> None:
    d = init_weights(build_discriminator(preset(name)[1].replace(ndf=4)), seed=0).eval()
    L, ab = _inputs(256)
    with torch.no_grad():
        expected = torch.sigmoid(d(torch.cat((L, ab), dim=1)))[0, 0]
    v = patch_verdict(d, L, ab)
    assert v.grid == (grid, grid) and v.field_size == field and v.input_size == 256
    np.testing.assert_allclose(v.probability, expected.numpy(), rtol=1e-6)
    assert v.boxes.shape == (grid, grid, 4)
    rf = receptive_field(d, 256)
    for row, col in [(0, 0), (grid // 2, 1), (grid - 1, grid - 1)]:
        assert tuple(v.boxes[row, col]) == rf.field(row, col)


def test_boxes_are_the_gradient_fields() -> None:
    cfg = preset("notebook")[1].replace(ndf=4, input_size=128)
    d = init_weights(build_discriminator(cfg), seed=0)
    L, ab = _inputs(128)
    v = patch_verdict(d, L, ab)
    for row, col in [(0, 0), (1, 2), (3, 3)]:
        mask = gradient_field(d, (1, 3, 128, 128), row, col)
        ys, xs = torch.nonzero(mask, as_tuple=True)
        assert tuple(v.boxes[row, col]) == (int(ys.min()), int(xs.min()), int(ys.max()), int(xs.max()))


def test_bad_inputs() -> None:
    d = build_discriminator(preset("notebook")[1].replace(ndf=2, input_size=64))
    L, ab = _inputs(64)
    with pytest.raises(UserError, match="ab must have 2 channel"):
        patch_verdict(d, L, L)
    with pytest.raises(UserError, match="must agree in batch and size"):
        patch_verdict(d, L[:1], ab)
    with pytest.raises(UserError, match="must be square"):
        patch_verdict(d, L[..., :32], ab[..., :32])


def test_real_and_fake_verdicts_judge_the_photo_and_the_eval_colorization() -> None:
    g_cfg, d_cfg = preset("notebook")
    g = init_weights(build_generator(g_cfg.replace(ngf=4, depth=3, input_size=64)), seed=0).train()
    d = init_weights(build_discriminator(d_cfg.replace(ndf=4, input_size=64)), seed=1).eval()
    L, ab = _inputs(64)
    real, fake, fake_rgb = real_and_fake_verdicts(g, d, L, ab)
    assert g.training and all(m.training for m in g.modules())  # its modes are put back
    with torch.no_grad():
        colorized = g.eval()(L)  # eval: no Dropout, the same answer every time
    np.testing.assert_allclose(real.probability, patch_verdict(d, L, ab).probability, rtol=1e-6)
    np.testing.assert_allclose(fake.probability, patch_verdict(d, L, colorized).probability, rtol=1e-6)
    np.testing.assert_array_equal(fake_rgb, lab_rgb(L, colorized))
    assert fake_rgb.shape == (64, 64, 3) and fake_rgb.dtype == np.uint8


def test_a_generator_that_cannot_run_is_a_user_error() -> None:
    d = build_discriminator(preset("notebook")[1].replace(ndf=4, input_size=64))
    L, ab = _inputs(64)
    with pytest.raises(UserError, match="cannot run on an input of shape"):
        real_and_fake_verdicts(torch.nn.Conv2d(3, 2, 1), d, L, ab)

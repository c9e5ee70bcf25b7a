"""The init code the Weight init page shows, run for real and checked against models.init_weights."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from inspector.ui.init_code import INIT_CODE
from models import DiscriminatorConfig, GeneratorConfig, build, init_weights

GAIN = 0.05
MIN_NUMEL = 4096  # a std measured on fewer weights is too noisy to compare at 10 %


def _models() -> list[nn.Module]:
    torch.manual_seed(0)
    g = build(
        GeneratorConfig(ngf=16, depth=5, input_size=32)
    )  # Conv2d, ConvTranspose2d with a bias, BatchNorm2d
    d = build(DiscriminatorConfig(ndf=16, n_layers=3, end_bias=True))
    return [g, d]


def _run_snippet(model: nn.Module, scheme: str, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    code = compile(INIT_CODE[scheme], f"INIT_CODE[{scheme!r}]", "exec")
    with torch.no_grad():
        for m in model.modules():
            exec(code, {"nn": nn, "m": m, "gain": GAIN})
    return model


def test_every_scheme_but_the_notebooks_has_its_code() -> None:
    assert set(INIT_CODE) == {"xavier", "kaiming", "default"}  # "normal" shows the notebook's ini_weight


@pytest.mark.parametrize("scheme", sorted(INIT_CODE))
def test_the_code_shown_draws_what_init_weights_draws(scheme: str) -> None:
    for base in _models():
        shown = _run_snippet(copy.deepcopy(base), scheme, seed=1)
        ran = init_weights(copy.deepcopy(base), scheme, gain=GAIN, seed=1)
        for (name, a), (_, b) in zip(shown.named_parameters(), ran.named_parameters(), strict=True):
            # "default": the same reset_parameters calls from the same seed give the same numbers;
            # a constant (a zero bias, BatchNorm's γ = 1) must be set exactly by the snippet too.
            if scheme == "default" or not b.any() or (b == 1).all():
                torch.testing.assert_close(a, b, msg=name)
            elif b.numel() >= MIN_NUMEL:
                assert a.mean().item() == pytest.approx(b.mean().item(), abs=0.1 * b.std().item()), name
                assert a.std().item() == pytest.approx(b.std().item(), rel=0.1), name
                # The same family, not only the same std: a normal has 4.6 % beyond 2 std, a uniform none.
                assert _tail(a) == pytest.approx(_tail(b), abs=0.015), name


def _tail(t: torch.Tensor) -> float:
    centred = t - t.mean()
    return (centred.abs() > 2 * centred.std()).float().mean().item()

"""Skip ablation: nothing zeroed is the plain forward; zeroing equals a hand-made zero skip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inspector.colour.lab import AB_SCALE
from inspector.errors import UserError
from inspector.inside.skips import ablate_skip, ablate_skips, available_skips
from models import build_generator, init_weights, preset

SMALL = preset("notebook")[0].replace(ngf=4, depth=5, input_size=32)
L = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _model(cfg=SMALL):  # type: ignore[no-untyped-def]
    return init_weights(build_generator(cfg), seed=0).eval()


def _zeroed_forward(model, L: torch.Tensor, names: set[str]) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """The oracle: the generator's forward written out, with the named skips' outputs zeroed."""
    feats: dict[str, torch.Tensor] = {}
    x = L
    with torch.no_grad():
        for spec in model.plan:
            if spec.skip is not None:
                skip = feats[spec.skip]
                x = torch.cat((x, torch.zeros_like(skip) if spec.skip in names else skip), dim=1)
            x = getattr(model, spec.name)(x)
            if spec.role in ("input", "encoder"):
                feats[spec.name] = x
    return x


def test_nothing_zeroed_is_the_plain_forward() -> None:
    model = _model()
    with torch.no_grad():
        plain = model(L)
    result = ablate_skip(model, L, None)
    assert result.zeroed == () and result.mean_difference == 0.0
    np.testing.assert_array_equal(result.intact_ab, plain[0].numpy())
    np.testing.assert_array_equal(result.ablated_ab, plain[0].numpy())
    assert result.intact.shape == (32, 32, 3) and result.intact.dtype == np.uint8


@pytest.mark.parametrize(
    ("skip", "names"),
    [
        ("encoder_1", {"encoder_1"}),
        ("encoder_3", {"encoder_3"}),
        ("all", {"encoder_1", "encoder_2", "encoder_3"}),
    ],
)
def test_zeroing_a_skip_equals_the_hand_written_forward(skip: str, names: set[str]) -> None:
    model = _model()
    result = ablate_skip(model, L, skip)
    assert set(result.zeroed) == names
    expected = _zeroed_forward(model, L, names)[0]
    np.testing.assert_allclose(result.ablated_ab, expected.numpy(), atol=1e-6)
    diff = (torch.from_numpy(result.intact_ab - result.ablated_ab) * AB_SCALE).norm(dim=0)
    np.testing.assert_allclose(result.difference, diff.numpy(), atol=1e-4)
    assert result.mean_difference > 0


def test_outer_skip_and_names() -> None:
    ref = init_weights(build_generator(preset("pix2pix")[0].replace(ngf=4, depth=5, input_size=32)), seed=0)
    assert available_skips(ref, (1, 1, 32, 32)) == ("encoder_3", "encoder_2", "encoder_1", "input_layer")
    assert ablate_skip(ref, L, "input_layer").zeroed == ("input_layer",)
    with pytest.raises(UserError, match="no skip named 'decoder_1'; skips of this model: encoder_3"):
        ablate_skip(ref, L, "decoder_1")


def test_refuses_what_is_not_l() -> None:
    with pytest.raises(UserError, match="L must have 1 channel"):
        ablate_skip(_model(), torch.zeros(1, 3, 32, 32))


def test_many_at_once_equal_one_by_one() -> None:
    model = _model()
    many = ablate_skips(model, L)
    assert [a.skip for a in many] == ["encoder_3", "encoder_2", "encoder_1", "all"]
    for a in many:
        one = ablate_skip(model, L, a.skip)
        assert one.zeroed == a.zeroed
        np.testing.assert_array_equal(one.ablated_ab, a.ablated_ab)
        np.testing.assert_array_equal(one.intact, a.intact)
    with pytest.raises(UserError, match="no skip named 'x'"):
        ablate_skips(model, L, ["encoder_1", "x"])

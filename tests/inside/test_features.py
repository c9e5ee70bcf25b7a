"""Feature maps against PyTorch's own forward hooks (the oracle), on small U-Nets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from inspector.errors import UserError
from inspector.inside.features import channel_energy, feature_maps
from models import build_generator, init_weights, preset

SMALL = preset("notebook")[0].replace(ngf=4, depth=5, input_size=32)
SMALL_REF = preset("pix2pix")[0].replace(ngf=4, depth=5, input_size=32)


def _model(cfg=SMALL) -> nn.Module:  # type: ignore[no-untyped-def]
    return init_weights(build_generator(cfg), seed=0)


def _hooked(model: nn.Module, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
    """The oracle: forward hooks on the blocks (cloned at once) and the inputs each decoder receives."""
    blocks: dict[str, torch.Tensor] = {}
    cats: list[torch.Tensor] = []
    handles = []
    for name, module in model.named_children():
        handles.append(module.register_forward_hook(lambda m, a, o, n=name: blocks.__setitem__(n, o.clone())))
    for spec in model.plan:
        if spec.skip is not None:
            handles.append(
                getattr(model, spec.name).register_forward_pre_hook(lambda m, a: cats.append(a[0].clone()))
            )
    model.eval()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return blocks, cats


@pytest.mark.parametrize("cfg", [SMALL, SMALL_REF], ids=["notebook", "pix2pix"])
def test_maps_equal_forward_hooks_in_u_order(cfg) -> None:  # type: ignore[no-untyped-def]
    model = _model(cfg)
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    blocks, cats = _hooked(model, x)
    fm = feature_maps(model, x)
    block_maps = [m for m in fm if m.kind == "block"]
    cat_maps = [m for m in fm if m.kind == "cat"]
    assert [m.name for m in block_maps] == [s.name for s in model.plan]
    for m in block_maps:
        np.testing.assert_array_equal(m.values, blocks[m.name][0].numpy())
        assert m.shape == tuple(blocks[m.name].shape)
    # Each cat's result is what its consumer's pre-hook receives (before its in-place ReLU).
    assert len(cat_maps) == len(cats) == sum(s.skip is not None for s in model.plan)
    for m, seen in zip(cat_maps, cats):
        np.testing.assert_array_equal(m.values, seen[0].numpy())
    # U order: each cat sits right before the block that consumes it.
    names = list(fm.names)
    for m in cat_maps:
        assert m.consumer is not None and names[names.index(m.name) + 1] == m.consumer
    assert fm.output_shape == (2, 2, 32, 32) and fm.mode == "eval"


def test_cat_parts_name_the_skip_and_the_decoder_path() -> None:
    fm = feature_maps(_model(), torch.zeros(1, 1, 32, 32))
    first = fm["torch.cat#0"]
    decoder, skip = first.parts
    assert (decoder.producer, decoder.role, decoder.start, decoder.stop) == ("middle", "decoder", 0, 32)
    assert (skip.producer, skip.role, skip.start, skip.stop) == ("encoder_3", "skip", 32, 64)
    # The skip's channels are encoder_3's output after middle.0, LeakyReLU(0.2, True), rewrote it.
    assert first.modified_in_place[1] == ("middle.0",)
    enc = fm["encoder_3"].values
    np.testing.assert_allclose(first.values[32:], np.where(enc > 0, enc, 0.2 * enc), rtol=1e-6, atol=1e-7)
    strongest_skip = first.strongest(5, skip)
    assert len(strongest_skip) == 5 and all(32 <= c < 64 for c in strongest_skip)


def test_channels_ranked_by_mean_square() -> None:
    fm = feature_maps(_model(), torch.randn(1, 1, 32, 32, generator=torch.Generator().manual_seed(2)))
    for m in fm:
        expected = (torch.from_numpy(m.values).double() ** 2).flatten(1).mean(1)
        np.testing.assert_allclose(m.energy, expected.numpy(), rtol=1e-5)
        assert np.all(np.diff(m.energy[m.order]) <= 0)
    values = np.zeros((3, 2, 2), np.float32)
    values[2] = 1.0
    assert channel_energy(values)[1].tolist() == [2, 0, 1]  # ties keep channel order


def test_train_mode_is_seeded_and_leaves_the_model_as_it_was() -> None:
    model = _model().eval()
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    stats = {k: v.clone() for k, v in model.state_dict().items()}
    state = torch.get_rng_state()
    a = feature_maps(model, x, mode="train", seed=5)
    b = feature_maps(model, x, mode="train", seed=5)
    c = feature_maps(model, x, mode="train", seed=6)
    assert not model.training and all(not m.training for m in model.modules())
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in stats.items())  # running stats kept
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(a["output_layer"].values, b["output_layer"].values)
    assert not np.array_equal(a["output_layer"].values, c["output_layer"].values)  # other dropout masks
    # The oracle: the model itself in train mode after the same seed.
    model.train()
    torch.manual_seed(5)
    with torch.no_grad():
        out = model(x)
    np.testing.assert_array_equal(a["output_layer"].values, out[0].numpy())


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (torch.zeros(1, 3, 32, 32), "cannot run on an input of shape (1, 3, 32, 32)"),
        (torch.zeros(1, 1, 32, 32, dtype=torch.long), "must be a float tensor"),
        (np.zeros((1, 1, 32, 32)), "must be a torch tensor"),
    ],
)
def test_bad_input_is_a_user_error(x, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        feature_maps(_model(), x)

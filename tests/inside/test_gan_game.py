"""The GAN game against PyTorch: a move changes only the stepped network, norms equal torch's."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from inspector.errors import UserError
from inspector.inside.gan_game import GanGame, d_has_won, layer_grad_norms, tiny_configs
from models import preset


def _game(**kw: object) -> GanGame:
    g, d = tiny_configs(*preset("notebook"), size=32, width=4)
    gen = torch.Generator().manual_seed(0)
    L = torch.rand(2, 1, 32, 32, generator=gen) * 2 - 1
    ab = torch.rand(2, 2, 32, 32, generator=gen) * 0.4 - 0.2
    return GanGame(g, d, L, ab, **kw)  # type: ignore[arg-type]


def _params(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("move", ["D", "G"])
def test_a_move_changes_only_the_stepped_network(move: str) -> None:
    game = _game()
    g0, d0 = _params(game.G), _params(game.D)
    game.play(move)  # type: ignore[arg-type]
    g1, d1 = _params(game.G), _params(game.D)
    assert _same(g0, g1) == (move == "D")
    assert _same(d0, d1) == (move == "G")


def test_a_d_move_gives_g_no_gradient_and_its_norms_equal_torchs() -> None:
    game = _game()
    record = game.play("D")
    assert all(n == 0 for _, n in record.grad_g)
    # torch's own total norm of D's gradients (still there after the step) against ours
    total = torch.nn.utils.clip_grad_norm_(game.D.parameters(), float("inf"))
    ours = sum(n**2 for _, n in record.grad_d) ** 0.5
    assert ours == pytest.approx(float(total), rel=1e-5)
    for name, norm in record.grad_d:
        module = game.D.get_submodule(name)
        want = torch.linalg.vector_norm(
            torch.cat([p.grad.flatten() for p in module.parameters(recurse=False)])
        )
        assert norm == pytest.approx(float(want), rel=1e-5)


def test_the_g_move_losses_are_torchs_and_split_into_gan_and_l1() -> None:
    game = _game(lambda_l1=10.0)
    record = game.play("G")
    total = torch.nn.utils.clip_grad_norm_(game.G.parameters(), float("inf"))
    assert sum(n**2 for _, n in record.grad_g) ** 0.5 == pytest.approx(float(total), rel=1e-5)
    assert record.g_loss == pytest.approx(record.g_gan + 10.0 * record.g_l1)
    assert layer_grad_norms(game.G) == record.grad_g
    # BCE of D on the first fake in probability terms: -log p averaged
    assert record.g_gan == pytest.approx(
        float(F.binary_cross_entropy(torch.tensor(record.fake_map), torch.ones(record.fake_map.shape))),
        rel=0.3,
    )


@pytest.mark.slow  # 40 moves
def test_d_wins_outright_with_a_large_learning_rate_and_the_alarm_says_so() -> None:
    game = _game(lr=2e-2)
    assert not game.d_won
    record = game.play_many("D", 40)
    assert record.d_loss < 0.05 and record.p_fake < 0.05
    assert game.d_won and d_has_won(game.history)


def test_bad_moves_and_batches_are_user_errors() -> None:
    game = _game()
    with pytest.raises(UserError, match="'D' or 'G'"):
        game.play("X")  # type: ignore[arg-type]
    g, d = tiny_configs(*preset("notebook"), size=32, width=4)
    with pytest.raises(UserError, match="L must be"):
        GanGame(g, d, torch.zeros(2, 1, 16, 16), torch.zeros(2, 2, 16, 16))
    g, d = tiny_configs(*preset("notebook-as-written"), size=32, width=4)
    typo = GanGame(g, d, torch.zeros(2, 1, 32, 32), torch.zeros(2, 2, 32, 32))
    with pytest.raises(UserError, match="cannot play"):
        typo.play("D")


def test_a_game_can_start_from_given_weights_and_leaves_them_untouched() -> None:
    trained = _game()
    trained.play_many("G", 2)  # weights unlike a fresh init
    g_state = {k: v.clone() for k, v in trained.G.state_dict().items()}
    d_state = {k: v.clone() for k, v in trained.D.state_dict().items()}
    game = _game(init=(g_state, d_state))
    assert _same(_params(game.G), _params(trained.G)) and _same(_params(game.D), _params(trained.D))
    game.play("G")
    assert not _same(_params(game.G), _params(trained.G))  # the game's own copy moved ...
    assert all(
        torch.equal(g_state[k], v) for k, v in trained.G.state_dict().items()
    )  # ... the given one did not

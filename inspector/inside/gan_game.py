"""The GAN game one move at a time: a discriminator step or a generator step on one fixed batch.

GAN Lab shows the adversarial game on a 2-D toy; here it is pix2pix itself, made tiny so that a
CPU answers a click at once. Each move is exactly one half of ``Trainer._train_step``:

- a **D step**: ``0.5 * (BCE(D(L, ab), 1) + BCE(D(L, G(L).detach()), 0))``, then ``opt_D.step()``;
  G gets no gradient (the fake is detached), so G's weights cannot move.
- a **G step**: ``BCE(D(L, G(L)), 1) + lambda * L1(G(L), ab)``, then ``opt_G.step()``. D's
  gradients from that loss are computed too (they show how loud D's signal to G is) but never
  applied: D's weights stay as they were.

Every move records the losses, D(real) and D(fake) (mean sigmoid over all patches), the patch
map of D on the first fake, and the gradient norm of every layer of both networks. When D wins
outright (its loss near 0 and D(fake) near 0 for several moves) the game raises an alarm: G's
adversarial gradient then vanishes (``BCE`` saturates), and only L1 still teaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inspector.display import RichDisplay
from inspector.errors import UserError
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator, init_weights
from models.discriminator import conditional_pair
from models.text import Text, message_of

Move = Literal["D", "G"]
LayerNorms = tuple[tuple[str, float], ...]  # (module name, gradient norm of its own parameters)

WIN_LOSS = 0.05  # D's loss below this ...
WIN_FAKE = 0.05  # ... and D(fake) below this ...
WIN_MOVES = 5  # ... for this many D moves in a row: D has won outright


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class MoveRecord(RichDisplay):
    """One move of the game and what it measured (before the optimizer stepped)."""

    number: int  # 1, 2, ... over the whole game
    move: Move
    d_loss: float  # 0.5 * (d_real + d_fake)
    d_real: float  # BCE(D(L, ab), 1)
    d_fake: float  # BCE(D(L, G(L)), 0)
    g_gan: float  # BCE(D(L, G(L)), 1)
    g_l1: float  # mean |G(L) - ab|, normalized units
    lambda_l1: float
    p_real: float  # mean sigmoid(D(L, ab)) over the batch and the patches: 1 = "real"
    p_fake: float  # mean sigmoid(D(L, G(L)))
    fake_map: np.ndarray  # (h, w) float32: sigmoid(D) per patch on the first fake
    real_map: np.ndarray  # (h, w) float32: sigmoid(D) per patch on the first real pair
    grad_g: LayerNorms  # G's per-layer gradient norms (all 0 after a D move)
    grad_d: LayerNorms  # D's per-layer gradient norms (from G's loss after a G move; not applied)

    @property
    def g_loss(self) -> float:
        """G's whole loss: GAN + lambda x L1."""
        return self.g_gan + self.lambda_l1 * self.g_l1


def layer_grad_norms(model: nn.Module) -> LayerNorms:
    """Each module that owns parameters: the 2-norm of all its own parameters' gradients (0 if none)."""
    norms = []
    for name, module in model.named_modules():
        own = list(module.parameters(recurse=False))
        if not own:
            continue
        squares = sum(float(p.grad.detach().double().square().sum()) for p in own if p.grad is not None)
        norms.append((name, squares**0.5))
    return tuple(norms)


@dataclass
class GanGame(RichDisplay):
    """A tiny pix2pix pair, its two Adam optimizers and one fixed batch (L, ab), played move by move.

    ``L`` is (B, 1, S, S) in [-1, 1] and ``ab`` (B, 2, S, S), both as the notebook's dataset
    normalizes them; S must be the configs' input size. Weights start from N(0, 0.02) (seeded), or
    from ``init``'s state dicts (generator, discriminator): a trained pair plays on.
    """

    g_cfg: GeneratorConfig
    d_cfg: DiscriminatorConfig
    L: Tensor
    ab: Tensor
    lambda_l1: float = 100.0
    lr: float = 2e-4
    seed: int = 0
    history: list[MoveRecord] = field(default_factory=list)
    init: tuple[Mapping[str, Tensor], Mapping[str, Tensor]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        size = self.g_cfg.input_size
        want = (size, size)
        if self.L.dim() != 4 or self.L.shape[1] != 1 or tuple(self.L.shape[2:]) != want:
            raise UserError(
                Text(
                    "L must be (B, 1, {size}, {size}) for this generator, got {shape}",
                    size=size,
                    shape=str(tuple(self.L.shape)),
                )
            )
        if tuple(self.ab.shape) != (self.L.shape[0], 2, size, size):
            raise UserError(
                Text(
                    "ab must be ({batch}, 2, {size}, {size}), got {shape}",
                    batch=self.L.shape[0],
                    size=size,
                    shape=str(tuple(self.ab.shape)),
                )
            )
        if self.d_cfg.input_size != size:
            raise UserError(
                Text(
                    "both networks must see {size}x{size}; the discriminator is set to {d_size}",
                    size=size,
                    d_size=self.d_cfg.input_size,
                )
            )
        if not (self.lr > 0 and self.lambda_l1 >= 0):
            raise UserError(
                Text(
                    "lr must be > 0 and lambda >= 0, got {lr} and {lambda_l1}",
                    lr=self.lr,
                    lambda_l1=self.lambda_l1,
                )
            )
        with torch.random.fork_rng(devices=[]):  # the app's global random state is not ours to move
            torch.manual_seed(self.seed)
            self.G = init_weights(build_generator(self.g_cfg), seed=self.seed).train()
            self.D = init_weights(build_discriminator(self.d_cfg), seed=self.seed + 1).train()
        if self.init is not None:  # copied: the game's moves never touch the caller's tensors
            self.G.load_state_dict(self.init[0])
            self.D.load_state_dict(self.init[1])
        betas = (0.5, 0.999)  # the paper's Adam
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=self.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=self.lr, betas=betas)
        self.L, self.ab = self.L.detach().float(), self.ab.detach().float()
        self._dropout_rng = torch.Generator().manual_seed(self.seed)

    # ---------------------------------------------------------------------------- one move
    def _forward(self, move: Move) -> MoveRecord:
        L, ab = self.L, self.ab
        with torch.random.fork_rng(devices=[]):  # dropout masks from the game's own stream
            torch.set_rng_state(self._dropout_rng.get_state())
            fake = self.G(L)  # (B, 2, S, S)
            self._dropout_rng.set_state(torch.get_rng_state())
        real_logits = self.D(conditional_pair(L, ab))  # (B, 1, h, w)
        fake_in = fake.detach() if move == "D" else fake  # a D move must not reach G
        fake_logits = self.D(conditional_pair(L, fake_in))
        if real_logits.dim() != 4 or real_logits.shape[1] != 1:
            raise UserError(
                Text(
                    "the discriminator must return (B, 1, h, w), it returned {shape}",
                    shape=str(tuple(real_logits.shape)),
                )
            )
        d_real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        d_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        g_gan = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        g_l1 = F.l1_loss(fake, ab)
        self.opt_G.zero_grad(set_to_none=True)
        self.opt_D.zero_grad(set_to_none=True)
        if move == "D":
            (0.5 * (d_real + d_fake)).backward()
        else:
            (g_gan + self.lambda_l1 * g_l1).backward()
        with torch.no_grad():
            p_real, p_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
            d_real, d_fake, g_gan, g_l1 = (t.detach() for t in (d_real, d_fake, g_gan, g_l1))
        return MoveRecord(
            number=len(self.history) + 1,
            move=move,
            d_loss=float(0.5 * (d_real + d_fake)),
            d_real=float(d_real),
            d_fake=float(d_fake),
            g_gan=float(g_gan),
            g_l1=float(g_l1),
            lambda_l1=self.lambda_l1,
            p_real=float(p_real.mean()),
            p_fake=float(p_fake.mean()),
            fake_map=p_fake[0, 0].numpy().copy(),
            real_map=p_real[0, 0].numpy().copy(),
            grad_g=layer_grad_norms(self.G),
            grad_d=layer_grad_norms(self.D),
        )

    def play(self, move: Move) -> MoveRecord:
        """One move: ``"D"`` updates only the discriminator, ``"G"`` only the generator."""
        if move not in ("D", "G"):
            raise UserError(Text("a move is 'D' or 'G', got {move}", move=repr(move)))
        try:
            record = self._forward(move)
        except RuntimeError as exc:  # e.g. the notebook's typo: D cannot take 64 channels
            raise UserError(Text("this pair cannot play: {error}", error=str(exc).splitlines()[0])) from None
        (self.opt_D if move == "D" else self.opt_G).step()
        self.history.append(record)
        return record

    def play_many(self, move: Move, n: int) -> MoveRecord:
        """``n`` moves of the same kind in a row; returns the last."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
            raise UserError(Text("n must be an integer from 1 to 1000, got {n}", n=repr(n)))
        record = self.play(move)
        for _ in range(n - 1):
            record = self.play(move)
        return record

    def fake_ab(self) -> Tensor:
        """G's current colorization of the batch in eval mode, (B, 2, S, S)."""
        was = self.G.training
        self.G.eval()
        try:
            with torch.no_grad():
                return self.G(self.L)
        finally:
            self.G.train(was)

    # ------------------------------------------------------------------------------- alarm
    @property
    def d_won(self) -> bool:
        """True when the last ``WIN_MOVES`` D moves all had D loss < WIN_LOSS and D(fake) < WIN_FAKE."""
        return d_has_won(self.history)


def d_has_won(history: list[MoveRecord], moves: int = WIN_MOVES) -> bool:
    """Whether D won outright: its last ``moves`` moves all with loss and D(fake) near 0."""
    last = [r for r in history if r.move == "D"][-moves:]
    return len(last) == moves and all(r.d_loss < WIN_LOSS and r.p_fake < WIN_FAKE for r in last)


def tiny_configs(
    g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig, size: int = 64, width: int = 8
) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The sidebar's architecture made small enough to play on a CPU: ``width`` channels, ``size`` px.

    The depth is cut to what ``size`` allows (at least 2); the discriminator keeps its layers,
    norm, strides and typo. Raises ``UserError`` if the small pair cannot be built.
    """
    depth = max(2, min(g_cfg.depth, size.bit_length() - 1))
    try:
        g = g_cfg.replace(ngf=width, depth=depth, input_size=size)
        d = d_cfg.replace(ndf=width, input_size=size)
    except ValueError as exc:
        raise UserError(Text("no small version of these settings: {error}", error=message_of(exc))) from None
    return g, d

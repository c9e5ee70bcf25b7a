"""One pix2pix training step: a D update, then a G update (Isola et al. 2017, eq. 4).

D's loss is halved (paper, section 3.3); G's is ``GAN + lambda * L1`` through a frozen D, or
``lambda * L1`` alone during the warm-up. The step returns its statistics as one tensor on the
device, so that the loop can fetch several steps with one sync.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from inspector.data.image_set import make_batch
from inspector.training.config import TrainConfig
from inspector.training.device import autocast
from inspector.training.state import TrainState
from models.discriminator import conditional_pair


def _set_requires_grad(model: nn.Module, flag: bool) -> None:
    for p in model.parameters():
        p.requires_grad_(flag)


def train_step(s: TrainState, cfg: TrainConfig, size: int, step: int) -> torch.Tensor:
    """One D update and one G update on a fresh batch of side ``size``; returns the detached
    stats (6,) on the device, in ``LOSS_NAMES`` order: G_GAN, G_L1, D_real, D_fake, D(real), D(fake)."""
    L, ab = make_batch(s.images, cfg.batch, size, s.sampler, flip=cfg.flip, crop=cfg.crop)
    L = L.contiguous(memory_format=s.memory_format)  # (B, 1, S, S) in [-1, 1]
    ab = ab.contiguous(memory_format=s.memory_format)  # (B, 2, S, S) in about [-1, 1]
    with autocast(s.device):
        fake = s.G_train(L)  # (B, 2, S, S)

    # D: real pairs towards 1 (or 1 - smoothing), generated pairs towards 0; loss halved.
    _set_requires_grad(s.D, True)
    s.opt_D.zero_grad(set_to_none=True)
    # Two backward passes, the first without DDP's gradient sync: DDP expects one forward
    # per backward, and the summed gradients are the same as for the summed loss.
    no_sync = s.D_train.no_sync() if isinstance(s.D_train, DDP) else contextlib.nullcontext()
    with no_sync:
        with autocast(s.device):
            real_logits = s.D_train(conditional_pair(L, ab))  # (B, 1, h, w)
        d_real = F.binary_cross_entropy_with_logits(
            real_logits.float(), torch.full_like(real_logits, 1.0 - cfg.label_smoothing, dtype=torch.float32)
        )
        (0.5 * d_real).backward()
    with autocast(s.device):
        fake_logits = s.D_train(conditional_pair(L, fake.detach()))
    d_fake = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits.float()))
    (0.5 * d_fake).backward()
    s.opt_D.step()

    # G: fool D (through the plain module: D's weights are frozen, nothing of D to sync) and
    # stay close to the truth in L1.
    _set_requires_grad(s.D, False)
    s.opt_G.zero_grad(set_to_none=True)
    warmup = step <= cfg.l1_warmup_steps
    with autocast(s.device), torch.set_grad_enabled(not warmup):
        g_logits = s.D(conditional_pair(L, fake))
    g_gan = F.binary_cross_entropy_with_logits(g_logits.float(), torch.ones_like(g_logits.float()))
    g_l1 = F.l1_loss(fake.float(), ab.float())
    g_loss = cfg.lambda_l1 * g_l1 if warmup else g_gan + cfg.lambda_l1 * g_l1
    g_loss.backward()
    s.opt_G.step()
    _set_requires_grad(s.D, True)

    with torch.no_grad():
        return (
            torch.stack(
                [
                    g_gan,
                    g_l1,
                    d_real,
                    d_fake,
                    torch.sigmoid(real_logits.float()).mean(),
                    torch.sigmoid(fake_logits.float()).mean(),
                ]
            )
            .detach()
            .float()
        )

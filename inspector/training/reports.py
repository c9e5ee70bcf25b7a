"""What a run reports: per-step losses, sample grids and how the run ended.

The trainer hands these to its callbacks (``on_step_end``: :class:`StepMetrics`, ``on_sample``:
:class:`Sample`, ``on_end``: :class:`TrainResult`); the CLI prints them, the app draws them and
``run_files`` writes them. Nothing here trains or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from inspector.colour.lab import denormalize_lab, lab_to_rgb, rgb_to_uint8
from inspector.display import RichDisplay

Status = Literal["completed", "stopped", "diverged", "out_of_memory"]
EVENTS = ("on_step_end", "on_sample", "on_checkpoint", "on_warning", "on_end")
LOSS_NAMES = ("G_GAN", "G_L1", "D_real", "D_fake", "D(real)", "D(fake)")


@dataclass(frozen=True)
class StepMetrics:
    """What one step reports. Losses are means over the batch (and over ranks under torchrun)."""

    step: int
    total_steps: int
    g_gan: float  # G's adversarial loss: BCE(D(L, G(L)), real)
    g_l1: float  # mean |G(L) - ab| in normalized units (G's loss adds lambda times this)
    d_real: float  # BCE(D(L, ab), real)
    d_fake: float  # BCE(D(L, G(L)), fake)
    p_real: float  # mean sigmoid(D(L, ab)): D's confidence that real pairs are real
    p_fake: float  # mean sigmoid(D(L, G(L))): near 0.5 when G fools D half the time
    images_per_s: float  # all ranks together
    memory_mb: float
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "G_GAN": self.g_gan,
            "G_L1": self.g_l1,
            "D_real": self.d_real,
            "D_fake": self.d_fake,
            "D(real)": self.p_real,
            "D(fake)": self.p_fake,
            "images_per_s": round(self.images_per_s, 2),
            "memory_mb": round(self.memory_mb, 1),
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass(frozen=True)
class Sample:
    """A grid for fixed validation images: one row each, columns L input | generated | ground truth."""

    step: int
    grid: np.ndarray  # (rows * S, 3 * S, 3) uint8
    path: Path | None  # the PNG under RUN_DIR/samples, if written


@dataclass
class TrainResult(RichDisplay):
    """How a run ended: its status, the last good step, a sentence for the user and the checkpoint."""

    status: Status
    # The last step known good. After a divergence or out-of-memory with log_every > 1, up to
    # log_every - 1 later updates may already be in the live model; the checkpoint never has them.
    step: int
    message: str
    checkpoint: Path | None = None  # the last good checkpoint
    checkpoint_step: int | None = None
    last_metrics: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    replicas_in_sync: bool | None = None  # under torchrun: did all ranks end with the same weights


def sample_grid(L: torch.Tensor, fake_ab: torch.Tensor, real_ab: torch.Tensor) -> np.ndarray:
    """Normalized L (B, 1, S, S), predicted and true ab (B, 2, S, S) -> uint8 (B * S, 3 * S, 3):
    each row is the grey input, the colorization and the original."""
    L, fake_ab, real_ab = L.float(), fake_ab.float(), real_ab.float()
    columns = [
        lab_to_rgb(denormalize_lab(L, torch.zeros_like(real_ab))),  # L alone: what G starts from
        lab_to_rgb(denormalize_lab(L, fake_ab)),
        lab_to_rgb(denormalize_lab(L, real_ab)),
    ]
    rows = torch.cat(columns, dim=3)  # (B, 3, S, 3S)
    grid = torch.cat(list(rows), dim=1)  # (3, B*S, 3S)
    return rgb_to_uint8(grid)

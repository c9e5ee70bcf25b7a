"""What the see-inside views feed the networks: one photo as the notebook's dataset gives it, and a
fixed batch of real pairs from scikit-image's sample photos (the BatchNorm lens, the GAN game)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from inspector.data.image_set import lab_batch, sample_images


def photo_lab(rgb: np.ndarray) -> tuple[Tensor, Tensor]:
    """A (3, S, S) uint8 photo -> L (1, 1, S, S) and ab (1, 2, S, S), normalized as the notebook's
    dataset (L/50 - 1, ab/110)."""
    return lab_batch(torch.from_numpy(rgb)[None])


def sample_pairs(size: int, n: int) -> tuple[Tensor, Tensor]:
    """The first ``n`` sample photos at ``size`` (every one there is when ``n`` is larger), as L
    (n, 1, S, S) and ab (n, 2, S, S): the same real batch on every call."""
    return lab_batch(sample_images(size).images[:n])

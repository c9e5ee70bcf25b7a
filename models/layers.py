"""Small layer factories shared by the generator and the discriminator."""

from __future__ import annotations

from torch import nn

from models.config import NORMS, check_choice


def norm_layer(norm: str, num_features: int) -> nn.Module:
    """The normalization after a conv: BatchNorm2d, InstanceNorm2d (as the reference: no affine,
    no running stats) or Identity."""
    check_choice("norm", norm, NORMS)
    if norm == "batch":
        return nn.BatchNorm2d(num_features)
    if norm == "instance":
        return nn.InstanceNorm2d(num_features, affine=False, track_running_stats=False)
    return nn.Identity()

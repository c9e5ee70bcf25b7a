"""Small layer factories shared by the generator and the discriminator."""

from __future__ import annotations

from torch import nn

from inspector.i18n.text import Text


def norm_layer(norm: str, num_features: int) -> nn.Module:
    """The normalization after a conv: BatchNorm2d, InstanceNorm2d (as the reference: no affine,
    no running stats) or Identity."""
    if norm == "batch":
        return nn.BatchNorm2d(num_features)
    if norm == "instance":
        return nn.InstanceNorm2d(num_features, affine=False, track_running_stats=False)
    if norm == "none":
        return nn.Identity()
    raise ValueError(
        Text(
            "{name} must be one of {allowed}; got {value}",
            name="norm",
            allowed="batch, instance, none",
            value=repr(norm),
        )
    )

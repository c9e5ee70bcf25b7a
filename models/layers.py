"""Small layer factories shared by the generator and the discriminator."""

from __future__ import annotations

from torch import nn

from models.config import NORMS, check_choice

# PyTorch's conv and conv-transpose layers, 1-d to 3-d: one list for the init, the doctor's rules
# and the layers a printed model may be rebuilt from.
CONV_LAYERS: tuple[type[nn.modules.conv._ConvNd], ...] = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)


def norm_layer(norm: str, num_features: int) -> nn.Module:
    """The normalization after a conv: BatchNorm2d, InstanceNorm2d (as the reference: no affine,
    no running stats) or Identity."""
    check_choice("norm", norm, NORMS)
    if norm == "batch":
        return nn.BatchNorm2d(num_features)
    if norm == "instance":
        return nn.InstanceNorm2d(num_features, affine=False, track_running_stats=False)
    return nn.Identity()

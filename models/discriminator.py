"""The PatchGAN discriminator, as one ``model`` Sequential like the notebook's.

Its layers are ``model.0`` .. ``model.N`` exactly as the notebook prints them. For
``n_layers=3`` and batch norm (the notebook meant this)::

    model.0  Conv2d(3, 64)     model.1  LeakyReLU
    model.2  Conv2d(64, 128)   model.3  BatchNorm2d(128)  model.4  LeakyReLU
    model.5  Conv2d(128, 256)  model.6  BatchNorm2d(256)  model.7  LeakyReLU
    model.8  Conv2d(256, 512)  model.9  BatchNorm2d(512)  model.10 LeakyReLU
    model.11 Conv2d(512, 1)

With ``norm="none"`` the Identity norm layers are left out, so the indices shift.
No sigmoid at the end: the output is logits for ``BCEWithLogitsLoss``.
"""

from __future__ import annotations

import torch
from torch import nn

from models.config import DiscriminatorConfig
from models.layers import norm_layer


def _conv(cin: int, cout: int, stride: int, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=4, stride=stride, padding=1, bias=bias)


class PatchDiscriminator(nn.Module):
    """(B, in_channels, H, W) -> (B, 1, h, w) logits, one per overlapping patch."""

    def __init__(self, cfg: DiscriminatorConfig) -> None:
        super().__init__()
        self.config = cfg
        strides = cfg.strides()
        mid_bias = cfg.norm != "batch"
        layers: list[nn.Module] = [
            _conv(cfg.in_channels, cfg.ndf, strides[0], cfg.end_bias),
            nn.LeakyReLU(0.2, True),
        ]
        prev = cfg.ndf
        for n in range(1, cfg.n_layers + 1):
            out = cfg.ndf * min(2**n, cfg.max_mult)
            # The notebook's typo: its second conv reads Conv2d(3, 64) where Conv2d(64, 128)
            # was meant. It builds, then fails on the first forward pass.
            cin, cout = (cfg.in_channels, cfg.ndf) if (cfg.notebook_bug and n == 1) else (prev, out)
            layers.append(_conv(cin, cout, strides[n], mid_bias))
            if cfg.norm != "none":
                layers.append(norm_layer(cfg.norm, out))
            layers.append(nn.LeakyReLU(0.2, True))
            prev = out
        layers.append(_conv(prev, 1, strides[-1], cfg.end_bias))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def build_discriminator(cfg: DiscriminatorConfig) -> PatchDiscriminator:
    """Build the discriminator of ``cfg`` with PyTorch's default init."""
    return PatchDiscriminator(cfg)


def conditional_pair(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """What the conditional discriminator judges: the condition L (B, 1, H, W) beside the colours ab
    (B, 2, H, W), real or generated, as one (B, 3, H, W) input (the reference's ``cat(real_A, B)``).
    ab takes L's dtype (a half-precision G output beside a float32 L)."""
    return torch.cat((L, ab.to(L.dtype)), dim=1)

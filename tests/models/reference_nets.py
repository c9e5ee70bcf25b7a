"""An independent re-implementation of the pix2pix reference networks, used as an oracle.

Structure as described by the public pytorch-CycleGAN-and-pix2pix code (``UnetGenerator`` built
from recursive skip blocks whose forward returns ``cat([x, block(x)])``, and
``NLayerDiscriminator``), written here from that description so the tests can check our flat
models against the recursive original: same parameter shapes, same counts, same outputs.
"""

from __future__ import annotations

import torch
from torch import nn


class RecursiveSkipBlock(nn.Module):
    """down -> submodule -> up, and (except outermost) the input concatenated in front."""

    def __init__(
        self,
        outer: int,
        inner: int,
        in_ch: int | None = None,
        sub: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        in_ch = outer if in_ch is None else in_ch
        down_conv = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down_conv, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [
                nn.LeakyReLU(0.2, True),
                down_conv,
                nn.ReLU(True),
                nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False),
                nn.BatchNorm2d(outer),
            ]
        else:
            layers = [
                nn.LeakyReLU(0.2, True),
                down_conv,
                nn.BatchNorm2d(inner),
                sub,
                nn.ReLU(True),
                nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False),
                nn.BatchNorm2d(outer),
            ]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def reference_unet(in_ch: int = 1, out_ch: int = 2, num_downs: int = 8, ngf: int = 64) -> nn.Module:
    """unet_256 for num_downs=8: 54,409,858 parameters with 1 -> 2 channels."""
    block = RecursiveSkipBlock(ngf * 8, ngf * 8, innermost=True)
    for _ in range(num_downs - 5):
        block = RecursiveSkipBlock(ngf * 8, ngf * 8, sub=block, dropout=True)
    block = RecursiveSkipBlock(ngf * 4, ngf * 8, sub=block)
    block = RecursiveSkipBlock(ngf * 2, ngf * 4, sub=block)
    block = RecursiveSkipBlock(ngf, ngf * 2, sub=block)
    return RecursiveSkipBlock(out_ch, ngf, in_ch=in_ch, sub=block, outermost=True)


def reference_patchgan(in_ch: int = 3, ndf: int = 64, n_layers: int = 3) -> nn.Module:
    """The 70x70 PatchGAN: its layers are ``model.0`` .. ``model.11`` for n_layers=3."""
    layers: list[nn.Module] = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2**n, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * mult),
            nn.LeakyReLU(0.2, True),
        ]
    prev, mult = mult, min(2**n_layers, 8)
    layers += [
        nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False),
        nn.BatchNorm2d(ndf * mult),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * mult, 1, 4, 1, 1),
    ]
    return _Sequential1(nn.Sequential(*layers))


class _Sequential1(nn.Module):
    """Holds the layers as ``self.model``, so the keys read ``model.0`` ... like the reference."""

    def __init__(self, model: nn.Sequential) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

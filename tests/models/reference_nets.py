"""An independent re-implementation of the pix2pix reference networks, used as an oracle.

Structure as described by the public pytorch-CycleGAN-and-pix2pix code (``models/networks.py``):
``UnetGenerator`` built from nested skip blocks that keep their layers in ``self.model`` and whose
forward returns ``cat([x, block(x)])``, and ``NLayerDiscriminator`` with its layers in
``self.model``. Written here from that description, with its module nesting, so that the state
dicts have the very keys its users' ``latest_net_G.pth`` / ``latest_net_D.pth`` files hold
(``model.model.1.model.3.model.1.weight`` ...), for batch and instance norm: the tests check our
flat models and our checkpoint reader against it (shapes, counts, keys, outputs).

``norm="instance"`` is ``InstanceNorm2d(affine=False, track_running_stats=False)`` with biased
convs, as the reference's ``get_norm_layer`` and ``use_bias`` give; ``tracked=True`` builds the
InstanceNorm of its older releases (``track_running_stats=True``: the files hold running statistics).
"""

from __future__ import annotations

import torch
from torch import nn


def _norm(norm: str, channels: int, tracked: bool = False) -> nn.Module:
    if norm == "batch":
        return nn.BatchNorm2d(channels, affine=True)
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=tracked)


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
        norm: str = "batch",
        tracked: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        bias = norm == "instance"  # the reference's use_bias
        in_ch = outer if in_ch is None else in_ch
        down_conv = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=bias)
        layers: list[nn.Module]
        if outermost:
            assert sub is not None
            layers = [down_conv, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [
                nn.LeakyReLU(0.2, True),
                down_conv,
                nn.ReLU(True),
                nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias),
                _norm(norm, outer, tracked),
            ]
        else:
            assert sub is not None
            layers = [
                nn.LeakyReLU(0.2, True),
                down_conv,
                _norm(norm, inner, tracked),
                sub,
                nn.ReLU(True),
                nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=bias),
                _norm(norm, outer, tracked),
            ]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """The reference's generator: the outermost block held as ``self.model`` (keys ``model.model.*``)."""

    def __init__(
        self,
        in_ch: int = 1,
        out_ch: int = 2,
        num_downs: int = 8,
        ngf: int = 64,
        norm: str = "batch",
        use_dropout: bool = True,
        tracked: bool = False,
    ) -> None:
        super().__init__()
        kw = {"norm": norm, "tracked": tracked}
        block = RecursiveSkipBlock(ngf * 8, ngf * 8, innermost=True, **kw)  # type: ignore[arg-type]
        for _ in range(num_downs - 5):
            block = RecursiveSkipBlock(ngf * 8, ngf * 8, sub=block, dropout=use_dropout, **kw)  # type: ignore[arg-type]
        block = RecursiveSkipBlock(ngf * 4, ngf * 8, sub=block, **kw)  # type: ignore[arg-type]
        block = RecursiveSkipBlock(ngf * 2, ngf * 4, sub=block, **kw)  # type: ignore[arg-type]
        block = RecursiveSkipBlock(ngf, ngf * 2, sub=block, **kw)  # type: ignore[arg-type]
        self.model = RecursiveSkipBlock(out_ch, ngf, in_ch=in_ch, sub=block, outermost=True, **kw)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def reference_unet(
    in_ch: int = 1,
    out_ch: int = 2,
    num_downs: int = 8,
    ngf: int = 64,
    norm: str = "batch",
    use_dropout: bool = True,
    tracked: bool = False,
) -> nn.Module:
    """unet_256 for num_downs=8 (54,409,858 parameters with 1 -> 2 channels), unet_128 for 7."""
    return UnetGenerator(in_ch, out_ch, num_downs, ngf, norm, use_dropout, tracked)


def reference_patchgan(
    in_ch: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch", tracked: bool = False
) -> nn.Module:
    """``NLayerDiscriminator``: its layers are ``model.0`` .. ``model.11`` for n_layers=3 (the 70x70 PatchGAN)."""
    bias = norm == "instance"
    layers: list[nn.Module] = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2**n, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=bias),
            _norm(norm, ndf * mult, tracked),
            nn.LeakyReLU(0.2, True),
        ]
    prev, mult = mult, min(2**n_layers, 8)
    layers += [
        nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=bias),
        _norm(norm, ndf * mult, tracked),
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

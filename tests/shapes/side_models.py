"""Hand-written models whose spatial sides follow different rules, and PyTorch's own verdict on a size.

Each rule in the docstrings is worked out by hand from the layers' arithmetic; the tests check
that ``valid_input_sizes`` finds it and that PyTorch agrees on every size tried.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


class StridedSkip(nn.Module):
    """Two stride-(2, 4) convs, a skip, and back up by (2, 4): H multiples of 4, W multiples of 16.

    The skip joins ``a`` with ``b`` upsampled, so ``a`` must halve (H) and quarter (W) exactly, and
    the output has the input's size only when ``a`` did too: H = 2 * 2k, W = 4 * 4k.
    """

    def __init__(self) -> None:
        super().__init__()
        self.down1 = nn.Conv2d(3, 8, 3, stride=(2, 4), padding=1)
        self.down2 = nn.Conv2d(8, 8, 3, stride=(2, 4), padding=1)
        self.up = nn.Upsample(scale_factor=(2, 4))
        self.out = nn.Conv2d(16, 3, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 3, H, W)
        a = self.down1(x)  # (B, 8, ceil(H / 2), ceil(W / 4))
        b = self.down2(a)
        return self.up(self.out(torch.cat([a, self.up(b)], dim=1)))


class SquareSkip(StridedSkip):
    """The same with stride 2 both ways: H and W multiples of 4, one rule for both sides."""

    def __init__(self) -> None:
        super().__init__()
        self.down1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2)


class FixedHeight(nn.Module):
    """A Linear over the rows (as a model reading columns as sequences): H only 64; then a 1x16
    average pool: W from 16. The output is narrower than the input, so any size that runs works."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = nn.Linear(64, 64)
        self.pool = nn.AvgPool2d((1, 16), stride=1)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, 64, W) -> (B, C, 64, W - 15)
        return self.pool(self.rows(x.transpose(-1, -2)).transpose(-1, -2))


class Patches(nn.Module):
    """An 8x16 patch embedding and its transpose back (MAE-style): the output has the input's size
    when H is a multiple of 8 and W of 16."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, 32, (8, 16), stride=(8, 16))
        self.back = nn.ConvTranspose2d(32, 3, (8, 16), stride=(8, 16))

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 3, H // 8 * 8, W // 16 * 16)
        return self.back(self.embed(x))


class TinyViT(nn.Module):
    """Built for 32x64 (timm's ``img_size``): 8x8 patches and a position embedding of 4 x 8 tokens.
    No square size works; the model's own ``img_size`` is where the search starts."""

    def __init__(self) -> None:
        super().__init__()
        self.img_size = (32, 64)
        self.embed = nn.Conv2d(3, 16, 8, stride=8)
        self.pos = nn.Parameter(torch.zeros(1, 32, 16))
        self.head = nn.Linear(16, 10)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 64) -> (B, 10)
        if tuple(x.shape[-2:]) != self.img_size:  # as timm's PatchEmbed checks
            raise ValueError(f"Input size {tuple(x.shape[-2:])} doesn't match model {self.img_size}")
        tokens = self.embed(x).flatten(2).transpose(1, 2)  # (B, 32, 16)
        return self.head((tokens + self.pos).mean(1))


class Volume(nn.Module):
    """A 3-d net that halves H and W twice but keeps D, with a skip: D any size, H and W multiples of 4."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv3d(1, 4, 3, stride=(1, 2, 2), padding=1)
        self.b = nn.Conv3d(4, 4, 3, stride=(1, 2, 2), padding=1)
        self.up = nn.Upsample(scale_factor=(1, 2, 2))
        self.c = nn.Conv3d(8, 1, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, D, H, W) -> (B, 1, D, H, W)
        a = self.a(x)
        return self.up(self.c(torch.cat([a, self.up(self.b(a))], dim=1)))


class Signal(nn.Module):
    """A 1-d U-Net in small (B, C, L): two stride-2 convs, a skip: L multiples of 4."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv1d(2, 4, 3, stride=2, padding=1)
        self.b = nn.Conv1d(4, 4, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2)
        self.c = nn.Conv1d(8, 2, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 2, L) -> (B, 2, L)
        a = self.a(x)
        return self.up(self.c(torch.cat([a, self.up(self.b(a))], dim=1)))


class Symmetric(nn.Module):
    """Adds its feature map to its own transpose: any size, but H must equal W."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv(x)
        return y + y.transpose(-1, -2)


def pytorch_works(model: nn.Module, shape: tuple[int, ...], keeps_size: bool, device: str = "meta") -> bool:
    """PyTorch's verdict: the model runs at ``shape`` (on ``device``), and an image-to-image model
    (``keeps_size``) gives an output of the input's spatial size."""
    net = copy.deepcopy(model).to(device).eval() if device == "meta" else model.eval()
    try:
        with torch.no_grad():
            out = net(torch.zeros(shape, device=device))
    except (RuntimeError, ValueError):
        return False
    return not keeps_size or tuple(out.shape[2:]) == tuple(shape[2:])

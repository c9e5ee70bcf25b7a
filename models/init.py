"""Weight initialization schemes (the notebook's ``ini_weight`` and the reference's ``init_weights``).

A model as built keeps PyTorch's default init (``reset_parameters``); ``init_weights`` is the
separate step the notebook takes with ``model.apply(ini_weight)``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from models.config import check_choice
from models.layers import CONV_LAYERS
from models.text import Text

Scheme = Literal["normal", "xavier", "kaiming", "default"]
SCHEMES: tuple[str, ...] = ("normal", "xavier", "kaiming", "default")
DRAWN_SCHEMES: tuple[str, ...] = SCHEMES[:3]  # the inits that draw new weights; "default" is PyTorch's own
MAX_GAIN = 10.0  # a std or gain beyond this is a typo: weights that large blow every activation up

_CONV_LIKE: tuple[type[nn.modules.conv._ConvNd] | type[nn.Linear], ...] = (*CONV_LAYERS, nn.Linear)
_BATCH_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def check_scheme(scheme: str) -> None:
    """Raise ValueError (a ``Text``) unless ``scheme`` is one of ``SCHEMES``."""
    check_choice("scheme", scheme, SCHEMES)


def init_weights(
    model: nn.Module, scheme: str = "normal", gain: float = 0.02, seed: int | None = None
) -> nn.Module:
    """Initialize ``model`` in place and return it.

    - ``normal`` (pix2pix paper, section 6.2; the notebook): conv and linear weights ~ N(0, gain),
      BatchNorm weight ~ N(1, gain), every bias 0.
    - ``xavier``: conv weights ``xavier_normal_(gain=gain)``; ``kaiming``: ``kaiming_normal_``
      (fan_in, a=0), both with the same BatchNorm and bias rule as ``normal``.
    - ``default``: each module's own ``reset_parameters()``, i.e. PyTorch's init as built.

    ``seed`` makes the draw reproducible without touching the global RNG.
    """
    check_scheme(scheme)
    if not (isinstance(gain, (int, float)) and math.isfinite(gain) and 0 < gain <= MAX_GAIN):
        raise ValueError(
            Text("gain must be a number in (0, {limit}], got {value}", limit=MAX_GAIN, value=repr(gain))
        )
    generator = None
    if seed is not None:
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
    with torch.no_grad(), _fork_rng(seed):
        for module in model.modules():
            _init_module(module, scheme, gain, generator)
    return model


class _fork_rng:
    """Seed the global RNG inside the block and restore it after (for ``reset_parameters``)."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.state: torch.Tensor | None = None

    def __enter__(self) -> None:
        if self.seed is not None:
            self.state = torch.get_rng_state()
            # Only the CPU generator (reset_parameters draws on CPU-built weights): torch.manual_seed
            # would also reseed every CUDA device and undo a trainer's per-rank dropout streams.
            torch.default_generator.manual_seed(int(self.seed))

    def __exit__(self, *exc: object) -> None:
        if self.state is not None:
            torch.set_rng_state(self.state)


def _normal_(t: torch.Tensor, mean: float, std: float, generator: torch.Generator | None) -> None:
    if t.device.type == "meta":
        return
    # Draw on the CPU so a seed gives the same numbers on any device. A CPU float32 tensor takes
    # the draw in place: the same numbers, without a temporary as large as the layer.
    if t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous():
        torch.randn(t.shape, generator=generator, out=t).mul_(std).add_(mean)
        return
    t.copy_(torch.randn(t.shape, generator=generator, dtype=torch.float32).mul_(std).add_(mean))


def _init_module(module: nn.Module, scheme: str, gain: float, generator: torch.Generator | None) -> None:
    if scheme == "default":
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()
        return
    if isinstance(module, _CONV_LIKE):
        w = module.weight
        if scheme == "normal":
            std = gain
        elif scheme == "xavier":
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
            std = gain * (2.0 / (fan_in + fan_out)) ** 0.5
        else:  # kaiming, fan_in, a=0 (ReLU gain sqrt(2))
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
            std = (2.0 / fan_in) ** 0.5
        _normal_(w.data, 0.0, std, generator)
        if module.bias is not None:
            module.bias.data.zero_()
    elif isinstance(module, _BATCH_NORM) and module.affine:
        _normal_(module.weight.data, 1.0, gain, generator)
        module.bias.data.zero_()

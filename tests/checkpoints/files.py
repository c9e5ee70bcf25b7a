"""Checkpoint files as their users have them: ``torch.save`` of a network's state dict, its values made
unlike a fresh network's (a wrong key map or a forgotten half swap would then show in the outputs)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


def trained_like(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` with every weight, bias and running statistic drawn anew (seeded), in eval mode: as a
    trained network, no value is its layer's default."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            fresh = torch.rand(t.shape, generator=g)
            if name.endswith("running_var") or (
                name.endswith("weight") and t.dim() == 1
            ):  # a variance, a scale: > 0
                t.copy_(0.5 + fresh)
            else:
                t.copy_((fresh - 0.5) * 0.2)
    return model.eval()


def saved(path: Path, state: dict[str, torch.Tensor], prefix: str = "") -> Path:
    """``torch.save`` of ``state`` with ``prefix`` before every key (``module.``, ``_orig_mod.``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({prefix + k: v for k, v in state.items()}, path)
    return path


def same_outputs(a: nn.Module, b: nn.Module, x: torch.Tensor) -> float:
    """The largest difference of two networks' outputs on ``x`` (eval mode, no grad), computed in float64
    (the networks are turned to double in place): the same numbers summed in another order then agree
    to rounding at any depth, while a wrong key or a forgotten swap still differs by a lot."""
    with torch.no_grad():
        return float((a.double().eval()(x.double()) - b.double().eval()(x.double())).abs().max())

"""Activation statistics at init: a small random batch through a copy, every layer's output mean
and std, so that a learner sees the signal shrink or grow with depth under each scheme."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from inspector.display import RichDisplay
from inspector.init_study.theory import AS_BUILT
from models.init import DRAWN_SCHEMES, init_weights

# ----------------------------------------------------------------------------------------------
# Activation statistics at init
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationRow:
    """The output of one leaf module during the probe pass."""

    index: int  # order of execution
    name: str  # "encoder_1.1"
    module_type: str  # "Conv2d", "BatchNorm2d", "LeakyReLU", ...
    shape: tuple[int, ...]  # (B, C, H, W)
    mean: float
    std: float
    abs_max: float


@dataclass(frozen=True)
class ActivationStats(RichDisplay):
    scheme: str  # AS_BUILT or a scheme of models.init
    mode: str  # "eval" or "train"
    input_shape: tuple[int, ...]
    rows: tuple[ActivationRow, ...]

    def of_type(self, *types: str) -> list[ActivationRow]:
        return [r for r in self.rows if r.module_type in types]


def activation_stats(
    model: nn.Module,
    input_shape: tuple[int, int, int, int],
    mode: Literal["eval", "train"] = "eval",
    seed: int = 0,
    _copy: bool = True,
) -> ActivationStats:
    """Each leaf module's output mean and std for an N(0, 1) input of ``input_shape`` (B, C, H, W).

    ``mode="eval"`` (the default) isolates the init: at init BatchNorm's running statistics
    are mean 0, var 1, so it only multiplies by its weight, and Dropout is off; what is left is
    how each conv scales the signal. ``mode="train"`` is what the first training step sees:
    BatchNorm rescales with the batch's own statistics and hides most of the effect (a conv's
    output still shows it). The pass runs on a CPU copy, hooks are removed afterwards, and
    ``model`` itself is not touched. Each stat is computed inside the hook, before an in-place
    activation can overwrite the tensor.
    """
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
    work = copy.deepcopy(model).cpu() if _copy else model  # _copy=False: the caller's own throwaway copy
    work.train(mode == "train")
    rows: list[ActivationRow] = []

    def hook(name: str, module: nn.Module, _inp: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor) and out.is_floating_point() and out.numel() > 1:
            o = out.detach().double()
            rows.append(
                ActivationRow(
                    len(rows),
                    name,
                    type(module).__name__,
                    tuple(out.shape),
                    o.mean().item(),
                    o.std(correction=0).item(),
                    o.abs().max().item(),
                )
            )

    handles = [
        m.register_forward_hook(lambda mod, i, o, n=n: hook(n, mod, i, o))
        for n, m in work.named_modules()
        if n and not any(True for _ in m.children())
    ]
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(input_shape, generator=gen)
    try:
        with torch.no_grad():
            work(x)
    finally:
        for h in handles:
            h.remove()
    return ActivationStats(AS_BUILT, mode, tuple(input_shape), tuple(rows))


class ActivationComparison(dict[str, ActivationStats], RichDisplay):
    """``{AS_BUILT: ..., scheme: ...}`` of ``activation_stats`` (a dict); in a notebook, each init's
    output std through depth on one chart, and the table."""

    __slots__ = ()


def activation_comparison(
    model: nn.Module,
    input_shape: tuple[int, int, int, int],
    schemes: Sequence[str] = DRAWN_SCHEMES,
    mode: Literal["eval", "train"] = "eval",
    gain: float = 0.02,
    seed: int = 0,
) -> ActivationComparison:
    """``activation_stats`` of the model as built and after each scheme, same input batch."""
    out = ActivationComparison({AS_BUILT: activation_stats(model, input_shape, mode, seed)})
    for s in schemes:
        work = init_weights(copy.deepcopy(model).cpu(), s, gain=gain, seed=seed)
        stats = activation_stats(work, input_shape, mode, seed, _copy=False)
        out[s] = ActivationStats(s, stats.mode, stats.input_shape, stats.rows)
    return out


def probe_shape(cfg: Any, batch: int = 2, size: int = 64) -> tuple[int, int, int, int]:
    """A small input (B, C, S, S) the network of ``cfg`` accepts: ``size`` rounded up to what it
    needs (a U-Net needs a multiple of 2**depth, 256 for depth 8; a PatchGAN a 1x1 map at least)."""
    if hasattr(cfg, "depth"):  # GeneratorConfig
        step = 2**cfg.depth
        size = max(step, -(-size // step) * step)
    elif hasattr(cfg, "min_input_size"):
        size = max(size, cfg.min_input_size())
    return (batch, cfg.in_channels, size, size)

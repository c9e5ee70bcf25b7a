"""Train vs eval, seen on one photo: Dropout, BatchNorm's two sets of statistics, and why
BatchNorm at batch size 1 in train mode is InstanceNorm.

* Dropout. pix2pix gives its generator no noise input (the paper found it ignored); its only
  randomness is Dropout, kept on at test time, so one grey photo has several colorizations.
  ``dropout_lens`` runs the photo ``n`` times with only the Dropout layers in train mode
  (BatchNorm stays on its running statistics, so dropout alone makes the difference) and once
  in eval mode, where Dropout is the identity and every run is the same.
* BatchNorm. In train mode it normalizes with the batch's own mean and variance; in eval mode
  with the running averages it collected. ``batchnorm_lens`` shows both per layer and what each
  makes of the output. Untrained, the running statistics are still mean 0 and variance 1.
* At batch size 1 the batch statistics of a channel are the statistics of that one image's
  map, which is exactly what InstanceNorm2d computes: ``batchnorm_vs_instancenorm`` checks it
  numerically (and shows that a second image in the batch breaks it). pix2pix's test script
  runs at batch 1 without ``eval()``, so its "batch norm" is instance norm there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from inspector.colour.lab import AB_SCALE
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.inside.tap import as_batch, checked_forward, first_image, lab_rgb, model_device, run_mode
from models.text import Text

_BATCH_NORM = nn.modules.batchnorm._BatchNorm
_DROPOUT = nn.modules.dropout._DropoutNd
MAX_SAMPLES = 16  # more runs add little to a spread and cost a forward each


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class DropoutLens(RichDisplay):
    """``n`` colorizations of one photo with Dropout on, and the eval-mode one."""

    samples: np.ndarray  # (n, H, W, 3) uint8: L with each run's ab
    samples_ab: np.ndarray  # (n, 2, H, W) float32, network units (ab / 110)
    spread: np.ndarray  # (H, W) float32: per-pixel std over the runs, |(std a, std b)| in Lab units
    eval_rgb: np.ndarray  # (H, W, 3) uint8: eval mode, Dropout off
    eval_ab: np.ndarray  # (2, H, W) float32
    dropout_layers: tuple[str, ...]  # the Dropout modules that were on

    @property
    def mean_spread(self) -> float:
        return float(self.spread.mean())


def dropout_layers(model: nn.Module) -> tuple[str, ...]:
    return tuple(name for name, m in model.named_modules() if isinstance(m, _DROPOUT))


def dropout_lens(
    generator: nn.Module, L: Tensor, n: int = 4, seed: int = 0, batch_stats: bool = False
) -> DropoutLens:
    """Colorize the first photo of ``L`` (B, 1, H, W) ``n`` times with Dropout on, and once in eval.

    The runs follow each other from one seeded random state (``torch.manual_seed(seed)``, then
    ``n`` forwards), so the same call gives the same samples; the model is left as it was. With
    ``batch_stats`` BatchNorm normalizes with the photo's own statistics in every run (train mode,
    and ``batch-stats`` for the one without Dropout): what shows an untrained network's patterns.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_SAMPLES:
        raise UserError(
            Text(
                "n must be an integer from 2 to {max} (runs to compare), got {n}", max=MAX_SAMPLES, n=repr(n)
            )
        )
    L = as_batch(L, channels=1, what="L")[:1].to(model_device(generator))
    with run_mode(generator, "train" if batch_stats else "dropout", seed):
        runs = [checked_forward(generator, L) for _ in range(n)]
    with run_mode(generator, "batch-stats" if batch_stats else "eval"):
        still = checked_forward(generator, L)
    if still.shape[1] != 2:
        raise UserError(
            Text(
                "the generator must return ab (B, 2, H, W), it returned {shape}",
                shape=str(tuple(still.shape)),
            )
        )
    ab = torch.cat(runs).float()  # (n, 2, H, W)
    spread = (ab.std(dim=0, unbiased=False) * AB_SCALE).norm(dim=0)  # (H, W)
    return DropoutLens(
        samples=np.stack([lab_rgb(L, r) for r in runs]),
        samples_ab=ab.cpu().numpy(),
        spread=spread.cpu().numpy(),
        eval_rgb=lab_rgb(L, still),
        eval_ab=still[0].float().cpu().numpy(),
        dropout_layers=dropout_layers(generator),
    )


@dataclass(frozen=True, eq=False)
class NormStats:
    """One BatchNorm layer: the statistics train mode uses against those eval mode uses."""

    name: str
    batch_mean: np.ndarray  # (C,) of the layer's input over (B, H, W), in the train-mode pass
    batch_var: np.ndarray  # (C,) biased, as BatchNorm normalizes with it
    running_mean: np.ndarray  # (C,) what eval mode uses
    running_var: np.ndarray  # (C,)

    @property
    def mean_gap(self) -> float:
        """Mean |batch mean - running mean| over the channels."""
        return float(np.abs(self.batch_mean - self.running_mean).mean())


@dataclass(frozen=True, eq=False)
class BatchNormLens(RichDisplay):
    """A model's output with BatchNorm on batch statistics vs running statistics (Dropout off)."""

    layers: tuple[NormStats, ...]
    batch_stats_output: np.ndarray  # (C, H, W): first image, BatchNorm in train mode
    running_stats_output: np.ndarray  # (C, H, W): first image, eval mode
    batch_size: int

    @property
    def max_difference(self) -> float:
        return float(np.abs(self.batch_stats_output - self.running_stats_output).max())


def batchnorm_lens(model: nn.Module, x: Tensor) -> BatchNormLens:
    """Run ``x`` (B, C, H, W) with BatchNorm on batch statistics and on running statistics.

    The batch statistics are those of each layer's input in the batch-statistics pass; the
    running statistics are read before it (and restored after: the pass would update them).
    """
    x = as_batch(x).to(model_device(model))
    norms = [(name, m) for name, m in model.named_modules() if isinstance(m, _BATCH_NORM)]
    running = {name: (m.running_mean, m.running_var) for name, m in norms}
    seen: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def hook(name: str) -> Callable[[nn.Module, tuple[Tensor, ...]], None]:
        def keep(module: nn.Module, args: tuple[Tensor, ...]) -> None:
            t = args[0].detach().float()
            dims = [d for d in range(t.dim()) if d != 1]
            seen[name] = (t.mean(dims).cpu().numpy(), t.var(dims, unbiased=False).cpu().numpy())

        return keep

    handles = [m.register_forward_pre_hook(hook(name)) for name, m in norms]
    try:
        with run_mode(model, "batch-stats"):
            train_out = checked_forward(model, x)
    finally:
        for h in handles:
            h.remove()
    with run_mode(model, "eval"):
        eval_out = checked_forward(model, x)
    layers = []
    for name, _ in norms:
        mean, var = running[name]
        if name not in seen or mean is None or var is None:  # not called, or no running statistics
            continue
        # copies: numpy() would share the buffers, which the next train-mode pass rewrites
        layers.append(
            NormStats(name, *seen[name], mean.float().cpu().numpy().copy(), var.float().cpu().numpy().copy())
        )
    return BatchNormLens(tuple(layers), first_image(train_out), first_image(eval_out), int(x.shape[0]))


@dataclass(frozen=True, eq=False)
class NormEquivalence(RichDisplay):
    """BatchNorm2d in train mode at batch 1 against InstanceNorm2d on the same (1, C, H, W)."""

    batch_norm: np.ndarray  # (C, H, W)
    instance_norm: np.ndarray  # (C, H, W)
    max_abs_difference: float  # 0 here: PyTorch's instance_norm is batch_norm over a (1, B*C, H, W) view
    batch2_difference: float  # the same image in a batch of two: BatchNorm now mixes both
    affine: bool


def batchnorm_vs_instancenorm(x: Tensor | None = None, affine: bool = True, seed: int = 0) -> NormEquivalence:
    """Normalize ``x`` (1, C, H, W) with ``BatchNorm2d`` (train mode) and ``InstanceNorm2d``.

    With ``affine``, both get the same random scale and shift (InstanceNorm2d's ``affine=True``
    with BatchNorm's weight and bias copied); without, both are plain normalizations. ``x``
    defaults to a seeded (1, 8, 16, 16) map of mean 1 and std 3.
    """
    gen = torch.Generator().manual_seed(seed)
    if x is None:
        x = torch.randn(1, 8, 16, 16, generator=gen) * 3 + 1
    x = as_batch(x, what="x")
    if x.shape[0] != 1:
        raise UserError(Text("x must be one image (1, C, H, W), got batch {batch}", batch=x.shape[0]))
    if x.shape[2] * x.shape[3] < 2:
        raise UserError(
            Text(
                "x must have more than one pixel per channel to normalize, got {shape}",
                shape=str(tuple(x.shape)),
            )
        )
    x = x.detach().float().cpu()
    channels = x.shape[1]
    bn = nn.BatchNorm2d(channels, affine=affine).train()
    inorm = nn.InstanceNorm2d(channels, affine=affine, track_running_stats=False)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(1 + 0.5 * torch.randn(channels, generator=gen))
            bn.bias.copy_(0.5 * torch.randn(channels, generator=gen))
            inorm.weight.copy_(bn.weight)
            inorm.bias.copy_(bn.bias)
    with torch.no_grad():
        b, i = bn(x), inorm(x)
        other = torch.randn(x.shape, generator=gen) * 2 - 1
        pair = bn(torch.cat((x, other)))[:1]  # (1, C, H, W): now normalized with two images' statistics
    return NormEquivalence(
        batch_norm=b[0].numpy(),
        instance_norm=i[0].numpy(),
        max_abs_difference=float((b - i).abs().max()),
        batch2_difference=float((pair - i).abs().max()),
        affine=affine,
    )

"""The theory behind each init: the distribution a scheme draws every tensor from.

It mirrors ``models.init`` and PyTorch's ``reset_parameters``:

- default Conv/ConvTranspose/Linear weight: ``kaiming_uniform_(a=sqrt(5))``, i.e.
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in); the bias has the same bound.
  PyTorch's ``fan_in`` is ``weight.size(1) * k * k``: for a ConvTranspose2d, whose weight is
  (in, out, k, k), that is the *out* channels.
- ``normal``: N(0, gain); ``xavier``: N(0, gain * sqrt(2 / (fan_in + fan_out)));
  ``kaiming``: N(0, sqrt(2 / fan_in)). BatchNorm weight N(1, gain), every bias 0.
- default BatchNorm: weight 1, bias 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from inspector.i18n.catalog import N_, Translator, english
from models.init import check_scheme
from models.text import Text

AS_BUILT = "as built"  # the key of the model as built (PyTorch's default init) in comparisons
GROUPS: tuple[str, ...] = ("all_conv", "conv", "conv_transpose", "bias", "norm_weight", "norm_bias", "other")
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
# How the groups of ``WeightStats.groups`` are named to a reader (the Weight init page, a notebook).
GROUP_LABELS = {
    "all_conv": N_("all conv weights together"),
    "conv": N_("Conv2d weights"),
    "conv_transpose": N_("ConvTranspose2d weights"),
    "norm_weight": N_("BatchNorm weights (γ)"),
    "norm_bias": N_("BatchNorm biases (β)"),
    "bias": N_("conv biases"),
    "other": N_("other parameters"),
}
MIXTURE = N_("mixture of {n} distributions")
CONSTANT = N_("constant {value:.4g}")
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)


# ----------------------------------------------------------------------------------------------
# Theory: the distribution a scheme draws each tensor from
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dist:
    """One distribution: ``uniform`` (a=low, b=high), ``normal`` (a=mean, b=std) or ``constant`` (a)."""

    family: Literal["uniform", "normal", "constant"]
    a: float
    b: float = 0.0

    @property
    def mean(self) -> float:
        return (self.a + self.b) / 2 if self.family == "uniform" else self.a

    @property
    def std(self) -> float:
        if self.family == "uniform":
            return (self.b - self.a) / math.sqrt(12)
        return self.b if self.family == "normal" else 0.0

    @property
    def label(self) -> str:
        if self.family == "uniform":
            return f"U({self.a:.4g}, {self.b:.4g})"
        if self.family == "normal":
            return f"N({self.a:.4g}, {self.b:.4g})"
        return f"constant {self.a:.4g}"

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X < x), elementwise (x: any shape). For a constant the strict inequality puts its mass
        in the bin [edge_i, edge_i+1) that holds it, as a histogram does."""
        x = np.asarray(x, dtype=np.float64)
        if self.family == "uniform":
            return np.clip((x - self.a) / (self.b - self.a), 0.0, 1.0)
        if self.family == "normal":
            z = (x - self.a) / (self.b * math.sqrt(2))
            return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(z))
        return (x > self.a).astype(np.float64)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at x (0 everywhere for a constant: draw it as a vertical line at ``a``)."""
        x = np.asarray(x, dtype=np.float64)
        if self.family == "uniform":
            return np.where((x >= self.a) & (x <= self.b), 1.0 / (self.b - self.a), 0.0)
        if self.family == "normal":
            return np.exp(-0.5 * ((x - self.a) / self.b) ** 2) / (self.b * math.sqrt(2 * math.pi))
        return np.zeros_like(x)


@dataclass(frozen=True)
class Theory:
    """A mixture of ``Dist`` (one component for a single tensor; one per tensor for a group)."""

    components: tuple[tuple[float, Dist], ...]  # (weight, dist), weights sum to 1
    rule: str  # the init rule in words (a Text), e.g. "kaiming_uniform_(a=√5): U(±1/√fan_in), fan_in=1024"

    @property
    def mean(self) -> float:
        return sum(w * d.mean for w, d in self.components)

    @property
    def std(self) -> float:
        second = sum(w * (d.std**2 + d.mean**2) for w, d in self.components)
        return math.sqrt(max(second - self.mean**2, 0.0))

    @property
    def label(self) -> str:
        if len(self.components) == 1:
            return self.components[0][1].label
        labels = {d.label for _, d in self.components}
        return labels.pop() if len(labels) == 1 else f"mixture of {len(self.components)} distributions"

    def said(self, tr: Translator = english) -> str:
        """``label`` with its words in the language of ``tr``: N(0, 0.02) stays a formula."""
        labels = {d.label for _w, d in self.components}
        if len(labels) > 1:
            return tr(MIXTURE, n=len(self.components))
        dist = self.components[0][1]
        return tr(CONSTANT, value=dist.a) if dist.family == "constant" else dist.label

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return sum((w * d.pdf(x) for w, d in self.components), np.zeros_like(np.asarray(x, dtype=np.float64)))

    def expected_counts(self, edges: np.ndarray, n: int) -> np.ndarray:
        """Expected histogram counts of n draws over ``edges`` (bins+1,) -> (bins,). The last
        bin is closed, as torch.histc's, so a constant equal to the top edge lands in it."""
        cdf = sum(w * d.cdf(edges) for w, d in self.components)
        counts = np.diff(cdf) * n
        # Mass exactly at the top edge (a constant there) belongs to the last, closed bin.
        top = sum(w for w, d in self.components if d.family == "constant" and d.a == edges[-1])
        counts[-1] += top * n
        return counts

    @staticmethod
    def mix(parts: Sequence[tuple[int, Theory]]) -> Theory:
        """Mixture of theories weighted by element count; parts: (numel, theory)."""
        total = sum(n for n, _ in parts)
        comps = tuple((n / total * w, d) for n, t in parts for w, d in t.components)
        rules = {t.rule for _, t in parts}
        rule = (
            rules.pop()
            if len(rules) == 1
            else Text("mixture over {n} tensors (weighted by size)", n=len(parts))
        )
        return Theory(comps, rule)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    # PyTorch's own rule (the one reset_parameters uses): fan_in = size(1) * receptive field.
    return nn.init._calculate_fan_in_and_fan_out(weight)


def theory_for(module: nn.Module, param: str, scheme: str, gain: float = 0.02) -> Theory | None:
    """The distribution ``scheme`` draws ``module.<param>`` from, or None if unknown.

    ``scheme`` is one of ``models.init.SCHEMES`` ("default" = PyTorch's init as built).
    """
    check_scheme(scheme)
    zero = Theory(((1.0, Dist("constant", 0.0)),), Text("zeros"))
    if isinstance(module, (*_CONV, *_CONV_T)):
        fan_in, fan_out = _fans(module.weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform = Theory(
            ((1.0, Dist("uniform", -bound, bound)),),
            Text("PyTorch default kaiming_uniform_(a=√5): U(±1/√fan_in), fan_in={fan_in}", fan_in=fan_in),
        )
        if param == "bias":
            if scheme == "default":
                return Theory(
                    uniform.components,
                    Text("PyTorch default bias: U(±1/√fan_in), fan_in={fan_in}", fan_in=fan_in),
                )
            return zero
        if param != "weight":
            return None
        if scheme == "default":
            return uniform
        if scheme == "normal":
            return Theory(((1.0, Dist("normal", 0.0, gain)),), f"normal_(0, {gain:g})")
        if scheme == "xavier":
            std = gain * math.sqrt(2.0 / (fan_in + fan_out))
            return Theory(
                ((1.0, Dist("normal", 0.0, std)),),
                f"xavier_normal_(gain={gain:g}): N(0, gain·√(2/(fan_in+fan_out))), "
                f"fan_in={fan_in}, fan_out={fan_out}",
            )
        std = math.sqrt(2.0 / fan_in)
        return Theory(
            ((1.0, Dist("normal", 0.0, std)),), f"kaiming_normal_: N(0, √(2/fan_in)), fan_in={fan_in}"
        )
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
        if param == "bias":
            return zero
        if param == "weight":
            if scheme == "default":
                return Theory(((1.0, Dist("constant", 1.0)),), Text("PyTorch default: ones"))
            return Theory(((1.0, Dist("normal", 1.0, gain)),), f"normal_(1, {gain:g})")
    return None

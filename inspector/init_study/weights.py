"""Weight statistics before and after initialization, their theory, and activations at init.

Three views of the same question, "what does ``normal_(0, 0.02)`` change?":

- ``weight_stats(model, scheme)``: one histogram (bin edges, counts) with mean, std, min, max
  per parameter tensor and per kind (conv, conv_transpose, bias, norm_weight, norm_bias and
  ``all_conv``), next to the distribution the scheme draws from (``Theory``).
- ``init_comparison(model, schemes)``: the same for the model as built (PyTorch's default
  init) and for a copy re-initialized with each scheme. The model given is never modified.
- ``activation_stats(model, ...)``: push a small random batch through a copy and record every
  layer's output mean and std, so that a learner sees the signal shrink or grow with depth.

The theory mirrors ``models.init`` and PyTorch's ``reset_parameters``:

- default Conv/ConvTranspose/Linear weight: ``kaiming_uniform_(a=sqrt(5))``, i.e.
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in); the bias has the same bound.
  PyTorch's ``fan_in`` is ``weight.size(1) * k * k``: for a ConvTranspose2d, whose weight is
  (in, out, k, k), that is the *out* channels.
- ``normal``: N(0, gain); ``xavier``: N(0, gain * sqrt(2 / (fan_in + fan_out)));
  ``kaiming``: N(0, sqrt(2 / fan_in)). BatchNorm weight N(1, gain), every bias 0.
- default BatchNorm: weight 1, bias 0.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from models.init import SCHEMES, init_weights

AS_BUILT = "as built"  # the key of the model as built (PyTorch's default init) in comparisons
GROUPS: tuple[str, ...] = ("all_conv", "conv", "conv_transpose", "bias", "norm_weight", "norm_bias", "other")
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
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
    rule: str  # the init rule in words, e.g. "kaiming_uniform_(a=√5): U(±1/√fan_in), fan_in=1024"

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
        rule = rules.pop() if len(rules) == 1 else f"mixture over {len(parts)} tensors (weighted by size)"
        return Theory(comps, rule)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    # PyTorch's own rule (the one reset_parameters uses): fan_in = size(1) * receptive field.
    return nn.init._calculate_fan_in_and_fan_out(weight)


def theory_for(module: nn.Module, param: str, scheme: str, gain: float = 0.02) -> Theory | None:
    """The distribution ``scheme`` draws ``module.<param>`` from, or None if unknown.

    ``scheme`` is one of ``models.init.SCHEMES`` ("default" = PyTorch's init as built).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
    zero = Theory(((1.0, Dist("constant", 0.0)),), "zeros")
    if isinstance(module, (*_CONV, *_CONV_T)):
        fan_in, fan_out = _fans(module.weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform = Theory(
            ((1.0, Dist("uniform", -bound, bound)),),
            f"PyTorch default kaiming_uniform_(a=√5): U(±1/√fan_in), fan_in={fan_in}",
        )
        if param == "bias":
            if scheme == "default":
                return Theory(uniform.components, f"PyTorch default bias: U(±1/√fan_in), fan_in={fan_in}")
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
                return Theory(((1.0, Dist("constant", 1.0)),), "PyTorch default: ones")
            return Theory(((1.0, Dist("normal", 1.0, gain)),), f"normal_(1, {gain:g})")
    return None


# ----------------------------------------------------------------------------------------------
# Weight statistics
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """``counts[i]`` values fall in [edges[i], edges[i+1]) (the last bin is closed)."""

    edges: np.ndarray  # (bins + 1,) float64
    counts: np.ndarray  # (bins,) int64

    @property
    def centers(self) -> np.ndarray:
        return (self.edges[:-1] + self.edges[1:]) / 2


@dataclass(frozen=True)
class TensorStats:
    """Statistics of one parameter tensor, or of a group of them (then ``shape`` is empty)."""

    name: str  # "encoder_1.1.weight", or the group name ("all_conv")
    layer: str  # the module's name ("encoder_1.1"), or the group name
    kind: str  # one of GROUPS (except all_conv)
    module_type: str  # "Conv2d", ... or "group"
    shape: tuple[int, ...]
    numel: int
    fan_in: int | None
    mean: float
    std: float
    min: float
    max: float
    hist: Histogram
    theory: Theory | None

    def row(self) -> dict[str, Any]:
        """A flat dict for tables and JSON (no arrays)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "type": self.module_type,
            "shape": list(self.shape),
            "numel": self.numel,
            "fan_in": self.fan_in,
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "theory": self.theory.label if self.theory else None,
            "theory_mean": self.theory.mean if self.theory else None,
            "theory_std": self.theory.std if self.theory else None,
            "rule": self.theory.rule if self.theory else None,
        }


@dataclass(frozen=True)
class WeightStats:
    """Every parameter tensor of a model (``tensors``, in module order) and the groups."""

    scheme: str  # the scheme the theory assumes: "default" for a model as built
    tensors: tuple[TensorStats, ...]
    groups: dict[str, TensorStats] = field(default_factory=dict)  # only non-empty groups

    def tensor(self, name: str) -> TensorStats:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(f"no parameter named {name!r}; have {', '.join(t.name for t in self.tensors)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: rows plus histograms as lists."""

        def full(t: TensorStats) -> dict[str, Any]:
            return {**t.row(), "edges": t.hist.edges.tolist(), "counts": t.hist.counts.tolist()}

        return {
            "scheme": self.scheme,
            "tensors": [full(t) for t in self.tensors],
            "groups": {k: full(v) for k, v in self.groups.items()},
        }


def _kind(module: nn.Module, param: str) -> str:
    if isinstance(module, (*_CONV, *_CONV_T)):
        if param == "bias":
            return "bias"
        return "conv_transpose" if isinstance(module, _CONV_T) else "conv"
    if isinstance(module, _NORM):
        return "norm_bias" if param == "bias" else "norm_weight"
    return "other"


def _range(lo: float, hi: float) -> tuple[float, float]:
    # A constant tensor (BatchNorm ones) has lo == hi; histc needs a non-empty range.
    if hi > lo:
        return lo, hi
    pad = max(abs(lo), 1e-3) * 0.05
    return lo - pad, hi + pad


def _map(fn: Callable[[torch.Tensor], Any], flats: Sequence[torch.Tensor]) -> list[Any]:
    """``[fn(t) for t in flats]``, on a few threads when the weights are many.

    torch.histc runs on one core; the threads (torch releases the GIL) let per-tensor work run
    side by side. Small models stay serial: threads would cost more than they save.
    """
    workers = min(torch.get_num_threads(), len(flats))
    if workers < 2 or sum(t.numel() for t in flats) < 2_000_000:
        return [fn(t) for t in flats]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, flats))


def _histogram(flats: Sequence[torch.Tensor], lo: float, hi: float, bins: int) -> Histogram:
    lo, hi = _range(lo, hi)
    # histc counts in float32, exact below 2**24 per bin: sum the tensors' counts in float64.
    parts = _map(lambda t: torch.histc(t, bins, lo, hi).double(), flats)
    counts = torch.stack(parts).sum(0) if parts else torch.zeros(bins, dtype=torch.float64)
    return Histogram(np.linspace(lo, hi, bins + 1), counts.cpu().numpy().round().astype(np.int64))


def _moments(flat: torch.Tensor, bins: int) -> tuple[float, float, float, float, Histogram]:
    """(min, max, mean, std, histogram over [min, max]) of one flat tensor."""
    lo, hi = (v.item() for v in torch.aminmax(flat))
    std, mean = torch.std_mean(flat, correction=0) if flat.numel() > 1 else (torch.zeros(()), flat[0])
    rlo, rhi = _range(lo, hi)
    counts = torch.histc(flat, bins, rlo, rhi).double()
    return (
        lo,
        hi,
        mean.item(),
        std.item(),
        Histogram(np.linspace(rlo, rhi, bins + 1), counts.cpu().numpy().round().astype(np.int64)),
    )


def weight_stats(
    model: nn.Module, scheme: str = "default", gain: float = 0.02, bins: int = 60
) -> WeightStats:
    """Histograms and moments of every parameter of ``model``, per tensor and per kind.

    ``scheme`` only selects the theory shown next to the data (a model does not know how it was
    initialized): "default" for a model as built. Each tensor's histogram spans its own
    [min, max]; a group's spans the group's. Cost: about four passes over the weights.
    """
    if not (isinstance(bins, int) and 1 <= bins <= 1000):
        raise ValueError(f"bins must be an integer in [1, 1000], got {bins!r}")
    found: list[tuple[str, nn.Module, str, torch.Tensor]] = []
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if p.device.type == "meta":
                raise ValueError("weight_stats needs real weights; this model is on the meta device")
            if p.numel():
                found.append((mname, module, pname, p.detach().reshape(-1).float()))
    with torch.no_grad():
        moments = _map(lambda t: _moments(t, bins), [f for *_, f in found])
    tensors: list[TensorStats] = []
    flats: dict[str, list[torch.Tensor]] = {g: [] for g in GROUPS}
    for (mname, module, pname, flat), (lo, hi, mean, std, hist) in zip(found, moments):
        kind = _kind(module, pname)
        fan_in = _fans(module.weight)[0] if isinstance(module, (*_CONV, *_CONV_T)) else None
        tensors.append(
            TensorStats(
                f"{mname}.{pname}" if mname else pname,
                mname,
                kind,
                type(module).__name__,
                tuple(module.get_parameter(pname).shape),
                flat.numel(),
                fan_in,
                mean,
                std,
                lo,
                hi,
                hist,
                theory_for(module, pname, scheme, gain),
            )
        )
        flats[kind].append(flat)
    groups: dict[str, TensorStats] = {}
    convs = [t for t in tensors if t.kind in ("conv", "conv_transpose")]
    # conv and conv_transpose share all_conv's bins, so all_conv's counts are their sum: one
    # histogram pass over the conv weights instead of two (they are 99.98% of the generator).
    shared = (min(t.min for t in convs), max(t.max for t in convs)) if convs else None
    for group in GROUPS[1:]:
        members = [t for t in tensors if t.kind == group]
        if members:
            span = shared if group in ("conv", "conv_transpose") else None
            groups[group] = _group(group, members, _histogram_of(members, flats[group], bins, span))
    if convs:
        parts = [groups[k].hist for k in ("conv", "conv_transpose") if k in groups]
        hist = Histogram(parts[0].edges, sum((h.counts for h in parts[1:]), parts[0].counts))
        groups = {"all_conv": _group("all_conv", convs, hist), **groups}
    return WeightStats(scheme, tuple(tensors), groups)


def _histogram_of(
    members: list[TensorStats], flats: list[torch.Tensor], bins: int, span: tuple[float, float] | None
) -> Histogram:
    lo, hi = span or (min(t.min for t in members), max(t.max for t in members))
    return _histogram(flats, lo, hi, bins)


def _group(name: str, members: list[TensorStats], hist: Histogram) -> TensorStats:
    # Pool the moments from each member (no concatenated copy of 54M weights).
    n = sum(t.numel for t in members)
    mean = sum(t.mean * t.numel for t in members) / n
    second = sum((t.std**2 + t.mean**2) * t.numel for t in members) / n
    lo, hi = min(t.min for t in members), max(t.max for t in members)
    theories = [(t.numel, t.theory) for t in members if t.theory is not None]
    theory = Theory.mix(theories) if len(theories) == len(members) else None
    return TensorStats(
        name,
        name,
        name,
        "group",
        (),
        n,
        None,
        mean,
        math.sqrt(max(second - mean**2, 0.0)),
        lo,
        hi,
        hist,
        theory,
    )


def init_comparison(
    model: nn.Module,
    schemes: Sequence[str] = ("normal", "xavier", "kaiming"),
    gain: float = 0.02,
    seed: int = 0,
    bins: int = 60,
) -> dict[str, WeightStats]:
    """``{AS_BUILT: stats of model, scheme: stats after init_weights(copy, scheme)}``.

    ``model`` is left as it is (it may be a cached model shared by others): one copy is made and
    re-initialized for each scheme in turn.
    """
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {s!r}")
    out = {AS_BUILT: weight_stats(model, "default", gain, bins)}
    if schemes:
        work = copy.deepcopy(model)
        for s in schemes:
            init_weights(work, s, gain=gain, seed=seed)
            out[s] = weight_stats(work, s, gain, bins)
    return out


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
class ActivationStats:
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


def activation_comparison(
    model: nn.Module,
    input_shape: tuple[int, int, int, int],
    schemes: Sequence[str] = ("normal", "xavier", "kaiming"),
    mode: Literal["eval", "train"] = "eval",
    gain: float = 0.02,
    seed: int = 0,
) -> dict[str, ActivationStats]:
    """``activation_stats`` of the model as built and after each scheme, same input batch."""
    out = {AS_BUILT: activation_stats(model, input_shape, mode, seed)}
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

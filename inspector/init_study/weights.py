"""Weight statistics before and after initialization, next to their theory.

- ``weight_stats(model, scheme)``: one histogram (bin edges, counts) with mean, std, min, max
  per parameter tensor and per kind (conv, conv_transpose, bias, norm_weight, norm_bias and
  ``all_conv``), next to the distribution the scheme draws from (``Theory``, in ``theory.py``).
- ``init_comparison(model, schemes)``: the same for the model as built (PyTorch's default
  init) and for a copy re-initialized with each scheme. The model given is never modified.

Activation statistics live in ``activations.py``, the theory in ``theory.py``.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from inspector.display import RichDisplay
from inspector.init_study.theory import (
    _CONV,
    _CONV_T,
    _NORM,
    AS_BUILT,
    GROUPS,
    Theory,
    _fans,
    theory_for,
)
from models.init import DRAWN_SCHEMES, check_scheme, init_weights


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
    hist: Histogram | None  # None: a tensor of ``weight_stats(..., tensor_histograms=False)``
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
class WeightStats(RichDisplay):
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
            if t.hist is None:
                return t.row()
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

    ``bincount`` runs on one core; the threads (torch releases the GIL) let per-tensor work run
    side by side. Small models stay serial: threads would cost more than they save.
    """
    workers = min(torch.get_num_threads(), len(flats))
    if workers < 2 or sum(t.numel() for t in flats) < 2_000_000:
        return [fn(t) for t in flats]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, flats))


class _Scratch(threading.local):
    """One float and one int16 buffer per thread, as long as the largest tensor, reused for each.

    A fresh 32 MB temporary costs more in page faults than the arithmetic on it; with these,
    a pass over the 54M weights of the notebook's generator is a few in-place kernels.
    """

    def __init__(self, numel: int) -> None:
        self.numel = numel

    def buffers(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Views of ``like.numel()`` elements, on ``like``'s device."""
        values = getattr(self, "values", None)
        if values is None or values.device != like.device:
            self.values = torch.empty(self.numel, device=like.device)
            self.bins = torch.empty(self.numel, dtype=torch.int16, device=like.device)  # bins <= 1000
        return self.values[: like.numel()], self.bins[: like.numel()]


def _count(flat: torch.Tensor, lo: float, hi: float, bins: int, scratch: _Scratch) -> torch.Tensor:
    """``torch.histc(flat, bins, lo, hi)`` as int64, for values in [lo, hi] (the last bin closed).

    Bin ``floor((x - lo) * bins / (hi - lo))`` as histc, in place, then one ``bincount``: about
    three times faster than histc on a CPU. A value on a bin edge may land one bin away from
    NumPy's float64 count.
    """
    values, index = scratch.buffers(flat)
    torch.sub(flat, lo, out=values).mul_(bins / (hi - lo)).clamp_(0, bins - 1)
    index.copy_(values)  # truncation = floor for values >= 0
    return torch.bincount(index, minlength=bins).cpu()


def _mean_std(flat: torch.Tensor, scratch: _Scratch) -> tuple[float, float]:
    """Mean and population std, from float32 sums of ``x - c`` (cascade sums: ~1e-7 relative).

    ``c`` starts at the first value, close to the mean for weights; when the mean turns out to
    be far from it (then E[d²] - E[d]² would lose digits), one more pass shifts by the mean.
    """
    n = flat.numel()
    values, _index = scratch.buffers(flat)
    shift = float(flat[0])
    for _ in range(2):
        torch.sub(flat, shift, out=values)
        d = float(values.sum()) / n
        var = max(float(values.square_().sum()) / n - d * d, 0.0)
        if d * d <= 100 * var:
            break
        shift += d
    return shift + d, math.sqrt(var)


def _histogram(
    flats: Sequence[torch.Tensor], lo: float, hi: float, bins: int, scratch: _Scratch
) -> Histogram:
    lo, hi = _range(lo, hi)
    parts = _map(lambda t: _count(t, lo, hi, bins, scratch), flats)
    counts = torch.stack(parts).sum(0) if parts else torch.zeros(bins, dtype=torch.int64)
    return Histogram(np.linspace(lo, hi, bins + 1), counts.numpy())


def _moments(
    flat: torch.Tensor, bins: int | None, scratch: _Scratch
) -> tuple[float, float, float, float, Histogram | None]:
    """(min, max, mean, std, histogram over [min, max] or None when ``bins`` is None) of one flat tensor."""
    lo, hi = (v.item() for v in torch.aminmax(flat))
    mean, std = _mean_std(flat, scratch)
    hist = None
    if bins is not None:
        rlo, rhi = _range(lo, hi)
        hist = Histogram(np.linspace(rlo, rhi, bins + 1), _count(flat, rlo, rhi, bins, scratch).numpy())
    return lo, hi, mean, std, hist


def _check_bins(bins: object) -> None:
    if not (isinstance(bins, int) and 1 <= bins <= 1000):
        raise ValueError(f"bins must be an integer in [1, 1000], got {bins!r}")


def _parameters(model: nn.Module) -> list[tuple[str, nn.Module, str, torch.Tensor]]:
    """(module name, module, parameter name, flat float view) of every non-empty parameter."""
    found: list[tuple[str, nn.Module, str, torch.Tensor]] = []
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if p.device.type == "meta":
                raise ValueError("weight_stats needs real weights; this model is on the meta device")
            if p.numel():
                found.append((mname, module, pname, p.detach().reshape(-1).float()))
    return found


def _tensor(
    mname: str,
    module: nn.Module,
    pname: str,
    flat: torch.Tensor,
    moments: tuple[float, float, float, float, Histogram | None],
    scheme: str,
    gain: float,
) -> TensorStats:
    lo, hi, mean, std, hist = moments
    fan_in = _fans(module.weight)[0] if isinstance(module, (*_CONV, *_CONV_T)) else None
    return TensorStats(
        f"{mname}.{pname}" if mname else pname,
        mname,
        _kind(module, pname),
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


def weight_stats(
    model: nn.Module,
    scheme: str = "default",
    gain: float = 0.02,
    bins: int = 60,
    tensor_histograms: bool = True,
) -> WeightStats:
    """Histograms and moments of every parameter of ``model``, per tensor and per kind.

    ``scheme`` only selects the theory shown next to the data (a model does not know how it was
    initialized): "default" for a model as built. Each tensor's histogram spans its own
    [min, max]; a group's spans the group's. Cost: about four passes over the weights, three
    with ``tensor_histograms=False`` (then each tensor's ``hist`` is None: ``tensor_stats`` gives
    one tensor's when it is asked for; the groups always have theirs).
    """
    _check_bins(bins)
    found = _parameters(model)
    scratch = _Scratch(max((f.numel() for *_, f in found), default=0))
    with torch.no_grad():
        moments = _map(
            lambda t: _moments(t, bins if tensor_histograms else None, scratch), [f for *_, f in found]
        )
    tensors: list[TensorStats] = []
    flats: dict[str, list[torch.Tensor]] = {g: [] for g in GROUPS}
    for (mname, module, pname, flat), m in zip(found, moments):
        tensors.append(_tensor(mname, module, pname, flat, m, scheme, gain))
        flats[tensors[-1].kind].append(flat)
    groups: dict[str, TensorStats] = {}
    conv_hists: list[Histogram] = []
    convs = [t for t in tensors if t.kind in ("conv", "conv_transpose")]
    # conv and conv_transpose share all_conv's bins, so all_conv's counts are their sum: one
    # histogram pass over the conv weights instead of two (they are 99.98% of the generator).
    shared = (min(t.min for t in convs), max(t.max for t in convs)) if convs else None
    for group in GROUPS[1:]:
        members = [t for t in tensors if t.kind == group]
        if members:
            span = shared if group in ("conv", "conv_transpose") else None
            hist = _histogram_of(members, flats[group], bins, span, scratch)
            groups[group] = _group(group, members, hist)
            if span is not None:
                conv_hists.append(hist)
    if convs:
        parts = conv_hists
        hist = Histogram(parts[0].edges, sum((h.counts for h in parts[1:]), parts[0].counts))
        groups = {"all_conv": _group("all_conv", convs, hist), **groups}
    return WeightStats(scheme, tuple(tensors), groups)


def tensor_stats(
    model: nn.Module, name: str, scheme: str = "default", gain: float = 0.02, bins: int = 60
) -> TensorStats:
    """The statistics of one parameter (``"encoder_1.1.weight"``), with its histogram over its own
    [min, max]: what ``weight_stats`` gives for it, at the cost of one tensor."""
    _check_bins(bins)
    for mname, module, pname, flat in _parameters(model):
        if (f"{mname}.{pname}" if mname else pname) == name:
            with torch.no_grad():
                moments = _moments(flat, bins, _Scratch(flat.numel()))
            return _tensor(mname, module, pname, flat, moments, scheme, gain)
    raise KeyError(f"no parameter named {name!r}")


def _histogram_of(
    members: list[TensorStats],
    flats: list[torch.Tensor],
    bins: int,
    span: tuple[float, float] | None,
    scratch: _Scratch,
) -> Histogram:
    lo, hi = span or (min(t.min for t in members), max(t.max for t in members))
    return _histogram(flats, lo, hi, bins, scratch)


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


class InitComparison(dict[str, WeightStats], RichDisplay):
    """``{AS_BUILT: the model as built, scheme: after init_weights(copy, scheme)}`` (a dict); in a
    notebook, the histograms of each init beside the model as built, with their theory."""

    __slots__ = ()


def init_comparison(
    model: nn.Module,
    schemes: Sequence[str] = DRAWN_SCHEMES,
    gain: float = 0.02,
    seed: int = 0,
    bins: int = 60,
) -> InitComparison:
    """``{AS_BUILT: stats of model, scheme: stats after init_weights(copy, scheme)}``.

    ``model`` is left as it is (it may be a cached model shared by others): one copy is made and
    re-initialized for each scheme in turn.
    """
    for s in schemes:
        check_scheme(s)
    out = InitComparison({AS_BUILT: weight_stats(model, "default", gain, bins)})
    if schemes:
        work = copy.deepcopy(model)
        for s in schemes:
            init_weights(work, s, gain=gain, seed=seed)
            out[s] = weight_stats(work, s, gain, bins)
    return out

"""The doctor's rules: one function per layer type, looked up in a table keyed by the layer's class.

A rule gets the layer's input *before* the layer runs. On a mismatch it records a finding on the
``Exam`` (the wording comes from ``inspector.doctor.layer_words`` and ``size_words``) and returns a well-formed stand-in
input (the channels the layer expects, a size its kernel fits), so that the pass carries on with
the shape the layer would have produced and the next problem is found too. It returns None when
the input is fine.

A new rule is one decorated function::

    @rule(nn.PixelShuffle)
    def pixel_shuffle(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
        ...

A layer without a rule of its own but of a ruled kind (a subclass that overrides ``forward``, a
fused norm) is judged by running it (``inspector.doctor.probe``). ``check_combine``
(``inspector.doctor.combine_rule``) is the rule for ``torch.cat`` / ``torch.stack`` / ``+``,
which are calls, not layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from inspector.doctor import layer_words, probe, size_words
from inspector.doctor.changes import input_change, layer_change
from inspector.doctor.exam import Exam
from inspector.doctor.report import ProblemKind
from inspector.shapes.edit_layers import LAST_DIMS_NORMS, NORM_LAYERS
from inspector.shapes.recorder import LeafCall, Source
from inspector.shapes.records import INPUT
from models.layers import CONV_LAYERS
from models.text import compose

# (exam, layer name, layer, its first input (B, C, ...), who made that input) -> a stand-in input or None
RuleFn = Callable[[Exam, str, nn.Module, Tensor, Source | None], Tensor | None]

RULES: dict[type[nn.Module], RuleFn] = {}


def rule(*types: type[nn.Module]) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function as the rule for each of ``types`` (a later one replaces an earlier)."""

    def register(fn: RuleFn) -> RuleFn:
        for t in types:
            RULES[t] = fn
        return fn

    return register


def rule_for(module: nn.Module) -> RuleFn | None:
    """The rule that judges ``module`` before it runs; None when it must be judged by running it.

    The rule registered for its exact class, or for the nearest parent class when the subclass
    adds nothing that changes shapes: it inherits ``forward`` and has no child modules (a
    ``class MyNorm(nn.BatchNorm2d): pass``). A subclass that overrides ``forward`` (timm's
    ``LayerNorm2d`` normalizes channels, not the last dims) or holds children (``BatchNormAct2d``)
    is not judged by its parent's rule: that would raise false alarms on healthy models.
    """
    found = RULES.get(type(module))
    if found is not None:
        return found
    parent = _ruled_parent(module)
    if parent is None or next(module.children(), None) is not None:
        return None
    return RULES[parent] if type(module).forward is parent.forward else None


def explainer_for(module: nn.Module) -> RuleFn | None:
    """The rule of the nearest parent class: it explains a layer that failed when run (its numbers)."""
    parent = _ruled_parent(module)
    return RULES[parent] if parent is not None else None


def _ruled_parent(module: nn.Module) -> type[nn.Module] | None:
    return next((c for c in type(module).__mro__[1:] if c in RULES), None)


def judged_by_running(module: nn.Module) -> bool:
    """A layer of a ruled kind that has no rule of its own (a norm subclass with an activation
    inside, a conv wrapper): the doctor runs it alone before it runs in the pass."""
    return type(module) not in RULES and _ruled_parent(module) is not None and rule_for(module) is None


def check_leaf(exam: Exam, call: LeafCall) -> tuple[Any, ...] | None:
    """Before a leaf (or a layer judged by running) runs: its rule; replacement args when it found
    (and mended) a problem."""
    exam.order.setdefault(call.name, len(exam.order))  # call order: the earlier input of a cat is the skip
    if not call.args or not isinstance(call.args[0], Tensor):
        return None
    x, src = call.args[0], call.sources[0] if call.sources else None
    judge = rule_for(call.module)
    if judge is None:
        return probe.judge_by_running(exam, call, x, src, explainer_for(call.module))
    new = judge(exam, call.name, call.module, x, src)
    return None if new is None else (new, *call.args[1:])


# --- convolutions and pools ---
@rule(nn.modules.conv._ConvNd, *CONV_LAYERS)
def conv(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """``in_channels`` of a conv or transposed conv, its input rank, and a kernel that fits (B, C, *spatial)."""
    assert isinstance(m, nn.modules.conv._ConvNd)  # the table sends only convs here
    n = len(m.kernel_size)
    if x.dim() not in (n + 1, n + 2):
        words = layer_words.conv_dims(name, m, tuple(x.shape), exam.origin(src, 1))
        exam.add(name, ProblemKind.DIMS, n + 2, x.dim(), words)
        return torch.zeros((1, m.in_channels, *m.kernel_size), device=x.device, dtype=x.dtype)
    cdim = x.dim() - n - 1  # 1 when batched, 0 when not
    shape = list(x.shape)
    expected, got = m.in_channels, shape[cdim]
    if got != expected:
        shape[cdim] = expected
        feed = None
        if src is not None and src.producer == INPUT:  # or feed the input the layer was built for
            feed = input_change(exam.input_shape, _with(exam.input_shape, cdim, expected))
        words = layer_words.conv_channels(
            name,
            m,
            got,
            layer_change(name, m, "in_channels", expected, got),
            feed,
            exam.fix_target(name),
            exam.origin(src, cdim, got),
            exam.composition(src, cdim, got),
            pix2pix=exam.pix2pix,
        )
        exam.add(name, ProblemKind.CHANNELS, expected, got, words)
    if not m.transposed and not (isinstance(m.padding, str) and m.padding == "same"):
        pads = (0,) * n if isinstance(m.padding, str) else tuple(m.padding)
        need = [m.dilation[i] * (m.kernel_size[i] - 1) + 1 - 2 * pads[i] for i in range(n)]
        _kernel_fits(exam, name, m, shape, cdim + 1, need, pads, src)
    return None if shape == list(x.shape) else torch.zeros(shape, device=x.device, dtype=x.dtype)


def _with(shape: tuple[int, ...], dim: int, value: int) -> tuple[int, ...]:
    out = list(shape)
    if dim < len(out):
        out[dim] = value
    return tuple(out)


def _kernel_fits(
    exam: Exam,
    name: str,
    m: nn.Module,
    shape: list[int],
    first: int,
    need: list[int],
    pads: Sequence[int],
    src: Source | None,
) -> None:
    """Record a kernel larger than its padded input; grow ``shape`` (dims ``first``...) so the layer can run."""
    spatial = shape[first:]
    if all(s >= k for s, k in zip(spatial, need)):
        return
    words = size_words.kernel_too_large(name, m, need, pads, spatial, exam.origin(src, 1))
    exam.add(
        name, ProblemKind.KERNEL, tuple(max(k, 1) for k in need), tuple(spatial), words, needs_sizes=True
    )
    shape[first:] = [max(s, k, 1) for s, k in zip(spatial, need)]


@rule(
    nn.modules.pooling._MaxPoolNd,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.modules.pooling._AvgPoolNd,
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
)
def pool(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """A max or average pool whose window fits its padded input (a ceil_mode window may hang over)."""
    n = {"1d": 1, "2d": 2, "3d": 3}.get(type(m).__name__[-2:].lower(), 2)
    if x.dim() < n + 1:
        return None

    def per_dim(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, (tuple, list)) else (int(v),) * n

    kernel, pads = per_dim(m.kernel_size), per_dim(m.padding)
    dilation = per_dim(getattr(m, "dilation", 1))
    need = [dilation[i] * (kernel[i] - 1) + 1 - 2 * pads[i] for i in range(n)]
    if getattr(m, "ceil_mode", False):
        # ceil_mode keeps a last window that starts inside the input: one that fits is enough
        stride = per_dim(m.stride or m.kernel_size)
        spatial = x.shape[x.dim() - n :]
        if all(_pool_out(spatial[i], kernel[i], stride[i], pads[i], dilation[i]) >= 1 for i in range(n)):
            return None
    shape = list(x.shape)
    _kernel_fits(exam, name, m, shape, x.dim() - n, need, pads, src)
    return None if shape == list(x.shape) else torch.zeros(shape, device=x.device, dtype=x.dtype)


def _pool_out(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Output length of a ceil_mode pool (PyTorch's pooling_output_shape)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


# --- Linear ---
@rule(nn.Linear)
def linear(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """``in_features`` against the last dim of the input (B, ..., in_features)."""
    assert isinstance(m, nn.Linear)
    got = x.shape[-1] if x.dim() else 1
    if got == m.in_features:
        return None
    # Features that came through a flatten of a feature map change with the input size; after
    # another Linear or an adaptive pool they do not.
    size_bound = not isinstance(
        exam.producer(src),
        (nn.Linear, nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd),
    )
    change = layer_change(name, m, "in_features", m.in_features, got)
    came_from = exam.origin(src, x.dim() - 1)
    words = layer_words.linear_features(
        name, m, got, tuple(x.shape), came_from, change, exam.fix_target(name), size_bound
    )
    # Size-bound features: the input sizes that make the model run are the other way out.
    exam.add(name, ProblemKind.FEATURES, m.in_features, got, words, needs_sizes=size_bound)
    return torch.zeros((*x.shape[:-1], m.in_features), device=x.device, dtype=x.dtype)


# --- norms ---
@rule(
    nn.modules.batchnorm._NormBase,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.SyncBatchNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
)
def batch_or_instance_norm(
    exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None
) -> Tensor | None:
    """``num_features`` of a batch or instance norm, its input rank, and batch statistics that need
    more than one value per channel (input (B, C, *spatial))."""
    assert isinstance(m, nn.modules.batchnorm._NormBase)
    # InstanceNorm without affine weights or running stats ignores num_features (PyTorch only
    # warns), so a mismatch there is harmless and not reported.
    if isinstance(m, nn.modules.instancenorm._InstanceNorm) and not (m.affine or m.track_running_stats):
        return None
    dims = _allowed_dims(m)
    if x.dim() not in dims:
        x = _norm_dims(exam, name, m, x, src, dims)
        new = _channels(exam, name, m, x, src, m.num_features, "num_features")
        return x if new is None else new
    new = _channels(exam, name, m, x, src, m.num_features, "num_features")
    x = new if new is not None else x
    if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and x.dim() >= 2:
        per_channel = x.numel() // x.shape[1]
        if per_channel == 1:
            words = size_words.one_value_per_channel(name, m, tuple(x.shape))
            exam.add(name, ProblemKind.BATCH_STATS, 2, 1, words, needs_sizes=True)
            # Carry on: in eval mode the layer uses running stats and keeps the shape. The
            # module belongs to the doctor's copy, so changing its mode is harmless.
            m.eval()
    return new


@rule(nn.GroupNorm)
def group_norm(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """``num_channels`` of a GroupNorm against dim 1 of its input (B, C, ...)."""
    assert isinstance(m, nn.GroupNorm)
    return _channels(exam, name, m, x, src, m.num_channels, "num_channels")


@rule(*LAST_DIMS_NORMS)
def layer_norm(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """``normalized_shape`` of a LayerNorm (or RMSNorm) against the last dims of its input
    (..., *normalized_shape). A norm keeps its input's shape: in the "mend" pass the input's
    width flows on (the norm is the wrong one), in the "expect" pass the norm's own."""
    want = tuple(getattr(m, "normalized_shape", ()))
    got = tuple(x.shape[-len(want) :]) if x.dim() >= len(want) else tuple(x.shape)
    if got == want:
        return None
    change = layer_change(name, m, "normalized_shape", want, got)
    made = exam.maker_change(src, x.dim() - 1, x.dim(), got[0], want[0]) if len(want) == 1 else None
    came_from = exam.origin(src, x.dim() - 1)
    fix = layer_words.norm_fix(change, exam.fix_target(name), made, made_first=exam.norm_carry != "mend")
    words = layer_words.layer_norm_shape(name, m, got, tuple(x.shape), came_from, fix)
    exam.add(name, ProblemKind.FEATURES, want, got, words)
    if exam.norm_carry == "mend" and len(got) == len(want) and exam.mend(m, "normalized_shape", got):
        return x
    return torch.zeros((*x.shape[: x.dim() - len(want)], *want), device=x.device, dtype=x.dtype)


def _norm_dims(
    exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None, dims: tuple[int, ...]
) -> Tensor:
    """A norm fed a tensor with the wrong number of dims (an unbatched input, most often)."""
    target = min((d for d in dims if d >= x.dim()), default=dims[-1])
    words = layer_words.norm_dims(name, m, tuple(x.shape), exam.origin(src, 0), dims, exam.input_shape)
    exam.add(name, ProblemKind.DIMS, target, x.dim(), words)
    # Carry on with a batch dim added (too few dims) or the extra inner dims dropped (too many).
    shape = list(x.shape)
    if len(shape) < target:
        shape = [1] * (target - len(shape)) + shape
    else:
        shape = shape[:2] + shape[len(shape) - (target - 2) :] if target > 2 else shape[:target]
    return torch.zeros(shape, device=x.device, dtype=x.dtype)


def _channels(
    exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None, expected: int, field_name: str
) -> Tensor | None:
    """A norm's channel count (``field_name``: num_features or num_channels) against its input's."""
    cdim = 0 if _unbatched_instance_norm(m, x) else 1
    if x.dim() < 2 or x.shape[cdim] == expected:
        return None
    got = int(x.shape[cdim])
    made = exam.maker_change(src, cdim, x.dim(), got, expected)
    producer = exam.producer(src)
    if made is not None and src is not None and isinstance(producer, nn.modules.conv._ConvNd):
        # The notebook's typo in one line: the conv before got both its counts wrong.
        for earlier in exam.found:
            if (
                earlier.module == src.layer
                and earlier.kind == ProblemKind.CHANNELS
                and isinstance(earlier.actual, int)
            ):
                should_be = layer_words.conv_should_be(name, src.layer, producer, earlier.actual, expected)
                earlier.fix = compose("{fix}{should_be}", fix=earlier.fix, should_be=should_be)
    change = layer_change(name, m, field_name, expected, got)
    fix = layer_words.norm_fix(change, exam.fix_target(name), made, made_first=exam.norm_carry != "mend")
    words = layer_words.norm_channels(name, m, expected, got, exam.origin(src, cdim, got), fix)
    exam.add(name, ProblemKind.CHANNELS, expected, got, words)
    if exam.norm_carry == "mend" and exam.mend(m, field_name, got):
        return x  # the doctor's copy of the norm now takes `got` channels: they flow on
    shape = list(x.shape)
    shape[cdim] = expected
    return torch.zeros(shape, device=x.device, dtype=x.dtype)


def _allowed_dims(m: nn.modules.batchnorm._NormBase) -> tuple[int, ...]:
    """The input ranks a batch or instance norm takes, asked of the layer itself."""
    dims = []
    for d in range(1, 7):
        try:
            m._check_input_dim(torch.empty((1,) * d, device="meta"))
        except ValueError:
            continue
        dims.append(d)
    return tuple(dims) or (2, 3, 4, 5)


def _unbatched_instance_norm(m: nn.Module, x: Tensor) -> bool:
    return isinstance(m, nn.modules.instancenorm._InstanceNorm) and x.dim() == m._get_no_batch_dim()


def is_norm(m: nn.Module | None) -> bool:
    """A norm: it keeps its input's shape, so a mismatch may be its own fault or the layer's before it
    (batch, instance and group norms, LayerNorm and RMSNorm, and their subclasses)."""
    return isinstance(m, NORM_LAYERS)

"""Judging a layer by running it: for layers the rules table has no exact rule for.

A subclass that overrides ``forward`` (timm's ``LayerNorm2d`` normalizes the channels of
(B, C, H, W), not its last dims; ``BatchNormAct2d`` is a BatchNorm2d with an activation inside)
must not be judged by its parent class's rule: that rule reads the wrong dims and raises false
alarms on healthy models. Such a layer is run on its own, where the pass runs (meta, or the CPU
copy when the meta device cannot run the model). Only when it fails does the doctor look for the
numbers: its parent's rule, if the stand-in that rule hands back makes the layer run, or else
the one dim that, set to the layer's own width, makes it run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from inspector.doctor import layer_words
from inspector.doctor.changes import layer_change
from inspector.doctor.exam import Exam
from inspector.doctor.report import ProblemKind
from inspector.shapes.edit_layers import NORM_LAYERS
from inspector.shapes.meta import _from_torch, is_meta_limit
from inspector.shapes.recorder import LeafCall, Source

# (exam, layer name, layer, its first input, who made it) -> a stand-in input or None (rules.RuleFn)
RuleFn = Callable[[Exam, str, nn.Module, Tensor, Source | None], Tensor | None]


@contextmanager
def _without_hooks(module: nn.Module) -> Iterator[None]:
    """The module and its children without the hooks that are not PyTorch's (the tracer's)."""
    saved = []
    for m in module.modules():
        for attr in ("_forward_pre_hooks", "_forward_hooks"):
            hooks = getattr(m, attr)
            saved.append((m, attr, hooks))
            setattr(m, attr, OrderedDict((k, h) for k, h in hooks.items() if _from_torch(h)))
    try:
        yield
    finally:
        for m, attr, hooks in saved:
            setattr(m, attr, hooks)


def run_error(module: nn.Module, args: Sequence[Any]) -> BaseException | None:
    """What ``module(*args)`` raises on its own (None if it runs).

    Runs the doctor's own copy of the layer (meta, or the CPU copy when the pass runs on CPU)
    outside the tracer: its hooks set aside and ``DisableTorchFunction``, so the pass being
    recorded sees nothing of it. An error of the meta device itself is no verdict on the layer
    (None: the pass then moves to a CPU copy, where the layer is judged again).
    """
    with torch._C.DisableTorchFunction(), torch.no_grad(), _without_hooks(module):
        try:
            module(*args)
        except Exception as exc:
            return None if is_meta_limit(exc) else exc
    return None


def expected_width(m: nn.Module) -> tuple[str, int] | None:
    """The width a layer is built for, read from its own fields: ("num_features", 64)..."""
    for field_name in ("in_channels", "num_features", "num_channels", "in_features"):
        value = getattr(m, field_name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return field_name, value
    shape = getattr(m, "normalized_shape", None)
    if isinstance(shape, (tuple, list)) and len(shape) == 1 and isinstance(shape[0], int):
        return "normalized_shape", int(shape[0])
    return None


def width_dim(module: nn.Module, x: Tensor, rest: Sequence[Any], width: int) -> int | None:
    """The dim of ``x`` that, set to ``width``, makes ``module`` run: channels first, then the last."""
    order = [1, x.dim() - 1, *range(x.dim())] if x.dim() > 1 else [0]
    for d in dict.fromkeys(order):
        if x.shape[d] == width:
            continue
        shape = list(x.shape)
        shape[d] = width
        stand_in = torch.zeros(shape, device=x.device, dtype=x.dtype)
        if run_error(module, (stand_in, *rest)) is None:
            return d
    return None


def judge_by_running(
    exam: Exam, call: LeafCall, x: Tensor, src: Source | None, explain: RuleFn | None
) -> tuple[Any, ...] | None:
    """Run the layer alone; only if it fails, find its numbers (the parent's rule, or the one dim
    that its own width makes run). None: it runs, or nothing explains it (the pass then ends
    with PyTorch's message, at this layer)."""
    if explain is None or run_error(call.module, call.args) is None:
        return None
    rest = call.args[1:]
    before, mends = len(exam.found), len(exam.mended)
    new = explain(exam, call.name, call.module, x, src)
    stand_in = x if new is None else new
    if len(exam.found) > before and run_error(call.module, (stand_in, *rest)) is None:
        return None if new is None else (new, *rest)
    del exam.found[before:]  # the parent's rule read the wrong dims: its words would mislead
    exam.undo_mends(mends)  # and its mend of the layer too
    width = expected_width(call.module)
    if width is None:
        return None
    field_name, want = width
    d = width_dim(call.module, x, rest, want)
    if d is None:
        return None
    got = int(x.shape[d])
    value: Any = (got,) if field_name == "normalized_shape" else got
    old: Any = (want,) if field_name == "normalized_shape" else want
    change = layer_change(call.name, call.module, field_name, old, value)
    came_from = exam.origin(src, d, got)
    words = layer_words.layer_width(call.name, call.module, field_name, want, got, d, came_from, change)
    exam.add(call.name, ProblemKind.CHANNELS if d == 1 else ProblemKind.FEATURES, want, got, words)
    # A norm keeps its input's shape: in the "mend" pass its input's width flows on, as with a rule.
    if (
        exam.norm_carry == "mend"
        and isinstance(call.module, NORM_LAYERS)
        and exam.mend(call.module, field_name, value)
    ):
        if run_error(call.module, call.args) is None:
            return None
        exam.undo_mends(len(exam.mended) - 1)
    shape = list(x.shape)
    shape[d] = want
    return (torch.zeros(shape, device=x.device, dtype=x.dtype), *rest)

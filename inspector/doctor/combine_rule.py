"""The rule for ``torch.cat`` / ``torch.stack`` / ``+``: calls, not layers, so not in the table."""

from __future__ import annotations

import torch
from torch import Tensor

from inspector.doctor import size_words
from inspector.doctor.exam import Exam
from inspector.doctor.report import Finding, ProblemKind
from inspector.shapes.recorder import CombineCall


def _spatial_only(a: torch.Size, b: torch.Size) -> bool:
    """Same rank (with spatial dims), batch and channels: only H, W (or L, D) differ."""
    return len(a) == len(b) >= 3 and a[:2] == b[:2] and a[2:] != b[2:]


def check_combine(exam: Exam, call: CombineCall) -> list[Tensor] | None:
    """Tensors that a cat, stack or add cannot combine: record it, and return tensors that can be."""
    op, tensors, dim, sources = call.op, call.tensors, call.dim, call.sources
    if not tensors:
        return None
    index = len(call.concats)  # the index the tracer will give this combination
    exam.combined_at.setdefault(index, len(exam.order))  # on the leaves' clock: which input came first
    first = tensors[0]
    if op == "add":
        try:
            torch.broadcast_shapes(first.shape, tensors[1].shape)
            return None
        except RuntimeError:
            bad = 1
    else:
        ndim = first.dim()
        d = (dim % ndim if op == "torch.cat" and dim is not None else None) if ndim else None
        bad = next(
            (
                i
                for i, t in enumerate(tensors[1:], 1)
                if t.dim() != ndim
                or any(a != b for j, (a, b) in enumerate(zip(t.shape, first.shape)) if j != d)
            ),
            0,
        )
        if not bad:
            return None
    a, b = first, tensors[bad]
    pa, pb = (s.producer if s else "?" for s in (sources[0], sources[bad]))
    words = size_words.combine_mismatch(op, tuple(a.shape), pa, tuple(b.shape), pb, exam.input_shape)
    # The block is the one the result feeds, known after the pass (problems.to_problems).
    exam.found.append(
        Finding(
            call.module,
            ProblemKind.CONCAT,
            tuple(a.shape),
            tuple(b.shape),
            words.message,
            words.fix,
            concat=index,
            # An add whose operands differ only in their spatial sizes (same batch and channels) may be
            # an input the model's halvings round differently: the doctor looks for sizes that work,
            # and keeps the shortcut advice (words.fix) for when none does.
            needs_sizes=not words.fix or (op == "add" and _spatial_only(a.shape, b.shape)),
        )
    )
    # Carry on with the larger size in every dim but the concatenated one (the encoder's
    # rounded-down size is the larger: its way back up then meets the next skip again).
    if op == "add":
        return [first, torch.zeros(first.shape, device=first.device, dtype=first.dtype)]
    target = [max(t.shape[j] for t in tensors if t.dim() == first.dim()) for j in range(first.dim())]
    out = []
    for t in tensors:
        shape = list(target)
        if op == "torch.cat" and t.dim() == first.dim() and dim is not None:
            shape[dim % first.dim()] = t.shape[dim % first.dim()]
        out.append(torch.zeros(shape, device=t.device, dtype=t.dtype))
    return out

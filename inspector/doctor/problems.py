"""After the pass: the findings become problems.

A bad combination is named after the block it feeds; size problems get their fix, and their
changes to prove, from the valid input sizes; a cascade of size problems is folded into its first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from inspector.doctor.changes import Change, input_change
from inspector.doctor.provenance import AND
from inspector.doctor.report import OR, Finding, Problem, dim_name
from inspector.i18n.text import Text, join
from inspector.shapes.input_sizes import InputSizes
from inspector.shapes.records import Shape, Trace

SIZE_KINDS = ("kernel", "batch-stats", "concat")
MIN_USEFUL_SIZE = 8  # valid sizes that all lie below this are an accident of rounding, not a fix


def _size_fix(f: Finding, sizes: InputSizes | None, spatial: Shape) -> Text | str:
    """The fix of a size problem, from the sizes that work."""
    degenerate = sizes is not None and sizes.maximum is not None and sizes.maximum < MIN_USEFUL_SIZE
    if degenerate and f.kind == "concat" and sizes is not None:
        # e.g. a stride-2 branch joined to a stride-1 one
        return Text(
            "no useful input size fixes this ({sizes} would run): the joined tensors are downsampled "
            "differently; make their strides match, or resize one before the call",
            sizes=sizes.describe(),
        )
    if sizes is not None and not degenerate and not all(sizes.is_valid(x) for x in spatial):
        # one clause per bad dim: "a height of 48 or 64 instead of 60"; square: "an input size"
        square = len(set(spatial)) == 1
        bad = [(i - len(spatial), x) for i, x in enumerate(spatial) if not sizes.is_valid(x)]
        if square:
            bad = bad[:1]
        parts = [
            Text("an input size of {sizes} instead of {size}", sizes=join(sizes.nearest(x), OR), size=x)
            if square
            else Text(
                "a {dim} of {sizes} instead of {size}",
                dim=dim_name(i),
                sizes=join(sizes.nearest(x), OR),
                size=x,
            )
            for i, x in bad
        ]
        text = Text("use {sizes} (valid: {valid})", sizes=join(parts, AND), valid=sizes.describe())
        return Text("{size_fix}; or {fix}", size_fix=text, fix=f.fix) if f.kind == "batch-stats" else text
    if f.kind in ("batch-stats", "runtime"):  # no size helps: the rule's own words
        return f.fix
    if f.kind == "kernel":
        return Text("use a larger input, or a smaller kernel or more padding at {module}", module=f.module)
    return Text("make the sizes match: resize or pad the input, or crop or pad a tensor before the call")


def _size_options(sizes: InputSizes | None, input_shape: Shape) -> tuple[tuple[Change, ...], ...]:
    """The input shapes the size fix names, as changes (the nearest size below first)."""
    if sizes is None or len(input_shape) < 3:
        return ()
    spatial = input_shape[2:]
    out: list[tuple[Change, ...]] = []
    for k in (0, 1):
        new = tuple(
            x if sizes.is_valid(x) else sizes.nearest(x)[min(k, len(sizes.nearest(x)) - 1)] for x in spatial
        )
        change = (input_change(input_shape, (*input_shape[:2], *new)),)
        if new != tuple(spatial) and change not in out:
            out.append(change)
    return tuple(out)


def to_problems(
    found: Sequence[Finding],
    trace: Trace,
    sizes: InputSizes | None,
    input_shape: Shape,
    block_of: Callable[[str], str],
) -> tuple[Problem, ...]:
    """The findings of a pass as problems: a bad combination is named after the block it feeds,
    size problems get their fix from ``sizes``, and a cascade of size problems is folded."""
    out = []
    spatial = input_shape[2:] if len(input_shape) >= 3 else input_shape[-1:]
    for f in found:
        module, block, fix, message = f.module, f.block, f.fix, f.message
        if f.concat is not None and f.concat < len(trace.concats):
            c = trace.concats[f.concat]
            module = c.consumer or c.module or "(model)"
            block = block_of(module) or block
            if isinstance(message, Text) and "op" in message.values:  # report.combine_mismatch's words
                message = message.with_values(op=Text("{op} before {module}", op=c.op, module=module))
            else:  # the words of a rule of one's own
                message = message.replace(f"{c.op} ", f"{c.op} before {module} ", 1)
        options = f.options
        if f.needs_sizes:
            fix = _size_fix(f, sizes, spatial)
            options = options or _size_options(sizes, input_shape)
        out.append(
            Problem(
                module,
                f.kind,
                f.expected,
                f.actual,
                message,
                fix,
                block,
                f.concat,
                changes=options[0] if options else (),
                options=options,
            )
        )
    return fold_size_cascade(out)


def fold_size_cascade(problems: list[Problem]) -> tuple[Problem, ...]:
    """After a kernel that does not fit, the pass carries on with a made-up size, so every later
    size problem is an echo of the first: fold them into it (channel problems stay separate)."""
    first = next((i for i, p in enumerate(problems) if p.kind == "kernel"), None)
    if first is None:
        return tuple(problems)
    echoes = [p for p in problems[first + 1 :] if p.kind in SIZE_KINDS]
    if not echoes:
        return tuple(problems)
    names = ", ".join(p.module for p in echoes[:6]) + (", ..." if len(echoes) > 6 else "")
    head = problems[first]
    echo = Text(
        "Carrying on from there, {count} later layer(s) hit the same size problem ({names}); one fix covers them all.",
        count=len(echoes),
        names=names,
    )
    folded = replace(head, message=join([head.message, echo]))
    rest = [p for p in problems[first + 1 :] if p.kind not in SIZE_KINDS]
    return (*problems[:first], folded, *rest)

"""After the pass: the findings become problems.

A bad combination is named after the block it feeds; size problems get their fix, and their
changes to prove, from the valid input sizes (so does a layer whose width follows the input size:
the sizes that run are its other way out); a cascade of size problems is folded into its first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from inspector.doctor.changes import Option, input_change
from inspector.doctor.provenance import AND
from inspector.doctor.report import OR, SIZE_KINDS, WIDTH_KINDS, Finding, Problem, ProblemKind, alternatives
from inspector.doctor.size_words import dim_name
from inspector.shapes.input_sizes import InputSizes
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Shape, Trace
from models.text import Text, join

MIN_USEFUL_SIZE = 8  # valid sizes that all lie below this are an accident of rounding, not a fix


def _degenerate(sizes: InputSizes) -> bool:
    """Every size that works lies below MIN_USEFUL_SIZE on some side (e.g. 1 and 2 only)."""
    return any(side.maximum is not None and side.maximum < MIN_USEFUL_SIZE for side in sizes.sides)


def _size_fix(f: Finding, sizes: InputSizes | None, spatial: Shape, shapes: Sequence[Shape]) -> Text | str:
    """The fix of a size problem: the nearest sizes that work (``shapes``, proven when the doctor
    proves), per side when the sides differ, or else the rule's own words."""
    degenerate = sizes is not None and _degenerate(sizes)
    if degenerate and f.kind == ProblemKind.CONCAT and sizes is not None:
        # e.g. a stride-2 branch joined to a stride-1 one; an add has advice of its own (the shortcut)
        if f.fix:
            return Text(
                "no useful input size fixes this ({sizes} would run): {fix}",
                sizes=sizes.describe(),
                fix=f.fix,
            )
        return Text(
            "no useful input size fixes this ({sizes} would run): the joined tensors are downsampled "
            "differently; make their strides match, or resize one before the call",
            sizes=sizes.describe(),
        )
    if sizes is not None and not degenerate and shapes:
        text = _use_sizes(sizes, spatial, shapes)
        return (
            Text("{size_fix}; or {fix}", size_fix=text, fix=f.fix)
            if f.kind == ProblemKind.BATCH_STATS
            else text
        )
    if f.kind in (ProblemKind.BATCH_STATS, ProblemKind.RUNTIME):  # no size helps: the rule's own words
        return f.fix
    if f.kind == ProblemKind.KERNEL:
        return Text("use a larger input, or a smaller kernel or more padding at {module}", module=f.module)
    if f.fix:  # an add's own advice (a shortcut with the wrong stride), when no input size helps
        return f.fix
    return Text("make the sizes match: resize or pad the input, or crop or pad a tensor before the call")


def _use_sizes(sizes: InputSizes, spatial: Shape, shapes: Sequence[Shape]) -> Text:
    """``use an input size of 256 or 512 instead of 300 (valid: multiples of 256 ...)``."""
    return Text("use {sizes} (valid: {valid})", sizes=_sizes_text(spatial, shapes), valid=sizes.describe())


def _or_sizes(
    f: Finding, sizes: InputSizes | None, spatial: Shape, candidates: Sequence[Shape], input_shape: Shape
) -> tuple[str, tuple[Option, ...]]:
    """A layer whose width follows the input size (a Linear after a flatten): its own fix, or the
    nearest input sizes that run (proven: ``works``); the rule's fix alone when none does."""
    if sizes is None or _degenerate(sizes) or not candidates:
        return f.fix, f.options
    said = _use_sizes(sizes, spatial, [c[2:] for c in candidates])
    options = (*f.options, Option((input_change(input_shape, candidates[0]),), said))
    return alternatives(options), options


def _sizes_text(spatial: Shape, shapes: Sequence[Shape]) -> Text:
    """``an input size of 256 or 512 instead of 300`` when every side moves together; otherwise
    one clause per side that must change, and the sides that work: ``a height of 288 or 320
    instead of 300 (the width 300 works)``; with two sides, which go together: ``a height of 48 or 64
    instead of 60 and a width of 32 or 48 instead of 44: an input of 48x32 or 64x48``."""
    if len(set(spatial)) == 1 and all(len(set(s)) == 1 for s in shapes):
        return Text(
            "an input size of {sizes} instead of {size}",
            sizes=join((s[0] for s in shapes), OR),
            size=spatial[0],
        )
    clauses: list[Text] = []
    works: list[Text] = []
    for i, x in enumerate(spatial):
        name = dim_name(i - len(spatial))
        values = list(dict.fromkeys(s[i] for s in shapes))
        if values == [x]:
            works.append(Text("the {dim} {size}", dim=name, size=x))
        else:
            clauses.append(
                Text("a {dim} of {sizes} instead of {size}", dim=name, sizes=join(values, OR), size=x)
            )
    text = join(clauses, AND)
    if len(works) == 1:
        text = Text("{sizes} ({working} works)", sizes=text, working=works[0])
    elif works:
        text = Text("{sizes} ({working} work)", sizes=text, working=join(works, AND))
    if len(clauses) > 1:  # which sizes go together
        text = Text(
            "{sizes}: an input of {shapes}", sizes=text, shapes=join((fmt_shape(s) for s in shapes), OR)
        )
    return text


def size_candidates(
    sizes: InputSizes | None, input_shape: Shape, works: Callable[[Shape], bool] | None = None
) -> tuple[Shape, ...]:
    """The input shapes a size fix names: the nearest that ``sizes`` lists (each bad side moved
    down, then up), and of those, when ``works`` is given, only the ones that ``works``."""
    if sizes is None or len(input_shape) < 3 or _degenerate(sizes):
        return ()  # sizes that all lie below MIN_USEFUL_SIZE are no fix to offer, nor to prove
    spatial = tuple(input_shape[2:])
    found = [(*input_shape[:2], *s) for s in sizes.nearest_shapes(spatial) if s != spatial]
    return tuple(s for s in found if works is None or works(s))


def to_problems(
    found: Sequence[Finding],
    trace: Trace,
    sizes: InputSizes | None,
    input_shape: Shape,
    block_of: Callable[[str], str],
    works: Callable[[Shape], bool] | None = None,
) -> tuple[Problem, ...]:
    """The findings of a pass as problems: a bad combination is named after the block it feeds,
    size problems get their fix from ``sizes``, and a cascade of size problems is folded.

    ``works(shape)``: whether the model runs at an input shape (the doctor finds no problem);
    a size fix then names only the sizes that do, so that its proof can verify them.
    """
    out = []
    spatial = input_shape[2:] if len(input_shape) >= 3 else input_shape[-1:]
    candidates: tuple[Shape, ...] | None = None  # computed at the first size problem
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
            if candidates is None:
                candidates = size_candidates(sizes, input_shape, works)
            if f.kind in WIDTH_KINDS:
                fix, options = _or_sizes(f, sizes, spatial, candidates, input_shape)
            else:
                fix = _size_fix(f, sizes, spatial, [c[2:] for c in candidates])
                options = options or tuple(Option((input_change(input_shape, c),)) for c in candidates)
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
                changes=options[0].changes if options else (),
                options=options,
            )
        )
    return fold_size_cascade(out)


def fold_size_cascade(problems: list[Problem]) -> tuple[Problem, ...]:
    """After a kernel that does not fit, the pass carries on with a made-up size, so every later
    size problem is an echo of the first: fold them into it (channel problems stay separate)."""
    first = next((i for i, p in enumerate(problems) if p.kind == ProblemKind.KERNEL), None)
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

"""Every fix proven: apply it to a meta copy of the model and run the doctor again.

A fix is *verified* when, with its changes applied, the problem is gone and no new problem took
its place. When one change is not enough (a BatchNorm made wider feeds a conv that now gets too
many channels), the first new problem's own fix is added and the model is run again, up to
``MAX_CHANGES`` changes: "BatchNorm2d 64 -> 128, and then body.5 Conv2d in_channels 64 -> 128".
Of the ways out a rule saw (the conv before, or the norm itself) the smallest set that makes
the whole model run wins. What cannot be proven in ``TIME_BUDGET_S`` stays a suggestion.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from torch import nn

from inspector.doctor.changes import INPUT_CHANGE, Change, apply
from inspector.doctor.report import Problem
from inspector.shapes.meta import meta_copy
from inspector.shapes.records import Shape
from models.text import Text, join

MAX_CHANGES = 4  # a fix longer than this is no longer one fix
MAX_OPTIONS = 3  # ways out tried per problem
TIME_BUDGET_S = 3.0  # for all the proofs of one diagnosis; the rest stay suggestions

# (model, input shape) -> its problems, without proofs or size search (the doctor's quick pass)
QuickDoctor = Callable[[nn.Module, Shape], Sequence[Problem]]


def _key(p: Problem) -> tuple[str, str]:
    return p.module, p.kind


def _run_with(
    model: nn.Module, shape: Shape, changes: Sequence[Change], quick: QuickDoctor
) -> Sequence[Problem] | None:
    """The problems of ``model`` with ``changes`` applied to a meta copy; None if they cannot be."""
    if all(c.module == INPUT_CHANGE for c in changes):  # the model as it is, at another input size
        for c in changes:
            shape = c.new if isinstance(c.new, tuple) else shape
        return quick(model, shape)
    copy = meta_copy(model)
    for c in changes:
        if c.module == INPUT_CHANGE:
            shape = c.new if isinstance(c.new, tuple) else shape
        elif not apply(copy, c):
            return None
    return quick(copy, shape)


def _prove_option(
    model: nn.Module,
    shape: Shape,
    problem: Problem,
    option: tuple[Change, ...],
    known: set[tuple[str, str]],
    quick: QuickDoctor,
) -> tuple[tuple[Change, ...], bool, bool]:
    """(changes, verified, whole model runs) for one way out of ``problem``."""
    changes = list(option)
    while len(changes) <= MAX_CHANGES:
        after = _run_with(model, shape, changes, quick)
        if after is None or any(_key(p) == _key(problem) for p in after):
            return tuple(changes), False, False
        new = [p for p in after if _key(p) not in known]
        if not new:
            return tuple(changes), True, not after
        follow = new[0].changes
        if not follow or any(c in changes for c in follow):
            return tuple(changes), False, False
        changes.extend(follow)
    return tuple(changes), False, False


def prove(
    model: nn.Module, shape: Shape, problems: Sequence[Problem], quick: QuickDoctor
) -> tuple[Problem, ...]:
    """``problems`` with ``verified`` and ``changes`` set from the proofs that fit the time budget."""
    deadline = time.perf_counter() + TIME_BUDGET_S
    known = {_key(p) for p in problems}
    out = []
    for p in problems:
        if not p.options or time.perf_counter() > deadline:
            out.append(p)
            continue
        tried = [_prove_option(model, shape, p, o, known, quick) for o in p.options[:MAX_OPTIONS]]
        # verified first, then the whole model running, then the fewest changes; ties: the rule's order
        best = min(tried, key=lambda t: (not t[1], not t[2], len(t[0])))
        out.append(replace(p, changes=best[0], verified=best[1]))
    return tuple(out)


def fix_text(p: Problem) -> Text:
    """``"verified: body.3 BatchNorm2d num_features 64 -> 128, and then body.5 Conv2d ..."``."""
    if not p.changes:
        return Text("suggestion (not proven)")
    chain = join([c.text() for c in p.changes], Text(", and then "))
    return (
        Text("verified: {changes}", changes=chain)
        if p.verified
        else Text("suggestion (not proven): {changes}", changes=chain)
    )

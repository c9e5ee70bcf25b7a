"""Every fix proven: apply it to a meta copy of the model and run the doctor again.

A fix is *verified* when, with its changes applied, the problem is gone and no new problem took
its place. When one change is not enough (a BatchNorm made wider feeds a conv that now gets too
many channels), the first new problem's own fix is added and the model is run again, up to
``MAX_CHANGES`` changes: "BatchNorm2d 64 -> 128, and then body.5 Conv2d in_channels 64 -> 128".

Every way out a rule saw is proven so, and the fix says each one it offers as it was proven: one
that needs more changes says which ("body.3: BatchNorm2d num_features 64 -> 128 (and then body.5
Conv2d in_channels 64 -> 128)"), one that cannot be proven is no longer offered. Of the ways out
the smallest proven set of changes that makes the whole model run is the problem's ``changes``.
What cannot be proven in ``TIME_BUDGET_S`` stays a suggestion, as the rule wrote it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from torch import nn

from inspector.doctor.changes import INPUT_CHANGE, Change, Option, apply
from inspector.doctor.report import OR_ELSE, Problem
from inspector.shapes.meta import meta_copy
from inspector.shapes.records import Shape
from models.text import Text, join

MAX_CHANGES = 4  # a fix longer than this is no longer one fix
MAX_OPTIONS = 3  # ways out tried per problem
TIME_BUDGET_S = 3.0  # for all the proofs of one diagnosis; the rest stay suggestions
AND_THEN = Text(", and then ")

# (model, input shape) -> its problems, without proofs or size search (the doctor's quick pass)
QuickDoctor = Callable[[nn.Module, Shape], Sequence[Problem]]


@dataclass(frozen=True)
class Proof:
    """What one way out came to: all the changes it needed, whether they fix the problem without a new
    one taking its place (``verified``), and whether the whole model then runs (``runs``)."""

    changes: tuple[Change, ...]
    verified: bool = False
    runs: bool = False


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


def _next_step(problem: Problem, changes: Sequence[Change]) -> tuple[Change, ...] | None:
    """The way out of a problem that a chain of ``changes`` made: its first that leaves the layers the
    chain changed alone (another way would undo the chain: a conv made wider, then narrower again)."""
    touched = {c.module for c in changes}
    return next((o.changes for o in problem.options if not touched & {c.module for c in o.changes}), None)


def prove_option(
    model: nn.Module,
    shape: Shape,
    problem: Problem,
    option: tuple[Change, ...],
    known: set[tuple[str, str]],
    quick: QuickDoctor,
) -> Proof:
    """One way out of ``problem``, applied to a meta copy and followed up to ``MAX_CHANGES`` changes."""
    changes = list(option)
    while len(changes) <= MAX_CHANGES:
        after = _run_with(model, shape, changes, quick)
        if after is None or any(_key(p) == _key(problem) for p in after):
            return Proof(tuple(changes))
        new = [p for p in after if _key(p) not in known]
        if not new:
            return Proof(tuple(changes), verified=True, runs=not after)
        step = _next_step(new[0], changes)
        if not step:
            return Proof(tuple(changes))
        changes.extend(step)
    return Proof(tuple(changes))


def _offered(
    problem: Problem, proven: Sequence[tuple[Option, Proof]]
) -> tuple[str, tuple[tuple[Change, ...], ...]]:
    """The fix that offers each said way out as it was proven, with the changes it needs too and
    without the ways that could not be proven (as the rule wrote it when none could); and the
    changes of each way it offers."""
    said = [(option, proof) for option, proof in proven if option.said and proof.verified]
    offered = tuple(proof.changes for _, proof in said)
    if len(said) == sum(1 for option, _ in proven if option.said) and all(
        len(proof.changes) == len(option.changes) for option, proof in said
    ):
        return problem.fix, offered  # every way it offers works as it is: the rule's words stand
    if not said:
        return problem.fix, offered  # none could be proven: the rule's words, as a suggestion
    ways = []
    for option, proof in said:
        more = [c.text() for c in proof.changes[len(option.changes) :]]
        ways.append(
            Text("{fix} (and then {changes})", fix=option.said, changes=join(more, AND_THEN))
            if more
            else option.said
        )
    return join(ways, OR_ELSE), offered


def prove(
    model: nn.Module, shape: Shape, problems: Sequence[Problem], quick: QuickDoctor
) -> tuple[Problem, ...]:
    """``problems`` with ``verified``, ``changes`` and the ways their ``fix`` offers set from the proofs
    that fit the time budget."""
    deadline = time.perf_counter() + TIME_BUDGET_S
    known = {_key(p) for p in problems}
    out = []
    for p in problems:
        if not p.options or time.perf_counter() > deadline:
            out.append(p)
            continue
        tried = [(o, prove_option(model, shape, p, o.changes, known, quick)) for o in p.options[:MAX_OPTIONS]]
        # verified first, then the whole model running, then the fewest changes; ties: the rule's order
        best = min((t for _, t in tried), key=lambda t: (not t.verified, not t.runs, len(t.changes)))
        fix, offered = _offered(p, tried)
        out.append(replace(p, changes=best.changes, verified=best.verified, fix=fix, offered=offered))
    return tuple(out)


def fix_text(p: Problem) -> Text:
    """``"verified: body.3 BatchNorm2d num_features 64 -> 128, and then body.5 Conv2d ..."``."""
    if not p.changes:
        return Text("suggestion (not proven)")
    chain = join([c.text() for c in p.changes], AND_THEN)
    return (
        Text("verified: {changes}", changes=chain)
        if p.verified
        else Text("suggestion (not proven): {changes}", changes=chain)
    )

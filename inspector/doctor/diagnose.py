"""The mismatch doctor: every shape problem of a model in one pass, each with its fix.

PyTorch stops at the first error, with a message about weights and tensors
(``Given groups=1, weight of size [64, 3, 4, 4], expected input[1, 64, 128, 128] to have 3
channels, but got 64 channels instead``). The doctor runs a copy of the model under the tracer
(``inspector.shapes.engine``) with an observer that applies the rules of
``inspector.doctor.rules`` to each layer's input *before* the layer runs. On a mismatch a rule
records the problem, then hands the layer a well-formed input (the channels it expects, a size
its kernel fits) so that the pass carries on and the next problem is found too.

Covered: conv / conv-transpose ``in_channels``, the width of a norm (batch and instance
``num_features``, group ``num_channels``, LayerNorm and RMSNorm ``normalized_shape``; a norm keeps
its input's shape, so the doctor also carries on as if the norm were the wrong one, and keeps the
pass that explains the model with fewer problems), ``Linear.in_features``, kernels larger than
their padded input (convs and pools),
batch norm with one value per channel, ``torch.cat`` / ``torch.stack`` / ``+`` of tensors whose
sizes differ (a U-Net input that is not a multiple of ``2**depth``), and a discriminator fed 2
channels where L + ab makes 3. Anything else the model raises ends the pass as a ``runtime``
problem carrying PyTorch's own message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from inspector.doctor import layer_words, proof, size_words
from inspector.doctor.combine_rule import check_combine
from inspector.doctor.exam import Exam, NormCarry
from inspector.doctor.notes import notes, output_size_note, unbatched_input_note
from inspector.doctor.problems import size_candidates, to_problems
from inspector.doctor.report import WIDTH_KINDS, Diagnosis, Problem, ProblemKind
from inspector.doctor.rules import check_leaf, is_norm, judged_by_running
from inspector.shapes.engine import TracedRun, traced_run
from inspector.shapes.input_sizes import valid_input_sizes
from inspector.shapes.recorder import CombineCall, LeafCall
from inspector.shapes.records import Shape, check_shape
from models.text import Text


class _Examiner:
    """The tracer's ``Observer`` for one pass: the rules, called before each leaf and combination."""

    def __init__(self, exam: Exam) -> None:
        self.exam = exam

    def before_leaf(self, call: LeafCall) -> tuple[Any, ...] | None:
        self.exam.concats = call.concats
        return check_leaf(self.exam, call)

    def before_combine(self, call: CombineCall) -> list[Tensor] | None:
        self.exam.concats = call.concats
        return check_combine(self.exam, call)

    def watches(self, module: nn.Module) -> bool:
        return judged_by_running(module)


def _pass(
    model: nn.Module, shape: Shape, norm_carry: NormCarry, device: str | None = None
) -> TracedRun[_Examiner]:
    """One doctor's pass over a fresh copy of ``model`` (the rules may change the copy, never the model)."""
    return traced_run(model, shape, lambda copy: _Examiner(Exam(copy, shape, norm_carry)), device=device)


def _exam(run: TracedRun[_Examiner]) -> Exam:
    assert run.observer is not None  # _pass always gives one
    return run.observer.exam


def _examine(model: nn.Module, shape: Shape) -> tuple[TracedRun[_Examiner], Exam]:
    """The doctor's passes over copies of ``model``: the one that explains it with fewer problems."""
    run = _pass(model, shape, "expect")
    exam = _exam(run)
    if any(is_norm(exam.modules.get(f.module)) for f in exam.found if f.kind in WIDTH_KINDS):
        # Which side of a norm mismatch is wrong shows downstream: keep the shorter explanation.
        # The second pass runs on its own copy ("mend" changes the copy's norms), on the same device.
        other = _pass(model, shape, "mend", device=run.device)
        if len(_exam(other).found) < len(exam.found):
            run, exam = other, _exam(other)
    if run.error is not None:
        where = run.failed_in or "the model"
        said = run.failed_in or Text("the model")  # in a sentence: "the model raised ..."
        if any(key in str(run.error) for key in size_words.TOO_FEW_VALUES):
            words = size_words.too_few_values(said, run.error)
            exam.add(where, ProblemKind.BATCH_STATS, 2, 1, words, needs_sizes=True)
        else:  # the sizes that work may still say what to do (a ViT built for 224, fed 300)
            words = layer_words.runtime(said, run.error)
            exam.add(where, ProblemKind.RUNTIME, None, None, words, needs_sizes=True)
    return run, exam


def _quick(model: nn.Module, shape: Shape) -> tuple[Problem, ...]:
    """The problems alone, for a proof: no size search, no proofs of their own."""
    run, exam = _examine(model, shape)
    return to_problems(exam.found, run.trace, None, shape, exam.block_of)


def _remembering(model: nn.Module) -> proof.QuickDoctor:
    """``_quick`` that runs once per input shape of ``model`` itself: a size fix names only the
    sizes where the model runs, and its proof runs the model at the same sizes again."""
    seen: dict[Shape, tuple[Problem, ...]] = {}

    def quick(m: nn.Module, shape: Shape) -> tuple[Problem, ...]:
        if m is not model:
            return _quick(m, shape)
        if shape not in seen:
            seen[shape] = _quick(m, shape)
        return seen[shape]

    return quick


def diagnose(model: nn.Module, input_shape: Sequence[int], prove: bool = True) -> Diagnosis:
    """Every shape problem of ``model`` on an input of ``input_shape`` (B, C, H, W), in one pass.

    Runs on a meta copy (or a small CPU copy when the forward needs values): the model itself is
    left as it was. ``ok`` is True when nothing is wrong; then ``trace`` equals
    ``inspector.shapes.trace.trace(model, input_shape)``. With ``prove`` each fix is applied to
    a meta copy and the model run again (``inspector.doctor.proof``): ``Problem.verified`` and
    ``Problem.changes`` say what that showed; a size fix names only sizes where the model runs.
    ``sizes`` (``inspector.shapes.input_sizes``) is searched only when a size problem was found.
    """
    shape = check_shape(input_shape)
    run, exam = _examine(model, shape)
    sizes = None
    if any(f.needs_sizes for f in exam.found):
        sizes = valid_input_sizes(model, shape)
    quick = _remembering(model)
    works = (lambda s: not quick(model, s)) if prove else None  # a size fix names sizes that run
    problems = to_problems(exam.found, run.trace, sizes, shape, exam.block_of, works)
    if prove and problems:
        problems = proof.prove(model, shape, problems, quick)
    nearest: tuple[Shape, ...] = ()
    if not problems and output_size_note(run.trace) is not None:  # it runs, but not at its own size
        sizes = sizes or valid_input_sizes(model, shape)
        nearest = size_candidates(sizes, shape, works)
    return Diagnosis(
        ok=not problems,
        problems=problems,
        trace=run.trace,
        input_shape=shape,
        sizes=sizes,
        device=run.device,
        notes=(*filter(None, [unbatched_input_note(model, shape)]), *notes(run.trace, nearest)),
    )

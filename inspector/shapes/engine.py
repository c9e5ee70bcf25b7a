"""The tracing engine: run a copy of the model once under the recorder, on meta or, if it must, on CPU.

The model runs as a meta copy: no memory, no arithmetic, so batch 64 at 1024x1024 takes
milliseconds. A forward that needs values (``.item()``, ``if x.any():``) or makes CPU tensors
cannot run on meta; then, and only then, a small CPU copy holding the model's weights runs
instead (``traced_run``: the one place that decides, for the tracer and for the doctor alike).

``inspector.shapes.trace.trace`` is the public entry point. ``run_traced`` is the bare pass over
a copy that the caller made (``inspector.shapes.input_sizes`` tries many sizes on one copy); an
optional ``Observer`` (the mismatch doctor's rules) watches the pass from inside.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import torch
from torch import nn

from inspector.shapes.meta import cpu_copy, is_meta_limit, meta_copy
from inspector.shapes.recorder import Observer, Recorder, Source, hooked_modules
from inspector.shapes.records import INPUT, Trace, check_shape

ObserverT = TypeVar("ObserverT", bound=Observer)


class Pass(NamedTuple):
    """One traced pass: the trace (partial if the model raised), the error, and where it raised."""

    trace: Trace
    error: BaseException | None
    failed_in: str | None  # the module running when it raised ("" = the model's own forward)


@dataclass(frozen=True)
class TracedRun(Generic[ObserverT]):
    """A pass over a copy of the user's model, on the device ``traced_run`` chose."""

    trace: Trace
    error: BaseException | None
    failed_in: str | None
    device: str  # "meta", or "cpu" when the forward needed values and a small CPU copy ran
    observer: ObserverT | None  # the observer that watched this pass, if any


def _input_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def run_traced(copy: nn.Module, input_shape: Sequence[int], observer: Observer | None = None) -> Pass:
    """Run ``copy`` (on the meta device, or a small CPU copy: ``meta.cpu_copy``) once and record it.

    ``copy`` must be the caller's own copy: hooks are added to it (and removed before returning,
    also when it raises) and an observer may change it. Returns the trace (partial if the model
    raised), the exception if any, and the name of the module that was running when it raised.
    """
    shape = check_shape(input_shape)
    rec = Recorder(copy, observer)
    handles = []
    for _, module in hooked_modules(copy):
        handles.append(module.register_forward_pre_hook(rec.pre_hook))
        handles.append(module.register_forward_hook(rec.post_hook))
    device = next(
        (t.device for t in itertools.chain(copy.parameters(), copy.buffers())), torch.device("meta")
    )
    if device.type == "meta":
        x = torch.empty(shape, device="meta", dtype=_input_dtype(copy))
    else:  # the CPU fallback (meta.cpu_copy): fixed values, so a data-dependent forward is repeatable
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=_input_dtype(copy))
    rec.claim(x, Source(INPUT, INPUT, None))
    error: BaseException | None = None
    failed_in: str | None = None
    output: Any = None
    try:
        with torch.no_grad(), rec:
            output = copy(x)
    except Exception as exc:  # the model's own error, reported with where it happened
        error, failed_in = exc, (rec.stack[-1] if rec.stack else "")
    except SystemExit as exc:  # sys.exit() / exit() in a forward must not end the CLI or the app silently
        error = RuntimeError(f"the model's forward called sys.exit({exc.code!r})")
        failed_in = rec.stack[-1] if rec.stack else ""
    finally:
        for h in handles:
            h.remove()
    return Pass(rec.result(shape, output), error, failed_in)


def traced_run(
    model: nn.Module,
    input_shape: Sequence[int],
    observe: Callable[[nn.Module], ObserverT] | None = None,
    device: str | None = None,
) -> TracedRun[ObserverT]:
    """Trace a fresh copy of ``model``: on meta, then on a CPU copy if meta cannot run the forward.

    ``observe(copy)`` makes the observer of the pass (the doctor's rules read and change the copy
    they run on). ``device`` ("meta" or "cpu") skips the choice: a second pass of the doctor runs
    where the first one ended. The CPU copy is made only when its weights and input fit in
    ``meta.MAX_CPU_FALLBACK_BYTES``; otherwise the meta device's own error is returned.
    The model itself is never changed.
    """
    shape = check_shape(input_shape)
    if device != "cpu":
        copy = meta_copy(model)
        observer = observe(copy) if observe is not None else None
        on_meta = TracedRun(*run_traced(copy, shape, observer), device="meta", observer=observer)
        if device == "meta" or on_meta.error is None or not is_meta_limit(on_meta.error):
            return on_meta
    # .item(), `if x.any():`, torch.ones(...) without a device: run it for real, small
    clone = cpu_copy(model, shape)
    if clone is None:  # weights and input too big for a CPU copy: the meta answer is all there is
        return on_meta if device != "cpu" else traced_run(model, shape, observe, device="meta")
    observer = observe(clone) if observe is not None else None
    return TracedRun(*run_traced(clone, shape, observer), device="cpu", observer=observer)

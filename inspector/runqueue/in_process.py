"""A run trained in this process (a notebook's kernel), tracked with the queue's files, so that the
app lists it and follows it live like a run of its own queue.

:func:`track_run` marks the run ``running`` in its ``status.json`` with this process's pid, host
and boot id (backend ``local``, as a worker's), holds the run's worker lock while the block runs
(the lock goes with the process: if the kernel dies, the app's scheduler sees the worker gone and
marks the run failed) and writes how it ended, in the worker's words (``worker.ending``,
``worker.failure``). A Stop from the app (the ``.stop`` request) and Jupyter's interrupt
(SIGINT) end the run after its current step, with a checkpoint, as they end a worker's.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.errors import UserError
from inspector.runqueue.liveness import WorkerLock, boot_id, host
from inspector.runqueue.status import RunStatus, clear_stop, ended, queue_lock, update_status, write_status
from inspector.runqueue.worker import StopWatch, ending, failure
from models.text import Text

if TYPE_CHECKING:  # the planner and the trainer load torch
    from inspector.training.plan import RunPlan
    from inspector.training.reports import TrainResult

LABEL = "notebook"  # what the app's lists show as the run's owner


@dataclass
class TrackedRun:
    """The run while it trains: ``should_stop`` for the trainer, ``finish`` with its result."""

    run_dir: Path
    watch: StopWatch
    result: TrainResult | None = None

    def should_stop(self) -> bool:
        return self.watch()

    def finish(self, result: TrainResult) -> None:
        self.result = result


def running_status(plan: RunPlan, threads: int, label: str = LABEL) -> RunStatus:
    """The status of a planned run that this process trains from now on."""
    now = time.time()
    g = plan.generator_config
    return RunStatus(
        state="running",
        label=label,
        submitted=now,
        started=now,
        backend="local",
        pid=os.getpid(),
        host=host(),
        boot_id=boot_id(),
        device=plan.device.type,
        threads=threads,
        steps=plan.config.steps,
        start_step=plan.start_step,
        size=g.input_size,
        batch=plan.config.batch,
        notes=tuple(plan.notes()),
    )


@contextlib.contextmanager
def track_run(plan: RunPlan, threads: int = 1, label: str = LABEL) -> Iterator[TrackedRun]:
    """Track the planned run while the block trains it (``tracked.finish(result)`` at its end).

    ``UserError`` when another process already trains this run folder."""
    run_dir = plan.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    with WorkerLock(run_dir) as held:
        if not held:
            raise UserError(Text("another process is training the run in {run_dir}", run_dir=str(run_dir)))
        clear_stop(run_dir)  # a Stop left from an earlier life of this folder is not for this run
        with queue_lock(run_dir.parent):
            write_status(run_dir, running_status(plan, threads, label))
        # no heartbeat to miss: a notebook has no page of the app that could close
        tracked = TrackedRun(run_dir, StopWatch(run_dir, run_dir.parent, timeout_s=math.inf))
        previous = _catch_interrupt(tracked.watch)
        try:
            yield tracked
        except BaseException as exc:
            change = failure(exc) if isinstance(exc, Exception) else _interrupted
            update_status(run_dir, change, run_dir.parent)
            raise
        finally:
            _restore(previous)
        if tracked.result is not None:
            update_status(run_dir, ending(tracked.result, tracked.watch.reason), run_dir.parent)
        else:  # the block ended without training: nothing ran
            update_status(
                run_dir, lambda s: ended(s, "stopped", Text("stopped by its session")), run_dir.parent
            )


def _interrupted(s: RunStatus) -> RunStatus:
    return ended(s, "stopped", Text("interrupted by {signal}", signal="SIGINT"))


def _catch_interrupt(watch: StopWatch) -> object:
    """Jupyter's interrupt (SIGINT) asks the run to stop after its step, with a checkpoint; a second
    one stops it at once (KeyboardInterrupt). Returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        if watch.signal is not None:
            raise KeyboardInterrupt
        watch.interrupt(signum, frame)

    return signal.signal(signal.SIGINT, interrupt)


def _restore(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]

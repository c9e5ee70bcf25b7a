"""The worker: one process (or Ray actor) that trains one queued run and writes its folder.

``python -m inspector.runqueue.worker RUN_DIR --threads N`` (the local backend starts it so, in
a session of its own, so that it outlives a restart of the web server). It holds the run's
worker lock for its whole life, marks the run ``running``, plans it from ``request.json``
(``training.plan.plan_run``, the same planner as the CLI's) and trains it with the same
``Trainer``; metrics, sample grids and checkpoints go to the run folder as for any run. Its
end is written to ``status.json`` with the reason, in words the app translates:

- finished (every step done), stopped (a Stop, or the owner's tab closed: no heartbeat for
  :data:`HEARTBEAT_TIMEOUT_S` s while an app is up), failed (bad data, out of memory, diverged,
  any error: its message, and the traceback in ``worker.log``);
- SIGTERM or SIGINT (the machine shuts down, a teacher stops the worker): the current step ends,
  a checkpoint is saved and the run goes back to the queue, to continue from that checkpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.errors import UserError
from inspector.runqueue.liveness import WorkerLock, boot_id, host, tabs_had_time
from inspector.runqueue.request import load_request, resume_request, save_request
from inspector.runqueue.status import (
    RunStatus,
    clear_stop,
    ended,
    last_heartbeat,
    stop_requested,
    update_status,
)
from models.text import Text, message_of

if TYPE_CHECKING:  # the trainer loads torch: imported when a run trains
    from inspector.training.reports import TrainResult

HEARTBEAT_TIMEOUT_S = 8.0  # a run whose page said nothing for this long was left by a closed tab
CHECK_EVERY_S = 1.0  # how often the worker looks at the stop request and the heartbeat
MEMORY_RETRY_S = 30.0  # a run that found too little GPU memory waits this long before the next try
NICE = 10  # CPU workers yield to the web server: a page view comes before a training step


class StopWatch:
    """The trainer's ``should_stop``: a Stop request, a closed tab or a signal; ``reason`` says which."""

    def __init__(self, run_dir: Path, root: Path, timeout_s: float = HEARTBEAT_TIMEOUT_S) -> None:
        self.run_dir, self.root, self.timeout_s = run_dir, root, timeout_s
        self.reason: object = None
        self.signal: str | None = None
        self._checked = 0.0

    def interrupt(self, signum: int, frame: object = None) -> None:
        self.signal = signal.Signals(signum).name
        self.reason = Text("interrupted by {signal}", signal=self.signal)

    def __call__(self) -> bool:
        if self.reason is not None:
            return True
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_S:
            return False
        self._checked = now
        asked = stop_requested(self.run_dir)
        if asked is not None:
            self.reason = asked
            return True
        if self.tab_closed(time.time()):
            self.reason = Text(
                "its page was closed: no word from it for {seconds} s, so it stopped with a checkpoint",
                seconds=int(self.timeout_s),
            )
        return self.reason is not None

    def tab_closed(self, now: float) -> bool:
        """No heartbeat for ``timeout_s`` while an app has been up long enough for the tabs to have
        come back (``liveness.tabs_had_time``)."""
        if not tabs_had_time(self.root, self.timeout_s, now):
            return False
        beat = last_heartbeat(self.run_dir)
        return beat is None or now - beat > self.timeout_s


def run_worker(run_dir: Path, threads: int = 1, nice: bool = True) -> int:
    """Train the queued run in ``run_dir``. Returns 0: how the run ended is in its status."""
    run_dir = Path(run_dir)
    root = run_dir.parent
    with WorkerLock(run_dir) as held:
        if not held:
            print(f"{run_dir}: another worker has this run", flush=True)
            return 0
        status = update_status(run_dir, _claim, root)
        if status is None or status.state != "running" or status.pid != os.getpid():
            print(f"{run_dir}: not waiting to start ({status.state if status else 'no status'})", flush=True)
            return 0
        _limit_threads(threads, nice and status.device == "cpu")
        watch = StopWatch(run_dir, root)
        _catch_signals(watch)
        print(f"{run_dir}: training (pid {os.getpid()}, {threads} thread(s))", flush=True)
        try:
            final = _train(run_dir, status, watch)
        except Exception as exc:  # any error: said on the Train page; the queue goes on
            if not isinstance(exc, UserError):
                traceback.print_exc()
            final = failure(exc)
        done = update_status(run_dir, final, root)
        print(f"{run_dir}: {done.state if done else '?'}: {done.reason if done else ''}", flush=True)
        return 0


Change = Callable[[RunStatus], "RunStatus | None"]


def _failed(reason: object) -> Change:
    return lambda s: ended(s, "failed", reason)


def failure(exc: Exception) -> Change:
    """The change of a run's status when its training raised ``exc``: failed, with why (a refusal's
    own sentence, or the error's kind and message)."""
    if isinstance(exc, UserError):
        return _failed(message_of(exc))
    return _failed(Text("training failed: {kind}: {error}", kind=type(exc).__name__, error=message_of(exc)))


def ending(result: TrainResult, reason: object = None) -> Change:
    """The change of a run's status when its trainer returned ``result``: finished, stopped (with
    ``reason`` when someone asked for it) or failed (diverged, out of memory), with the words why."""
    if result.status == "completed":
        return lambda s: ended(s, "finished", result.message, result.status)
    if result.status == "stopped":
        return lambda s: ended(s, "stopped", reason or result.message, result.status)
    return lambda s: ended(s, "failed", result.message, result.status)


def _claim(s: RunStatus) -> RunStatus | None:
    if s.state not in ("starting", "queued"):
        return None
    return replace(s, state="running", pid=os.getpid(), host=host(), boot_id=boot_id(), started=time.time())


def _limit_threads(threads: int, lower_priority: bool) -> None:
    import torch

    torch.set_num_threads(max(1, threads))
    if lower_priority:
        with contextlib.suppress(OSError):  # not allowed here: train at the same priority
            os.nice(NICE)


def _catch_signals(watch: StopWatch) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # a Ray actor's method: Ray handles its own signals
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, watch.interrupt)


def _train(run_dir: Path, status: RunStatus, watch: StopWatch) -> Change:
    """Plan and train the run; returns the change of its status that says how it ended."""
    from inspector.training.plan import plan_run
    from inspector.training.trainer import Trainer

    choices = load_request(run_dir)
    plan = plan_run(replace(choices, out=run_dir) if choices.resume is None else choices)
    short = _short_of_memory(plan.device, status.device_bytes)
    if short is not None:
        return lambda s: replace(
            s, state="queued", pid=None, reason=short, not_before=time.time() + MEMORY_RETRY_S
        )
    notes = tuple(plan.notes())  # the files it skipped, and why
    update_status(
        run_dir,
        lambda s: replace(s, steps=plan.config.steps, start_step=plan.start_step, notes=notes),
        run_dir.parent,
    )
    trainer = Trainer.from_plan(plan, should_stop=watch)
    result = trainer.fit()
    if result.status == "stopped" and watch.signal is not None:
        # The machine or a teacher stopped the worker: the run is not over; it goes back to the queue.
        save_request(run_dir, resume_request(run_dir, plan.config.steps))
        clear_stop(run_dir)
        note = Text(
            "interrupted by {signal} at step {step}: it continues from its checkpoint when there is room",
            signal=watch.signal,
            step=result.step,
        )
        return lambda s: replace(s, state="queued", pid=None, started=None, reason=note)
    return ending(result, watch.reason)


def _short_of_memory(device: object, needed: int) -> Text | None:
    """On CUDA: a sentence when the GPU has less free memory than the run's estimate, else None."""
    import torch

    if not isinstance(device, torch.device) or device.type != "cuda" or needed <= 0:
        return None
    free, _total = torch.cuda.mem_get_info(device)
    if free >= needed:
        return None
    return Text(
        "waiting for GPU memory: it needs about {needed} MiB and {free} MiB are free",
        needed=needed // 2**20,
        free=free // 2**20,
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m inspector.runqueue.worker", description=__doc__.split("\n")[0]
    )
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    return run_worker(args.run_dir, args.threads)


if __name__ == "__main__":
    sys.exit(main())

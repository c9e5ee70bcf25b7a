"""The scheduler: starts queued runs when the device has room, and notices workers that are gone.

Every app process runs one (:func:`start_scheduler`: a daemon thread that ticks every
:data:`TICK_S` s); they share the runs folder's queue lock, so two processes never start the
same run. One :meth:`Scheduler.tick`:

1. a run marked started whose worker is gone is **failed**, with why (killed by a signal, its
   exit code, the end of its log); unless its machine restarted since (a new boot), when it goes
   back to the queue to continue from its last checkpoint;
2. a queued run with a Stop request, or whose page has gone quiet (the owner's tab closed while
   it waited), is **stopped**;
3. the queued runs start in their order (first come, first served) while the budget
   (``budget.fits``) has room.

The backend (``local.LocalBackend``: processes; ``ray_backend.RayBackend``: a Ray cluster)
starts and watches the workers; the scheduler knows only the queue.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from inspector.errors import UserError
from inspector.runqueue.budget import Budget, fits, run_device_bytes
from inspector.runqueue.liveness import AppBeacon, tabs_had_time
from inspector.runqueue.queue import RunQueue
from inspector.runqueue.request import load_request, resume_request, save_request
from inspector.runqueue.status import (
    STARTED,
    RunStatus,
    ended,
    last_heartbeat,
    queue_lock,
    stop_requested,
    write_status,
)
from inspector.runqueue.worker import HEARTBEAT_TIMEOUT_S
from inspector.training.checkpoint import CHECKPOINT_FILE, META_FILE
from models import DiscriminatorConfig, GeneratorConfig
from models.text import Text, message_of

TICK_S = 1.0
_log = logging.getLogger(__name__)


class Backend(Protocol):
    name: str
    # False: every call must come from the scheduler's own thread (Ray's driver keeps state in the
    # thread that started it; a Streamlit script thread ends after each run).
    thread_safe: bool

    def budget(self) -> Budget: ...
    def launch(self, run_dir: Path, status: RunStatus, budget: Budget) -> RunStatus: ...
    def alive(self, run_dir: Path, status: RunStatus) -> bool: ...
    def machine_restarted(self, status: RunStatus) -> bool: ...
    def death(self, run_dir: Path, status: RunStatus) -> Text: ...


class Scheduler:
    """Starts the runs of ``queue`` on ``backend``; :meth:`tick` once, or :meth:`start` a thread."""

    def __init__(
        self, queue: RunQueue, backend: Backend, heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S
    ) -> None:
        self.queue, self.backend, self.heartbeat_timeout_s = queue, backend, heartbeat_timeout_s
        self.beacon = AppBeacon(queue.root)
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None
        self._budget: Budget | None = None  # the last tick's

    # ------------------------------------------------------------------------------ one tick
    def tick(self, now: float | None = None) -> list[str]:
        """Reconcile and start what fits; returns the names of the runs it started."""
        now = time.time() if now is None else now
        started: list[str] = []
        with queue_lock(self.queue.root):
            runs = self.queue._statuses()
            for path, status in runs:
                if status.state in STARTED and status.backend == self.backend.name:
                    self._check_worker(path, status)
                elif status.state == "queued":
                    self._check_waiting(path, status, now)
            runs = [(p, s) for p, s in self.queue._statuses() if s.active]
            budget = self._budget = self.backend.budget()
            busy = [s.device_bytes for _, s in runs if s.state in STARTED]
            waiting = sorted(
                ((p, s) for p, s in runs if s.state == "queued" and s.not_before <= now),
                key=lambda r: (r[1].submitted, r[0].name),
            )
            for path, status in waiting:
                status = self._with_estimate(path, status, budget)
                if status.state != "queued":
                    continue  # its request cannot be planned: failed with the reason
                if not fits(budget, busy, status.device_bytes):
                    break  # first come, first served: nobody overtakes the head of the queue
                write_status(path, self.backend.launch(path, status, budget))
                busy.append(status.device_bytes)
                started.append(path.name)
        return started

    def _check_worker(self, path: Path, status: RunStatus) -> None:
        if self.backend.alive(path, status):
            return
        if self.backend.machine_restarted(status):
            resumable = (path / CHECKPOINT_FILE).is_file()
            if resumable:
                save_request(path, resume_request(path, status.steps))
            note = Text("the machine restarted while it trained: it continues from its last checkpoint")
            write_status(path, replace(status, state="queued", pid=None, started=None, reason=note))
            return
        write_status(path, ended(status, "failed", self.backend.death(path, status)))

    def _check_waiting(self, path: Path, status: RunStatus, now: float) -> None:
        asked = stop_requested(path)
        if asked is not None:
            write_status(path, ended(status, "stopped", asked))
            return
        beat = last_heartbeat(path)
        timeout = self.heartbeat_timeout_s
        if tabs_had_time(self.queue.root, timeout, now) and (beat is None or now - beat > timeout):
            why = Text("its page was closed before it started: no word from it for {seconds} s",
                       seconds=int(timeout))  # fmt: skip
            write_status(path, ended(status, "stopped", why))

    def _with_estimate(self, path: Path, status: RunStatus, budget: Budget) -> RunStatus:
        """The run with its accelerator-memory estimate (CUDA only, computed once)."""
        if budget.device != "cuda" or status.device_bytes:
            return status
        try:
            g, d, batch = _models_of(path)
            new = replace(status, device="cuda", device_bytes=run_device_bytes(g, d, batch))
        except (UserError, ValueError, OSError, KeyError, TypeError) as exc:
            new = ended(status, "failed", message_of(exc))
        write_status(path, new)
        return new

    def budget(self) -> Budget:
        """The device's budget as the last tick saw it (asked of the backend directly where that is
        safe from any thread; before a first tick of a backend that is not, one run on a CPU)."""
        if self._budget is not None:
            return self._budget
        return self.backend.budget() if self.backend.thread_safe else Budget("cpu", 1, 1)

    def poke(self) -> None:
        """Tick now rather than at the next :data:`TICK_S` (a run was queued or stopped). Without
        the thread (tests, a one-off script) and with a backend that allows it, tick in this thread."""
        if self._thread is not None:
            self._poke.set()
        elif self.backend.thread_safe:
            self.tick()

    # ------------------------------------------------------------------------------ the thread
    def start(self) -> None:
        """Tick every :data:`TICK_S` s in a daemon thread (and keep this app's beacon fresh)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, daemon=True, name="pix2pix-scheduler")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(10)
        self.beacon.remove()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beacon.beat()
                self.tick()
            except Exception:  # a bad run folder must not stop the queue for everyone
                _log.exception("the scheduler's tick failed")
            self._poke.wait(TICK_S)
            self._poke.clear()


def _models_of(run_dir: Path) -> tuple[GeneratorConfig, DiscriminatorConfig, int]:
    """The models and batch a queued run will train: from its checkpoint's metadata when it
    resumes (nothing is loaded), else as the planner sizes its request."""
    import torch

    from inspector.training.plan import plan_config, plan_models

    choices = load_request(run_dir)
    if choices.resume is not None:
        meta = json.loads((Path(choices.resume) / META_FILE).read_text(encoding="utf-8"))
        g = GeneratorConfig.from_dict(meta["generator_config"])
        d = DiscriminatorConfig.from_dict(meta["discriminator_config"])
        batch = int(choices.batch or meta["train_config"]["batch"])
        return g, d, batch
    device = torch.device("cuda")
    g, d = plan_models(choices, device)
    return g, d, plan_config(choices, device).batch

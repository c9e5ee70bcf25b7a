"""The queue of a runs folder: Start puts a run in it, Stop takes it out, everyone reads it.

:meth:`RunQueue.submit` never refuses for lack of room: the run gets its folder, its request
(``request.json``) and the state ``queued``; a scheduler starts it when the device has room.
It refuses only what the teacher does not allow (:class:`ClassLimits`) and a second run of a
session that already has one queued or running. :meth:`RunQueue.runs` lists every run of the
folder with its state, its place in the queue and an estimated start, computed from the speed
the runs have shown so far (:func:`estimated_starts`).
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.progress import last_metrics
from inspector.runqueue.request import resume_request, save_request
from inspector.runqueue.status import (
    ACTIVE,
    STARTED,
    RunStatus,
    clear_stop,
    ended,
    heartbeat,
    queue_lock,
    read_status,
    request_stop,
    update_status,
    write_status,
)
from inspector.training.plan import RunChoices
from inspector.training.runs import RunsFolder
from models.text import Text

REFERENCE_RATE = {"cpu": (40.0, 64), "cuda": (400.0, 256)}  # images/s at a side, until runs show theirs


@dataclass(frozen=True)
class Planned:
    """What the planner made of a request: the steps to reach, the image side, the batch, the device."""

    steps: int
    size: int
    batch: int
    device: str = "cpu"

    def status(self, owner: str, label: str) -> RunStatus:
        return RunStatus(owner=owner, label=label, submitted=time.time(), steps=self.steps, size=self.size,
                         batch=self.batch, device=self.device)  # fmt: skip


@dataclass(frozen=True)
class QueuedRun:
    """One run of the folder as the pages show it."""

    path: Path
    status: RunStatus
    step: int = 0  # the newest step in its log (its start step before the first)
    metrics: Mapping[str, Any] | None = None  # that step's row
    place: int | None = None  # 1 = next to start (queued runs only)
    eta: float | None = None  # estimated start (queued) or end (running), time.time()

    @property
    def name(self) -> str:
        return self.path.name


class RunQueue:
    """The queue of the runs in ``folder``, within the teacher's ``limits``."""

    def __init__(self, folder: RunsFolder, limits: ClassLimits | None = None) -> None:
        self.folder, self.limits = folder, limits or ClassLimits()

    @property
    def root(self) -> Path:
        return self.folder.root

    # ------------------------------------------------------------------------------ asking
    def submit(
        self,
        choices: RunChoices,
        owner: str,
        label: str,
        name: str,
        planned: Planned,
        settings: Mapping[str, Any] | None = None,
    ) -> Path:
        """Queue a new run of ``choices`` for the session ``owner`` (shown as ``label``); returns its
        folder. ``planned`` says what the planner made of the choices (checked against the limits)."""
        self.limits.check(planned.steps, planned.size)
        with queue_lock(self.root):
            self._refuse_second(owner)
            run_dir = self.folder.create(name, owner=label, settings=settings)
            save_request(run_dir, replace(choices, out=run_dir))
            heartbeat(run_dir)  # the owner's page is open now
            write_status(run_dir, planned.status(owner, label))
        self.prune()
        return run_dir

    def resubmit(self, run_dir: Path, planned: Planned, owner: str, label: str) -> None:
        """Queue the run in ``run_dir`` again, to continue from its checkpoint up to ``planned.steps``."""
        self.limits.check(planned.steps, planned.size)
        with queue_lock(self.root):
            self._refuse_second(owner)
            old = read_status(run_dir) or RunStatus()
            if old.active:
                raise UserError(Text("run {name} is already queued or training", name=run_dir.name))
            save_request(run_dir, resume_request(run_dir, planned.steps))
            clear_stop(run_dir)
            heartbeat(run_dir)
            write_status(
                run_dir,
                replace(planned.status(owner, label), attempts=old.attempts, device_bytes=old.device_bytes),
            )

    def stop(self, run_dir: Path, reason: Text | None = None) -> RunStatus | None:
        """Stop the run: a queued one is taken out of the queue now; a running one stops after its
        current step, with a checkpoint (its worker reads the request)."""
        why = reason or Text("stopped by its session")
        request_stop(run_dir, why)

        def take_out(s: RunStatus) -> RunStatus | None:
            return ended(s, "stopped", why) if s.state == "queued" else None

        return update_status(run_dir, take_out, self.root)

    def _refuse_second(self, owner: str) -> None:
        for run in self._statuses():
            if run[1].owner == owner and run[1].active:
                raise UserError(
                    Text(
                        "your run {name} is still queued or training: stop it first, or wait for it to end",
                        name=run[0].name,
                    )
                )

    # ------------------------------------------------------------------------------ reading
    def _statuses(self) -> list[tuple[Path, RunStatus]]:
        if not self.root.is_dir():
            return []
        found = []
        for entry in os.scandir(self.root):
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                status = read_status(Path(entry.path))
                if status is not None:
                    found.append((Path(entry.path), status))
        return found

    def runs(self, slots: int = 1, now: float | None = None) -> list[QueuedRun]:
        """Every queued run of the folder: the queued ones first, in their order, then the rest,
        newest first. ``slots`` (runs at once) is for the estimated starts."""
        now = time.time() if now is None else now
        runs = []
        for path, status in self._statuses():
            row = last_metrics(path) if status.state != "queued" else None
            step = int(row["step"]) if row else status.start_step
            runs.append(QueuedRun(path, status, step, row))
        queued = sorted(
            (r for r in runs if r.status.state == "queued"), key=lambda r: (r.status.submitted, r.name)
        )
        going = [r for r in runs if r.status.state in STARTED]
        rates = _rates(runs)
        remaining = [_seconds(r.status.steps - r.step, r, rates) for r in going]
        starts = estimated_starts(slots, remaining, [_seconds(r.status.steps - r.status.start_step, r, rates)
                                                     for r in queued])  # fmt: skip
        shown = [replace(r, place=i + 1, eta=now + s) for i, (r, s) in enumerate(zip(queued, starts))]
        shown += [replace(r, eta=now + s) for r, s in zip(going, remaining)]
        rest = [r for r in runs if r.status.state not in ACTIVE]
        shown += sorted(rest, key=lambda r: r.status.submitted, reverse=True)
        return shown

    def prune(self) -> list[str]:
        """The retention policy (``RunsFolder.prune``), never touching a queued or running run."""
        active = [path for path, status in self._statuses() if status.active]
        return self.folder.prune(protect=active)


def estimated_starts(slots: int, remaining: Sequence[float], durations: Sequence[float]) -> list[float]:
    """Seconds from now until each queued run starts: ``slots`` runs at once, the running ones
    ending in ``remaining`` seconds, the queued ones (in order) taking ``durations`` each."""
    free = sorted(remaining)[: max(slots, 1)]
    free += [0.0] * (max(slots, 1) - len(free))
    heapq.heapify(free)
    starts = []
    for duration in durations:
        start = heapq.heappop(free)
        starts.append(start)
        heapq.heappush(free, start + duration)
    return starts


def _rates(runs: list[QueuedRun]) -> dict[str, float]:
    """Images per second times the image's side squared (pixels per second), by device, from the
    runs that have reported a speed: the median."""
    seen: dict[str, list[float]] = {}
    for r in runs:
        rate = (r.metrics or {}).get("images_per_s")
        if isinstance(rate, (int, float)) and rate > 0 and r.status.size:
            seen.setdefault(r.status.device, []).append(rate * r.status.size**2)
    return {k: sorted(v)[len(v) // 2] for k, v in seen.items()}


def _seconds(steps: int, run: QueuedRun, rates: Mapping[str, float]) -> float:
    """How long ``steps`` more steps of ``run`` take: at its own speed once it has one, else at the
    folder's speed for its device and size, else at a reference speed."""
    if steps <= 0:
        return 0.0
    batch = run.status.batch or 8
    own = (run.metrics or {}).get("images_per_s")
    if isinstance(own, (int, float)) and own > 0:
        return steps * batch / float(own)
    size = run.status.size or 64
    per_pixel = rates.get(run.status.device)
    if per_pixel is None:
        rate, side = REFERENCE_RATE.get(run.status.device, REFERENCE_RATE["cpu"])
        per_pixel = rate * side * side
    return steps * batch * size * size / per_pixel

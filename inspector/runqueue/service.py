"""One app process's view of the runs: its queue, its scheduler, and a short-lived shared reading.

Thirty students' pages each ask every two seconds "where is my run?"; reading every run's status
and log each time would cost the server more than the pages themselves. :meth:`RunService.runs`
reads the folder at most every :data:`FRESH_S` s and serves that reading to every session of the
process; a Start or a Stop of this process reads afresh at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from pathlib import Path

from inspector.runqueue.budget import Budget, ClassLimits
from inspector.runqueue.queue import Planned, QueuedRun, RunQueue
from inspector.runqueue.scheduler import Backend, Scheduler
from inspector.runqueue.status import ACTIVE, heartbeat
from inspector.training.plan import RunChoices
from inspector.training.runs import RunInfo, RunsFolder
from models.text import Text

FRESH_S = 0.5  # how old a reading of the runs folder may be when a page asks


def new_token() -> str:
    """A session's token (kept in its URL, so that a tab that reconnects after a server restart is
    still the owner of its run)."""
    return secrets.token_hex(8)


def label_of(token: str) -> str:
    """What other sessions see of a session: a digest of its token (the token itself stays private)."""
    return hashlib.sha256(token.encode()).hexdigest()[:6]


class RunService:
    """The queue of ``root`` within ``limits``, started by ``backend`` (local processes by default)."""

    def __init__(self, root: Path, limits: ClassLimits, backend: Backend | None = None) -> None:
        self.queue = RunQueue(RunsFolder(root), limits)
        if backend is None:
            if limits.ray_address:
                from inspector.runqueue.ray_backend import RayBackend

                backend = RayBackend(limits, limits.ray_address)
            else:
                from inspector.runqueue.local import LocalBackend

                backend = LocalBackend(limits)
        self.backend = backend
        self.scheduler = Scheduler(self.queue, backend)
        self._lock = threading.Lock()
        self._read_at = 0.0
        self._runs: list[QueuedRun] = []
        self._listed: list[RunInfo] = []

    @property
    def limits(self) -> ClassLimits:
        return self.queue.limits

    def budget(self) -> Budget:
        return self.scheduler.budget()

    def start(self) -> RunService:
        """Start the scheduler's thread (once)."""
        self.scheduler.start()
        return self

    # ------------------------------------------------------------------------------ reading
    def runs(self) -> list[QueuedRun]:
        """Every run of the queue (``RunQueue.runs``), read at most every :data:`FRESH_S` s."""
        return self._read()[0]

    def listed(self) -> list[RunInfo]:
        """Every run of the runs folder, the CLI's too (``RunsFolder.list_runs``), read as :meth:`runs`."""
        return self._read()[1]

    def _read(self) -> tuple[list[QueuedRun], list[RunInfo]]:
        with self._lock:
            if time.monotonic() - self._read_at > FRESH_S:
                self._runs = self.queue.runs(slots=self.budget().slots)
                self._listed = self.queue.folder.list_runs()
                self._read_at = time.monotonic()
            return self._runs, self._listed

    def of(self, owner: str) -> QueuedRun | None:
        """The session's run: the one queued or training, else the one it asked for last."""
        mine = [r for r in self.runs() if r.status.owner == owner]
        active = [r for r in mine if r.status.state in ACTIVE]
        if active:
            return active[0]
        return max(mine, key=lambda r: r.status.submitted, default=None)

    def _changed(self) -> None:
        with self._lock:
            self._read_at = 0.0

    # ------------------------------------------------------------------------------ asking
    def submit(
        self, choices: RunChoices, owner: str, name: str, planned: Planned, settings: dict[str, object]
    ) -> Path:
        run = self.queue.submit(choices, owner, label_of(owner), name, planned, settings)
        self.scheduler.poke()  # start it now if there is room, not a tick later
        self._changed()
        return run

    def resubmit(self, run_dir: Path, planned: Planned, owner: str) -> None:
        self.queue.resubmit(run_dir, planned, owner, label_of(owner))
        self.scheduler.poke()
        self._changed()

    def stop(self, run_dir: Path, owner: str) -> None:
        """Stop the run of ``owner`` in ``run_dir`` (a session stops only its own)."""
        run = next((r for r in self.runs() if r.path == run_dir), None)
        if run is None or run.status.owner != owner:
            return
        self.queue.stop(run_dir, Text("stopped by its session"))
        self.scheduler.poke()
        self._changed()

    def delete(self, name: str) -> None:
        """Delete the run ``name`` (``UserError`` while it waits or trains, or for a name that is none)."""
        active = [r.path for r in self.runs() if r.status.state in ACTIVE]
        self.queue.folder.delete(name, protect=active)
        self._changed()

    def heartbeat(self, owner: str) -> None:
        """The page of ``owner`` is open: its queued or training run is not abandoned."""
        run = self.of(owner)
        if run is not None and run.status.state in ACTIVE:
            heartbeat(run.path)

"""Fixtures of the run queue: a runs folder, tiny run requests, a backend that only records."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from inspector.runqueue.budget import Budget, ClassLimits
from inspector.runqueue.queue import Planned, RunQueue
from inspector.runqueue.status import RunStatus, read_status
from inspector.training.plan import RunChoices
from inspector.training.runs import RunsFolder
from models import preset
from models.text import Text

TINY = Planned(steps=6, size=32, batch=2)


def tiny_choices(steps: int = 6) -> RunChoices:
    """A run that trains in a few seconds on one CPU thread: ngf 8, depth 5, 32x32, batch 2."""
    g, d = preset("notebook")
    return RunChoices(models=(g, d), device_sized=True, size=32, depth=5, ngf=8, steps=steps, batch=2,
                      sample_every=3, checkpoint_every=3, device="cpu")  # fmt: skip


@dataclass
class FakeBackend:
    """Launches nothing: records which runs it was asked to start; ``alive`` says which still are."""

    slots: int = 1
    device: str = "cpu"
    device_bytes: int = 0
    name: str = "local"
    thread_safe: bool = True
    launched: list[str] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    restarted: set[str] = field(default_factory=set)

    def budget(self) -> Budget:
        return Budget(self.device, self.slots, 1, self.device_bytes)

    def launch(self, run_dir: Path, status: RunStatus, budget: Budget) -> RunStatus:
        self.launched.append(run_dir.name)
        return replace(status, state="starting", backend=self.name, attempts=status.attempts + 1)

    def alive(self, run_dir: Path, status: RunStatus) -> bool:
        return run_dir.name not in self.dead

    def machine_restarted(self, status: RunStatus) -> bool:
        return status.label in self.restarted

    def death(self, run_dir: Path, status: RunStatus) -> Text:
        return Text("its worker was killed by {signal}", signal="SIGKILL")


@pytest.fixture
def queue(tmp_path: Path) -> RunQueue:
    return RunQueue(RunsFolder(tmp_path / "runs"), ClassLimits())


def wait_for(run_dir: Path, states: tuple[str, ...], timeout_s: float = 120.0, tick=None) -> RunStatus:
    """Poll the run's status (calling ``tick()`` each time) until it is in ``states``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if tick is not None:
            tick()
        status = read_status(run_dir)
        if status is not None and status.state in states:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"{run_dir.name} stayed {status}")
        time.sleep(0.3)

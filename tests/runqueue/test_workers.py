"""Real worker processes: a run trains to its end, survives a restart of the app, stops on request,
goes back to the queue on SIGTERM, and fails with the reason when it is killed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.local import LocalBackend
from inspector.runqueue.progress import last_metrics, latest_sample, metrics_rows
from inspector.runqueue.queue import RunQueue
from inspector.runqueue.scheduler import Scheduler
from inspector.runqueue.status import heartbeat, read_status
from inspector.training.checkpoint import load_checkpoint
from inspector.training.runs import RunsFolder
from tests.runqueue.conftest import TINY, tiny_choices, wait_for

pytestmark = pytest.mark.slow
LONG = 100_000  # steps: a run that trains until the test stops it


def _app(root: Path) -> tuple[RunQueue, Scheduler]:
    """What one app process has: the queue and its scheduler (a local backend on the CPU)."""
    queue = RunQueue(RunsFolder(root), ClassLimits())
    scheduler = Scheduler(queue, LocalBackend(queue.limits, device="cpu"))
    return queue, scheduler


def _tick(scheduler: Scheduler, *runs: Path):
    def tick() -> None:
        scheduler.beacon.beat()
        for run in runs:
            heartbeat(run)  # the owners' pages are open
        scheduler.tick()

    return tick


def _step_at_least(run: Path, step: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (last_metrics(run) or {}).get("step", 0) < step:
        assert time.monotonic() < deadline, f"{run.name} did not reach step {step}"
        time.sleep(0.2)


def test_a_run_trains_to_its_end_and_its_files_read_back(tmp_path: Path) -> None:
    queue, scheduler = _app(tmp_path / "runs")
    run = queue.submit(tiny_choices(), "o", "l", "tiny", TINY)
    status = wait_for(run, ("finished", "failed"), tick=_tick(scheduler, run))
    assert status.state == "finished", status.reason
    assert status.outcome == "completed" and str(status.reason) == "training finished at step 6 of 6"
    assert [r["step"] for r in metrics_rows(run)] == [1, 2, 3, 4, 5, 6]
    sample = latest_sample(run)
    assert sample is not None and sample.name == "step_000006.png"
    checkpoint = load_checkpoint(run / "checkpoint.safetensors")
    assert checkpoint.step == 6 and checkpoint.generator_config.ngf == 8
    assert "training (pid" in (run / "worker.log").read_text()


def test_runs_survive_an_app_restart_and_killed_workers_fail_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    queue, scheduler = _app(root)
    killed = queue.submit(tiny_choices(LONG), "o1", "l1", "killed", TINY)
    kept = queue.submit(tiny_choices(LONG), "o2", "l2", "kept", TINY)
    tick = _tick(scheduler, killed, kept)
    for run in (killed, kept):
        wait_for(run, ("running",), tick=tick)
        _step_at_least(run, 3)
    # The app restarts: a new process, a new scheduler; the workers were never its children.
    queue2, scheduler2 = _app(root)
    tick2 = _tick(scheduler2, killed, kept)
    tick2()
    assert read_status(killed).state == read_status(kept).state == "running"  # type: ignore[union-attr]
    os.kill(read_status(killed).pid, signal.SIGKILL)  # type: ignore[arg-type,union-attr]
    status = wait_for(killed, ("failed",), timeout_s=30, tick=tick2)
    assert "stopped before saying how the run ended" in str(status.reason)
    assert read_status(kept).state == "running"  # type: ignore[union-attr]
    queue2.stop(kept)
    status = wait_for(kept, ("stopped",), tick=tick2)
    assert str(status.reason) == "stopped by its session" and status.outcome == "stopped"
    assert load_checkpoint(kept / "checkpoint.safetensors").step >= 3


def test_sigterm_sends_the_run_back_to_the_queue_and_it_continues(tmp_path: Path) -> None:
    queue, scheduler = _app(tmp_path / "runs")
    run = queue.submit(tiny_choices(40), "o", "l", "interrupted", TINY)
    tick = _tick(scheduler, run)
    wait_for(run, ("running",), tick=tick)
    _step_at_least(run, 4)
    os.kill(read_status(run).pid, signal.SIGTERM)  # type: ignore[arg-type,union-attr]
    # back in the queue with a checkpoint: the scheduler starts it again and it finishes from there
    status = wait_for(run, ("finished", "failed"), tick=tick)
    assert status.state == "finished" and status.attempts == 2, status.reason
    rows = metrics_rows(run)
    assert rows[-1]["step"] == 40 and [r["step"] for r in rows] == sorted({r["step"] for r in rows})
    assert "interrupted by SIGTERM" in (run / "worker.log").read_text() or status.start_step > 0


def test_a_worker_killed_while_this_app_watches_names_the_signal(tmp_path: Path) -> None:
    queue, scheduler = _app(tmp_path / "runs")
    run = queue.submit(tiny_choices(LONG), "o", "l", "oom", TINY)
    tick = _tick(scheduler, run)
    wait_for(run, ("running",), tick=tick)
    os.kill(read_status(run).pid, signal.SIGKILL)  # type: ignore[arg-type,union-attr]
    status = wait_for(run, ("failed",), timeout_s=30, tick=tick)
    assert "killed by SIGKILL" in str(status.reason)

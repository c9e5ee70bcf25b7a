"""A run trained in this process (a notebook's kernel) is tracked with the queue's files: the app
lists it running, a Stop from the app stops it, and if the kernel dies the scheduler fails it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.in_process import track_run
from inspector.runqueue.liveness import boot_id, host, worker_alive
from inspector.runqueue.local import LocalBackend
from inspector.runqueue.queue import RunQueue
from inspector.runqueue.scheduler import Scheduler
from inspector.runqueue.status import read_status, request_stop
from inspector.training.plan import RunPlan, plan_run
from inspector.training.reports import TrainResult
from inspector.training.runs import RunsFolder
from models.text import Text
from tests.runqueue.conftest import tiny_choices

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan(tmp_path: Path) -> RunPlan:
    run_dir = RunsFolder(tmp_path / "runs").create("nb")
    return plan_run(replace(tiny_choices(steps=4), out=run_dir))


def test_running_with_this_process_then_finished(plan: RunPlan) -> None:
    with track_run(plan, threads=2) as tracked:
        status = read_status(plan.run_dir)
        assert status is not None and status.state == "running" and status.backend == "local"
        assert (status.pid, status.host, status.boot_id) == (os.getpid(), host(), boot_id())
        assert (status.steps, status.size, status.batch, status.threads) == (4, 32, 2, 2)
        assert worker_alive(plan.run_dir)  # the lock the scheduler looks at
        assert LocalBackend(ClassLimits()).alive(plan.run_dir, status)
        assert not tracked.should_stop()
        message = Text("training finished at step {step} of {steps}", step=4, steps=4)
        tracked.finish(TrainResult("completed", 4, message))
    status = read_status(plan.run_dir)
    assert status is not None and status.state == "finished" and status.outcome == "completed"
    assert status.reason == message and status.ended is not None
    assert not worker_alive(plan.run_dir)


def test_an_error_fails_the_run_with_why(plan: RunPlan) -> None:
    with pytest.raises(RuntimeError), track_run(plan):
        raise RuntimeError("boom")
    status = read_status(plan.run_dir)
    assert status is not None and status.state == "failed"
    assert str(status.reason) == "training failed: RuntimeError: boom"


def test_a_stop_from_the_app_stops_it_with_its_reason(plan: RunPlan) -> None:
    with track_run(plan) as tracked:
        why = Text("stopped by its session")
        request_stop(plan.run_dir, why)
        assert tracked.should_stop()
        tracked.finish(TrainResult("stopped", 2, Text("stopped at step {step}", step=2)))
    status = read_status(plan.run_dir)
    assert status is not None and status.state == "stopped" and status.reason == why


def test_a_second_trainer_of_the_folder_is_refused(plan: RunPlan) -> None:
    with track_run(plan), pytest.raises(UserError, match="another process"), track_run(plan):
        pass


def test_the_scheduler_fails_a_run_whose_kernel_died(plan: RunPlan) -> None:
    code = (
        "import os, sys\n"
        "from inspector.training.plan import plan_run\n"
        "from inspector.runqueue.in_process import track_run\n"
        "from tests.runqueue.conftest import tiny_choices\n"
        "from dataclasses import replace\n"
        f"plan = plan_run(replace(tiny_choices(steps=4), out={str(plan.run_dir)!r}))\n"
        "with track_run(plan):\n"
        "    os._exit(9)  # the kernel dies: no end is written\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT).returncode == 9
    status = read_status(plan.run_dir)
    assert status is not None and status.state == "running"
    scheduler = Scheduler(
        RunQueue(RunsFolder(plan.run_dir.parent)), LocalBackend(ClassLimits(), device="cpu")
    )
    scheduler.tick()
    status = read_status(plan.run_dir)
    assert status is not None and status.state == "failed"

"""The queue on a real Ray instance (local, 2 CPUs; not mocked): runs become detached actors that
Ray starts as CPUs free up, they write the same run folders, and an actor that dies fails its run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.queue import RunQueue
from inspector.runqueue.ray_backend import NAMESPACE, RayBackend, actor_name
from inspector.runqueue.scheduler import Scheduler
from inspector.runqueue.status import heartbeat, read_status
from inspector.training.checkpoint import load_checkpoint
from inspector.training.runs import RunsFolder
from tests.runqueue.conftest import TINY, tiny_choices, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend() -> Iterator[RayBackend]:
    b = RayBackend(ClassLimits(), address="local", num_cpus=2, include_dashboard=False)
    yield b
    ray.shutdown()


def test_three_runs_share_two_cpus_on_ray(tmp_path: Path, backend: RayBackend) -> None:
    queue = RunQueue(RunsFolder(tmp_path / "runs"), ClassLimits())
    scheduler = Scheduler(queue, backend)
    runs = [queue.submit(tiny_choices(), f"o{i}", f"l{i}", f"r{i}", TINY) for i in range(3)]

    def tick() -> None:
        scheduler.beacon.beat()
        for run in runs:
            heartbeat(run)
        scheduler.tick()

    tick()
    assert all(read_status(r).backend == "ray" for r in runs)  # type: ignore[union-attr]
    done = [wait_for(r, ("finished", "failed"), timeout_s=240, tick=tick) for r in runs]
    assert [s.state for s in done] == ["finished"] * 3, [s.reason for s in done]
    for run in runs:
        assert load_checkpoint(run / "checkpoint.safetensors").step == 6
    # Ray held the third until one of the first two had ended: never three at once on 2 CPUs.
    spans = sorted((s.started or 0, s.ended or 0) for s in done)
    assert spans[2][0] >= min(spans[0][1], spans[1][1]) - 0.5


def test_a_run_whose_actor_dies_fails_and_the_app_finds_actors_by_name(
    tmp_path: Path, backend: RayBackend
) -> None:
    queue = RunQueue(RunsFolder(tmp_path / "runs"), ClassLimits())
    scheduler = Scheduler(queue, backend)
    run = queue.submit(tiny_choices(100_000), "o", "l", "long", TINY)

    def tick() -> None:
        scheduler.beacon.beat()
        heartbeat(run)
        scheduler.tick()

    wait_for(run, ("running",), timeout_s=120, tick=tick)
    actor = ray.get_actor(actor_name(run), namespace=NAMESPACE)  # detached: any process finds it
    ray.kill(actor)
    deadline = time.monotonic() + 60
    status = wait_for(run, ("failed",), timeout_s=60, tick=tick)
    assert time.monotonic() < deadline and "Ray actor is gone" in str(status.reason)


def test_the_apps_service_drives_ray_from_its_scheduler_thread_only(tmp_path: Path) -> None:
    """In the app, Ray is started and asked only by the scheduler's own thread (a Streamlit script
    thread ends after each run, and Ray's driver breaks when the thread that started it is gone)."""
    from inspector.runqueue.queue import Planned
    from inspector.runqueue.service import RunService

    ray.shutdown()  # the module's instance: this one must be started by the service's thread
    backend = RayBackend(ClassLimits(), address="local", num_cpus=2, include_dashboard=False)
    service = RunService(tmp_path / "runs", ClassLimits(), backend).start()
    try:
        assert not ray.is_initialized() or service.scheduler._thread is not None
        run = service.submit(tiny_choices(), "owner", "tiny", Planned(6, 32, 2), {"size": 32})
        status = wait_for(run, ("finished", "failed"), timeout_s=240, tick=lambda: heartbeat(run))
        assert status.state == "finished" and status.backend == "ray", status.reason
        assert service.budget().slots >= 1
    finally:
        service.scheduler.stop()
        ray.shutdown()

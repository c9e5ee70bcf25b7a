"""The queue and the scheduler's decisions, with a backend that launches nothing (fast)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.runqueue.budget import Budget, ClassLimits, device_budget, fits, gpu_fraction, run_device_bytes
from inspector.runqueue.liveness import AppBeacon
from inspector.runqueue.queue import RunQueue, estimated_starts
from inspector.runqueue.request import load_request, save_request
from inspector.runqueue.scheduler import Scheduler
from inspector.runqueue.status import (
    HEARTBEAT_FILE,
    RunStatus,
    heartbeat,
    read_status,
    request_stop,
    update_status,
)
from models import preset
from models.text import Text, from_data, to_data
from tests.runqueue.conftest import TINY, FakeBackend, tiny_choices


def _scheduler(queue: RunQueue, backend: FakeBackend, timeout_s: float = 8.0) -> Scheduler:
    s = Scheduler(queue, backend, heartbeat_timeout_s=timeout_s)
    s.beacon.beat()
    return s


def test_submit_queues_and_the_request_reads_back(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "owner-a", "aaaaaa", "my run", TINY, settings={"size": 32})
    status = read_status(run)
    assert status is not None and status.state == "queued" and status.owner == "owner-a"
    assert (status.steps, status.size, status.batch) == (6, 32, 2)
    back = load_request(run)
    wanted = replace(tiny_choices(), out=run)
    assert {f: getattr(back, f) for f in vars(wanted)} == {f: getattr(wanted, f) for f in vars(wanted)}


def test_uploads_travel_as_files_and_a_resume_keeps_them(tmp_path: Path) -> None:
    run = tmp_path / "r"
    run.mkdir()
    uploads = (("cat.png", b"\x89PNG one"), ("dog.jpg", b"\xff\xd8 two"))
    save_request(run, replace(tiny_choices(), uploads=uploads))
    assert load_request(run).uploads == uploads
    from inspector.runqueue.request import resume_request

    save_request(run, resume_request(run, 12))  # no new uploads: the run's own are kept
    back = load_request(run)
    assert back.uploads == uploads and back.resume == run and back.steps == 12


def test_a_starting_checkpoint_travels_as_a_path_or_as_the_uploaded_bytes(tmp_path: Path) -> None:
    run = tmp_path / "r"
    run.mkdir()
    for source in (tmp_path / "latest_net_G.pth", ("latest_net_G.pth", b"PK\x03\x04 weights")):
        save_request(run, replace(tiny_choices(), init_from=source))
        assert load_request(run).init_from == source
    (run / "init_from.bin").unlink()  # the bytes gone: the request says so, it does not start empty
    with pytest.raises(UserError, match="cannot be read"):
        load_request(run)


def test_a_session_has_one_run_queued_or_running(queue: RunQueue) -> None:
    queue.submit(tiny_choices(), "owner-a", "aaaaaa", "one", TINY)
    with pytest.raises(UserError, match="still queued or training"):
        queue.submit(tiny_choices(), "owner-a", "aaaaaa", "two", TINY)
    queue.submit(tiny_choices(), "owner-b", "bbbbbb", "three", TINY)  # another session may


def test_the_teachers_limits_refuse_with_the_numbers(tmp_path: Path) -> None:
    from inspector.training.runs import RunsFolder

    strict = RunQueue(RunsFolder(tmp_path / "runs"), ClassLimits(max_steps=100, max_size=64))
    with pytest.raises(UserError, match="500 steps is more than this class allows \\(100\\)"):
        strict.submit(tiny_choices(), "o", "l", "n", replace(TINY, steps=500))
    with pytest.raises(UserError, match="128x128 are larger than this class allows \\(64x64\\)"):
        strict.submit(tiny_choices(), "o", "l", "n", replace(TINY, size=128))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_limits_travel_through_the_environment() -> None:
    limits = ClassLimits(max_steps=300, max_size=128, max_runs=3, threads_per_run=2, ray_address="auto")
    assert ClassLimits.from_env(limits.to_env()) == limits
    assert ClassLimits.from_env({}) == ClassLimits()
    with pytest.raises(UserError, match="PIX2PIX_MAX_RUNS must be a whole number"):
        ClassLimits.from_env({"PIX2PIX_MAX_RUNS": "many"})
    with pytest.raises(UserError, match="at least 1"):
        ClassLimits(max_runs=0)


def test_start_never_refuses_runs_wait_in_order_with_a_place_and_an_estimate(queue: RunQueue) -> None:
    backend = FakeBackend(slots=1)
    runs = [queue.submit(tiny_choices(), f"o{i}", f"l{i}", f"r{i}", TINY) for i in range(3)]
    assert _scheduler(queue, backend).tick() == ["r0"]
    shown = {r.name: r for r in queue.runs(slots=1)}
    assert shown["r0"].status.state == "starting" and shown["r0"].place is None
    assert (shown["r1"].place, shown["r2"].place) == (1, 2)
    assert shown["r1"].eta is not None and shown["r2"].eta is not None and shown["r2"].eta > shown["r1"].eta
    # the first ends: the next starts, the last moves up
    update_status(runs[0], lambda s: replace(s, state="finished"))
    assert _scheduler(queue, backend).tick() == ["r1"]
    assert {r.name: r.place for r in queue.runs()}["r2"] == 1


def test_estimated_starts_fill_the_slots_first_come_first_served() -> None:
    assert estimated_starts(1, [], [10, 20, 30]) == [0, 10, 30]
    assert estimated_starts(2, [5], [10, 10, 10]) == [0, 5, 10]
    assert estimated_starts(2, [50, 8, 30], [1]) == [8]


def test_a_stop_takes_a_queued_run_out_at_once(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "l", "r", TINY)
    status = queue.stop(run, Text("stopped by its session"))
    assert status is not None and status.state == "stopped" and status.reason == "stopped by its session"
    assert _scheduler(queue, FakeBackend()).tick() == []


def test_a_queued_run_whose_tab_closed_is_stopped(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "l", "r", TINY)
    backend = FakeBackend(slots=0)  # no room: it waits
    scheduler = _scheduler(queue, backend, timeout_s=8)
    old = time.time() - 60
    os.utime(run / HEARTBEAT_FILE, (old, old))  # its page said nothing for a minute
    scheduler.beacon.started = old  # an app has been up all that time
    scheduler.beacon.path.unlink()
    scheduler.beacon.beat()
    scheduler.tick()
    status = read_status(run)
    assert status is not None and status.state == "stopped" and "page was closed" in str(status.reason)


def test_after_a_server_restart_tabs_get_time_to_come_back(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "l", "r", TINY)
    old = time.time() - 600
    os.utime(run / HEARTBEAT_FILE, (old, old))  # quiet since before the restart
    _scheduler(queue, FakeBackend(slots=0)).tick()  # the app came up just now
    assert read_status(run).state == "queued"  # type: ignore[union-attr]
    heartbeat(run)  # its tab came back
    assert read_status(run).state == "queued"  # type: ignore[union-attr]


def test_a_dead_worker_fails_its_run_with_the_reason(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "l", "r", TINY)
    other = queue.submit(tiny_choices(), "o2", "l2", "r2", TINY)
    backend = FakeBackend(slots=1)
    scheduler = _scheduler(queue, backend)
    scheduler.tick()
    backend.dead.add("r")
    assert scheduler.tick() == ["r2"]  # the queue goes on
    status = read_status(run)
    assert status is not None and status.state == "failed" and "SIGKILL" in str(status.reason)
    assert read_status(other).state == "starting"  # type: ignore[union-attr]


def test_a_worker_that_died_with_its_machine_goes_back_to_the_queue(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "restarted", "r", TINY)
    (run / "checkpoint.safetensors").write_bytes(b"")  # it had saved once
    backend = FakeBackend(slots=0, restarted={"restarted"})
    update_status(run, lambda s: replace(s, state="running"))
    backend.dead.add("r")
    _scheduler(queue, backend).tick()
    status = read_status(run)
    assert status is not None and status.state == "queued" and "machine restarted" in str(status.reason)
    assert load_request(run).resume == run  # it continues from its checkpoint


def test_a_damaged_status_still_lists_as_failed(queue: RunQueue) -> None:
    run = queue.submit(tiny_choices(), "o", "l", "r", TINY)
    (run / "status.json").write_text("{not json")
    status = read_status(run)
    assert status is not None and status.state == "failed" and "cannot be read" in status.reason  # type: ignore[operator]
    (run / "status.json").write_text('{"state": "dancing", "steps": "many"}')
    status = read_status(run)
    assert status is not None and status.state == "failed" and status.steps == 0


def test_status_keeps_its_reason_translatable() -> None:
    reason = Text("out of memory on {device} at batch {batch}", device="cuda", batch=16)
    status = RunStatus(state="failed", reason=reason, started=1.5)
    back = RunStatus.from_json(status.to_json())
    assert back == status and isinstance(back.reason, Text) and back.reason.template == reason.template
    nested = Text("{a}; {b}", a=Text("one {x}", x=1), b="two")
    again = from_data(to_data(nested))
    assert isinstance(again, Text) and str(again) == str(nested) and isinstance(again.values["a"], Text)
    assert from_data({"template": "{missing}", "values": {}}) == "{missing}"  # a broken one reads as text


def test_a_stop_request_reaches_the_worker_and_names_why(tmp_path: Path) -> None:
    from inspector.runqueue.worker import StopWatch

    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    watch = StopWatch(run, run.parent)
    assert watch() is False
    request_stop(run, Text("stopped by its session"))
    watch._checked = 0.0
    assert watch() is True and watch.reason == "stopped by its session"


def test_the_worker_stops_a_run_whose_tab_closed_only_while_an_app_is_up(tmp_path: Path) -> None:
    from inspector.runqueue.worker import StopWatch

    root = tmp_path / "runs"
    run = root / "r"
    run.mkdir(parents=True)
    watch = StopWatch(run, root, timeout_s=8)
    now = time.time()
    assert watch.tab_closed(now) is False  # no app at all (a restart): it trains on
    beacon = AppBeacon(root)
    beacon.started = now - 100
    beacon.beat()
    heartbeat(run)
    assert watch.tab_closed(time.time()) is False  # its page is open
    old = now - 30
    os.utime(run / HEARTBEAT_FILE, (old, old))
    assert watch.tab_closed(time.time()) is True


def test_budget_cpu_threads_and_cuda_memory() -> None:
    assert device_budget(ClassLimits(), "cpu", cores=2) == Budget("cpu", 2, 1, 0)
    assert device_budget(ClassLimits(max_runs=1), "cpu", cores=16).slots == 1
    assert device_budget(ClassLimits(threads_per_run=4), "cpu", cores=16).slots == 4
    gpu = device_budget(ClassLimits(), "cuda", cores=16, gpu_bytes=80 * 2**30)
    assert gpu.device_bytes == int(80 * 2**30 * 0.9)
    small = 2 * 2**30
    assert fits(gpu, [small] * 5, small)  # a GPU holds several small class runs
    assert not fits(gpu, [small] * 5, 70 * 2**30)
    assert fits(gpu, [], 200 * 2**30)  # the first always may: the worker checks the real memory
    assert gpu_fraction(small, 80 * 2**30) == 0.03 and gpu_fraction(10**15, 1) == 1.0


def test_the_memory_estimate_grows_with_batch_and_size() -> None:
    g, d = preset("pix2pix")
    big = run_device_bytes(g, d, 16)
    assert run_device_bytes(g, d, 32) > big > run_device_bytes(g, d, 1)
    # the weights alone: 16 bytes for each of G's and D's parameters (fp32 + grad + two Adam moments)
    params = 54_409_858 + 2_765_633
    assert big > 16 * params
    small_g, small_d = g.replace(ngf=8, depth=5, input_size=32), d.replace(ndf=8, input_size=32)
    assert run_device_bytes(small_g, small_d, 2) < big / 3

"""AppTest of the Train, Class runs and Colorize pages over the run queue: a tiny run from Start to the
downloads (trained by a worker process, never by the page), Start never refused (a second session
waits in line with its place), one run per session, Stop of a waiting and of a training run, the
progress line on every page, the runs list (resume, colorize with, delete), the teacher's limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.status import ACTIVE, RunStatus, heartbeat, read_status
from inspector.training.runs import RUNS_ENV, RunsFolder
from inspector.ui.page_registry import page_file
from tests.app.apptest import open_page, unfold

TRAIN, COLORIZE, ARCHITECTURE, CLASS = "train", "colorize", "architecture", "class_runs"
pytestmark = pytest.mark.slow  # worker processes: a few seconds each


class OpenTabs:
    """What open browser tabs do for their runs: a heartbeat every second (AppTest runs a page only
    when a test asks, so without this a waiting test would look like a closed tab)."""

    def __init__(self, root: Path) -> None:
        self.root, self._stop = root, threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            for run in self.root.glob("*/status.json"):
                heartbeat(run.parent)

    def __enter__(self) -> OpenTabs:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A runs folder of the test's own (the app reads PIX2PIX_RUNS_DIR on every use), its tabs open;
    afterwards its scheduler is stopped and every worker it left is stopped."""
    root = tmp_path / "runs"
    monkeypatch.setenv(RUNS_ENV, str(root))
    with OpenTabs(root):
        yield root
    from inspector.ui import training

    for limits in (ClassLimits.from_env(), ClassLimits()):
        service = training._service(str(root), limits)
        for run in service.queue.runs():
            if run.status.state in ACTIVE:
                service.queue.stop(run.path)
        service.scheduler.stop()
    training._service.clear()


def _start(at: AppTest, steps: int) -> None:
    at.number_input(key="train.steps").set_value(steps)
    at.number_input(key="train.batch").set_value(2)
    unfold(at, "train.more")  # the more settings are folded: open them as a student would
    at.number_input(key="train.sample_every").set_value(2)
    at.button(key="train.start_btn").click().run()
    assert not at.exception, at.exception


def _only_run(root: Path) -> Path:
    (run,) = [p.parent for p in root.glob("*/status.json")]
    return run


def _wait(run: Path, states: tuple[str, ...], timeout_s: float = 120) -> RunStatus:
    end = time.monotonic() + timeout_s
    while True:
        status = read_status(run)
        if status is not None and status.state in states:
            return status
        assert time.monotonic() < end, f"{run.name} stayed {status}"
        time.sleep(0.2)


def _wait_step(run: Path, step: int, timeout_s: float = 120) -> None:
    from inspector.runqueue.progress import last_metrics

    end = time.monotonic() + timeout_s
    while (last_metrics(run) or {}).get("step", 0) < step:
        assert time.monotonic() < end, f"{run.name} did not reach step {step}: {read_status(run)}"
        time.sleep(0.2)


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _download_keys(at: AppTest) -> set[str]:
    from streamlit.elements.lib.utils import user_key_from_element_id

    return {user_key_from_element_id(b.proto.id) for b in at.get("download_button")}


def test_a_tiny_run_from_start_to_download_then_colorize(runs: Path) -> None:
    at = open_page(TRAIN)
    assert at.title[0].value == "Train"
    assert at.radio(key="train.model").value == "small"  # no GPU here: the device-sized model
    assert any("runs train on the CPU" in c for c in _texts(at, "caption"))
    _start(at, steps=4)
    run = _only_run(runs)
    status = _wait(run, ("finished", "failed", "stopped"))
    assert status.state == "finished" and status.pid is not None, status.reason  # a worker process
    at.run()
    assert not at.exception
    assert any("training finished at step 4 of 4" in s for s in _texts(at, "success"))
    keys = _download_keys(at)
    assert {"train.download.checkpoint", "train.download.export", "train.runs.checkpoint"} <= keys
    assert len(at.get("image")) == 1  # the sample grid: L | generated | ground truth
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # losses, L1, D(real)/D(fake)
    # Each chart's data: the log's rows as (step, series, value), the four steps of every series drawn.
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for chart, names in zip(charts, (["G_GAN", "D_real", "D_fake"], ["G_L1"], ["D(real)", "D(fake)"])):
        (dataset,) = chart.proto.datasets
        table = pa.ipc.open_stream(dataset.data.data).read_all()
        assert sorted(set(table["series"].to_pylist())) == sorted(names)
        assert table.num_rows == len(names) * len(logged) == len(names) * 4
        assert table["value"].to_pylist()[: len(names)] == [logged[0][n] for n in names]
    assert [m.label for m in at.metric] == ["Images / s", "Memory (MiB)", "D(real)", "D(fake)"]

    at.switch_page(page_file(COLORIZE))
    at.run()
    assert not at.exception
    assert at.radio(key="colorize.source").value == "last"
    assert len(at.get("image")) == 3  # grey input, colorized, original


def test_start_is_never_refused_a_second_session_waits_in_line(
    runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIX2PIX_MAX_RUNS", "1")  # one run at a time: the second must wait
    first, second = open_page(TRAIN), open_page(TRAIN)
    _start(first, steps=20_000)
    running = _only_run(runs)
    _wait(running, ("running",))
    _start(second, steps=3)
    assert not any("busy" in w for w in _texts(second, "warning"))
    waiting = next(p.parent for p in runs.glob("*/status.json") if p.parent != running)
    assert read_status(waiting).state == "queued"  # type: ignore[union-attr]
    second.run()
    line = " ".join(str(p.proto) for p in second.get("progress"))
    assert "#1 in line" in line  # its place, and a wait
    assert second.button(key="train.start_btn").disabled  # one run per session
    assert any("waiting or training" in c for c in _texts(second, "caption"))
    # the first session's Stop (its progress line): the second starts and finishes
    first.run()
    first.button(key="run_line.stop").click().run()
    stopped = _wait(running, ("stopped", "finished", "failed"))
    assert stopped.state == "stopped" and str(stopped.reason) == "stopped by its session"
    assert (running / "checkpoint.safetensors").exists()
    done = _wait(waiting, ("finished", "failed", "stopped"))
    assert done.state == "finished", done.reason


def test_a_run_keeps_going_through_other_pages_and_stops_from_any(runs: Path) -> None:
    at = open_page(TRAIN)
    _start(at, steps=20_000)
    run = _only_run(runs)
    _wait_step(run, 2)
    at.number_input(key="train.steps").set_value(7).run()  # a changed setting: a full rerun
    assert not at.exception
    assert read_status(run).steps == 20_000  # type: ignore[union-attr]  # the run keeps its Start's settings
    assert any("keeps the settings it started with" in c for c in _texts(at, "caption"))
    at.switch_page(page_file(ARCHITECTURE))
    at.run()
    assert not at.exception
    assert any(f"Run {run.name}: step" in str(p.proto) for p in at.get("progress"))
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()  # the sidebar changes: the run does not care
    at.switch_page(page_file(CLASS))
    at.run()
    assert not at.exception
    assert any(run.name in m.value for m in at.markdown)  # the class sees it
    at.button(key="run_line.stop").click().run()
    status = _wait(run, ("stopped", "failed", "finished"))
    assert status.state == "stopped" and (run / "checkpoint.safetensors").exists()


def test_a_waiting_run_leaves_the_queue_at_once_when_stopped(
    runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIX2PIX_MAX_RUNS", "1")
    first, second = open_page(TRAIN), open_page(TRAIN)
    _start(first, steps=20_000)
    running = _only_run(runs)
    _start(second, steps=3)
    waiting = next(p.parent for p in runs.glob("*/status.json") if p.parent != running)
    second.run()
    second.button(key="run_line.stop").click().run()
    assert read_status(waiting).state == "stopped"  # type: ignore[union-attr]
    second.run()
    assert not second.button(key="train.start_btn").disabled  # free to start another
    first.run()
    first.button(key="run_line.stop").click().run()
    _wait(running, ("stopped",))


def test_the_teachers_limits_cap_the_form(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIX2PIX_MAX_STEPS", "50")
    monkeypatch.setenv("PIX2PIX_MAX_SIZE", "32")
    at = open_page(TRAIN)
    assert not at.exception
    assert at.number_input(key="train.steps").value == 50  # the default (300) is over the limit
    assert any("up to 50 steps and 32x32 images" in c for c in _texts(at, "caption"))
    assert any("larger than this class allows (32x32)" in e for e in _texts(at, "error"))  # 64x64 model
    assert at.button(key="train.start_btn").disabled


def test_the_notebook_as_written_preset_is_explained_not_trained(runs: Path) -> None:
    at = open_page(TRAIN)
    at.selectbox(key="cfg.preset").set_value("notebook-as-written").run()
    assert not at.exception
    assert any("Conv2d(3, 64)" in e for e in _texts(at, "error"))
    assert at.button(key="train.start_btn").disabled


def test_colorize_without_a_run_uses_the_shipped_pair_and_asks_for_an_upload(runs: Path) -> None:
    at = open_page(COLORIZE)
    assert at.title[0].value == "Colorize"
    assert at.radio(key="colorize.source").options == [
        "Trained (ships with the app)",
        "Untrained (N(0, 0.02), as training starts)",
        "A checkpoint I upload",
    ]
    assert at.radio(key="colorize.source").value == "trained" and len(at.get("image")) == 3
    at.radio(key="colorize.source").set_value("upload").run()
    assert not at.exception
    assert any("Upload a checkpoint" in i for i in _texts(at, "info"))


def test_a_run_starts_from_the_shipped_pair_or_an_uploaded_reference_checkpoint(
    runs: Path, tmp_path: Path
) -> None:
    from inspector.pretrained import pretrained_path
    from inspector.training.checkpoint import load_checkpoint
    from tests.checkpoints.files import saved, trained_like
    from tests.models.reference_nets import reference_unet

    at = open_page(TRAIN)
    at.radio(key="train.init").set_value("trained").run()
    assert not at.exception and not at.error
    shipped = load_checkpoint(pretrained_path()).generator_config
    wanted = f"The checkpoint's model: ngf {shipped.ngf}, depth {shipped.depth}"
    assert any(wanted in c for c in _texts(at, "caption"))
    assert not at.button(key="train.start_btn").disabled

    at.radio(key="train.init").set_value("upload").run()
    assert at.button(key="train.start_btn").disabled  # nothing uploaded yet
    net = trained_like(reference_unet(num_downs=6, ngf=4), seed=1)
    file = saved(tmp_path / "latest_net_G.pth", net.state_dict())  # the reference code's own file
    at.file_uploader(key="train.init_file").upload("latest_net_G.pth", file.read_bytes()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The checkpoint's model: ngf 4, depth 6" in c for c in _texts(at, "caption"))
    _start(at, steps=2)
    run = _only_run(runs)
    assert (run / "init_from.bin").read_bytes() == file.read_bytes()  # the worker's copy of the upload
    assert _wait(run, ("finished", "failed", "stopped")).state == "finished"
    trained = load_checkpoint(run / "checkpoint.safetensors")
    assert (trained.generator_config.ngf, trained.generator_config.depth) == (4, 6)


def test_the_runs_list_resumes_colorizes_with_and_deletes(runs: Path) -> None:
    at = open_page(TRAIN)
    _start(at, steps=2)
    first = _only_run(runs)
    assert _wait(first, ("finished", "failed")).state == "finished"
    at.run()
    _start(at, steps=2)  # a second run: never deletes the first
    second = next(p.parent for p in runs.glob("*/status.json") if p.parent != first)
    assert _wait(second, ("finished", "failed")).state == "finished"
    at.run()
    assert not at.exception
    folder = RunsFolder(runs)
    assert {r.name for r in folder.list_runs()} == {first.name, second.name}
    assert any(str(runs) in c for c in _texts(at, "caption"))  # the page says where the runs are

    at.selectbox(key="train.run").set_value(first.name).run()
    at.number_input(key="train.steps").set_value(3)
    at.button(key="train.resume_btn").click().run()  # complete: 3 more steps, from its checkpoint
    assert not at.exception
    resumed = _wait(first, ("finished", "failed"))
    assert resumed.state == "finished" and resumed.start_step == 2 and resumed.attempts == 2, resumed.reason
    assert folder.get(first.name).step == 5

    at.run()
    at.selectbox(key="train.run").set_value(second.name).run()
    at.button(key="train.colorize_btn").click().run()  # opens Colorize with that run
    assert not at.exception
    assert at.radio(key="colorize.source").value == "run"
    assert at.selectbox(key="colorize.run").value == second.name

    at.switch_page(page_file(TRAIN))
    at.run()
    at.selectbox(key="train.run").set_value(second.name).run()
    assert any("cannot be undone" in m.value and second.name in m.value for m in at.markdown)
    assert not any("not by you" in w.value for w in at.warning)  # this session's own run
    at.button(key="train.delete_btn").click().run()
    assert not at.exception
    assert [r.name for r in folder.list_runs()] == [first.name]


def test_uploads_over_the_total_cap_get_our_own_message(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.data import images

    monkeypatch.setattr(images, "DEFAULT_LIMITS", images.Limits(max_total_bytes=1024 * 1024))  # 1 MiB for 512
    at = open_page(TRAIN)
    at.radio(key="train.source").set_value("upload").run()
    at.file_uploader(key="train.files").set_value(
        [("a.png", b"\0" * 600_000, "image/png"), ("b.zip", b"\0" * 600_000, "application/zip")]
    ).run()
    assert not at.exception
    assert "These files are 1.1 MiB together; this app trains on up to 1 MiB of uploads." in _texts(
        at, "error"
    )
    assert at.button(key="train.start_btn").disabled

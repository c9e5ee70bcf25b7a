"""AppTest of the Train and Colorize pages: a tiny run from Start to the downloads, a run that keeps
going through reruns and other pages (with the progress line everywhere), the busy message for a
second session, the runs list (resume, colorize with, delete) and colorizing with the run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from inspector.errors import UserError
from inspector.training.runs import RUNS_ENV, RunsFolder
from inspector.ui.background import get_runner
from inspector.ui.page_registry import page_file
from tests.app.apptest import open_page

TRAIN, COLORIZE, ARCHITECTURE = "train", "colorize", "architecture"


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs folder of the test's own (the app reads PIX2PIX_RUNS_DIR on every use)."""
    root = tmp_path / "runs"
    monkeypatch.setenv(RUNS_ENV, str(root))
    return root


@pytest.fixture
def runner(runs: Path):
    r = get_runner()
    r.stop(wait=True)
    # AppTest sends heartbeats only when a test reruns the script (no browser runs the progress
    # line's timer), so a test that waits must not look like a closed tab.
    timeout, r.heartbeat_timeout_s = r.heartbeat_timeout_s, 600.0
    yield r
    r.stop(wait=True)
    r.heartbeat_timeout_s = timeout


def _open(page_id: str) -> AppTest:
    return open_page(page_id)


def _start(at: AppTest, steps: int) -> None:
    at.number_input(key="train.steps").set_value(steps)
    at.number_input(key="train.batch").set_value(2)
    at.number_input(key="train.sample_every").set_value(2)
    at.button(key="train.start_btn").click().run()
    assert not at.exception


def _wait_for_steps(runner, n: int, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while runner.snapshot().step < n:
        assert runner.snapshot().state != "finished", runner.snapshot().error
        assert time.monotonic() < end, "training made no progress"
        time.sleep(0.05)


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_a_tiny_run_from_start_to_download_then_colorize(runner) -> None:
    at = _open(TRAIN)
    assert at.title[0].value == "Train"
    assert at.radio(key="train.model").value == "small"  # no GPU here: the device-sized model
    _start(at, steps=4)
    snap = runner.wait(120)
    assert snap.state == "finished" and snap.result is not None, snap.error
    assert snap.result.status == "completed" and [m["step"] for m in snap.metrics] == [1, 2, 3, 4]
    at.run()
    assert not at.exception
    assert any("training finished at step 4 of 4" in s for s in _texts(at, "success"))
    # The result offers both files, and so does the runs list for the chosen (newest) run.
    keys = _download_keys(at)
    assert {
        "train.download.checkpoint",
        "train.download.export",
        "train.runs.checkpoint",
        "train.runs.export",
    } <= keys
    assert (snap.run_dir / "checkpoint.safetensors").exists() and (
        snap.run_dir / "generator.safetensors"
    ).exists()
    assert len(at.get("image")) == 1  # the sample grid: L | generated | ground truth
    assert len(at.get("vega_lite_chart")) == 3  # losses, L1, D(real)/D(fake)
    assert [m.label for m in at.metric] == ["Images / s", "Memory (MiB)", "D(real)", "D(fake)"]

    at.switch_page(page_file(COLORIZE))
    at.run()
    assert not at.exception
    assert at.radio(key="colorize.source").value == "last"
    assert len(at.get("image")) == 3  # grey input, colorized, original
    # The sidebar's 256x256 ngf-64 model is another architecture: refused with the keys, no crash.
    at.checkbox(key="colorize.sidebar").check().run()
    assert not at.exception
    assert any(
        "does not fit the chosen generator" in e and "mis-shaped keys" in e for e in _texts(at, "error")
    )


def _download_keys(at: AppTest) -> set[str]:
    from streamlit.elements.lib.utils import user_key_from_element_id

    return {user_key_from_element_id(b.proto.id) for b in at.get("download_button")}


def test_rerunning_the_page_or_changing_a_setting_keeps_the_run_going(runner) -> None:
    at = _open(TRAIN)
    _start(at, steps=100_000)
    _wait_for_steps(runner, 2)
    at.number_input(key="train.steps").set_value(7).run()  # a changed setting: a full rerun
    assert not at.exception
    snap = runner.snapshot()
    assert snap.active and snap.total_steps == 100_000  # the run keeps the settings of its Start
    assert snap.settings is not None and snap.settings["steps"] == 100_000
    assert any("keeps the settings it started with" in i for i in _texts(at, "info"))
    assert at.button(key="train.start_btn").disabled
    step = snap.step
    _wait_for_steps(runner, step + 1)  # and it goes on


def test_navigating_away_and_back_finds_the_run_still_going(runner) -> None:
    at = _open(TRAIN)
    _start(at, steps=100_000)
    _wait_for_steps(runner, 1)
    at.switch_page(page_file(ARCHITECTURE))
    at.run()
    assert not at.exception
    assert runner.snapshot().active
    # Every page shows this session's progress line with a Stop button.
    assert at.button(key="run_line.stop") is not None
    assert any(f"Run {runner.snapshot().run_name}: step" in str(e.proto) for e in at.get("progress"))
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()  # the sidebar changes: the run does not care
    assert runner.snapshot().active
    step = runner.snapshot().step
    at.switch_page(page_file(TRAIN))
    at.run()
    assert not at.exception
    snap = runner.snapshot()
    assert snap.active and snap.step >= step
    at.button(key="run_line.stop").click().run()  # the progress line's Stop: after this step, saved
    snap = runner.wait(60)
    assert snap.result is not None and snap.result.status == "stopped" and snap.result.checkpoint is not None


def test_a_second_session_is_told_the_trainer_is_busy(runner) -> None:
    def waits_until_stopped(should_stop):
        while not should_stop():
            time.sleep(0.02)
        raise UserError("cancelled")

    assert runner.start("another-session", waits_until_stopped)
    at = _open(TRAIN)
    assert any("trainer is busy" in w for w in _texts(at, "warning"))
    assert at.button(key="train.start_btn").disabled
    runner.stop(wait=True)
    at.run()
    assert not at.button(key="train.start_btn").disabled


def test_the_notebook_as_written_preset_is_explained_not_trained(runner) -> None:
    at = _open(TRAIN)
    at.selectbox(key="cfg.preset").set_value("notebook-as-written").run()
    assert not at.exception
    assert any("Conv2d(3, 64)" in e for e in _texts(at, "error"))
    assert at.button(key="train.start_btn").disabled


def test_colorize_without_a_checkpoint_asks_for_one(runner) -> None:
    at = _open(COLORIZE)
    assert at.title[0].value == "Colorize"
    assert any("upload a checkpoint" in i for i in _texts(at, "info"))


def test_an_abandoned_run_stops_itself(tmp_path: Path) -> None:
    """No page polled for heartbeat_timeout_s (tab closed): the run stops at a step boundary, with a checkpoint."""
    from dataclasses import replace

    from inspector.training.plan import RunChoices
    from inspector.ui.background import TrainingRunner, prepare_run
    from models import preset

    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    assert TrainingRunner().heartbeat_timeout_s <= 8  # the app's default: a closed tab stops within ~10 s
    runner = TrainingRunner(heartbeat_timeout_s=0.5)
    config = RunChoices(
        models=(g, d),
        device_sized=False,
        steps=1_000_000,
        batch=2,
        device="cpu",
        sample_every=0,
        checkpoint_every=0,
    )
    folder = RunsFolder(tmp_path / "runs")
    run_dir = folder.create("closed-tab", owner="tab")
    assert runner.start("tab", prepare_run(replace(config, out=run_dir)), run_dir, label="tab")
    assert not runner.start(
        "other tab", prepare_run(replace(config, out=tmp_path / "other"))
    )  # one run at a time
    snap = runner.wait(60)
    assert snap.state == "finished" and snap.result.status == "stopped", snap.error
    assert (run_dir / "checkpoint.safetensors").exists() and snap.result.checkpoint_step == snap.step
    listed = folder.get("closed-tab")  # reachable from the runs list, with both files
    assert listed.checkpoint is not None and listed.export is not None and listed.step == snap.step


def test_prepare_run_reads_uploads_and_lists_skipped_files(tmp_path: Path) -> None:
    import io
    import zipfile

    from PIL import Image

    from inspector.training.plan import RunChoices
    from inspector.ui.background import prepare_run
    from models import preset

    def png(colour: tuple[int, int, int]) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (48, 40), colour).save(buf, format="PNG")
        return buf.getvalue()

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("b.png", png((0, 200, 0)))
        z.writestr("c.png", png((0, 0, 200)))
    uploads = [
        ("a.png", png((200, 0, 0))),
        ("photos.zip", archive.getvalue()),
        ("broken.jpg", b"not an image"),
    ]
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    choices = RunChoices(
        models=(g, d), device_sized=False, steps=1, device="cpu", uploads=tuple(uploads), out=tmp_path
    )
    trainer, notes = prepare_run(choices)(lambda: False)
    assert len(trainer.train_set) + len(trainer.val_set) == 3
    assert trainer.train_set.images.shape[-1] == 36  # stored a little larger than 32, for random crops
    assert len(notes) == 1 and notes[0].startswith("skipped broken.jpg")


@pytest.mark.slow  # three tiny runs and four pages: about 10 s
def test_the_runs_list_resumes_colorizes_with_and_deletes(runner, runs: Path) -> None:
    at = _open(TRAIN)
    _start(at, steps=2)
    first = runner.wait(120)
    assert first.result is not None and first.result.status == "completed", first.error
    at.run()
    _start(at, steps=2)  # a second run: never deletes the first
    second = runner.wait(120)
    assert second.run_dir != first.run_dir and first.run_dir is not None and first.run_dir.exists()
    at.run()
    assert not at.exception
    folder = RunsFolder(runs)
    assert [r.name for r in folder.list_runs()] == [second.run_name, first.run_name]
    assert any(str(runs) in c for c in _texts(at, "caption"))  # the page says where the runs are

    at.selectbox(key="train.run").set_value(first.run_name).run()
    at.number_input(key="train.steps").set_value(3)
    at.button(key="train.resume_btn").click().run()  # complete: trains Steps (3) more, from its checkpoint
    assert not at.exception
    resumed = runner.wait(120)
    assert resumed.run_dir == first.run_dir and resumed.start_step == 2, resumed.error
    assert resumed.result is not None and resumed.result.step == 5
    assert folder.get(first.run_name).step == 5

    at.run()
    at.selectbox(key="train.run").set_value(second.run_name).run()
    at.button(key="train.colorize_btn").click().run()  # opens Colorize with that run
    assert not at.exception
    assert at.radio(key="colorize.source").value == "run"
    assert at.selectbox(key="colorize.run").value == second.run_name
    assert len(at.get("image")) == 3

    at.switch_page(page_file(TRAIN))
    at.run()
    at.selectbox(key="train.run").set_value(second.run_name).run()
    # Delete asks again, in a popover (the runs folder is shared by every session)
    assert any("cannot be undone" in m.value and second.run_name in m.value for m in at.markdown)
    assert not any("not by you" in w.value for w in at.warning)  # this session's own run
    at.button(key="train.delete_btn").click().run()
    assert not at.exception
    assert [r.name for r in folder.list_runs()] == [first.run_name]
    assert any("was deleted" in i for i in _texts(at, "info"))


def test_another_sessions_start_leaves_the_first_run_intact(runner, runs: Path) -> None:
    second = _open(TRAIN)  # another browser session, drawn while the slot was still free
    second.number_input(key="train.steps").set_value(3).run()
    first = _open(TRAIN)
    _start(first, steps=100_000)
    _wait_for_steps(runner, 1)
    snap = runner.snapshot()
    second.button(key="train.start_btn").click().run()  # its Start, clicked on the stale page
    assert not second.exception
    after = runner.snapshot()
    assert after.active and after.run_id == snap.run_id and after.owner == snap.owner
    assert [r.name for r in RunsFolder(runs).list_runs()] == [
        snap.run_name
    ]  # nothing created, nothing deleted
    assert any(f"session {snap.label} has been training since" in w for w in _texts(second, "warning"))
    assert second.button(key="train.start_btn").disabled
    assert second.button(key="train.resume_btn").disabled  # the slot is busy (and that run is training)
    assert len(second.get("progress")) == 0  # the progress line is the owner's only
    _wait_for_steps(runner, after.step + 1)


def test_uploads_over_the_total_cap_get_our_own_message(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.data import images

    monkeypatch.setattr(images, "DEFAULT_LIMITS", images.Limits(max_total_bytes=1024 * 1024))  # 1 MiB for 512
    at = _open(TRAIN)
    at.radio(key="train.source").set_value("upload").run()
    at.file_uploader(key="train.files").set_value(
        [("a.png", b"\0" * 600_000, "image/png"), ("b.zip", b"\0" * 600_000, "application/zip")]
    ).run()
    assert not at.exception
    assert "These files are 1.1 MiB together; this app trains on up to 1 MiB of uploads." in _texts(
        at, "error"
    )
    assert at.button(key="train.start_btn").disabled

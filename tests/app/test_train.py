"""AppTest of the Train and Colorize pages: a tiny run from Start to the download, stopping on rerun
and on leaving, the busy message for a second session, and colorizing with the run's checkpoint."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from inspector.errors import UserError
from inspector.ui.background import get_runner

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
TRAIN = "inspector/ui/pages/train.py"
COLORIZE = "inspector/ui/pages/colorize.py"
ARCHITECTURE = "inspector/ui/pages/architecture.py"


@pytest.fixture
def runner():
    r = get_runner()
    r.stop(wait=True)
    yield r
    r.stop(wait=True)
    run_dir = r.snapshot().run_dir
    if run_dir is not None and run_dir.name.startswith("pix2pix-app-"):
        shutil.rmtree(run_dir, ignore_errors=True)  # the page keeps the last run's directory; tests do not


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


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
    assert len(at.get("download_button")) == 1
    assert len(at.get("image")) == 1  # the sample grid: L | generated | ground truth
    assert len(at.get("vega_lite_chart")) == 3  # losses, L1, D(real)/D(fake)
    assert [m.label for m in at.metric] == ["Images / s", "Memory (MiB)", "D(real)", "D(fake)"]

    at.switch_page(COLORIZE)
    at.run()
    assert not at.exception
    assert at.radio(key="colorize.source").value == "last"
    assert len(at.get("image")) == 3  # grey input, colorized, original
    # The sidebar's 256x256 ngf-64 model is another architecture: refused with the keys, no crash.
    at.checkbox(key="colorize.sidebar").check().run()
    assert not at.exception
    assert any("does not fit the chosen generator" in e and "mis-shaped keys" in e for e in _texts(at, "error"))


def test_rerunning_the_page_stops_the_run_with_a_checkpoint(runner) -> None:
    at = _open(TRAIN)
    _start(at, steps=100_000)
    _wait_for_steps(runner, 2)
    at.run()  # any full rerun, e.g. a changed setting
    assert not at.exception
    snap = runner.snapshot()
    assert snap.state == "finished" and snap.result.status == "stopped"
    assert snap.result.checkpoint is not None and snap.result.checkpoint_step == snap.step >= 2
    assert any("page was rerun" in i for i in _texts(at, "info"))
    assert len(at.get("download_button")) == 1


def test_leaving_the_page_stops_the_run(runner) -> None:
    at = _open(TRAIN)
    _start(at, steps=100_000)
    _wait_for_steps(runner, 1)
    at.switch_page(ARCHITECTURE)
    at.run()
    assert not at.exception
    snap = runner.snapshot()
    assert snap.state == "finished" and snap.result.status == "stopped" and snap.result.checkpoint is not None


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
    runner = TrainingRunner(heartbeat_timeout_s=0.5)
    config = RunChoices(models=(g, d), device_sized=False, steps=1_000_000, batch=2, device="cpu", sample_every=0,
                        checkpoint_every=0)
    assert runner.start("tab", prepare_run(replace(config, out=tmp_path)), tmp_path)
    assert not runner.start("other tab", prepare_run(replace(config, out=tmp_path / "other")))  # one run at a time
    snap = runner.wait(60)
    assert snap.state == "finished" and snap.result.status == "stopped", snap.error
    assert (tmp_path / "checkpoint.safetensors").exists() and snap.result.checkpoint_step == snap.step


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
    uploads = [("a.png", png((200, 0, 0))), ("photos.zip", archive.getvalue()), ("broken.jpg", b"not an image")]
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    choices = RunChoices(models=(g, d), device_sized=False, steps=1, device="cpu", uploads=tuple(uploads),
                         out=tmp_path)
    trainer, notes = prepare_run(choices)(lambda: False)
    assert len(trainer.train_set) + len(trainer.val_set) == 3
    assert trainer.train_set.images.shape[-1] == 36  # stored a little larger than 32, for random crops
    assert len(notes) == 1 and notes[0].startswith("skipped broken.jpg")

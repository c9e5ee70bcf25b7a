"""AppTest of the Colorize page: it accepts back every file the app offers (the full checkpoint and the
generator export, uploaded or from the runs folder) and refuses a too-large upload in its own words."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from inspector.training import upload_limits
from inspector.training.checkpoint import CHECKPOINT_FILE, EXPORT_FILE
from inspector.training.plan import RunChoices, plan_run
from inspector.training.runs import RUNS_ENV, RunsFolder
from inspector.training.trainer import Trainer
from models import preset
from tests.app.apptest import open_page
from tests.i18n.english import english_sentences

COLORIZE = "colorize"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run in a runs folder: 2 steps of a 32x32 U-Net, as the Train page writes it."""
    folder = RunsFolder(tmp_path_factory.mktemp("runs"))
    run = folder.create("tiny", owner="test")
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    choices = RunChoices(
        models=(g, d), device_sized=False, steps=2, batch=2, device="cpu", sample_every=0, out=run
    )
    assert Trainer.from_plan(plan_run(choices)).fit().status == "completed"
    return run


def _open(monkeypatch: pytest.MonkeyPatch, runs: Path) -> AppTest:
    monkeypatch.setenv(RUNS_ENV, str(runs))
    return open_page(COLORIZE, timeout=60)


@pytest.mark.parametrize("file", [CHECKPOINT_FILE, EXPORT_FILE])
def test_every_file_the_app_offers_uploads_back_and_colorizes(
    file: str, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(monkeypatch, trained.parent)
    at.radio(key="colorize.source").set_value("upload").run()
    at.file_uploader(key="colorize.checkpoint").upload(file, (trained / file).read_bytes()).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("trained for 2 steps" in c.value for c in at.caption)
    assert len(at.get("image")) == 3  # grey input, colorized, original


def test_a_run_of_the_runs_folder_colorizes(trained: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(monkeypatch, trained.parent)
    assert at.radio(key="colorize.source").options == [
        "Trained (ships with the app)",
        "Untrained (N(0, 0.02), as training starts)",
        "A run from the runs folder",
        "A checkpoint I upload",
    ]
    at.radio(key="colorize.source").set_value("run").run()
    assert at.selectbox(key="colorize.run").value == "tiny"
    assert not at.exception and len(at.get("image")) == 3


def test_a_too_large_upload_gets_our_own_message(trained: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(monkeypatch, trained.parent)
    at.radio(key="colorize.source").set_value("upload").run()
    limit = upload_limits.checkpoint_upload_limit_bytes()
    assert f"up to {limit // upload_limits.MiB} MiB" in at.file_uploader(key="colorize.checkpoint").label
    # A limit of 1 MiB stands for the real one (668 MiB): the same check, without a 0.7 GB upload.
    monkeypatch.setattr(upload_limits, "checkpoint_upload_limit_bytes", lambda: upload_limits.MiB)
    at = _open(monkeypatch, trained.parent)
    at.radio(key="colorize.source").set_value("upload").run()
    at.file_uploader(key="colorize.checkpoint").upload(
        "big.safetensors", b"\0" * (upload_limits.MiB + 1)
    ).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "big.safetensors is 1.0 MiB; this app accepts checkpoints up to 1 MiB, the largest it can write with a margin."
    ]
    assert len(at.get("image")) == 0


def test_a_too_large_photo_gets_our_own_message(trained: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_limits, "MAX_PHOTO_MB", 1)
    at = _open(monkeypatch, trained.parent)
    at.radio(key="colorize.source").set_value("run").run()
    at.radio(key="colorize.photo_source").set_value("upload").run()
    at.file_uploader(key="colorize.upload").upload("huge.png", b"\0" * (upload_limits.MiB + 10)).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["huge.png is 1.0 MiB; this app accepts photos up to 1 MiB."]


def test_bad_files_are_refused_in_korean(trained: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickle as the checkpoint, then a text file as the photo: both refusals read in Korean."""
    monkeypatch.setenv(RUNS_ENV, str(trained.parent))
    at = open_page(COLORIZE, timeout=60, query={"lang": "ko"})
    at.radio(key="colorize.source").set_value("upload").run()
    at.file_uploader(key="colorize.checkpoint").upload("evil.pt", pickle.dumps({"w": 1}, protocol=4)).run()
    assert not at.exception and len(at.error) == 1
    said = at.error[0].value
    assert "evil.pt" in said and "pickle" in said and _hangul(said) and not english_sentences(said), said
    at.radio(key="colorize.source").set_value("run").run()
    at.radio(key="colorize.photo_source").set_value("upload").run()
    at.file_uploader(key="colorize.upload").upload("notes.png", b"this is not a photo").run()
    assert not at.exception and len(at.error) == 1
    said = at.error[0].value
    assert "notes.png" in said and _hangul(said) and not english_sentences(said), said


def _hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)

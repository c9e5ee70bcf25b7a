"""The runs folder (where, names, listing, retention, cleaning), the generator export written beside
every checkpoint, and the upload limits derived from the largest checkpoint the app can write."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
import torch

from inspector.errors import UserError
from inspector.training.checkpoint import CHECKPOINT_FILE, EXPORT_FILE, load_checkpoint
from inspector.training.checkpoint_size import max_checkpoint_bytes
from inspector.training.colorize import load_generator
from inspector.training.plan import RunChoices, plan_run
from inspector.training.run_files import RunFiles
from inspector.training.runs import (
    KEEP_RUNS,
    MAX_AGE_DAYS,
    RUN_INFO,
    RUNS_ENV,
    TRASH_DIR,
    RunsFolder,
    default_runs_dir,
    is_locked,
    safe_name,
)
from inspector.training.trainer import Trainer
from inspector.training.upload_limits import (
    MiB,
    check_app_trainable,
    checkpoint_upload_limit_bytes,
    largest_app_checkpoint_bytes,
    server_upload_limit_mb,
)
from models import preset

ROOT = Path(__file__).resolve().parents[2]


def _tiny() -> RunChoices:
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    return RunChoices(models=(g, d), device_sized=False, steps=2, batch=2, device="cpu", sample_every=0)


def _age(run: Path, days: float) -> None:
    info = json.loads((run / RUN_INFO).read_text())
    info["created"] = time.time() - days * 86400
    (run / RUN_INFO).write_text(json.dumps(info))


# ----------------------------------------------------------------------------------- where


def test_the_runs_folder_comes_from_the_environment_then_xdg_then_home(tmp_path: Path) -> None:
    assert default_runs_dir({RUNS_ENV: str(tmp_path / "r"), "XDG_DATA_HOME": "/x"}) == tmp_path / "r"
    assert default_runs_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "pix2pix-inspector" / "runs"
    home = Path.home() / ".local" / "share" / "pix2pix-inspector" / "runs"
    assert (
        default_runs_dir({"XDG_DATA_HOME": "relative/ignored"}) == home
    )  # the XDG spec ignores relative paths
    assert default_runs_dir({}) == home


# ----------------------------------------------------------------------------------- names and listing


def test_runs_get_unique_safe_names_and_never_replace_each_other(tmp_path: Path) -> None:
    folder = RunsFolder(tmp_path)
    first = folder.create("my run", owner="ab12", settings={"steps": 5})
    (first / "keep.txt").write_text("mine")
    second = folder.create("my run", owner="cd34")
    third = folder.create("../../etc/passwd")
    assert (first.name, second.name) == ("my-run", "my-run-2")
    assert third.parent == tmp_path and third.name == "etc-passwd"
    assert (first / "keep.txt").read_text() == "mine"
    assert json.loads((first / "run.json").read_text())["settings"] == {"steps": 5}  # written whole
    assert sorted(p.name for p in first.iterdir()) == ["keep.txt", "run.json"]  # no temporary left
    assert safe_name("") == safe_name("...") == "run"
    info = folder.get("my-run")
    assert (
        info.owner == "ab12" and info.settings == {"steps": 5} and info.checkpoint is None and info.step == 0
    )
    assert next(r.name for r in folder.list_runs()) == "etc-passwd"  # newest first
    for bad in ("../x", "a/b", "..", "missing"):
        with pytest.raises(UserError):
            folder.get(bad)


def test_a_run_lists_with_its_checkpoint_export_and_step(tmp_path: Path) -> None:
    folder = RunsFolder(tmp_path)
    run = folder.create("tiny")
    result = Trainer.from_plan(plan_run(RunChoices(**{**_tiny().__dict__, "out": run}))).fit()
    assert result.status == "completed"
    info = folder.get("tiny")
    assert info.step == 2 and info.total_steps == 2 and not info.training
    assert info.checkpoint == run / CHECKPOINT_FILE and info.export == run / EXPORT_FILE
    assert info.size_bytes > info.checkpoint.stat().st_size


def test_a_damaged_run_json_still_lists(tmp_path: Path) -> None:
    folder = RunsFolder(tmp_path)
    run = folder.create("x")
    (run / RUN_INFO).write_bytes(b"\xff not json")
    (tmp_path / "not-a-run").mkdir()  # no run.json: ignored
    (tmp_path / "link").symlink_to(run)  # links are never followed
    assert [r.name for r in folder.list_runs()] == ["x"]


# ----------------------------------------------------------------------------------- retention


def test_prune_keeps_the_newest_and_none_too_old_but_never_a_training_or_protected_run(
    tmp_path: Path,
) -> None:
    folder = RunsFolder(tmp_path)
    runs = [folder.create(f"r{i}") for i in range(6)]
    for i, run in enumerate(runs):
        _age(run, days=6 - i)  # r0 oldest
    _age(runs[5], days=MAX_AGE_DAYS + 1)  # the newest by name, but older than the policy allows
    with RunFiles.open(runs[0]):  # a trainer holds the oldest
        assert is_locked(runs[0])
        removed = folder.prune(keep=2, protect=[runs[1]])
    assert not is_locked(runs[0])
    assert sorted(removed) == ["r2", "r5"]
    assert sorted(r.name for r in folder.list_runs()) == ["r0", "r1", "r3", "r4"]
    assert KEEP_RUNS == 20 and MAX_AGE_DAYS == 30


def test_delete_refuses_a_training_run(tmp_path: Path) -> None:
    folder = RunsFolder(tmp_path)
    run = folder.create("busy")
    with RunFiles.open(run), pytest.raises(UserError, match="is training"):
        folder.delete("busy")
    folder.delete("busy")
    assert not run.exists()


def test_delete_is_whole_while_another_process_writes_into_the_run(tmp_path: Path) -> None:
    """A writer still putting files into a finished run (its worker ending, the scheduler) made the
    tree removal fail half-way with "directory not empty" (a traceback on the Train page, a broken
    run left in the list). The run leaves the folder in one rename; nothing of it is listed."""
    folder = RunsFolder(tmp_path)
    run = folder.create("ending")
    for i in range(200):
        (run / f"sample_{i}.png").write_bytes(b"x" * 64)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            with contextlib.suppress(
                OSError
            ):  # the run is gone: a writer's own error, as the scheduler's are
                (run / "status.json.tmp").write_bytes(b"{}")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        folder.delete("ending")
    finally:
        stop.set()
        thread.join()
    assert not run.exists() and folder.list_runs() == []
    folder.create("next")
    folder.delete("next")  # the next delete sweeps what the last one left
    assert [p.name for p in tmp_path.iterdir()] == [TRASH_DIR] and not any((tmp_path / TRASH_DIR).iterdir())


def test_clean_temporary_removes_leftovers_of_runs_nobody_holds(tmp_path: Path) -> None:
    folder = RunsFolder(tmp_path)
    done, failed, held = folder.create("done"), folder.create("failed"), folder.create("held")
    (done / CHECKPOINT_FILE).write_bytes(b"x")
    (done / ".checkpoint.safetensors.abc.tmp").write_bytes(b"partial")
    with RunFiles.open(held):
        (held / ".x.tmp").write_bytes(b"being written")  # by the trainer that holds the lock
        removed = folder.clean_temporary()
    assert failed in removed and not failed.exists()  # never got a checkpoint
    assert not (done / ".checkpoint.safetensors.abc.tmp").exists() and (done / CHECKPOINT_FILE).exists()
    assert (held / ".x.tmp").exists()


# ----------------------------------------------------------------------------------- checkpoints


def test_every_checkpoint_comes_with_a_generator_export_that_colorizes(tmp_path: Path) -> None:
    result = Trainer.from_plan(plan_run(RunChoices(**{**_tiny().__dict__, "out": tmp_path}))).fit()
    full, export = load_checkpoint(tmp_path / CHECKPOINT_FILE), load_checkpoint(tmp_path / EXPORT_FILE)
    assert export.is_export and not full.is_export and export.step == full.step == result.step
    for key, value in full.generator.items():
        assert torch.equal(export.generator[key], value)  # the same weights
    assert (tmp_path / EXPORT_FILE).stat().st_size < (tmp_path / CHECKPOINT_FILE).stat().st_size / 3
    generator, _ = load_generator(tmp_path / EXPORT_FILE)
    assert not generator.training


def test_resuming_from_an_export_is_refused_in_words(tmp_path: Path) -> None:
    Trainer.from_plan(plan_run(RunChoices(**{**_tiny().__dict__, "out": tmp_path}))).fit()
    with pytest.raises(
        UserError, match=r"generator-only export.* resume from the run's checkpoint.safetensors.*--init-from"
    ):
        plan_run(RunChoices(resume=tmp_path / EXPORT_FILE, device="cpu"))


# ----------------------------------------------------------------------------------- limits


def test_upload_limits_are_derived_from_the_largest_trainable_checkpoint() -> None:
    largest = largest_app_checkpoint_bytes()
    assert largest == max(max_checkpoint_bytes(*preset(n)) for n in ("notebook", "pix2pix"))
    assert 600 * MiB < largest < checkpoint_upload_limit_bytes() < server_upload_limit_mb() * MiB
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert re.findall(r"^maxUploadSize = (\d+)$", config, re.M) == [str(server_upload_limit_mb())]


def test_the_app_refuses_to_train_what_it_could_not_take_back() -> None:
    g, d = preset("notebook")
    assert check_app_trainable(g, d) <= largest_app_checkpoint_bytes()
    with pytest.raises(UserError, match=r"checkpoints of up to \d+ MiB"):
        check_app_trainable(g.replace(ngf=128), d.replace(ndf=128))


def test_app_runs_option_sets_the_runs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from inspector.cli import main

    seen: dict[str, str] = {}
    monkeypatch.setattr(subprocess, "call", lambda cmd, cwd, env: seen.update(env) or 0)
    assert main(["app", "--runs", str(tmp_path / "r"), "--port", "8600"]) == 0
    assert seen[RUNS_ENV] == str((tmp_path / "r").resolve())
    (tmp_path / "file").write_text("x")
    assert main(["app", "--runs", str(tmp_path / "file")]) == 2
    assert os.environ.get(RUNS_ENV) != str(tmp_path / "r")

"""The run-file writer: one trainer per directory, repaired logs, no links or special files, no stale temps.

Every file is built in the test; no training runs here (tests/cli/test_train.py drives the CLI)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inspector.errors import UserError
from inspector.training.run_files import LOCK_FILE, METRICS_FILE, RunFiles, _kind, check_run_dir
from inspector.training.seeds import STREAMS, seed_for


def _rows(*steps: int) -> bytes:
    return b"".join(json.dumps({"step": s, "G_L1": 0.5 / s}).encode() + b"\n" for s in steps)


def _steps(run: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (run / METRICS_FILE).read_text().splitlines()]


# ------------------------------------------------------------------------------------------- lock


def test_a_second_writer_is_refused_naming_the_process_and_the_lock_goes_with_the_first(
    tmp_path: Path,
) -> None:
    first = RunFiles.open(tmp_path / "run")
    assert (tmp_path / "run" / LOCK_FILE).read_text().strip() == str(os.getpid())
    with pytest.raises(UserError, match=rf"being written by another trainer \(process {os.getpid()}\)"):
        RunFiles.open(tmp_path / "run")
    first.close()
    assert not (tmp_path / "run" / LOCK_FILE).exists()  # released, and its file removed
    with RunFiles.open(tmp_path / "run"):  # free again
        pass
    first.close()  # twice is harmless


def test_a_lock_held_by_another_process_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from inspector.training.run_files import RunFiles; "
            f"f = RunFiles.open({str(run)!r}); print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match=rf"\(process {holder.pid}\)"):
            RunFiles.open(run)
    finally:
        holder.communicate("", timeout=30)  # its stdin closes: it exits, and the kernel drops its lock
    with RunFiles.open(run):
        pass


def test_the_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_FILE).write_text(dead.stdout)  # as a kill -9 leaves it: the file, but no lock
    with RunFiles.open(run):
        assert (run / LOCK_FILE).read_text().strip() == str(os.getpid())
    assert not (run / LOCK_FILE).exists()


# ------------------------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    ("last_line", "reason"),
    [
        (b'{"step": 3, "G_L1": \xff\xfe}', "not valid UTF-8"),
        (b'"a string"', "a JSON str, not an object"),
        (b'{"step": 3, "G_L1": NaN}', "NaN or infinity"),
        (b'{"step": 3, "G_L1": Infinity}', "NaN or infinity"),
        (b'{"step": 3, "G_L1": 1e999}', "NaN or infinity"),
        (b'{"step": 3, "G_L', "not complete JSON"),  # cut off by a kill during a write
        (b"[1, 2]", "a JSON list, not an object"),
        (b'{"G_L1": 0.1}', "no step number"),
        (b'{"step": 2, "G_L1": 0.1}', "step 2 after step 2"),  # two trainers once interleaved: 1, 2, 2
    ],
)
def test_a_bad_last_metrics_line_is_dropped_with_a_warning_on_resume(
    tmp_path: Path, last_line: bytes, reason: str
) -> None:
    (tmp_path / METRICS_FILE).write_bytes(_rows(1, 2) + last_line)
    with RunFiles.open(tmp_path, resume_step=2) as files:
        assert len(files.warnings) == 1
        assert "dropped 1 unreadable row(s) (line 3: " + reason in files.warnings[0]
        files.write_metrics([{"step": 3, "G_L1": 0.1}])
    assert _steps(tmp_path) == [1, 2, 3]


def test_rows_past_the_checkpoint_are_dropped_so_log_and_weights_agree(tmp_path: Path) -> None:
    (tmp_path / METRICS_FILE).write_bytes(_rows(1, 2, 3, 4, 5))
    with RunFiles.open(tmp_path, resume_step=3) as files:
        assert files.warnings == [
            "metrics.jsonl: dropped 2 row(s) past the checkpoint's step 3, so that the log and the weights agree"
        ]
    assert _steps(tmp_path) == [1, 2, 3]


def test_a_consistent_log_is_kept_as_it_is_and_a_new_run_starts_empty(tmp_path: Path) -> None:
    (tmp_path / METRICS_FILE).write_bytes(_rows(1, 2))
    with RunFiles.open(tmp_path, resume_step=2) as files:
        assert files.warnings == []
    assert _steps(tmp_path) == [1, 2]
    with RunFiles.open(tmp_path) as files:  # a new run in a folder without a checkpoint
        assert files.warnings == []
    assert (tmp_path / METRICS_FILE).read_bytes() == b""


# ------------------------------------------------------------------------------------------- links and special files


@pytest.mark.parametrize("name", [METRICS_FILE, "checkpoint.safetensors", "checkpoint.json", LOCK_FILE])
def test_a_symlinked_run_file_is_refused_and_its_target_untouched(tmp_path: Path, name: str) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    run = tmp_path / "run"
    run.mkdir()
    (run / name).symlink_to(target)
    with pytest.raises(UserError, match=rf"{name} is a symbolic link, not a regular file"):
        RunFiles.open(run, resume_step=1)
    assert target.read_text() == "keep me"


@pytest.mark.timeout(20)
def test_a_fifo_metrics_file_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / METRICS_FILE)
    with pytest.raises(UserError, match=r"is a FIFO \(named pipe\), not a regular file"):
        RunFiles.open(tmp_path, resume_step=1)


def test_a_device_run_file_is_refused(tmp_path: Path) -> None:
    try:
        os.mknod(tmp_path / METRICS_FILE, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except (PermissionError, OSError):
        pytest.skip("this machine does not let the tests create a device node")
    with pytest.raises(UserError, match="is a device, not a regular file"):
        RunFiles.open(tmp_path, resume_step=1)


def test_special_files_are_named_in_words() -> None:
    assert _kind(stat.S_IFREG) is None
    assert _kind(stat.S_IFCHR) == _kind(stat.S_IFBLK) == "a device"
    assert _kind(stat.S_IFSOCK) == "a socket" and _kind(stat.S_IFDIR) == "a folder"


def test_a_symlinked_samples_folder_and_a_file_as_run_dir_are_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples").symlink_to(elsewhere)
    with pytest.raises(UserError, match="samples must be a plain folder"):
        check_run_dir(run)
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match="is not a folder"):
        check_run_dir(tmp_path / "file")


# ------------------------------------------------------------------------------------------- temporary files


def test_stale_temporary_files_of_an_interrupted_save_are_removed(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    stale = [
        tmp_path / ".checkpoint.safetensors.k2j3h4.tmp",
        tmp_path / ".checkpoint.json.x1.tmp",
        tmp_path / "samples" / ".step_000004.png.ab12.tmp",
    ]
    for path in stale:
        path.write_bytes(b"\0" * 1000)  # a save killed half-way
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / ".link.tmp").symlink_to(target)
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    with RunFiles.open(tmp_path):
        pass
    assert not any(path.exists() for path in stale) and not (tmp_path / ".link.tmp").is_symlink()
    assert target.read_text() == "keep me" and keep.read_text() == "mine"


def test_samples_are_written_atomically_and_replace_a_link_instead_of_following_it(tmp_path: Path) -> None:
    from PIL import Image

    target = tmp_path / "precious.png"
    target.write_bytes(b"keep me")
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "samples" / "step_000001.png").symlink_to(target)
    grid = np.zeros((8, 24, 3), np.uint8)
    with RunFiles.open(run) as files:
        path = files.save_sample(1, grid)
    assert not path.is_symlink() and Image.open(path).size == (24, 8) and target.read_bytes() == b"keep me"
    assert [p.name for p in (run / "samples").iterdir()] == ["step_000001.png"]


def test_the_log_is_made_durable_before_each_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after a checkpoint must leave every metrics row up to its step on the disk: the
    log's fsync comes before the checkpoint's first byte."""
    from inspector.training import run_files

    order: list[str] = []
    monkeypatch.setattr(run_files, "sync", lambda f: order.append("sync log"))
    monkeypatch.setattr(run_files, "save_checkpoint", lambda *a, **k: order.append("checkpoint") or tmp_path)
    monkeypatch.setattr(run_files, "save_generator_export", lambda *a, **k: order.append("export"))
    with RunFiles.open(tmp_path) as files:
        files.write_metrics([{"step": 1, "G_L1": 0.5}])
        files.save_checkpoint(None, None, 1, {}, {}, {}, {})  # type: ignore[arg-type]
    assert order == ["sync log", "checkpoint", "export"]
    assert _steps(tmp_path) == [1]


# ------------------------------------------------------------------------------------------- seeds


def test_seed_for_keeps_the_streams_of_earlier_versions_and_keeps_them_apart() -> None:
    # The constants of the trainer before seed_for: changing them would change every run's numbers.
    assert seed_for(5, "generator_init") == 5 and seed_for(5, "discriminator_init") == 6
    assert seed_for(5, "dropout", rank=2) == 5 + 2 * 1_000_003
    assert seed_for(5, "batches", rank=1) == 5 * 7919 + 2
    assert seed_for(5, "batches", rank=1, step=20) == 5 * 7919 + 2 + 20 * 104_729
    # Within a stream (one generator), runs and ranks never share a seed; dropout ignores the step.
    assert len({seed_for(s, "dropout", rank) for s in range(3) for rank in range(4)}) == 3 * 4
    assert (
        len({seed_for(s, "batches", rank, step) for s in range(3) for rank in range(4) for step in (0, 10)})
        == 24
    )
    assert seed_for(2**31 - 1, "batches", rank=1023, step=10**9) < 2**63
    assert set(STREAMS) == {"generator_init", "discriminator_init", "dropout", "batches"}
    with pytest.raises(ValueError, match="stream must be one of"):
        seed_for(0, "weights")  # type: ignore[arg-type]

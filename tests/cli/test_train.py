"""``pix2pix-inspector train`` and ``colorize`` end to end on tiny CPU runs."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from inspector.cli import main
from inspector.training.checkpoint import load_checkpoint
from tests.run_folder import FINISHED_RUN

TINY = shlex.split(
    "--ngf 4 --depth 5 --size 32 --batch 2 --device cpu --sample-every 10 --checkpoint-every 10"
)


def _steps(run: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def run20(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--steps", "20", "--out", str(run), *TINY]) == 0
    return run


def test_train_writes_metrics_samples_and_a_checkpoint(run20: Path, capsys) -> None:
    lines = [json.loads(line) for line in (run20 / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in lines] == list(range(1, 21))
    assert {"G_GAN", "G_L1", "D_real", "D_fake", "D(real)", "D(fake)"} <= set(lines[-1])
    assert sorted(p.name for p in (run20 / "samples").glob("*.png")) == [
        "step_000000.png",
        "step_000010.png",
        "step_000020.png",
    ]
    assert Image.open(run20 / "samples" / "step_000020.png").size == (3 * 32, 32 * 2)  # 2 val images
    ckpt = load_checkpoint(run20)
    assert ckpt.step == 20 and ckpt.generator_config.ngf == 4
    meta = json.loads((run20 / "checkpoint.json").read_text())
    assert meta["step"] == 20 and meta["train_config"]["steps"] == 20


def test_resume_trains_up_to_the_total(run20: Path, tmp_path: Path, capsys) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run20, run)
    assert main(["train", "--resume", str(run), "--steps", "30"]) == 0
    assert _steps(run) == list(range(1, 31))
    assert load_checkpoint(run).step == 30
    err = capsys.readouterr().err
    assert "30/30" in err and "21/30" in err and "training finished at step 30 of 30" in err
    assert main(["train", "--resume", str(run), "--steps", "30"]) == 0
    assert "nothing to train" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "100", "--depth", "6"], "depths that fit 100: 2"),
        (["--preset", "notebook-as-written", "--size", "32", "--depth", "5"], "Conv2d(3, 64)"),
        (["--batch", "0"], "expected a positive integer"),
    ],
)
def test_bad_settings_are_one_line_errors(args: list[str], message: str, tmp_path: Path, capsys) -> None:
    # argparse rejects --batch 0 itself (SystemExit 2); our own checks return 2.
    with pytest.raises(SystemExit) if "--batch" in args else contextlib.nullcontext():
        code = main(["train", "--steps", "1", "--device", "cpu", "--out", str(tmp_path / "r"), *args])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_existing_run_is_not_overwritten(run20: Path, capsys) -> None:
    assert main(["train", "--out", str(run20), *TINY]) == 2
    assert "--resume" in capsys.readouterr().err


def test_model_flags_cannot_change_a_resumed_run(run20: Path, capsys) -> None:
    assert main(["train", "--resume", str(run20), "--ngf", "8"]) == 2
    assert "comes from the checkpoint" in capsys.readouterr().err


def test_colorize_with_a_run_dir_and_with_a_file(run20: Path, tmp_path: Path, capsys) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (50, 30), (200, 40, 40)).save(photo)
    out = tmp_path / "out.png"
    assert main(["colorize", str(run20), str(photo), "--out", str(out)]) == 0
    assert Image.open(out).size == (50, 30)
    assert main(["colorize", str(run20 / "checkpoint.safetensors"), str(photo), "--out", str(out)]) == 0
    assert "the model ran at 32x32" in capsys.readouterr().err


def test_colorize_refuses_another_architecture(run20: Path, tmp_path: Path, capsys) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (32, 32)).save(photo)
    code = main(["colorize", str(run20), str(photo), "--out", str(tmp_path / "o.png"), "--preset", "pix2pix"])
    assert code == 2
    err = capsys.readouterr().err
    assert "mis-shaped keys: input_layer.0.weight (checkpoint 4x1x4x4, model 64x1x4x4)" in err


def _long_run(run: Path, ready: Callable[[], bool], what: str) -> subprocess.Popen[str]:
    """`train` in a child process on RUN, returned once ``ready()`` (or failed: it ended or took 120 s)."""
    cmd = [sys.executable, "-m", "inspector.cli", "train", "--steps", "100000", "--out", str(run), *TINY]
    proc = subprocess.Popen(
        cmd,
        cwd=Path(__file__).resolve().parents[2],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None and time.monotonic() < deadline, f"training did not {what}"
        time.sleep(0.1)
    return proc


@pytest.mark.timeout(150)
def test_ctrl_c_stops_after_the_step_with_a_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    metrics = run / "metrics.jsonl"
    proc = _long_run(run, lambda: metrics.exists() and bool(metrics.read_text().strip()), "start")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "stopping after this step" in err and "training stopped at step" in err
    steps = _steps(run)
    assert load_checkpoint(run).step == steps[-1] >= 1


def test_colorize_keeps_the_photos_lightness_and_discards_its_colour(run20: Path) -> None:
    import numpy as np
    from skimage.color import rgb2lab

    from inspector.training.colorize import colorize, load_generator

    generator, ckpt = load_generator(run20)
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    result = colorize(generator, photo)
    assert result.grey.shape == result.colour.shape == result.original.shape == (37, 53, 3)
    assert (result.grey[..., 0] == result.grey[..., 1]).mean() > 0.95  # grey: R = G = B
    # The photo's own L (scikit-image as the oracle) survives; only a and b come from the model.
    L_photo = rgb2lab(result.original)[..., 0]
    L_colour = rgb2lab(result.colour)[..., 0]
    assert np.median(np.abs(L_photo - L_colour)) < 1.0
    # The photo's colours are discarded first: its grey version is colorized (almost, up to uint8
    # rounding of the grey image) the same.
    again = colorize(generator, Image.fromarray(result.grey))
    assert ckpt.step == 20
    assert np.abs(again.colour.astype(int) - result.colour.astype(int)).mean() < 2


def _crafted_copy(run20: Path, tmp_path: Path, edit) -> Path:
    """A copy of the run whose checkpoint's header JSON was edited (as a hand-edit or an attacker would)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from inspector.training.checkpoint_formats import META_KEY

    src = run20 / "checkpoint.safetensors"
    with safe_open(str(src), "pt") as f:
        meta = json.loads(f.metadata()[META_KEY])
    run = tmp_path / "crafted"
    run.mkdir()
    save_file(
        load_file(str(src)), str(run / "checkpoint.safetensors"), metadata={META_KEY: json.dumps(edit(meta))}
    )
    return run


@pytest.mark.parametrize(
    ("command", "edit", "message"),
    [
        ("colorize", lambda m: {**m, "optimizers": {"G": {}, "D": {}}}, "no valid param_groups"),
        ("colorize", lambda m: {**m, "step": "many"}, "step must be an integer"),
        (
            "resume",
            lambda m: {**m, "train_config": {**m["train_config"], "lr": "fast"}},
            "lr must be a number",
        ),
        (
            "resume",
            lambda m: {**m, "train_config": {**m["train_config"], "steps": -1}},
            "steps must be a positive",
        ),
        (
            "resume",
            lambda m: {**m, "train_config": {**m["train_config"], "data": ["list"]}},
            "data must be a string",
        ),
        (
            "resume",
            lambda m: {**m, "train_config": {**m["train_config"], "flip": "no"}},
            "flip must be true or false",
        ),
    ],
)
def test_a_crafted_checkpoint_is_a_one_line_error(
    run20: Path, tmp_path: Path, capsys, command, edit, message
) -> None:
    run = _crafted_copy(run20, tmp_path, edit)
    if command == "colorize":
        photo = tmp_path / "photo.png"
        Image.new("RGB", (32, 32)).save(photo)
        code = main(["colorize", str(run), str(photo), "--out", str(tmp_path / "o.png")])
    else:
        code = main(["train", "--resume", str(run), "--steps", "25"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_colorize_refuses_unreadable_inputs_and_writes_into_a_folder(
    run20: Path, tmp_path: Path, capsys
) -> None:
    import os

    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (20, 120, 40)).save(photo)
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["colorize", str(run20), str(photo), "--out", str(folder)]) == 0
    assert Image.open(folder / "photo-colorized.png").size == (40, 30)
    capsys.readouterr()
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)  # reading it would block forever
    cases = [
        ([str(fifo), str(photo)], "is not a regular file"),
        ([str(run20), str(tmp_path)], "is not a regular file (a folder"),
        ([str(run20), "/dev/zero"], "is not a regular file"),
    ]
    for args, message in cases:
        assert main(["colorize", *args, "--out", str(tmp_path / "o.png")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_colorize_refuses_a_generator_that_is_not_l_to_ab(tmp_path: Path, capsys) -> None:
    from inspector.training.checkpoint import save_checkpoint
    from models import build_discriminator, build_generator, preset

    g, d = preset("notebook")
    g = g.replace(ngf=4, depth=5, input_size=32, in_channels=3)
    save_checkpoint(
        tmp_path / "rgb", build_generator(g), build_discriminator(d.replace(ndf=4, input_size=32)), 1
    )
    photo = tmp_path / "photo.png"
    Image.new("RGB", (32, 32)).save(photo)
    assert main(["colorize", str(tmp_path / "rgb"), str(photo), "--out", str(tmp_path / "o.png")]) == 2
    assert (
        "needs a generator from L (1 channel) to ab (2 channels); this one maps 3 -> 2"
        in capsys.readouterr().err
    )


# ------------------------------------------------------------------------------ a good citizen (issue 11)


def _copy(run20: Path, tmp_path: Path) -> Path:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run20, run)
    return run


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigterm_stops_after_the_step_with_a_checkpoint_and_a_second_trainer_is_refused(
    tmp_path: Path, capsys
) -> None:
    run = tmp_path / "run"
    # Step 10 writes a checkpoint: then a second trainer could resume from it, were it not locked out.
    proc = _long_run(run, (run / "checkpoint.safetensors").exists, "reach step 10")
    # While it trains, a second trainer on the same folder is refused in one line naming the first.
    assert main(["train", "--resume", str(run), "--steps", "100000"]) == 2
    assert f"is being written by another trainer (process {proc.pid})" in _one_line(capsys)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err[-2000:]
    assert "SIGTERM: stopping after this step" in err and "training stopped at step" in err
    steps = _steps(run)
    assert steps == list(range(1, len(steps) + 1))  # one writer: no interleaved rows
    assert load_checkpoint(run).step == steps[-1] >= 10
    assert not (run / ".trainer.lock").exists()  # released on exit


def test_resume_accepts_model_flags_equal_to_the_checkpoints(run20: Path, tmp_path: Path, capsys) -> None:
    run = _copy(run20, tmp_path)
    flags = ["--preset", "notebook", "--ngf", "4", "--depth", "5", "--size", "32"]
    assert main(["train", "--resume", str(run), *flags, "--steps", "21"]) == 0
    assert _steps(run) == list(range(1, 22)) and load_checkpoint(run).step == 21


def test_resume_refuses_only_real_model_changes_and_names_them(run20: Path, capsys) -> None:
    assert main(["train", "--resume", str(run20), "--ngf", "8", "--depth", "5", "--size", "64"]) == 2
    err = _one_line(capsys)
    assert "ngf 8 (the checkpoint's is 4); size 64 (the checkpoint's is 32)" in err and "depth 5" not in err
    assert main(["train", "--resume", str(run20), "--preset", "pix2pix"]) == 2
    assert "preset 'pix2pix' (its dropout, outer_skip, last_stride, end_bias differ" in _one_line(capsys)


@pytest.mark.parametrize(
    ("last_line", "reason"),
    [
        (b'{"step": 21, "G_L1": \xc3\x28}', "not valid UTF-8"),
        (b'"a string"', "a JSON str, not an object"),
        (b'{"step": 21, "G_L1": NaN}', "NaN or infinity"),
        (b'{"step": 21, "G_L1": -Infinity}', "NaN or infinity"),
        (b'{"step": 21, "G_', "not complete JSON"),
    ],
)
def test_resume_repairs_a_bad_last_metrics_line_with_a_warning(
    run20: Path, tmp_path: Path, capsys, last_line: bytes, reason: str
) -> None:
    run = _copy(run20, tmp_path)
    with (run / "metrics.jsonl").open("ab") as f:
        f.write(last_line)
    assert (
        main(["train", "--resume", str(run), "--steps", "20"]) == 0
    )  # nothing to train; the log is repaired
    err = capsys.readouterr().err
    assert f"warning: metrics.jsonl: dropped 1 unreadable row(s) (line 21: {reason}" in err
    assert _steps(run) == list(range(1, 21))


def test_resume_drops_rows_past_the_checkpoint(run20: Path, tmp_path: Path, capsys) -> None:
    run = _copy(run20, tmp_path)
    with (run / "metrics.jsonl").open("a") as f:  # as a crash between checkpoints leaves it
        f.write("".join(json.dumps({"step": s, "G_L1": 0.1}) + "\n" for s in (21, 22, 23)))
    assert main(["train", "--resume", str(run), "--steps", "21"]) == 0
    assert "dropped 3 row(s) past the checkpoint's step 20" in capsys.readouterr().err
    assert _steps(run) == list(range(1, 22))


def test_run_files_that_are_links_or_fifos_are_refused(run20: Path, tmp_path: Path, capsys) -> None:
    import os

    run = _copy(run20, tmp_path)
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (run / "metrics.jsonl").unlink()
    (run / "metrics.jsonl").symlink_to(target)
    assert main(["train", "--resume", str(run), "--steps", "21"]) == 2
    assert "metrics.jsonl is a symbolic link, not a regular file" in _one_line(capsys)
    assert target.read_text() == "keep me"
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    os.mkfifo(fresh / "metrics.jsonl")  # opening it would hang
    assert main(["train", "--out", str(fresh), *TINY, "--steps", "1"]) == 2
    assert "metrics.jsonl is a FIFO (named pipe)" in _one_line(capsys)
    (run / "metrics.jsonl").unlink()
    (run / "checkpoint.safetensors").rename(tmp_path / "real.safetensors")
    (run / "checkpoint.safetensors").symlink_to(tmp_path / "real.safetensors")
    assert main(["train", "--resume", str(run), "--steps", "21"]) == 2
    assert "checkpoint.safetensors is a symbolic link" in _one_line(capsys)


def test_stale_temporary_files_are_removed_at_the_next_start(run20: Path, tmp_path: Path, capsys) -> None:
    run = _copy(run20, tmp_path)
    stale = run / ".checkpoint.safetensors.q8x2.tmp"
    stale.write_bytes(b"\0" * 4096)  # what a kill -9 during a save leaves
    assert main(["train", "--resume", str(run), "--steps", "20"]) == 0
    assert not stale.exists()
    assert sorted(p.name for p in run.iterdir()) == FINISHED_RUN

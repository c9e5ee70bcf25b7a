"""Outputs never destroy inputs: --out checks, device files, folders given for files, port numbers.

Every refusal is one line on stderr with exit code 2, and happens before anything is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from inspector.cli import main
from inspector.training.checkpoint import save_generator_export
from models import build_generator, preset


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with photo.png and a tiny generator export g.safetensors; the current directory."""
    Image.new("RGB", (40, 30), (90, 120, 150)).save(tmp_path / "photo.png")
    g_cfg = preset("notebook")[0].replace(ngf=2, depth=5, input_size=32)
    save_generator_export(tmp_path / "g.safetensors", build_generator(g_cfg))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], message: str) -> None:
    code: object
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusal of an argument
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "out", ["photo.png", "./photo.png", "PHOTO_ABS", "link.png", "hard.png", "photo.xyz"]
)
def test_colorize_never_overwrites_the_photo(work: Path, out: str, capsys) -> None:  # type: ignore[no-untyped-def]
    before = (work / "photo.png").read_bytes()
    (work / "link.png").symlink_to(work / "photo.png")
    os.link(work / "photo.png", work / "hard.png")  # the same file under another name
    out = str(work / "photo.png") if out == "PHOTO_ABS" else out  # photo.xyz would be written as photo.png
    _refused(
        ["colorize", "g.safetensors", "photo.png", "--out", out], capsys, "writing it would destroy the input"
    )
    assert (work / "photo.png").read_bytes() == before


def test_colorize_never_overwrites_the_checkpoint(work: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (work / "g.safetensors").rename(
        work / "model.png"
    )  # a checkpoint is read by structure, whatever its name
    before = (work / "model.png").read_bytes()
    _refused(["colorize", "model.png", "photo.png", "--out", "model.png"], capsys, "is the input model.png")
    assert (work / "model.png").read_bytes() == before


@pytest.mark.parametrize("out", ["/dev/null", "FIFO"])
def test_colorize_refuses_devices_and_pipes_as_outputs(work: Path, out: str, capsys) -> None:  # type: ignore[no-untyped-def]
    if out == "FIFO":
        os.mkfifo(work / "pipe.png")
        out = "pipe.png"
    _refused(["colorize", "g.safetensors", "photo.png", "--out", out], capsys, "is not a regular file")
    assert not Path("/dev/null.png").exists()


def test_colorize_writes_inside_a_folder_given_as_out(work: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (work / "results").mkdir()
    assert main(["colorize", "g.safetensors", "photo.png", "--out", "results"]) == 0
    assert "results/photo-colorized.png" in capsys.readouterr().err
    assert Image.open(work / "results" / "photo-colorized.png").size == (40, 30)
    assert (
        main(["colorize", "g.safetensors", "photo.png", "--out", "new/"]) == 0
    )  # a trailing / means a folder
    assert (work / "new" / "photo-colorized.png").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["colorize", "missing.safetensors", "photo.png"], "does not exist"),
        (["colorize", "g.safetensors", "missing.png"], "does not exist"),
        (["colorize", "g.safetensors", "."], "not a regular file"),
        (["colorize", "/dev/zero", "photo.png"], "not a regular file"),
    ],
)
def test_colorize_input_paths_are_one_line(work: Path, argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _refused(argv, capsys, message)


@pytest.mark.slow  # two weights runs: about 5 s
def test_weights_plot_in_a_folder_writes_inside_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    figures = tmp_path / "figures"
    figures.mkdir()
    argv = ["weights", "--part", "discriminator", "--scheme", "normal", "--plot"]
    assert main([*argv, str(figures)]) == 0
    assert f"wrote {figures / 'weights.png'}" in capsys.readouterr().out
    assert (figures / "weights.png").is_file() and not (tmp_path / "figures.png").exists()
    assert main([*argv, str(tmp_path / "bare")]) == 0  # no suffix: the .png matplotlib adds is named
    assert f"wrote {tmp_path / 'bare.png'}" in capsys.readouterr().out


def test_weights_plot_refuses_a_device_before_any_work(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from inspector.init_study import weights

    monkeypatch.setattr(
        weights, "init_comparison", lambda *a, **k: pytest.fail("worked before checking --plot")
    )
    _refused(["weights", "--plot", "/dev/null"], capsys, "/dev/null is not a regular file")


@pytest.mark.parametrize(("out", "message"), [("/dev/null", "is not a folder"), ("/dev/null/x.gif", "")])
def test_animate_refuses_devices(out: str, message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["animate", "--out", out]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_animate_into_an_existing_folder_named_like_a_gif(tmp_path: Path) -> None:
    frames = tmp_path / "frames.gif"
    frames.mkdir()
    assert main(["animate", "--out", str(frames)]) == 0
    assert len(list(frames.glob("frame_*.png"))) == 4


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http", "8501.5"])
def test_app_port_is_validated(port: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    monkeypatch.setattr(subprocess, "call", lambda *a, **k: pytest.fail("streamlit was started"))
    _refused(["app", "--port", port], capsys, "argument --port: expected a port from 1 to 65535")


def test_output_helpers(tmp_path: Path) -> None:
    from inspector.commands.common import output_file, output_folder, port_number
    from inspector.errors import UserError

    assert output_file(tmp_path, "x.png") == tmp_path / "x.png"
    assert output_file(tmp_path / "a.png", "x.png", inputs=[tmp_path / "b.png"]) == tmp_path / "a.png"
    with pytest.raises(UserError, match="would destroy the input"):
        output_file(tmp_path / "sub" / ".." / "a.png", "x.png", inputs=[tmp_path / "a.png"])
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        output_folder(tmp_path / "f")
    assert port_number("8501") == 8501

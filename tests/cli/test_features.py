"""The CLI's features command: the PNGs it writes, checkpoints, and one-line refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inspector.cli import main
from models import build_discriminator, build_generator, preset

SMALL = ["--preset", "notebook", "--ngf", "4", "--depth", "5", "--size", "32"]


def _photo(path: Path) -> Path:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(path)
    return path


def _pngs(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))


def test_writes_the_grids_the_ablation_and_the_verdict(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert main(["features", *SMALL, "--image", str(_photo(tmp_path / "p.png")), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "feature maps: 12 (3 concatenations)" in text and "encoder_3, encoder_2, encoder_1" in text
    assert "1x1 patches of 94x94 px" in text and "photo p.png at 32x32" in text
    names = _pngs(out)
    assert {"features.png", "skips.png", "verdict.png"} <= set(names)
    assert "features/00_input_layer.png" in names and "features/05_torch.cat_0.png" in names
    assert len([n for n in names if n.startswith("features/")]) == 12
    with Image.open(out / "skips.png") as im:  # 3 skips and "all": four rows
        assert im.height > 4 * 160


def test_default_photo_and_a_checkpoint(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from inspector.training.checkpoint import save_checkpoint

    g, d = preset("pix2pix")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    run = tmp_path / "run"
    ckpt = save_checkpoint(run, build_generator(g), build_discriminator(d), 7)
    before = ckpt.read_bytes()
    assert main(["features", "--checkpoint", str(run), "--channels", "2", "--out", str(run)]) == 0
    text = capsys.readouterr().out
    assert "checkpoint at step 7 (its discriminator)" in text and "photo astronaut at 32x32" in text
    assert "input_layer" in text  # the reference's outer skip is zeroed too
    assert ckpt.read_bytes() == before and (run / "verdict.png").is_file()


def test_never_overwrites_an_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.mkdir()
    photo = _photo(out / "features.png")
    before = photo.read_bytes()
    assert main(["features", *SMALL, "--image", str(photo), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "writing it would destroy the input" in err and err.count("\n") == 1
    assert photo.read_bytes() == before and _pngs(out) == ["features.png"]
    assert main(["features", *SMALL, "--image", str(photo), "--out", str(photo)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--image", "missing.png"], "missing.png does not exist"),
        (["--checkpoint", "nowhere"], "checkpoint nowhere does not exist"),
        (["--channels", "0"], "argument --channels: expected an integer from 1 to 64"),
        (["--size", "48"], "input_size must be a multiple of 2**depth = 32"),
    ],
)
def test_bad_input_is_one_line(argv: list[str], message: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        code = main(["features", *SMALL, *argv, "--out", str(tmp_path / "o")])
    except SystemExit as exc:  # argparse's own refusal
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_file_that_is_no_image(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    assert main(["features", *SMALL, "--image", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "not an image" in capsys.readouterr().err


def test_architecture_flags_need_a_preset_with_a_checkpoint(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["features", "--checkpoint", str(tmp_path), "--ngf", "4", "--out", str(tmp_path / "o")]) == 2
    assert "need --preset" in capsys.readouterr().err


@pytest.mark.slow
def test_the_notebook_at_256(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["features", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "feature maps: 21 (6 concatenations)" in text and "8x8 patches of 94x94 px" in text

"""``pix2pix-inspector checkpoint``: the contract users and tests rely on (text, JSON keys, exit codes
0 / 1 / 2, one line and no traceback on bad input), and ``colorize`` / ``train --init-from`` with
nothing but a foreign file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image

from inspector.cli import main
from inspector.data.samples import sample_photo
from tests.checkpoints.files import saved, trained_like
from tests.models.reference_nets import reference_patchgan, reference_unet
from tests.training.test_torch_zip import _claiming


@pytest.fixture
def reference_g(tmp_path: Path) -> Path:
    """The reference code's unet_128 at ngf 8, saved by DataParallel: latest_net_G.pth."""
    torch.manual_seed(0)
    return saved(
        tmp_path / "latest_net_G.pth",
        trained_like(reference_unet(num_downs=7, ngf=8)).state_dict(),
        "module.",
    )


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_reference_generator_is_identified_in_words(
    reference_g: Path, golden: Callable[[str, str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["checkpoint", str(reference_g)], capsys)
    assert code == 0
    golden("checkpoint_reference_unet128.txt", out)


def test_a_mismatch_with_a_preset_exits_1_with_the_settings(
    reference_g: Path, golden: Callable[[str, str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["checkpoint", str(reference_g), "--preset", "pix2pix"], capsys)
    assert code == 1
    golden("checkpoint_reference_unet128_vs_pix2pix.txt", out)
    code, out, _ = _run(
        ["checkpoint", str(reference_g), "--preset", "pix2pix", "--ngf", "8", "--depth", "7"], capsys
    )
    assert code == 0 and "generator fits preset pix2pix" in out


def test_json_keys(reference_g: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["checkpoint", str(reference_g), "--json", "--preset", "pix2pix"], capsys)
    data = json.loads(out)
    assert code == 1 and {"part", "config", "source", "proven", "problems"} <= set(data)
    assert data["part"] == "generator" and data["source"] == "reference" and data["proven"] is True
    assert data["config"]["ngf"] == 8 and data["config"]["depth"] == 7
    assert data["fit"]["generator"]["fits"] is False
    assert data["fit"]["generator"]["differences"] == ["trained with ngf 8, depth 7; this is ngf 64, depth 8"]
    both = tmp_path / "both.pth"
    torch.save(
        {"G": reference_unet(num_downs=7, ngf=4).state_dict(), "D": reference_patchgan(ndf=4).state_dict()},
        both,
    )
    data = json.loads(_run(["checkpoint", str(both), "--json"], capsys)[1])
    assert data["part"] == "both" and set(data["config"]) == {"generator", "discriminator"}
    assert data["source"] == {"generator": "reference", "discriminator": "reference"}


def test_export_and_compare(reference_g: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "ours.safetensors"
    code, out, _ = _run(["checkpoint", str(reference_g), "--export", str(out_file)], capsys)
    assert code == 0 and out_file.exists() and f"exported generator to {out_file}" in out
    png = tmp_path / "cmp.png"
    code, out, err = _run(
        ["checkpoint", str(reference_g), "--compare", str(out_file), "--out", str(png)], capsys
    )
    assert (
        code == 0 and "relative change" in out and "mean 0.00, max 0.00 Lab units" in out
    )  # the same weights
    assert Image.open(png).size[1] == 128 and "wrote" in err
    other = saved(tmp_path / "other.pth", reference_unet(num_downs=7, ngf=4).state_dict())
    code, out, _ = _run(["checkpoint", str(reference_g), "--compare", str(other)], capsys)
    assert code == 1 and "different architectures: trained with ngf 8; this is ngf 4" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"\x80\x04\x95junk"), "is a Python pickle"),
        (lambda p: p.write_bytes(b"not a checkpoint"), "neither a safetensors file nor a PyTorch zip"),
        (lambda p: p.write_bytes(_claiming(10**9)), "declares"),  # a storage the file does not hold
        (lambda p: None, "does not exist"),
    ],
)
def test_unreadable_or_refused_files_exit_2_in_one_line(
    tmp_path: Path, make: Callable[[Path], object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.pth"
    make(path)
    code, out, err = _run(["checkpoint", str(path)], capsys)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_combinations_exit_2(reference_g: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["checkpoint", str(reference_g), "--ngf", "8"], capsys)[0] == 2  # flags need --preset
    assert (
        _run(["checkpoint", str(reference_g), "--image", "x.png"], capsys)[0] == 2
    )  # --image needs --compare
    code, _, err = _run(["checkpoint", str(reference_g), "--export", str(reference_g)], capsys)
    assert code == 2 and "would destroy the input" in err


def test_unknown_weights_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(tmp_path / "x.pth", {"backbone.weight": torch.zeros(2, 2)})
    code, out, _ = _run(["checkpoint", str(path)], capsys)
    assert code == 1 and "not recognized; NOT proven" in out and "backbone.weight" in out


def test_colorize_with_nothing_but_the_reference_file(
    reference_g: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "photo.png"
    sample_photo("coffee", 96).save(photo)
    code, _, err = _run(["colorize", str(reference_g), str(photo), "--out", str(tmp_path / "c.png")], capsys)
    assert code == 0 and Image.open(tmp_path / "c.png").size == (96, 96) and "ran at 128x128" in err

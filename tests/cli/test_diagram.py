"""``pix2pix-inspector diagram``: files a slide can use, the slide options, and refused outputs."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from inspector.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot binary is not installed")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _dot(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["diagram", *argv]) == 0
    return capsys.readouterr().out


def _nodes(source: str) -> int:
    """Node statements of DOT text: a line ``name [label=...]`` (edges have ``->``)."""
    return sum(1 for line in source.splitlines() if "[label=" in line and "->" not in line)


@needs_dot
def test_svg_pdf_and_png_are_what_they_say(tmp_path: Path) -> None:
    svg, pdf, png = tmp_path / "u.svg", tmp_path / "u.pdf", tmp_path / "u.png"
    assert main(["diagram", "--preset", "notebook", "--format", "svg", "--out", str(svg)]) == 0
    root = ET.fromstring(svg.read_bytes())  # parseable XML
    assert root.tag.endswith("svg")
    assert main(["diagram", "--preset", "notebook", "--out", str(pdf)]) == 0  # format from the suffix
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main(["diagram", "--preset", "notebook", "--part", "discriminator", "--out", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_direction_sets_rankdir(capsys: pytest.CaptureFixture[str]) -> None:
    tb = _dot(capsys, "--preset", "notebook")
    lr = _dot(capsys, "--preset", "notebook", "--direction", "LR")
    assert "rankdir=TB" in tb and "rankdir=LR" in lr
    assert tb.replace("rankdir=TB", "rankdir=LR") == lr


def test_collapse_folds_the_repeated_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    full = _dot(capsys, "--preset", "notebook")
    folded = _dot(capsys, "--preset", "notebook", "--collapse")
    # encoder_4..6, decoder_6..4 and the three concatenations between them: 9 nodes become 3.
    assert _nodes(folded) == _nodes(full) - 6
    assert "encoder_4 … encoder_6 ×3" in folded and "decoder_6 … decoder_4 ×3" in folded
    assert "torch.cat ×3" in folded


def test_hide_and_show_norm_act(capsys: pytest.CaptureFixture[str]) -> None:
    chain = _dot(capsys, "--preset", "notebook", "--part", "discriminator")
    hidden = _dot(capsys, "--preset", "notebook", "--part", "discriminator", "--hide-norm-act")
    assert "LeakyReLU" in chain and "LeakyReLU" not in hidden and "BatchNorm2d" not in hidden
    assert _nodes(hidden) == _nodes(chain) - 7  # 4 LeakyReLU + 3 BatchNorm2d
    shown = _dot(capsys, "--preset", "notebook", "--show-norm-act")
    assert "LeakyReLU\nConv2d(64, 128)\nBatchNorm2d(128)" in shown  # every layer as the notebook writes it
    with pytest.raises(SystemExit) as stop:  # argparse refuses both, in one line
        main(["diagram", "--hide-norm-act", "--show-norm-act"])
    assert stop.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_korean_labels(capsys: pytest.CaptureFixture[str]) -> None:
    ko = _dot(capsys, "--preset", "notebook-as-written", "--part", "discriminator", "--lang", "ko")
    assert HANGUL.search(ko) and "fontname=NanumGothic" in ko
    assert "encoder" not in ko and "model.2" in ko  # module names stay as PyTorch writes them


@needs_dot
def test_a_folder_writes_inside_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "diagram",
                "--preset",
                "pix2pix",
                "--part",
                "discriminator",
                "--format",
                "png",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert (tmp_path / "pix2pix_discriminator.png").read_bytes().startswith(b"\x89PNG")
    assert "wrote" in capsys.readouterr().out


def test_refused_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "net.py"
    model.write_text("from torch import nn\n\ndef Net():\n    return nn.Sequential(nn.Conv2d(3, 8, 3))\n")
    before = model.read_text()
    cases = [
        ["diagram", f"{model}:Net", "--out", str(model)],  # the input itself (and not a diagram suffix)
        ["diagram", "--format", "pdf", "--out", str(tmp_path / "u.svg")],  # suffix and format disagree
        ["diagram", "--out", str(tmp_path / "missing" / "u.svg")],  # no such folder
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err, err
    assert model.read_text() == before

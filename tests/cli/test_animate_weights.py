"""The CLI's animate and weights commands: outputs, files, JSON and one-line errors."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from inspector.cli import main

ANIMATE_4 = ["animate", "--in-size", "4", "--kernel", "4", "--stride", "2", "--padding", "1"]


def test_animate_writes_a_gif(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "anim.gif"
    assert main([*ANIMATE_4, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "= 2" in text and "4 frames" in text
    with Image.open(out) as im:
        assert im.n_frames == 4


def test_animate_transposed_views(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.gif"
    assert main([*ANIMATE_4, "--transposed", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "(4 - 1)·2 - 2·1 + 1·(4 - 1) + 0 + 1 = 8" in text and "stuff 1 zero" in text
    with Image.open(out) as im:
        assert im.n_frames == 16  # scatter: one per input cell
    frames = tmp_path / "frames"
    assert (
        main(
            [
                "animate",
                "--in-size",
                "2",
                "--kernel",
                "2",
                "--stride",
                "2",
                "--padding",
                "0",
                "--dilation",
                "2",
                "--output-padding",
                "1",
                "--transposed",
                "--view",
                "equivalent",
                "--out",
                str(frames),
            ]
        )
        == 0
    )
    # out = (2 - 1)·2 - 0 + 2·(2 - 1) + 1 + 1 = 6 -> 36 gather frames
    assert len(list(frames.glob("frame_*.png"))) == 36


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--in-size", "3", "--kernel", "5", "--padding", "0"], "output size below 1"),
        (["--kernel", "0"], "kernel must be in"),
        (["--transposed", "--output-padding", "2"], "smaller than either stride or dilation"),
        (["--view", "scatter"], "view must be one of gather"),
        (["--out", "x.txt"], "--out must end in .gif"),
    ],
)
def test_animate_errors_are_one_line(argv, message, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["animate", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["animate", "--seed", "-5"], "argument --seed: expected an integer >= 0"),
        (
            ["animate", "--duration", "1000000000"],
            "argument --duration: expected an integer from 10 to 60000",
        ),
        (["weights", "--gain", "inf"], "argument --gain: expected a finite positive number"),
        (["weights", "--gain", "1e308"], "gain must be a number in (0, 10.0]"),
        (
            ["weights", "--seed", "99999999999999999999"],
            "argument --seed: expected a seed from 0 to 2147483647",
        ),
        (
            ["train", "--seed", "99999999999999999999"],
            "argument --seed: expected a seed from 0 to 2147483647",
        ),
        (["trace", "--input", "1,1,99999999999999999999,4"], "every size must be at most 1,048,576"),
    ],
)
def test_out_of_range_numbers_are_one_line_naming_the_flag(argv, message, capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusal
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_weights_table_and_activations(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    plot = tmp_path / "w.png"
    assert (
        main(
            [
                "weights",
                "--preset",
                "notebook",
                "--part",
                "discriminator",
                "--scheme",
                "normal",
                "--activations",
                "--plot",
                str(plot),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2,765,568 parameters" in out
    assert "N(0, 0.02)" in out and "N(1, 0.02)" in out and "mixture of 5" in out
    assert "model.11" in out and "eval mode" in out and "(1, 3, 64, 64)" in out
    assert Image.open(plot).size[0] > 0


def test_weights_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "weights",
                "--preset",
                "pix2pix",
                "--part",
                "discriminator",
                "--json",
                "--bins",
                "20",
                "--scheme",
                "kaiming",
                "--activations",
                "--mode",
                "train",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data["weights"]) == {"as built", "kaiming"}
    conv = data["weights"]["as built"]["groups"]["all_conv"]
    assert len(conv["counts"]) == 20 and sum(conv["counts"]) == conv["numel"]
    assert data["weights"]["kaiming"]["tensors"][0]["rule"].startswith("kaiming_normal_")
    assert data["activations"]["kaiming"]["mode"] == "train"


def test_weights_refuses_a_broken_forward(capsys: pytest.CaptureFixture[str]) -> None:
    # The notebook's typo builds (weights fine) but cannot run: the activation pass says so.
    assert (
        main(["weights", "--preset", "notebook-as-written", "--part", "discriminator", "--activations"]) == 2
    )
    assert "cannot run a forward pass" in capsys.readouterr().err

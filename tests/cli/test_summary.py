"""The CLI's summary and app commands, its help, and its one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from inspector.cli import build_parser, main


def test_summary_pix2pix_prints_the_reference_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--preset", "pix2pix"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 54,409,858" in out
    assert "[1, 2, 256, 256]" in out


def test_summary_discriminator_batch_and_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "summary",
                "--preset",
                "notebook",
                "--part",
                "discriminator",
                "--batch",
                "4",
                "--input-size",
                "512",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Total params: 2,765,568" in out
    assert "[4, 1, 16, 16]" in out  # 512 / 2**5


def test_a_discriminator_size_the_u_net_could_not_take(capsys: pytest.CaptureFixture[str]) -> None:
    # 64 is no multiple of 2**8 (the U-Net's depth), but the PatchGAN takes it: 64 -> 32 -> 16 -> 8 -> 4 -> 2
    assert main(["summary", "--part", "discriminator", "--input-size", "64"]) == 0
    out = capsys.readouterr().out
    assert "[1, 1, 2, 2]" in out and "Total params: 2,765,568" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "--preset", "nope"], "invalid choice: 'nope'"),
        (["summary", "--input-size", "0"], "expected a positive integer, got 0"),
        (["summary", "--input-size", "300"], "multiple of 2**depth = 256"),
        (["summary", "--part", "both"], "invalid choice: 'both'"),
        (
            ["summary", "--preset", "notebook-as-written", "--part", "discriminator"],
            "pix2pix-inspector doctor",
        ),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def _commands() -> list[str]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def test_help_everywhere() -> None:
    # As a user runs it, in a fresh process; every registered command answers --help.
    out = subprocess.run(
        [sys.executable, "-m", "inspector.cli", "--help"], capture_output=True, text=True, check=True
    )
    commands = _commands()
    assert {"summary", "app"} <= set(commands)
    for command in commands:
        assert command in out.stdout


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: pix2pix-inspector {command}" in capsys.readouterr().out


def test_compare_lists_the_notebook_differences(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["compare", "--preset", "notebook", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    points = {(r["network"], r["point"]) for r in rows}
    assert ("generator", "outermost skip") in points and ("discriminator", "strides") in points
    assert all(r["differs"] for r in rows)
    assert main(["compare", "--preset", "pix2pix"]) == 0
    assert "identical to the pix2pix reference" in capsys.readouterr().out

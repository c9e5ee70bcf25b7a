"""Golden files for the CLI's text output (summary, trace, doctor) and the U diagram's DOT source.

A change that alters any of these texts shows up as a diff of the file under tests/golden/;
regenerate with ``pytest tests/cli/test_golden.py --overwrite`` and review it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from inspector.cli import main
from inspector.shapes.diagram import diagram_dot
from inspector.shapes.trace import trace
from models import build_discriminator, build_generator, preset

CASES = {
    "summary_pix2pix.txt": (["summary", "--preset", "pix2pix"], 0),
    "summary_notebook_discriminator_b4_512.txt": (
        ["summary", "--preset", "notebook", "--part", "discriminator", "--batch", "4", "--input-size", "512"],
        0,
    ),
    "trace_notebook.txt": (["trace", "--preset", "notebook"], 0),
    "trace_pix2pix_discriminator.txt": (["trace", "--preset", "pix2pix", "--part", "discriminator"], 0),
    "doctor_notebook_as_written_discriminator.txt": (
        ["doctor", "--preset", "notebook-as-written", "--part", "discriminator"],
        1,
    ),
    "doctor_notebook_300.txt": (["doctor", "--preset", "notebook", "--input", "1,1,300,300"], 1),
    "doctor_notebook_healthy.txt": (["doctor", "--preset", "notebook"], 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_text_output(
    name: str, golden: Callable[[str, str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    argv, code = CASES[name]
    assert main(argv) == code
    golden(name, capsys.readouterr().out)


@pytest.mark.parametrize("preset_id", ["notebook", "pix2pix"])
def test_u_diagram_dot(preset_id: str, golden: Callable[[str, str], None]) -> None:
    g_cfg, _ = preset(preset_id)
    with torch.device("meta"):  # the shapes only: nothing is allocated
        generator = build_generator(g_cfg)
    golden(f"unet_{preset_id}.dot", diagram_dot(trace(generator, (1, 1, 256, 256))))


def test_discriminator_chain_dot(golden: Callable[[str, str], None]) -> None:
    _, d_cfg = preset("notebook")
    golden(
        "chain_notebook_discriminator.dot", diagram_dot(trace(build_discriminator(d_cfg), (1, 3, 256, 256)))
    )


SLIDE_CASES = {
    "unet_notebook_collapse_lr.dot": ("notebook", "generator", "--collapse --direction LR"),
    "unet_notebook_show_norm_act.dot": ("notebook", "generator", "--show-norm-act"),
    "chain_notebook_as_written_hide_ko.dot": (
        "notebook-as-written",
        "discriminator",
        "--hide-norm-act --lang ko",
    ),
}


@pytest.mark.parametrize("name", sorted(SLIDE_CASES))
def test_slide_diagram_dot(
    name: str, golden: Callable[[str, str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    preset_id, part, options = SLIDE_CASES[name]
    assert main(["diagram", "--preset", preset_id, "--part", part, *options.split()]) == 0
    golden(name, capsys.readouterr().out)

"""A pasted print(model) rebuilt without running any code; model files listed without importing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from inspector.doctor.diagnose import diagnose
from inspector.doctor.repr_parser import parse_model_repr
from inspector.errors import UserError
from inspector.shapes.loader import model_files, parse_input_shape
from inspector.ui import notebook_code as nb


def _notebook_discriminator_printout() -> str:
    namespace: dict[str, object] = {}
    exec(compile("import torch.nn as nn\n" + nb.DISCRIMINATOR_AS_WRITTEN, "notebook.py", "exec"), namespace)
    cls = namespace["Pix2Pix_Discriminator"]
    assert isinstance(cls, type)
    return str(cls())


def test_the_notebooks_printed_discriminator_is_rebuilt_and_the_typo_found() -> None:
    text = _notebook_discriminator_printout()
    model = parse_model_repr(text)
    assert str(model).splitlines()[1:] == text.splitlines()[1:]  # the same layers, the same names
    d = diagnose(model, (1, 3, 256, 256))
    assert [(p.module, p.expected, p.actual) for p in d.problems] == [
        ("model.2", 3, 64),
        ("model.3", 128, 64),
    ]
    assert all(p.verified for p in d.problems)


def test_a_plain_sequential_printout_runs_like_the_original() -> None:
    original = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 2)
    )
    rebuilt = parse_model_repr(str(original))
    assert str(rebuilt) == str(original)
    assert rebuilt(torch.zeros(1, 1, 8, 8)).shape == original(torch.zeros(1, 1, 8, 8)).shape


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Sequential(\n  (0): Conv2d(__import__('os').system('echo hi'))\n)", "not plain numbers"),
        ("Sequential(\n  (0): Evil(3)\n)", "Evil is not a standard layer"),
        ("Sequential(\n  (0): Conv2d(3, 64, kernel_size=(4, 4)\n", "are not plain numbers"),
        ("Sequential(\n  0: Conv2d(3, 64, 3)\n)", "expected '(name): Layer(...)'"),
        ("Sequential(\n  (0): Conv2d(3, 64, 3)\n", "ends before the ')'"),
        ("import os", "starts with the model's class"),
        ("Net(\n  (a): Conv2d(3, 4, 3)\n  (b): Conv2d(4, 4, 3)\n)", "forward cannot be known"),
        ("Sequential(\n  (0): Conv2d(3, -1, 3)\n)", "cannot be built"),
        ("", "paste the text"),
    ],
)
def test_anything_else_is_one_clear_sentence(text: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        parse_model_repr(text)


def test_model_files_are_listed_without_importing(tmp_path: Path) -> None:
    (tmp_path / "unet.py").write_text(
        "raise SystemExit('imported!')\n"
        "from torch import nn\n\n"
        "class UNet(nn.Module):\n    pass\n\n"
        "def make():\n    return UNet()\n\n"
        "def helper(x):\n    return x\n"
    )
    (tmp_path / "broken.py").write_text("class (:\n")
    (tmp_path / "notes.txt").write_text("not python")
    assert model_files(tmp_path) == [("unet.py", ["UNet", "make"])]
    with pytest.raises(UserError, match="is not a folder"):
        model_files(tmp_path / "unet.py")


def test_input_shapes_of_any_rank() -> None:
    assert parse_input_shape("1,2,16") == (1, 2, 16)
    assert parse_input_shape("1x1x8x16x16") == (1, 1, 8, 16, 16)
    with pytest.raises(UserError, match="expected 4 sizes B,C,H,W"):
        parse_input_shape("1,3")

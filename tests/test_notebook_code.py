"""The notes' cells the pages show (``inspector.ui.notebook_code``, read from ``notes_code/``):
they run, and they build the notes' networks with the parameter counts the seed README checked."""

from __future__ import annotations

import difflib

import pytest
import torch
from torch import nn

from inspector.ui import notebook_code as nb


def _build(source: str, cls: str) -> nn.Module:
    namespace: dict[str, object] = {}
    exec(compile("import torch\nimport torch.nn as nn\n" + source, "notes.py", "exec"), namespace)
    model = namespace[cls]
    assert isinstance(model, type)
    with torch.device("meta"):  # shapes and counts only: no 54M weights drawn on the CPU
        return model()


def _params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_the_generator_cell_is_the_notebooks_generator() -> None:
    G = _build(nb.GENERATOR, "Pix2Pix_Generator")
    assert _params(G) == 54_407_810
    names = [name for name, _ in G.named_children()]
    assert (
        names[:3] == ["input_layer", "encoder_1", "encoder_2"] and "middle" in names and "decoder_6" in names
    )
    out = G(torch.empty(1, 1, 256, 256, device="meta"))
    assert out.shape == (1, 2, 256, 256)


def test_the_discriminator_as_written_keeps_its_typo_and_the_fixed_one_runs() -> None:
    changed = [
        line
        for line in difflib.ndiff(nb.DISCRIMINATOR_AS_WRITTEN.splitlines(), nb.DISCRIMINATOR.splitlines())
        if line.startswith(("- ", "+ "))
    ]
    assert [c[0] + " " + c[2:].strip() for c in changed] == [
        "- nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),",
        "+ nn.Conv2d(64, 128, kernel_size=4, stride=2, padding=1, bias=False),",
    ]
    x = torch.empty(1, 3, 256, 256, device="meta")
    with pytest.raises(RuntimeError):
        _build(nb.DISCRIMINATOR_AS_WRITTEN, "Pix2Pix_Discriminator")(x)
    D = _build(nb.DISCRIMINATOR, "Pix2Pix_Discriminator")
    assert _params(D) == 2_765_568
    assert D(x).shape[:2] == (1, 1)

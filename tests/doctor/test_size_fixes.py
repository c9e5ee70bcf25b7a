"""The doctor's size fixes per side (issue 10, point 6): the nearest sizes that work, named side by
side, proven by running the model at them; PyTorch is the oracle."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from torch import nn

import inspector.doctor.diagnose as diagnose_module
from inspector.cli import main
from inspector.doctor.diagnose import diagnose
from inspector.shapes.input_sizes import InputSizes, SideSizes, valid_input_sizes
from tests.shapes.side_models import StridedSkip, Symmetric, TinyViT, Volume, pytorch_works

STRIDED_VALID = "valid: H: multiples of 4 (4, 8, 12, ...); W: multiples of 16 (16, 32, 48, ...)"


@pytest.mark.parametrize(
    ("make", "shape", "fix", "first_change"),
    [
        (
            StridedSkip,
            (1, 3, 300, 300),
            f"use a width of 288 or 304 instead of 300 (the height 300 works) ({STRIDED_VALID})",
            "input 1x3x300x300 -> 1x3x300x288",
        ),
        (
            StridedSkip,
            (1, 3, 30, 300),
            "use a height of 28 or 32 instead of 30 and a width of 288 or 304 instead of 300: an input of "
            f"28x288 or 32x304 ({STRIDED_VALID})",
            "input 1x3x30x300 -> 1x3x28x288",
        ),
        (
            Volume,
            (1, 1, 8, 9, 10),
            "use a height of 8 or 12 instead of 9 and a width of 8 or 12 instead of 10 (the depth 8 works): "
            "an input of 8x8x8 or 8x12x12",
            "input 1x1x8x9x10 -> 1x1x8x8x8",
        ),
        (
            TinyViT,
            (1, 3, 32, 32),
            "use a width of 64 instead of 32 (the height 32 works) (valid: H: only 32; W: only 64)",
            "input 1x3x32x32 -> 1x3x32x64",
        ),
    ],
    ids=["one-side", "both-sides", "volume", "vit-32x64"],
)
def test_a_size_problem_names_the_nearest_sizes_per_side(
    make: type[nn.Module], shape: tuple[int, ...], fix: str, first_change: str
) -> None:
    model = make()
    keeps = make is not TinyViT
    assert not pytorch_works(model, shape, keeps, device="cpu")
    (p,) = diagnose(model, shape).problems
    assert p.fix.startswith(fix)
    assert p.verified and [c.text() for c in p.changes] == [first_change]
    # Every size the fix names runs in PyTorch, on the CPU.
    for option in p.options:
        (change,) = option.changes
        assert isinstance(change.new, tuple) and pytorch_works(model, change.new, keeps, device="cpu")


def test_the_size_fix_names_only_sizes_where_the_model_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rule that is wrong for this model (multiples of 8 both ways): 296x296 fails (W), 304x304 runs.
    wrong = InputSizes.same(SideSizes(8, 8), 2, "a rule that is wrong here")
    monkeypatch.setattr(diagnose_module, "valid_input_sizes", lambda model, shape: wrong)
    model = StridedSkip()
    assert not pytorch_works(model, (1, 3, 296, 296), True) and pytorch_works(model, (1, 3, 304, 304), True)
    (p,) = diagnose(model, (1, 3, 300, 300)).problems
    assert p.fix.startswith("use an input size of 304 instead of 300 (valid: multiples of 8")
    assert p.verified and p.changes[0].text() == "input 1x3x300x300 -> 1x3x304x304"
    # Without proofs the doctor names what the rule says, unproven.
    (quick,) = diagnose(model, (1, 3, 300, 300), prove=False).problems
    assert quick.fix.startswith("use an input size of 296 or 304 instead of 300") and not quick.verified


def test_the_sizes_agree_with_the_doctor_on_a_grid() -> None:
    model = StridedSkip()
    sizes = valid_input_sizes(model, (1, 3, 64, 64))
    assert sizes is not None
    for h, w in itertools.product((4, 6, 8, 12, 16, 30, 32), (8, 16, 24, 32, 48, 60, 64)):
        d = diagnose(model, (1, 3, h, w), prove=False)
        kept = d.trace.output_shape == (1, 3, h, w)
        assert sizes.is_valid((h, w)) == (d.ok and kept), (h, w)


def test_the_doctors_json_has_the_rule_of_each_side() -> None:
    d = diagnose(StridedSkip(), (1, 3, 300, 300))
    data = json.loads(json.dumps(d.to_dict()))["valid_input_sizes"]
    assert [(s["side"], s["step"], s["minimum"]) for s in data["sides"]] == [("H", 4, 4), ("W", 16, 16)]
    assert data["text"].startswith("H: multiples of 4") and data["complete"] is True


SIDES_FILE = """
import torch
from torch import nn


class Strided(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(3, 8, 3, stride=(2, 4), padding=1)
        self.down2 = nn.Conv2d(8, 8, 3, stride=(2, 4), padding=1)
        self.up = nn.Upsample(scale_factor=(2, 4))
        self.out = nn.Conv2d(16, 3, 1)

    def forward(self, x):
        a = self.down1(x)
        return self.up(self.out(torch.cat([a, self.up(self.down2(a))], dim=1)))
"""


def test_the_cli_prints_a_rule_per_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sides.py"
    path.write_text(SIDES_FILE)
    assert main(["doctor", f"{path}:Strided", "--input", "1,3,32,64"]) == 0
    out = capsys.readouterr().out
    assert "valid input sizes: H: multiples of 4 (4, 8, 12, ...); W: multiples of 16 (16, 32, 48, ...)" in out
    assert main(["doctor", f"{path}:Strided", "--input", "1,3,32,60"]) == 1
    out = capsys.readouterr().out
    assert "fix: use a width of 48 or 64 instead of 60 (the height 32 works)" in out
    assert "verified: input 1x3x32x60 -> 1x3x32x48" in out


class _ForgotShortcutStride(nn.Module):
    """A residual block whose shortcut lacks the body's stride: channels agree, sizes never do."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Conv2d(8, 8, 3, stride=2, padding=1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.body(x) + x


def test_an_add_of_sizes_the_input_decides_is_a_size_problem() -> None:
    """``y + y.transpose``: runs only when H = W. Fed 8x6, the doctor names 8x8 and proves it."""
    d = diagnose(Symmetric(), (1, 3, 8, 6))
    [problem] = d.problems
    assert problem.kind == "concat" and "adds 1x3x8x6" in problem.message
    assert problem.fix.startswith("use a width of 8 instead of 6 (the height 8 works)")
    assert "ResNet" not in problem.fix and problem.verified
    assert pytorch_works(Symmetric(), (1, 3, 8, 8), keeps_size=True)  # the oracle agrees
    assert not pytorch_works(Symmetric(), (1, 3, 8, 6), keeps_size=True)


def test_an_add_that_no_size_fixes_keeps_the_shortcut_advice() -> None:
    d = diagnose(_ForgotShortcutStride(), (1, 8, 32, 32))
    [problem] = d.problems
    assert problem.fix.startswith("no useful input size fixes this")
    assert "a 1x1 conv with the same stride on the shortcut (ResNet's downsample)" in problem.fix

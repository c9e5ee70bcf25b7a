"""Every way out a fix offers is proven (issue 22): with chained problems, one alternative may need
more changes than it names, or none may work. PyTorch is the oracle: each way the doctor offers,
with the changes it says it needs (and the other problems' fixes), is applied to the model and the
model runs for real."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import torch
from torch import nn

from inspector.doctor.changes import INPUT_CHANGE, Change, apply
from inspector.doctor.diagnose import diagnose
from inspector.doctor.proof import fix_text
from inspector.shapes.meta import meta_copy
from models import build_discriminator, preset
from tests.doctor.test_trust import _pytorch_runs


def _fixed(
    model: nn.Module, shape: tuple[int, ...], changes: Sequence[Change]
) -> tuple[nn.Module, tuple[int, ...]]:
    """The model with ``changes`` applied as a user would, made real on the CPU, and its input shape."""
    copy = meta_copy(model)
    for c in changes:
        if c.module == INPUT_CHANGE:
            assert isinstance(c.new, tuple)
            shape = c.new
        else:
            assert apply(copy, c), c.text()
    return copy.to_empty(device="cpu"), shape


def chain_discriminator() -> nn.Module:
    """The issue's discriminator: body.2 makes 128 channels, body.3 normalizes 64, body.5 takes 64."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1),
            nn.BatchNorm2d(64),
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, 1, 4, 1, 1),
        )
    )


class Body(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = chain_discriminator()[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


CHAINED: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "the issue's discriminator": (Body, (1, 3, 64, 64)),
    "the notebook's discriminator as written": (
        lambda: build_discriminator(preset("notebook-as-written")[1]),
        (1, 3, 256, 256),
    ),
    "a 1-d conv into a GroupNorm": (
        lambda: nn.Sequential(nn.Conv1d(4, 16, 3), nn.GroupNorm(4, 8), nn.Conv1d(8, 2, 1)),
        (1, 4, 10),
    ),
    "a Linear into a LayerNorm": (
        lambda: nn.Sequential(nn.Linear(10, 32), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 4)),
        (2, 10),
    ),
    "a Linear into a BatchNorm1d": (
        lambda: nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4)).eval(),
        (2, 10),
    ),
    "a norm before a depthwise block": (
        lambda: nn.Sequential(
            nn.Conv2d(3, 64, 1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, groups=32),
            nn.BatchNorm2d(32),
            nn.Conv2d(32, 8, 1),
        ).eval(),
        (1, 3, 8, 8),
    ),
    "a depthwise conv into a narrower norm": (
        lambda: nn.Sequential(
            nn.Conv2d(3, 32, 1),
            nn.Conv2d(32, 32, 3, padding=1, groups=32),
            nn.BatchNorm2d(16),
            nn.Conv2d(16, 8, 1),
        ).eval(),
        (1, 3, 8, 8),
    ),
    "a grey photo into an RGB model": (
        lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 4, 3), nn.BatchNorm2d(8)).eval(),
        (1, 1, 16, 16),
    ),
}


@pytest.mark.parametrize("name", list(CHAINED))
def test_every_way_out_offered_runs_in_pytorch(name: str) -> None:
    make, shape = CHAINED[name]
    model = make()
    assert not _pytorch_runs(model, shape)
    d = diagnose(model, shape)
    assert d.problems and all(p.verified and p.offered for p in d.problems)
    for p in d.problems:
        others = [c for q in d.problems if q is not p for c in q.changes]
        for way in p.offered:
            fixed, at = _fixed(model, shape, [*way, *others])
            assert _pytorch_runs(fixed, at), (
                f"{p.module}: {[c.text() for c in way]} with {[c.text() for c in others]}"
            )
        # each way the fix names, and nothing else: one "or" fewer than there are ways
        assert p.fix.count(", or ") == len(p.offered) - 1


def test_the_second_way_says_what_else_it_needs() -> None:
    (p,) = diagnose(Body(), (1, 3, 64, 64)).problems
    assert p.fix == (
        "body.2: Conv2d out_channels 128 -> 64, or body.3: BatchNorm2d num_features 64 -> 128 "
        "(and then body.5 Conv2d in_channels 64 -> 128)"
    )
    assert [[c.text() for c in way] for way in p.offered] == [
        ["body.2 Conv2d out_channels 128 -> 64"],
        ["body.3 BatchNorm2d num_features 64 -> 128", "body.5 Conv2d in_channels 64 -> 128"],
    ]
    assert fix_text(p) == "verified: body.2 Conv2d out_channels 128 -> 64"  # the fewest changes
    data = p.to_dict()["offered"]
    assert [[c["text"] for c in way] for way in data] == [[c.text() for c in way] for way in p.offered]


def test_a_way_out_that_cannot_be_proven_is_not_offered() -> None:
    # A depthwise Conv2d(32, 32, groups=32) cannot make 16 channels (16 is no multiple of 32 groups):
    # only the norm's own count, and the conv after it, remain.
    make, shape = CHAINED["a depthwise conv into a narrower norm"]
    (p,) = diagnose(make(), shape).problems
    assert "out_channels" not in p.fix
    assert [[c.text() for c in way] for way in p.offered] == [
        ["2 BatchNorm2d num_features 16 -> 32", "3 Conv2d in_channels 16 -> 32"]
    ]
    with pytest.raises(ValueError):  # the oracle: PyTorch cannot build the conv that was left out
        nn.Conv2d(32, 16, 3, padding=1, groups=32)


def test_a_depthwise_conv_fed_more_channels_stays_depthwise() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 64, 1),
        nn.Conv2d(32, 32, 3, padding=1, groups=32),
        nn.BatchNorm2d(32),
        nn.Conv2d(32, 8, 1),
    ).eval()
    (p,) = diagnose(model, (1, 3, 8, 8)).problems
    assert p.verified and [c.text() for c in p.changes] == [
        "1 Conv2d in_channels 32 -> 64 (groups and out_channels follow)",
        "2 BatchNorm2d num_features 32 -> 64",
        "3 Conv2d in_channels 32 -> 64",
    ]
    fixed, shape = _fixed(model, (1, 3, 8, 8), p.changes)
    assert fixed[1].groups == 64 and _pytorch_runs(fixed, shape)

"""The doctor's rules table: one rule per layer type, looked up by class, open to new rules."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from inspector.doctor import rules
from inspector.doctor.diagnose import diagnose
from inspector.doctor.exam import Exam
from inspector.doctor.report import Words
from inspector.doctor.rules import RULES, rule, rule_for
from inspector.shapes.recorder import Source


@pytest.fixture
def own_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the table for the test: rules it registers are gone afterwards."""
    monkeypatch.setattr(rules, "RULES", dict(RULES))


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (nn.Conv1d(3, 8, 3), rules.conv),
        (nn.Conv2d(3, 8, 3), rules.conv),
        (nn.Conv3d(3, 8, 3), rules.conv),
        (nn.ConvTranspose2d(8, 4, 4, 2, 1), rules.conv),
        (nn.Linear(4, 2), rules.linear),
        (nn.BatchNorm2d(8), rules.batch_or_instance_norm),
        (nn.InstanceNorm2d(8, affine=True), rules.batch_or_instance_norm),
        (nn.SyncBatchNorm(8), rules.batch_or_instance_norm),
        (nn.GroupNorm(2, 8), rules.group_norm),
        (nn.LayerNorm(8), rules.layer_norm),
        (nn.MaxPool2d(2), rules.pool),
        (nn.AvgPool1d(3), rules.pool),
        (nn.ReLU(), None),
        (nn.Dropout(0.5), None),
        (nn.Identity(), None),
        (nn.AdaptiveAvgPool2d(1), None),
    ],
)
def test_each_layer_type_has_its_rule(module: nn.Module, expected: rules.RuleFn | None) -> None:
    assert rule_for(module) is expected


def test_every_concrete_layer_is_in_the_table_and_a_subclass_takes_its_parents_rule() -> None:
    # The exact classes are keys (an exact-class lookup finds them), not only PyTorch's private bases.
    for cls in (nn.Conv2d, nn.ConvTranspose3d, nn.BatchNorm1d, nn.InstanceNorm3d, nn.MaxPool3d, nn.Linear):
        assert cls in RULES
    assert all(isinstance(k, type) and issubclass(k, nn.Module) for k in RULES)

    class MyNorm(nn.BatchNorm2d):  # no rule of its own: judged as a BatchNorm2d, as before the table
        pass

    assert rule_for(MyNorm(8)) is rules.batch_or_instance_norm


def _pixel_shuffle(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
    """PixelShuffle(r) needs channels divisible by r*r: (B, C*r*r, H, W) -> (B, C, H*r, W*r)."""
    assert isinstance(m, nn.PixelShuffle)
    r2, got = m.upscale_factor**2, x.shape[1]
    if got % r2 == 0:
        return None
    want = max(r2, got // r2 * r2)
    exam.add(
        name,
        "channels",
        want,
        got,
        Words(f"{name} needs a multiple of {r2} channels but gets {got}.", f"give {name} {want} channels"),
    )
    return torch.zeros((x.shape[0], want, *x.shape[2:]), device=x.device, dtype=x.dtype)


def _shuffle_net() -> nn.Sequential:
    # 6 channels cannot be shuffled by 2 (needs a multiple of 4); then a conv that expects 3, not 1.
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.PixelShuffle(2), nn.Conv2d(3, 2, 3)).eval()


def test_a_new_rule_is_one_registered_function(own_table: None) -> None:
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):  # the oracle
        _shuffle_net()(torch.zeros(1, 3, 8, 8))
    # Without a rule, PyTorch's message ends the pass at the shuffle.
    before = diagnose(_shuffle_net(), (1, 3, 8, 8))
    assert [(p.module, p.kind) for p in before.problems] == [("1", "runtime")]

    rule(nn.PixelShuffle)(_pixel_shuffle)
    assert rule_for(nn.PixelShuffle(2)) is _pixel_shuffle
    after = diagnose(_shuffle_net(), (1, 3, 8, 8))
    # The rule's finding with its words, and the pass carried on to the conv after it.
    assert [(p.module, p.kind, p.expected, p.actual) for p in after.problems] == [
        ("1", "channels", 4, 6),
        ("2", "channels", 3, 1),
    ]
    assert after.problems[0].message == "1 needs a multiple of 4 channels but gets 6."
    assert after.problems[0].fix == "give 1 4 channels"
    assert after.trace.output_shape == (1, 2, 14, 14)


def test_a_rule_for_a_subclass_replaces_its_parents(own_table: None) -> None:
    class LayerNorm2d(nn.LayerNorm):  # timm's and ConvNeXt's: normalizes the channels of (B, C, H, W)
        def forward(self, x: Tensor) -> Tensor:
            y = nn.functional.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias)
            return y.permute(0, 3, 1, 2)

    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), LayerNorm2d(8), nn.Conv2d(8, 2, 1))
    assert model(torch.zeros(1, 3, 4, 4)).shape == (1, 2, 4, 4)  # healthy, says PyTorch
    # It overrides forward: judged by running it, never by nn.LayerNorm's "last dims" rule (issue 10:
    # that rule gave it a false alarm, "features"), so it is healthy without a rule of its own...
    assert rule_for(LayerNorm2d(8)) is None and rules.judged_by_running(LayerNorm2d(8))
    assert [p.kind for p in diagnose(model, (1, 3, 4, 4)).problems] == []

    @rule(LayerNorm2d)
    def channels_first(exam: Exam, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
        return None  # (B, C, H, W) with C == normalized_shape[0]: nothing to report here

    assert rule_for(LayerNorm2d(8)) is channels_first and rule_for(nn.LayerNorm(8)) is rules.layer_norm
    assert diagnose(model, (1, 3, 4, 4)).ok  # ...and none with its own rule

"""The changes a fix is made of, and applying them to a meta copy of the model.

A ``Change`` is one field of one layer ("body.5 Conv2d in_channels 64 -> 128") or of the input
("input shape 1x3x300x300 -> 1x3x256x256"). ``apply`` edits the layer with the channel editor
(``inspector.shapes.edit_layers``), as the user would in their code, so that the doctor can run
the model again and prove the fix (``inspector.doctor.proof``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from inspector.shapes.edit_layers import edit, follows
from inspector.shapes.labels import fmt_shape
from models.text import Text, join

INPUT_CHANGE = "input"  # Change.module of a change to the input shape


@dataclass(frozen=True)
class Change:
    """One field of one layer (or of the input), from ``old`` to ``new``."""

    module: str  # qualified name, e.g. "body.5", or "input"
    kind: str  # the layer's class name, e.g. "Conv2d" ("input" for the input)
    field: str  # in_channels, out_channels, num_features, num_channels, in_features, normalized_shape, shape
    old: int | tuple[int, ...]
    new: int | tuple[int, ...]
    follow: tuple[str, ...] = ()  # fields that change with it: a depthwise conv's groups and out_channels

    def text(self) -> str:
        """``"body.5 Conv2d in_channels 64 -> 128"`` or ``"input 1x3x300x300 -> 1x3x256x256"`` (a ``Text``:
        "input" is a word)."""
        if self.module == INPUT_CHANGE:
            old = self.old if isinstance(self.old, int) else fmt_shape(self.old)
            new = self.new if isinstance(self.new, int) else fmt_shape(self.new)
            return Text("input {old} -> {new}", old=old, new=new)
        return self._said(f"{self.module} {self.kind}")

    def fix(self, target: str = "") -> str:
        """The change as a fix writes it: ``"body.5: Conv2d in_channels 64 -> 128"``; ``target`` names
        the layer another way (its block, "decoder_4", when that says which layer)."""
        return self._said(f"{target or self.module}: {self.kind}")

    def _said(self, layer: str) -> str:
        said = f"{layer} {self.field} {self.old} -> {self.new}"
        if self.follow:
            return Text("{change} ({fields} follow)", change=said, fields=join(self.follow, Text(" and ")))
        return said

    def to_dict(self) -> dict[str, Any]:
        """The fields and the text; ``follow`` only where fields follow (the JSON of most changes is as it was)."""
        data = {**asdict(self), "text": self.text()}
        if not self.follow:
            del data["follow"]
        return data


@dataclass(frozen=True)
class Option:
    """One way out of a problem: its changes, and the words of the fix that offer it (``said``;
    "" for a way the proof tries but the fix does not offer, e.g. the nearest input sizes)."""

    changes: tuple[Change, ...]
    said: str = ""


def layer_change(
    name: str, m: nn.Module, field: str, old: int | tuple[int, ...], new: int | tuple[int, ...]
) -> Change:
    """The change of ``field`` of layer ``name`` (``m``), with the fields that follow it."""
    return Change(name, type(m).__name__, field, old, new, follows(m, field))


def input_change(old: tuple[int, ...], new: tuple[int, ...]) -> Change:
    return Change(INPUT_CHANGE, "input", "shape", old, new)


def apply(model: nn.Module, change: Change) -> bool:
    """Apply ``change`` to ``model`` (the doctor's own meta copy) in place; False if it cannot be."""
    if change.module == INPUT_CHANGE:
        return True  # the caller runs at the new shape
    try:
        edit(model, change.module, change.field, change.new)
    except ValueError:
        return False
    return True

"""The changes a fix is made of, and applying them to a meta copy of the model.

A ``Change`` is one field of one layer ("body.5 Conv2d in_channels 64 -> 128") or of the input
("input shape 1x3x300x300 -> 1x3x256x256"). ``apply`` makes the layer anew on the meta device
with the new field, as the user would in their code, so that the doctor can run the model again
and prove the fix (``inspector.doctor.proof``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from inspector.shapes.labels import fmt_shape
from models.text import Text

INPUT_CHANGE = "input"  # Change.module of a change to the input shape


@dataclass(frozen=True)
class Change:
    """One field of one layer (or of the input), from ``old`` to ``new``."""

    module: str  # qualified name, e.g. "body.5", or "input"
    kind: str  # the layer's class name, e.g. "Conv2d" ("input" for the input)
    field: str  # in_channels, out_channels, num_features, num_channels, in_features, normalized_shape, shape
    old: int | tuple[int, ...]
    new: int | tuple[int, ...]

    def text(self) -> str:
        """``"body.5 Conv2d in_channels 64 -> 128"`` or ``"input 1x3x300x300 -> 1x3x256x256"`` (a ``Text``:
        "input" is a word)."""
        if self.module == INPUT_CHANGE:
            old = self.old if isinstance(self.old, int) else fmt_shape(self.old)
            new = self.new if isinstance(self.new, int) else fmt_shape(self.new)
            return Text("input {old} -> {new}", old=old, new=new)
        return f"{self.module} {self.kind} {self.field} {self.old} -> {self.new}"


def input_change(old: tuple[int, ...], new: tuple[int, ...]) -> Change:
    return Change(INPUT_CHANGE, "input", "shape", old, new)


def _param(*shape: int) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape, device="meta"))


def apply(model: nn.Module, change: Change) -> bool:
    """Apply ``change`` to ``model`` (the doctor's own meta copy) in place; False if it cannot be."""
    if change.module == INPUT_CHANGE:
        return True  # the caller runs at the new shape
    try:
        m = model.get_submodule(change.module)
    except AttributeError:
        return False
    if not isinstance(change.new, int):
        return _normalized_shape(m, change) if change.field == "normalized_shape" else False
    new = change.new
    if isinstance(m, nn.modules.conv._ConvNd) and change.field in ("in_channels", "out_channels"):
        return _conv(m, change.field, new)
    if isinstance(m, nn.Linear) and change.field in ("in_features", "out_features"):
        setattr(m, change.field, new)
        m.weight = _param(m.out_features, m.in_features)
        if m.bias is not None:
            m.bias = _param(m.out_features)
        return True
    if change.field in ("num_features", "num_channels"):
        return _norm(m, new)
    if change.field == "normalized_shape":
        return _normalized_shape(m, change)
    return False


def _conv(m: nn.modules.conv._ConvNd, field_name: str, new: int) -> bool:
    old_in, old_out = m.in_channels, m.out_channels
    setattr(m, field_name, new)
    if m.groups > 1 and m.groups in (old_in, old_out):  # depthwise: the groups follow the channels
        m.groups = m.in_channels if m.groups == old_in else m.out_channels
    if m.in_channels % m.groups or m.out_channels % m.groups:
        return False
    k = tuple(m.kernel_size)
    if m.transposed:
        m.weight = _param(m.in_channels, m.out_channels // m.groups, *k)
    else:
        m.weight = _param(m.out_channels, m.in_channels // m.groups, *k)
    if m.bias is not None:
        m.bias = _param(m.out_channels)
    return True


def _norm(m: nn.Module, channels: int) -> bool:
    if isinstance(m, nn.modules.batchnorm._NormBase):
        m.num_features = channels
    elif isinstance(m, nn.GroupNorm):
        if channels % m.num_groups:
            return False
        m.num_channels = channels
    else:
        return False
    for attr in ("weight", "bias"):
        if getattr(m, attr, None) is not None:
            setattr(m, attr, _param(channels))
    for attr in ("running_mean", "running_var"):
        if getattr(m, attr, None) is not None:
            setattr(m, attr, torch.empty(channels, device="meta"))
    return True


def _normalized_shape(m: nn.Module, change: Change) -> bool:
    if not isinstance(m, nn.LayerNorm):
        return False
    new = (change.new,) if isinstance(change.new, int) else tuple(change.new)
    m.normalized_shape = new
    for attr in ("weight", "bias"):
        if getattr(m, attr, None) is not None:
            setattr(m, attr, nn.Parameter(torch.empty(new, device="meta")))
    return True

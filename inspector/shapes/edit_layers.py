"""The one channel editor: change a layer's channel counts as the user would in their code.

Both the Mismatch doctor's table (``layer_channels``, ``with_channels``: break or mend a model on
purpose) and the doctor's proofs (``inspector.doctor.changes``: apply a fix to a meta copy and
run it again) edit layers here, so that a rule is written once:

* a conv or conv-transpose: ``in_channels`` / ``out_channels``. A depthwise conv
  (``groups == in_channels``) keeps being depthwise: its groups follow ``in_channels`` and its
  out_channels keep their multiple (``Conv2d(32, 32, groups=32)`` with in_channels 64 is
  ``Conv2d(64, 64, groups=64)``). Other grouped convs keep their groups, which must divide both.
* ``Linear``: ``in_features`` / ``out_features``.
* batch and instance norms: ``num_features``; ``GroupNorm``: ``num_channels`` (a multiple of
  ``num_groups``); ``LayerNorm`` and ``RMSNorm``: ``normalized_shape``.

The layer is edited in place (its class, and with it a subclass's own ``forward``, is kept: timm's
``BatchNormAct2d``, ``LayerNorm2d``), its parameters and buffers made anew on their device and
dtype with the shapes the class's constructor would give them, and initialized as it would
(``reset_parameters``). Nothing checks that the channels agree: that is the doctor's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from inspector.shapes.meta import meta_copy
from models.text import Text, compose

Conv = nn.modules.conv._ConvNd
ChannelNorm = nn.modules.batchnorm._NormBase  # batch and instance norms: num_features
Value = int | tuple[int, ...]
# Norms over the last dims of their input: normalized_shape (RMSNorm from PyTorch 2.4)
LAST_DIMS_NORMS: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    *([nn.RMSNorm] if hasattr(nn, "RMSNorm") else []),
)
NORM_LAYERS = (ChannelNorm, nn.GroupNorm, *LAST_DIMS_NORMS)  # they keep their input's shape

# The field of each editable kind that holds its width (a norm has one, the others two).
FIELDS: tuple[tuple[type[nn.Module], tuple[str, ...]], ...] = (
    (Conv, ("in_channels", "out_channels")),
    (nn.Linear, ("in_features", "out_features")),
    (ChannelNorm, ("num_features",)),
    (nn.GroupNorm, ("num_channels",)),
    *((norm, ("normalized_shape",)) for norm in LAST_DIMS_NORMS),
)


def fields_of(m: nn.Module) -> tuple[str, ...]:
    """The channel fields the editor can change on ``m`` (none for a layer without channels)."""
    return next((names for kind, names in FIELDS if isinstance(m, kind)), ())


def is_depthwise(m: nn.Module) -> bool:
    """A conv with one group per input channel: ``Conv2d(32, 32, groups=32)``, or a multiple out."""
    return isinstance(m, Conv) and m.groups > 1 and m.groups == m.in_channels


def follows(m: nn.Module, field: str) -> tuple[str, ...]:
    """The fields that change with ``field`` on ``m``: a depthwise conv's groups and out_channels."""
    return ("groups", "out_channels") if field == "in_channels" and is_depthwise(m) else ()


def set_field(m: nn.Module, field: str, value: Value) -> None:
    """Give layer ``m`` a new ``field`` (e.g. ``in_channels`` 64), in place, with its parameters and
    buffers made anew to fit. Raises ``ValueError`` (a ``Text``) when the layer cannot take it: a
    field it does not have, a count below 1, groups that do not divide the channels."""
    if field not in fields_of(m):
        raise ValueError(Text("{layer} has no field {field} to edit", layer=type(m).__name__, field=field))
    shape = (value,) if isinstance(value, int) else tuple(value)
    if not shape or min(shape) < 1:
        raise ValueError(Text("{field} must be at least 1, got {value}", field=field, value=value))
    if isinstance(m, Conv):
        _conv(m, field, shape[0])
    elif isinstance(m, nn.Linear):
        setattr(m, field, shape[0])
        _remake(m, weight=(m.out_features, m.in_features), bias=(m.out_features,))
    elif isinstance(m, LAST_DIMS_NORMS):
        setattr(m, "normalized_shape", shape)  # noqa: B010  # LayerNorm or RMSNorm, not narrowed by the tuple
        _remake(m, weight=shape, bias=shape)
    else:
        _channel_norm(m, shape[0])
    if not all(t.is_meta for t in (*m.parameters(recurse=False), *m.buffers(recurse=False))):
        m.reset_parameters()  # type: ignore[operator]  # every editable layer has it
    # on meta there are no values to initialize


def _conv(m: Conv, field: str, new: int) -> None:
    cin, cout, groups = m.in_channels, m.out_channels, m.groups
    if field == "in_channels" and is_depthwise(m):  # stays depthwise, with the same multiplier
        cin, cout, groups = new, new * (m.out_channels // m.in_channels), new
    elif field == "in_channels":
        cin = new
    else:
        cout = new
    if cin % groups or cout % groups:
        raise ValueError(
            Text(
                "{layer}: in_channels and out_channels must be multiples of groups={groups}, got {cin} -> {cout}",
                layer=type(m).__name__,
                groups=groups,
                cin=cin,
                cout=cout,
            )
        )
    m.in_channels, m.out_channels, m.groups = cin, cout, groups
    k = tuple(m.kernel_size)
    weight = (cin, cout // groups, *k) if m.transposed else (cout, cin // groups, *k)
    _remake(m, weight=weight, bias=(cout,))


def _channel_norm(m: nn.Module, channels: int) -> None:
    if isinstance(m, nn.GroupNorm):
        if channels % m.num_groups:
            raise ValueError(
                Text(
                    "GroupNorm: num_channels must be a multiple of num_groups={groups}, got {channels}",
                    groups=m.num_groups,
                    channels=channels,
                )
            )
        m.num_channels = channels
    else:
        assert isinstance(m, ChannelNorm)  # fields_of sends only these here
        m.num_features = channels
    _remake(m, weight=(channels,), bias=(channels,), running_mean=(channels,), running_var=(channels,))


def _remake(m: nn.Module, **shapes: tuple[int, ...]) -> None:
    """Each parameter or buffer of ``m`` that is there (a norm without affine has no weight) anew
    at its shape, on its device and dtype."""
    for name, shape in shapes.items():
        old = getattr(m, name, None)
        if not isinstance(old, torch.Tensor):
            continue
        new = torch.empty(shape, device=old.device, dtype=old.dtype)
        setattr(
            m,
            name,
            nn.Parameter(new, requires_grad=old.requires_grad) if isinstance(old, nn.Parameter) else new,
        )


def edit(model: nn.Module, name: str, field: str, value: Value) -> None:
    """``set_field`` on layer ``name`` of ``model``; ``ValueError`` naming it for an unknown name."""
    try:
        m = model.get_submodule(name)
    except AttributeError:
        raise ValueError(Text("no layer named {name}", name=repr(name))) from None
    set_field(m, field, value)


# --- the Mismatch doctor's table: one row per layer with channels ---
@dataclass(frozen=True)
class LayerChannels:
    """One editable layer: for a norm, ``in_channels == out_channels`` (its one count)."""

    name: str
    kind: str
    in_channels: int
    out_channels: int
    single_count: bool = False  # a norm: one channel count (num_features), not an in and an out

    def edited(self, in_channels: int, out_channels: int) -> tuple[int, int]:
        """The (in, out) an edit of this layer's row means.

        A norm has one count, so the number the user changed is taken for both: editing 128 -> 64
        in either column gives (64, 64). Other layers take the two numbers as they are.
        """
        if not self.single_count:
            return in_channels, out_channels
        count = in_channels if in_channels != self.in_channels else out_channels
        return count, count


def _counts(m: nn.Module) -> tuple[int, int] | None:
    """(in, out) of a layer with channels; a norm's one count twice; None for a LayerNorm over
    several dims (no channel count) and for a layer without channels."""
    values = [getattr(m, f) for f in fields_of(m)]
    if len(values) == 1 and isinstance(values[0], tuple):  # normalized_shape: one dim is a count
        values = list(values[0]) if len(values[0]) == 1 else []
    if len(values) == 1:
        values *= 2
    return (values[0], values[1]) if len(values) == 2 else None


def layer_channels(model: nn.Module) -> list[LayerChannels]:
    """The conv / norm / linear layers of ``model`` in definition order, with their channels."""
    rows = []
    for name, m in model.named_modules():
        counts = _counts(m)
        if counts is not None:
            rows.append(LayerChannels(name, type(m).__name__, *counts, single_count=len(fields_of(m)) == 1))
    return rows


def with_channels(model: nn.Module, changes: Mapping[str, tuple[int, int]]) -> nn.Module:
    """A meta copy of ``model`` with layer ``name``'s channels set to (in, out) for each change.

    For a norm the first number is its count. Raises ``ValueError`` naming the layer for an
    unknown name, a count below 1 or channels its groups do not divide.
    """
    copy = meta_copy(model)
    modules = dict(copy.named_modules())
    for name, counts in changes.items():
        m = modules.get(name)
        if m is None or _counts(m) is None:
            raise ValueError(Text("no conv, norm or linear layer named {name}", name=repr(name)))
        if min(counts) < 1:
            raise ValueError(
                Text(
                    "{name}: channels must be at least 1, got {cin} -> {cout}",
                    name=name,
                    cin=counts[0],
                    cout=counts[1],
                )
            )
        for i, field in enumerate(fields_of(m)):
            now = _counts(m)
            if now is not None and now[i] != counts[i]:  # a depthwise conv's out may have followed its in
                try:
                    set_field(m, field, counts[i])
                except ValueError as exc:
                    raise ValueError(compose("{name}: {error}", name=name, error=exc.args[0])) from None
    return copy

"""Change the channel counts of any model's layers, to break or mend it on purpose.

The mismatch doctor's editable table lists every conv, conv-transpose, norm and linear layer
with its channels (``layer_channels``); ``with_channels`` returns a meta copy where the edited
layers are rebuilt with the new counts and every other setting kept (kernel, stride, padding,
bias...). Nothing checks that the channels agree: that is the doctor's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from torch import nn

from inspector.shapes.meta import meta_copy

_NORMS = (nn.modules.batchnorm._NormBase, nn.GroupNorm)  # one channel count each
_EDITABLE = (nn.modules.conv._ConvNd, *_NORMS, nn.Linear)


@dataclass(frozen=True)
class LayerChannels:
    """One editable layer: for a norm, ``in_channels == out_channels == num_features``."""

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


def _counts(m: nn.Module) -> tuple[int, int]:
    if isinstance(m, nn.modules.conv._ConvNd):
        return m.in_channels, m.out_channels
    if isinstance(m, nn.modules.batchnorm._NormBase):
        return m.num_features, m.num_features
    if isinstance(m, nn.GroupNorm):
        return m.num_channels, m.num_channels
    if isinstance(m, nn.Linear):
        return m.in_features, m.out_features
    raise TypeError(f"{type(m).__name__} has no channels to edit")


def layer_channels(model: nn.Module) -> list[LayerChannels]:
    """The conv / norm / linear layers of ``model`` in definition order, with their channels."""
    return [
        LayerChannels(name, type(m).__name__, *_counts(m), single_count=isinstance(m, _NORMS))
        for name, m in model.named_modules()
        if isinstance(m, _EDITABLE)
    ]


def _rebuilt(m: nn.Module, cin: int, cout: int) -> nn.Module:
    """A new layer like ``m`` with other channels, on the meta device."""
    if isinstance(m, nn.modules.conv._ConvNd):
        if cin % m.groups or cout % m.groups:
            raise ValueError(f"channels must be multiples of groups={m.groups}, got {cin} -> {cout}")
        kwargs = {
            "kernel_size": m.kernel_size,
            "stride": m.stride,
            "padding": m.padding,
            "dilation": m.dilation,
            "groups": m.groups,
            "bias": m.bias is not None,
            "padding_mode": m.padding_mode,
            "device": "meta",
        }
        if m.transposed:
            kwargs["output_padding"] = m.output_padding
        return type(m)(cin, cout, **kwargs)  # type: ignore[arg-type]  # the layer's own values, as typed
    if isinstance(m, nn.modules.batchnorm._NormBase):
        return type(m)(
            cin,
            eps=m.eps,
            momentum=m.momentum,
            affine=m.affine,
            track_running_stats=m.track_running_stats,
            device="meta",
        )
    if isinstance(m, nn.GroupNorm):
        if cin % m.num_groups:
            raise ValueError(f"num_channels must be a multiple of num_groups={m.num_groups}, got {cin}")
        return nn.GroupNorm(m.num_groups, cin, eps=m.eps, affine=m.affine, device="meta")
    if isinstance(m, nn.Linear):
        return nn.Linear(cin, cout, bias=m.bias is not None, device="meta")
    raise TypeError(f"{type(m).__name__} has no channels to edit")


def with_channels(model: nn.Module, changes: Mapping[str, tuple[int, int]]) -> nn.Module:
    """A meta copy of ``model`` with layer ``name`` rebuilt as (in, out) for each change.

    For a norm layer the first number is ``num_features``. Raises ``ValueError`` naming the
    layer for an unknown name or a count below 1.
    """
    copy = meta_copy(model)
    modules = dict(copy.named_modules())
    for name, (cin, cout) in changes.items():
        if name not in modules or not isinstance(modules[name], _EDITABLE):
            raise ValueError(f"no conv, norm or linear layer named {name!r}")
        if min(cin, cout) < 1:
            raise ValueError(f"{name}: channels must be at least 1, got {cin} -> {cout}")
        old = modules[name]
        if _counts(old) == (cin, cout):
            continue
        parent_name, _, attr = name.rpartition(".")
        parent = modules[parent_name] if parent_name else copy
        new = _rebuilt(old, cin, cout)
        new.train(old.training)
        setattr(parent, attr, new)
    return copy

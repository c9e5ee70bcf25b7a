"""Shapes and layers as the short text a learner reads: ``1x512x2x2``, ``Conv2d(64, 128)``.

One home for these so that the CLI, the app, the U diagram and the doctor's messages write a
shape or a layer the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

NONE = "--"  # what a missing shape or value reads as in a table or a message


def fmt_shape(shape: Sequence[int] | None) -> str:
    """(1, 512, 2, 2) -> ``1x512x2x2``; None -> ``--``."""
    return "x".join(map(str, shape)) if shape is not None else NONE


def fmt_chw(shape: Sequence[int] | None) -> str:
    """(1, 512, 2, 2) -> ``512x2x2``: the shape without the batch (a 1-d shape is kept whole)."""
    if not shape:
        return "?"
    return fmt_shape(shape[1:] if len(shape) > 1 else shape)


def fmt_value(value: object) -> str:
    """A problem's expected or actual value: a shape as ``1x3x256x256``, a count as is, None as ``--``."""
    if isinstance(value, tuple):
        return fmt_shape(value)
    return NONE if value is None else str(value)


def describe_layer(module: nn.Module | None) -> str:
    """``Conv2d(3, 64)``, ``BatchNorm2d(128)``, ``GroupNorm(32, 256)``, ``Linear(512, 10)``, ``LayerNorm(768)``
    or the class name."""
    if module is None:
        return "?"
    kind = type(module).__name__
    if isinstance(module, nn.modules.conv._ConvNd):
        return f"{kind}({module.in_channels}, {module.out_channels})"
    if isinstance(module, nn.modules.batchnorm._NormBase):
        return f"{kind}({module.num_features})"
    if isinstance(module, nn.GroupNorm):
        return f"{kind}({module.num_groups}, {module.num_channels})"
    if isinstance(module, nn.Linear):
        return f"{kind}({module.in_features}, {module.out_features})"
    shape = getattr(module, "normalized_shape", None)  # LayerNorm, RMSNorm: as the constructor takes it
    if isinstance(shape, tuple) and shape:
        return f"{kind}({shape[0] if len(shape) == 1 else shape})"
    return kind

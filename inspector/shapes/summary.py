"""torchinfo summaries as text and as data, computed on the ``meta`` device.

torchinfo walks the model with forward hooks. Run on a meta copy, it reports every shape and
parameter count without a real forward pass (no memory, no arithmetic), so a summary of the
54M-parameter generator at batch 16 costs about as much as building it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torchinfo
from torch import nn

from inspector.display import RichDisplay
from inspector.i18n.catalog import N_
from inspector.shapes.blocks import top_level_blocks
from inspector.shapes.labels import describe_layer, fmt_shape
from inspector.shapes.meta import meta_copy

COLUMNS = ("input_size", "output_size", "num_params", "kernel_size", "mult_adds")


@dataclass(frozen=True)
class SummaryRow:
    """One line of a torchinfo summary: a module at a nesting depth (1 = top-level block)."""

    name: str  # qualified name, as in model.named_modules()
    kind: str  # class name, e.g. "Conv2d"
    depth: int
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    params: int  # parameters owned by this module and its children
    kernel_size: tuple[int, ...] | None
    mult_adds: int
    is_leaf: bool


@dataclass(frozen=True)
class Summary(RichDisplay):
    text: str
    rows: tuple[SummaryRow, ...]
    total_params: int
    trainable_params: int
    total_mult_adds: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...] | None


def _shape(value: object) -> tuple[int, ...] | None:
    # torchinfo stores a list of ints for a single tensor, a list of lists for several.
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return _shape(value[0])
    return None


def summary(
    model: nn.Module,
    input_shape: Sequence[int],
    depth: int = 4,
    device: str = "meta",
    name: str | None = None,
) -> Summary:
    """Summarize ``model`` for an input of ``input_shape`` (B, C, H, W).

    ``device="meta"`` (the default) runs on a weightless copy; pass ``"cpu"`` for torchinfo's
    real forward pass. The model itself is left as it was (device, mode, weights, hooks).
    ``name`` is the class name the summary gives the model (the notebook's ``Pix2Pix_Generator``
    for the U-Net built as the notebook's, ``models.presets.source_class_name``): torchinfo reads
    it from the copy it walks. Raises ``RuntimeError`` from PyTorch when the model cannot run at
    that shape (use ``inspector.doctor.diagnose`` to find out why).
    """
    shape = tuple(int(s) for s in input_shape)
    if any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive, got {shape}")
    target = meta_copy(model) if device == "meta" else model
    if name:
        # A subclass that only renames: torchinfo writes type(module).__name__. A shallow copy
        # on the CPU path, so that the caller's model keeps its own class.
        target = target if device == "meta" else copy.copy(target)
        target.__class__ = type(name, (type(target),), {})
    was_training = model.training
    try:
        # On meta, hand torchinfo a meta input: with input_size it would allocate torch.rand(shape)
        # on the CPU first (13 GB for batch 64 at 4096x4096).
        sizing = (
            {"input_data": [torch.empty(shape, device="meta")]} if device == "meta" else {"input_size": shape}
        )
        stats = torchinfo.summary(
            target,
            **sizing,
            device=torch.device(device),
            depth=depth,
            col_names=COLUMNS,
            row_settings=("var_names",),
            verbose=0,
        )
    finally:
        model.train(was_training)
    names = {id(m): n for n, m in target.named_modules()}
    rows = tuple(
        SummaryRow(
            name=names.get(id(info.module), info.var_name),
            kind=info.class_name,
            depth=info.depth,
            input_shape=_shape(info.input_size),
            output_shape=_shape(info.output_size),
            params=int(info.num_params),
            kernel_size=tuple(info.kernel_size) if isinstance(info.kernel_size, list) else None,
            mult_adds=int(info.macs),
            is_leaf=bool(info.is_leaf_layer),
        )
        for info in stats.summary_list
    )
    return Summary(
        text=str(stats),
        rows=rows,
        total_params=int(stats.total_params),
        trainable_params=int(stats.trainable_params),
        total_mult_adds=int(stats.total_mult_adds),
        input_shape=shape,
        output_shape=rows[0].output_shape if rows else None,
    )


# The table of a summary (the Architecture page and the notebook): its column names are the keys of
# ``summary_rows``, translated where shown.
SUMMARY_COLUMNS = (N_("layer"), N_("type"), N_("input"), N_("output"), N_("params"), N_("kernel"))


def summary_rows(s: Summary) -> list[dict[str, object]]:
    """One row per line of torchinfo's table (keys ``SUMMARY_COLUMNS``), indented by depth; params
    for the leaves and the top-level blocks only (a container's own would count its layers twice)."""
    return [
        dict(
            zip(
                SUMMARY_COLUMNS,
                (
                    "    " * max(r.depth - 1, 0) + (r.name or r.kind),
                    r.kind,
                    fmt_shape(r.input_shape),
                    fmt_shape(r.output_shape),
                    r.params if r.is_leaf or r.depth <= 1 else None,
                    fmt_shape(r.kernel_size),
                ),
            )
        )
        for r in s.rows
    ]


def block_totals(s: Summary) -> list[tuple[str, str, int]]:
    """(name, kind, parameters) of each top-level block of the summary (depth 1), in call order."""
    return [(r.name, r.kind, r.params) for r in s.rows if r.depth == 1]


@dataclass(frozen=True)
class BlockParams:
    name: str
    kind: str
    params: int
    layers: str  # e.g. "LeakyReLU, Conv2d(64, 128), BatchNorm2d(128)"


def block_params(model: nn.Module) -> list[BlockParams]:
    """Parameter count of each top-level block (see ``top_level_blocks``: for the PatchGAN, each
    layer of its only Sequential)."""
    _, blocks = top_level_blocks(model)
    out = []
    for name, module in blocks:
        leaves = [m for m in module.modules() if not list(m.children())] or [module]
        out.append(
            BlockParams(
                name=name,
                kind=type(module).__name__,
                params=sum(p.numel() for p in module.parameters()),
                layers=", ".join(describe_layer(m) for m in leaves),
            )
        )
    return out

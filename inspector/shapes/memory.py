"""Memory of a forward pass: what a real CPU run of a model would need, measured on a meta trace."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from inspector.shapes.engine import run_traced
from inspector.shapes.meta import meta_copy, tensor_bytes
from inspector.shapes.records import check_shape
from models import NetworkConfig, build


def real_run_bytes(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Bytes a real CPU forward of ``model`` up to its first error would need (an upper bound).

    Weights and buffers, the input (B, C, H, W), and every layer output and combination the meta
    trace records, all counted as float32 (no_grad frees most of them early, so the true peak is
    lower). Computed on a meta copy: no memory.
    """
    shape = check_shape(input_shape)
    copy = meta_copy(model)
    result = run_traced(copy, shape).trace
    activations = math.prod(shape) + sum(math.prod(r.output_shape) for r in result.layers if r.output_shape)
    activations += sum(math.prod(c.output_shape) for c in result.concats)
    return tensor_bytes(copy) + 4 * activations


def activation_elements(cfg: NetworkConfig, batch: int) -> tuple[int, int]:
    """(weights, activation elements) of one forward of the network ``cfg`` builds, at ``batch``
    images of its ``input_size``: every layer output and ``torch.cat`` the meta trace records.
    Built and traced on the meta device: no memory."""
    with torch.device("meta"):
        model = build(cfg)
    size = cfg.input_size
    shape = (batch, cfg.in_channels, size, size)
    result = run_traced(model, shape).trace
    elements = sum(math.prod(r.output_shape) for r in result.layers if r.output_shape)
    elements += sum(math.prod(c.output_shape) for c in result.concats)
    return sum(p.numel() for p in model.parameters()), elements

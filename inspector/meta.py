"""Copies of models on the ``meta`` device: shapes without memory.

A meta tensor has a shape and a dtype but no storage, so running a 54M-parameter U-Net at
batch 64 and 1024x1024 on it allocates nothing and takes milliseconds.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from inspector.errors import UserError


def meta_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose parameters and buffers live on ``meta``.

    The real weights are never copied: ``deepcopy`` is handed meta stand-ins for them through
    its memo, so this is cheap even for large models. The original is left untouched.
    Raises ``UserError`` when the model cannot be copied (it holds a lock, an open file, a
    process handle...): the inspector never runs a user's model on its real weights.
    """
    memo: dict[int, object] = {}
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) in memo:
            continue
        stand_in = torch.empty_like(t, device="meta")
        if isinstance(t, nn.Parameter):
            stand_in = nn.Parameter(stand_in, requires_grad=t.requires_grad)
        memo[id(t)] = stand_in
    try:
        return copy.deepcopy(model, memo)
    except Exception as exc:  # deepcopy fails with TypeError, PicklingError, RuntimeError, ...
        raise UserError(
            f"{type(model).__name__} cannot be copied to the meta device ({type(exc).__name__}: {exc}); "
            "keep locks, files and other non-copyable objects out of the module's attributes, or give them "
            "a __deepcopy__"
        ) from None

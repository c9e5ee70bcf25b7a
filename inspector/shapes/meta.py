"""Copies of models on the ``meta`` device: shapes without memory.

A meta tensor has a shape and a dtype but no storage, so running a 54M-parameter U-Net at
batch 64 and 1024x1024 on it allocates nothing and takes milliseconds.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable

import torch
from torch import nn

from inspector.errors import UserError
from models.text import Text


def meta_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose parameters and buffers live on ``meta``.

    The real weights are never copied: ``deepcopy`` is handed meta stand-ins for them through
    its memo, so this is cheap even for large models. The original is left untouched, and the
    copy carries none of the user's forward hooks (PyTorch's own, like spectral norm's, stay).
    Raises ``UserError`` when the model cannot be copied (it holds a lock, an open file, a
    process handle...): the inspector never runs a user's model on its real weights.
    """
    lazy = [n for n, p in model.named_parameters() if isinstance(p, nn.parameter.UninitializedParameter)]
    if lazy:
        raise UserError(
            Text(
                "{model} has lazy layers whose shapes are unknown until a first forward ({layers}): run it "
                "once on a real input, e.g. model(torch.zeros(1, C, H, W)), then inspect it",
                model=type(model).__name__,
                layers=", ".join(lazy[:3]) + (", ..." if len(lazy) > 3 else ""),
            )
        )
    memo: dict[int, object] = {}
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) in memo:
            continue
        stand_in = torch.empty_like(t, device="meta")
        if isinstance(t, nn.Parameter):
            stand_in = nn.Parameter(stand_in, requires_grad=t.requires_grad)
        memo[id(t)] = stand_in
    try:
        clone = copy.deepcopy(model, memo)
    except Exception as exc:  # deepcopy fails with TypeError, PicklingError, RuntimeError, ...
        raise UserError(
            Text(
                "{model} cannot be copied to the meta device ({kind}: {error}); keep locks, files and other "
                "non-copyable objects out of the module's attributes, or give them a __deepcopy__",
                model=type(model).__name__,
                kind=type(exc).__name__,
                error=str(exc),
            )
        ) from None
    _drop_user_hooks(clone)
    return clone


def _drop_user_hooks(model: nn.Module) -> None:
    """Remove the hooks a user registered from the copy: they would see meta tensors and write them
    into the user's own state (a feature dict, a logger). PyTorch's own hooks stay: spectral norm
    and the old weight norm compute the weight in a forward pre-hook."""
    for module in model.modules():
        for hooks in (module._forward_pre_hooks, module._forward_hooks):
            for key in [k for k, hook in hooks.items() if not _from_torch(hook)]:
                del hooks[key]


def _from_torch(hook: object) -> bool:
    owner = getattr(hook, "__module__", None) or type(hook).__module__
    return str(owner).startswith("torch.")


# A forward that needs values (``.item()``, ``if x.any():``, ``.numpy()``) or makes tensors on
# the CPU (``torch.ones(1, 8, 1, 1)``) cannot run on meta. The tracer then runs it on a CPU copy
# holding the model's weights, when that is small: these are the messages that tell.
_META_LIMITS = ("meta", "same device", "cannot be called on", "numpy", "data-dependent", "unbacked")
MAX_CPU_FALLBACK_BYTES = 256 << 20  # weights + input; beyond it the meta error is reported as it is


def is_meta_limit(error: BaseException) -> bool:
    """True when ``error`` comes from the meta device itself rather than from the model."""
    text = str(error).lower()
    return isinstance(error, NotImplementedError) or any(key in text for key in _META_LIMITS)


def cpu_copy(model: nn.Module, input_shape: tuple[int, ...]) -> nn.Module | None:
    """A copy of ``model`` on the CPU with its weights (zeros where it has none, e.g. a meta model);
    None when weights and input together exceed ``MAX_CPU_FALLBACK_BYTES``."""
    clone = meta_copy(model)
    need = tensor_bytes(clone) + 4 * math.prod(input_shape)
    if need > MAX_CPU_FALLBACK_BYTES:
        return None
    clone = clone.to_empty(device="cpu")
    source: dict[str, torch.Tensor] = dict(model.named_parameters(remove_duplicate=False))
    source.update(model.named_buffers(remove_duplicate=False))
    with torch.no_grad():
        for name, t in [
            *clone.named_parameters(remove_duplicate=False),
            *clone.named_buffers(remove_duplicate=False),
        ]:
            real = source.get(name)
            if real is not None and not real.is_meta and real.shape == t.shape:
                t.copy_(real)
            else:
                t.zero_()
    return clone


def tensor_bytes(model: nn.Module) -> int:
    """Bytes of ``model``'s parameters and buffers (a meta model's too: sizes need no storage)."""
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


_warm_up_lock = threading.Lock()
_warm_up_started = False


def warm_up_in_background(then: Callable[[], None] | None = None) -> None:
    """Pay, once per process and off the caller's thread, what the first meta trace costs; then
    run ``then`` in the same thread (the server freezes its long-lived objects there).

    Several meta kernels (``leaky_relu``, ``tanh``...) are Python decompositions whose first call
    imports ``torch._dynamo``: about 2 s on 2 cores, once. A server calls this at start, so the
    first learner to open a page that traces a model does not wait for it. Harmless to call twice
    and when the import is done already (a later meta op that needs it waits on the import lock).
    """
    global _warm_up_started
    with _warm_up_lock:
        if _warm_up_started:
            return
        _warm_up_started = True
    threading.Thread(target=_warm_up, args=(then,), name="meta-warm-up", daemon=True).start()


def _warm_up(then: Callable[[], None] | None = None) -> None:
    x = torch.empty(1, 1, 2, 2, device="meta")
    torch.tanh(nn.functional.leaky_relu(x, 0.2))
    if then is not None:
        then()

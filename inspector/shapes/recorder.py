"""The recorder: what a forward pass does, leaf by leaf and combination by combination.

A ``TorchFunctionMode`` intercepts ``torch.cat``, ``torch.stack`` and the ``+`` of two tensors,
while forward hooks on every module record the leaves and remember which module produced each
tensor (by object identity). It fills the records of ``inspector.shapes.records``; running a model
under it (hooks in ``try/finally``, the input, the meta -> CPU fallback) is
``inspector.shapes.engine``'s job.

The recorder judges nothing. Whoever needs more than the records (the mismatch doctor) passes an
``Observer``: it sees each leaf's and each combination's inputs before they are used, and may hand
back stand-ins so that the pass carries on; the records keep what arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, Protocol

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from inspector.shapes.blocks import top_level_blocks
from inspector.shapes.labels import describe_layer
from inspector.shapes.records import BlockRecord, ConcatRecord, LayerRecord, Shape, TensorRef, Trace

# Functions that combine tensors, by their short name. `x + y` arrives as TensorBase.add.
_COMBINE: dict[Callable[..., Any], str] = {
    torch.cat: "torch.cat",
    torch.concat: "torch.cat",
    torch.concatenate: "torch.cat",
    torch.stack: "torch.stack",
    torch.add: "add",
    Tensor.add: "add",
    Tensor.__add__: "add",
    Tensor.__radd__: "add",
    Tensor.__iadd__: "add",  # x += shortcut, as torchvision's ResNet writes its residual
    Tensor.add_: "add",
}
_IN_PLACE = (Tensor.__iadd__, Tensor.add_)
# New tensors shaped like their argument but not made from it: no producer to inherit.
_FRESH = (
    torch.zeros_like,
    torch.ones_like,
    torch.empty_like,
    torch.full_like,
    torch.rand_like,
    torch.randn_like,
    torch.randint_like,
)
# F.conv_transposeNd: the meta kernels do not check in_channels, so the tracer does (as CPU would).
_CONV_TRANSPOSE = (torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d)


class Source(NamedTuple):
    """What the tracer knows about a live tensor."""

    producer: str  # block level
    layer: str  # leaf level
    concat: int | None  # index of the combination that made it, if any


class LeafCall(NamedTuple):
    """A leaf about to run, as an ``Observer`` sees it."""

    name: str  # qualified name, as in model.named_modules()
    module: nn.Module
    args: tuple[Any, ...]  # the positional inputs, e.g. (x,) with x (B, C, H, W)
    sources: tuple[Source | None, ...]  # of each tensor in args, in order (None: not seen made)
    concats: Sequence[ConcatRecord]  # the combinations recorded so far


class CombineCall(NamedTuple):
    """A ``torch.cat`` / ``torch.stack`` / ``+`` about to run, as an ``Observer`` sees it."""

    op: str  # "torch.cat", "torch.stack" or "add"
    tensors: list[Tensor]  # the tensors combined, e.g. [(B, C1, H, W), (B, C2, H, W)]
    dim: int | None  # as the caller wrote it (may be negative); None for add
    sources: tuple[Source | None, ...]  # of each tensor
    module: str  # the module whose forward makes the call ("" = the model itself)
    concats: Sequence[ConcatRecord]  # the combinations recorded so far (this one is next)


class Observer(Protocol):
    """Sees inputs before they are used; returns stand-ins to use instead, or None to go on as is."""

    def before_leaf(self, call: LeafCall) -> tuple[Any, ...] | None:
        """Before a leaf runs: replacement positional args, or None."""

    def before_combine(self, call: CombineCall) -> list[Tensor] | None:
        """Before a combination runs: replacement tensors, or None."""

    # Optional: ``watches(module) -> bool``, True for a module with children that ``before_leaf``
    # should see as one layer too (a fused norm with an activation inside).


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _first_tensor(value: Any) -> Tensor | None:
    found = _tensors(value)
    return found[0] if found else None


def _is_leaf(module: nn.Module) -> bool:
    """No children, or only the ``parametrizations`` of a weight (spectral norm, weight norm)."""
    return all(name == "parametrizations" for name, _ in module.named_children())


def hooked_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules a learner sees: all but the insides of ``parametrizations`` (which compute a
    weight, not a layer's output)."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if not (
            name.startswith("parametrizations.") or ".parametrizations." in name or name == "parametrizations"
        )
    ]


class Recorder(TorchFunctionMode):
    """Records leaves and combinations while the (meta) model runs."""

    def __init__(self, model: nn.Module, observer: Observer | None = None) -> None:
        super().__init__()
        self.observer = observer
        self.names = {id(m): n for n, m in model.named_modules()}
        leaves = [m for _, m in hooked_modules(model) if _is_leaf(m)]
        self.leaves = {id(m) for m in leaves}
        # Inside PyTorch's own leaves (Conv2d calls F.conv2d...) calls are not recorded; inside a
        # user's childless module (a YOLO-style `Concat`) they are: its torch.cat is a skip too.
        self.opaque = {id(m) for m in leaves if _is_torch_module(m)}
        # Modules with children that the observer sees as one layer (timm's BatchNormAct2d).
        watches: Callable[[nn.Module], bool] | None = getattr(observer, "watches", None)
        self.watched = {
            id(m)
            for _, m in hooked_modules(model)
            if watches is not None and id(m) not in self.leaves and watches(m)
        }
        _, top = top_level_blocks(model)
        self.top = {id(m): n for n, m in top}
        self.block_of_name = {n: n for n, _ in top}
        # Values keep the tensors alive, so that no id is reused while we trace.
        self.sources: dict[int, tuple[Tensor, Source]] = {}
        self.stack: list[str] = []  # names of the modules being called, outermost first
        self.pending: list[tuple[int, tuple[Shape, ...], tuple[str, ...], int, str]] = []
        self.block_pending: list[tuple[Shape | None, str, int]] = []
        self.leaf_depth = 0  # inside a PyTorch leaf: its inner calls are not recorded
        self.user_leaf_depth = 0  # inside a user's childless module
        self.layers: list[LayerRecord] = []
        self.concats: list[ConcatRecord] = []
        self.blocks: list[BlockRecord] = []
        self.first_use: dict[int, str] = {}  # combination index -> first leaf fed by its result
        self.writers: dict[int, list[str]] = {}  # tensor id -> in-place leaves that rewrote it

    # --- who made what ---
    def source(self, t: Tensor) -> Source | None:
        entry = self.sources.get(id(t))
        return entry[1] if entry is not None and entry[0] is t else None

    def claim(self, t: Tensor, src: Source) -> None:
        self.sources[id(t)] = (t, src)

    def producer(self, t: Tensor) -> str:
        src = self.source(t)
        return src.producer if src else "?"

    def block_of(self, name: str) -> str:
        for top in self.block_of_name:
            if name == top or name.startswith(top + "."):
                return top
        return ""

    # --- module hooks ---
    def pre_hook(self, module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        name = self.names.get(id(module), "?")
        self.stack.append(name)
        if id(module) in self.top:
            first = _first_tensor(args)
            self.block_pending.append(
                (
                    tuple(first.shape) if first is not None else None,
                    self.producer(first) if first is not None else "",
                    len(self.layers),
                )
            )
        if id(module) not in self.leaves:
            if self.observer is None or id(module) not in self.watched:
                return None
            found = tuple(self.source(t) for t in _tensors(args))
            return self.observer.before_leaf(LeafCall(name, module, args, found, self.concats))
        arrived = _tensors(args)  # recorded as they came, not as an observer's stand-ins
        written = describe_layer(module)  # before the observer: a mended norm keeps its own width
        replaced = None
        if self.observer is not None:
            call = LeafCall(name, module, args, tuple(self.source(t) for t in arrived), self.concats)
            replaced = self.observer.before_leaf(call)
        given = _tensors(replaced) if replaced is not None else arrived  # what the leaf will get
        if isinstance(module, nn.modules.conv._ConvTransposeNd) and given:
            _check_transposed_channels(given[0], module.weight, len(module.kernel_size))
        for t in arrived:
            src = self.source(t)
            if src is not None and src.concat is not None:
                self.first_use.setdefault(src.concat, name)
        self.pending.append(
            (
                len(self.layers),
                tuple(tuple(t.shape) for t in arrived),
                tuple(self.producer(t) for t in arrived),
                len(self.concats),
                written,
            )
        )
        if id(module) in self.opaque:
            self.leaf_depth += 1
        else:
            self.user_leaf_depth += 1
        return replaced

    def post_hook(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        name = self.stack.pop()
        out = _first_tensor(output)
        ins = _tensors(args)
        if id(module) in self.leaves:
            if id(module) in self.opaque:
                self.leaf_depth -= 1
            else:
                self.user_leaf_depth -= 1
            index, in_shapes, in_producers, concats_before, written = self.pending.pop()
            params = sum(p.numel() for p in module.parameters())
            if out is not None and getattr(module, "inplace", False) and any(out is t for t in ins):
                self.writers.setdefault(id(out), []).append(name)
            if out is not None and not any(out is t for t in ins):
                first = self.source(ins[0]) if ins else None
                keeps_shape = len(ins) == 1 and tuple(out.shape) == tuple(ins[0].shape)
                made = self.source(out)
                if params == 0 and keeps_shape and first is not None:
                    self.claim(out, first)  # an activation: the tensor is still its producer's
                elif made is not None and made.concat is not None and made.concat >= concats_before:
                    # a user's `Concat` module: its output is the torch.cat it made inside
                    self.claim(out, Source(name, name, made.concat))
                else:
                    self.claim(out, Source(name, name, None))
            self.layers.append(
                LayerRecord(
                    index=index,
                    name=name,
                    kind=type(module).__name__,
                    input_shapes=in_shapes,
                    output_shape=tuple(out.shape) if out is not None else None,
                    params=params,
                    input_producers=in_producers,
                    block=self.block_of(name),
                    written=written,
                )
            )
        elif out is not None and not any(out is t for t in ins):
            old = self.source(out)
            self.claim(out, Source(name, old.layer if old else name, old.concat if old else None))
        if id(module) in self.top:
            in_shape, in_producer, first_layer = self.block_pending.pop()
            self.blocks.append(
                BlockRecord(
                    name=name,
                    kind=type(module).__name__,
                    input_shape=in_shape,
                    output_shape=tuple(out.shape) if out is not None else None,
                    input_producer=in_producer,
                    params=sum(p.numel() for p in module.parameters()),
                    first_layer=first_layer,
                    last_layer=len(self.layers) - 1,
                )
            )

    # --- torch functions ---
    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if func in _CONV_TRANSPOSE and len(args) >= 2 and isinstance(args[0], Tensor):
            _check_transposed_channels(args[0], args[1], _CONV_TRANSPOSE.index(func) + 1)
        op = _COMBINE.get(func)
        if self.leaf_depth == 0 and op is not None and not self._is_bias_add(op, args):
            return self.combine(op, func, args, kwargs)
        out = func(*args, **kwargs)
        if self.leaf_depth == 0 and func not in _FRESH:
            # view, flatten, F.relu ... in a forward: the result is still its input's. So are the
            # pieces of chunk / split / unbind (a tuple), which a two-headed decoder may take apart.
            fresh = [t for t in _tensors(out) if self.source(t) is None]
            if fresh:
                first = _first_tensor(args)
                src = self.source(first) if first is not None else None
                if src is not None:
                    for t in fresh:
                        self.claim(t, src)
        return out

    def _is_bias_add(self, op: str, args: tuple[Any, ...]) -> bool:
        """Inside a user's own layer, ``y + self.bias`` is arithmetic, not a residual: an add
        counts there only when both sides came out of modules."""
        if op != "add" or self.user_leaf_depth == 0:
            return False
        return any(isinstance(a, Tensor) and self.source(a) is None for a in args[:2])

    def combine(
        self, op: str, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if op == "add":
            tensors = [a for a in args[:2] if isinstance(a, Tensor)]
            if len(tensors) < 2 or any(t.dim() == 0 for t in tensors):  # x + 1 is no residual
                return func(*args, **kwargs)
            dim = None
        else:
            seq: Any = args[0] if args else kwargs.get("tensors")  # a list or tuple of tensors
            tensors = list(seq)
            dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))  # numpy's name too
            dim = int(dim) if not isinstance(dim, str) else dim
        sources = [self.source(t) for t in tensors]
        arrived = [tuple(t.shape) for t in tensors]  # the record shows these, not an observer's stand-ins
        if self.observer is not None:
            call = CombineCall(
                op, tensors, dim, tuple(sources), self.stack[-1] if self.stack else "", self.concats
            )
            replaced = self.observer.before_combine(call)
            if replaced is not None:
                tensors = replaced
        if func in _IN_PLACE:  # keeps the in-place rule: the result must have the left side's shape
            out = func(tensors[0], tensors[1], *args[2:], **kwargs)
        elif op == "add":
            out = tensors[0] + tensors[1] if func is not Tensor.__radd__ else tensors[1] + tensors[0]
        else:
            rest = {k: v for k, v in kwargs.items() if k not in ("tensors", "dim", "axis")}
            out = func(tensors, dim, **rest)
        index = len(self.concats)
        if isinstance(dim, int) and dim < 0:
            dim += out.dim()
        record = ConcatRecord(
            index=index,
            op=op,
            dim=dim if isinstance(dim, int) else None,
            inputs=tuple(TensorRef(s.producer if s else "?", shape) for shape, s in zip(arrived, sources)),
            output_shape=tuple(out.shape),
            input_layers=tuple(s.layer if s else "?" for s in sources),
            module=self.stack[-1] if self.stack else "",
            after_layer=len(self.layers),
            modified_in_place=tuple(tuple(self.writers.get(id(t), ())) for t in tensors),
        )
        self.concats.append(record)
        self.claim(out, Source(record.label, record.label, index))
        return out

    def result(self, input_shape: Shape, output: Any) -> Trace:
        out = _first_tensor(output)
        # Who took each combination's result: the first block (or layer) fed by it.
        consumers: dict[str, str] = {}
        for block in self.blocks:
            consumers.setdefault(block.input_producer, block.name)
        concats = tuple(
            replace(c, consumer=consumers.get(c.label) or self.first_use.get(c.index)) for c in self.concats
        )
        return Trace(
            input_shape=input_shape,
            output_shape=tuple(out.shape) if out is not None else None,
            layers=tuple(sorted(self.layers, key=lambda r: r.index)),
            concats=concats,
            blocks=tuple(self.blocks),
        )


def _is_torch_module(module: nn.Module) -> bool:
    return type(module).__module__.startswith("torch.")


def _check_transposed_channels(x: Tensor, weight: Any, n: int) -> None:
    """Raise PyTorch's CPU error for a transposed conv fed the wrong channels (meta does not check)."""
    if not isinstance(weight, Tensor) or x.dim() not in (n + 1, n + 2) or weight.dim() != n + 2:
        return
    got, want = x.shape[x.dim() - n - 1], weight.shape[0]
    if got != want:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{want} channels, but got {got} channels instead"
        )

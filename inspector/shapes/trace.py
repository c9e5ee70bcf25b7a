"""A shape tracer that runs on the ``meta`` device and sees every concatenation.

torchinfo only sees modules, so the ``torch.cat`` of a U-Net's skip connection is invisible to
it. Here a ``TorchFunctionMode`` intercepts ``torch.cat``, ``torch.stack`` and the ``+`` of two
tensors, while forward hooks on every module record the leaves and remember which module
produced each tensor (by object identity). The model runs on a meta copy: no memory, no
arithmetic, so batch 64 at 1024x1024 takes milliseconds.

Who produced a tensor, in the words a learner uses:

* ``producer`` (block level): the outermost module that returned the tensor as a *new* value.
  ``encoder_6`` returns the output of its BatchNorm ``encoder_6.2``, so the skip's producer is
  ``encoder_6``. A module that hands back its input (an in-place ``LeakyReLU(0.2, True)``,
  ``nn.Identity``) does not claim it, and neither does a parameter-free leaf that keeps the
  shape (``ReLU``, ``Dropout``, ``Tanh``): activations never hide the layer that made the
  channels. So attribution is the same with ``inplace=True`` and ``inplace=False``.
* ``layer`` (leaf level): the last leaf that made the tensor, e.g. ``encoder_6.2``.

The tracing engine (``run_traced``) takes an optional ``Checker``: the mismatch doctor
(``inspector.doctor.diagnose``) uses it to inspect each layer's input before the layer runs and to
substitute a well-formed input, so that a traced pass can carry on after a mismatch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple, Protocol

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

# fmt_shape and top_level_blocks live in their own modules; "as" re-exports them from here too.
from inspector.shapes.blocks import top_level_blocks as top_level_blocks
from inspector.shapes.meta import cpu_copy, is_meta_limit, meta_copy
from inspector.shapes.text import fmt_shape as fmt_shape

Shape = tuple[int, ...]
INPUT = "input"  # producer name of the model's input tensor

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
_FRESH = (torch.zeros_like, torch.ones_like, torch.empty_like, torch.full_like, torch.rand_like, torch.randn_like,
          torch.randint_like)
# F.conv_transposeNd: the meta kernels do not check in_channels, so the tracer does (as CPU would).
_CONV_TRANSPOSE = (torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d)


class TensorRef(NamedTuple):
    """One input of a concatenation: who produced it and its shape."""

    producer: str  # block-level module name, "input", or another combination, e.g. "torch.cat#0"
    shape: Shape


@dataclass(frozen=True)
class LayerRecord:
    """One call of a leaf module, in call order."""

    index: int
    name: str  # qualified name, as in model.named_modules()
    kind: str  # class name, e.g. "Conv2d"
    input_shapes: tuple[Shape, ...]
    output_shape: Shape | None  # first tensor of the output; None if it returns no tensor
    params: int
    input_producers: tuple[str, ...]  # block-level producer of each input tensor
    block: str  # the top-level block the layer belongs to, e.g. "decoder_4" ("" if none)


@dataclass(frozen=True)
class BlockRecord:
    """One call of a top-level block (a child of the model, or of its only container)."""

    name: str
    kind: str
    input_shape: Shape | None
    output_shape: Shape | None
    input_producer: str
    params: int
    first_layer: int  # index of its first LayerRecord
    last_layer: int  # index of its last LayerRecord (first_layer - 1 if it has none)


@dataclass(frozen=True)
class ConcatRecord:
    """One ``torch.cat`` / ``torch.stack`` / ``+`` of tensors, e.g. a U-Net skip connection.

    For a cat along channels, ``inputs`` (B, C_i, H, W) give ``output_shape`` (B, sum C_i, H, W).
    """

    index: int
    op: str  # "torch.cat", "torch.stack" or "add"
    dim: int | None  # the concatenated dimension (None for add)
    inputs: tuple[TensorRef, ...]
    output_shape: Shape
    input_layers: tuple[str, ...]  # leaf-level producer of each input, e.g. "encoder_6.2"
    module: str  # the module whose forward made the call ("" = the model itself)
    after_layer: int  # number of leaf calls before it
    consumer: str | None = None  # the block (or layer) that takes the result, e.g. "decoder_4"
    # Per input: in-place leaves that rewrote the tensor after its producer made it. In the
    # notebook, middle.0 (LeakyReLU(0.2, True)) rewrites encoder_6's output before the cat.
    modified_in_place: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        """The name a tensor made by this call carries as its producer, e.g. ``torch.cat#2``."""
        return f"{self.op}#{self.index}"

    def arithmetic(self) -> str:
        """``"512 + 512 = 1024"`` along the concatenated dimension (channels for a U-Net)."""
        if self.op == "torch.cat" and self.dim is not None:
            parts = [str(ref.shape[self.dim]) if len(ref.shape) > self.dim else "?" for ref in self.inputs]
            return f"{' + '.join(parts)} = {self.output_shape[self.dim]}"
        if self.op == "torch.stack":
            return f"{len(self.inputs)} stacked -> {fmt_shape(self.output_shape)}"
        return " + ".join(fmt_shape(ref.shape) for ref in self.inputs) + f" -> {fmt_shape(self.output_shape)}"


@dataclass(frozen=True)
class Trace:
    """What one forward pass did, shape by shape."""

    input_shape: Shape
    output_shape: Shape | None
    layers: tuple[LayerRecord, ...]
    concats: tuple[ConcatRecord, ...]
    blocks: tuple[BlockRecord, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; each concat input is ``{"producer", "shape"}``."""
        data = asdict(self)
        data["concats"] = [
            {
                **asdict(c),
                "label": c.label,
                "arithmetic": c.arithmetic(),
                "inputs": [{"producer": r.producer, "shape": list(r.shape)} for r in c.inputs],
            }
            for c in self.concats
        ]
        return data

    def layer(self, name: str) -> LayerRecord:
        """The first call of the leaf ``name``."""
        for rec in self.layers:
            if rec.name == name:
                return rec
        raise KeyError(
            f"no layer named {name!r} was called; layers: {', '.join(r.name for r in self.layers)}"
        )


class Source(NamedTuple):
    """What the tracer knows about a live tensor."""

    producer: str  # block level
    layer: str  # leaf level
    concat: int | None  # index of the combination that made it, if any


class Checker(Protocol):
    """Hooks for the doctor: inspect inputs before they are used, and substitute good ones."""

    def attach(self, concats: list[ConcatRecord]) -> None:
        """Receive the live list of combinations recorded so far (to explain a cat's result)."""

    def check_layer(
        self, name: str, module: nn.Module, args: tuple[Any, ...], sources: list[Source | None]
    ) -> tuple[Any, ...] | None:
        """Before leaf ``name`` runs: return replacement args, or None to run it as is."""

    def check_combine(
        self, op: str, tensors: list[Tensor], dim: int | None, sources: list[Source | None], module: str
    ) -> list[Tensor] | None:
        """Before a cat/stack/add: return replacement tensors, or None to run it as is."""


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


class _Recorder(TorchFunctionMode):
    """Records leaves and combinations while the (meta) model runs."""

    def __init__(self, model: nn.Module, checker: Checker | None) -> None:
        super().__init__()
        self.checker = checker
        self.names = {id(m): n for n, m in model.named_modules()}
        leaves = [m for _, m in hooked_modules(model) if _is_leaf(m)]
        self.leaves = {id(m) for m in leaves}
        # Inside PyTorch's own leaves (Conv2d calls F.conv2d...) calls are not recorded; inside a
        # user's childless module (a YOLO-style `Concat`) they are: its torch.cat is a skip too.
        self.opaque = {id(m) for m in leaves if _is_torch_module(m)}
        _, top = top_level_blocks(model)
        self.top = {id(m): n for n, m in top}
        self.block_of_name = {n: n for n, _ in top}
        # Values keep the tensors alive, so that no id is reused while we trace.
        self.sources: dict[int, tuple[Tensor, Source]] = {}
        self.stack: list[str] = []  # names of the modules being called, outermost first
        self.pending: list[tuple[int, tuple[Shape, ...], tuple[str, ...], int]] = []
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
            return None
        arrived = _tensors(args)  # recorded as they came, not as the doctor's stand-ins
        replaced = None
        if self.checker is not None:
            replaced = self.checker.check_layer(name, module, args, [self.source(t) for t in arrived])
            if replaced is not None:
                args = replaced
        elif isinstance(module, nn.modules.conv._ConvTransposeNd) and arrived:
            _check_transposed_channels(arrived[0], module.weight, len(module.kernel_size))
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
            index, in_shapes, in_producers, concats_before = self.pending.pop()
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
    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
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
            seq = args[0] if args else kwargs.get("tensors")
            tensors = list(seq)
            dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))  # numpy's name too
            dim = int(dim) if not isinstance(dim, str) else dim
        sources = [self.source(t) for t in tensors]
        arrived = [tuple(t.shape) for t in tensors]  # the record shows these, not the doctor's stand-ins
        if self.checker is not None:
            replaced = self.checker.check_combine(
                op, tensors, dim, sources, self.stack[-1] if self.stack else ""
            )
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


def _input_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def check_shape(input_shape: Sequence[int]) -> Shape:
    """``input_shape`` as a tuple of positive ints, or ``ValueError`` quoting it."""
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a sequence of integers, got {input_shape!r}") from None
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive integers, e.g. (1, 1, 256, 256); got {shape}")
    return shape


def run_traced(
    meta_model: nn.Module, input_shape: Sequence[int], checker: Checker | None = None
) -> tuple[Trace, BaseException | None, str | None]:
    """Run ``meta_model`` (on the meta device, or a small CPU copy: ``meta.cpu_copy``) once and record it.

    Returns the trace (partial if the model raised), the exception if any, and the name of the
    module that was running when it raised. Hooks are removed before returning.
    """
    shape = check_shape(input_shape)
    rec = _Recorder(meta_model, checker)
    if checker is not None:
        checker.attach(rec.concats)  # the doctor reads the combinations made so far
    handles = []
    for _, module in hooked_modules(meta_model):
        handles.append(module.register_forward_pre_hook(rec.pre_hook))
        handles.append(module.register_forward_hook(rec.post_hook))
    device = next((t.device for t in itertools.chain(meta_model.parameters(), meta_model.buffers())), torch.device("meta"))
    if device.type == "meta":
        x = torch.empty(shape, device="meta", dtype=_input_dtype(meta_model))
    else:  # the CPU fallback (meta.cpu_copy): fixed values, so a data-dependent forward is repeatable
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=_input_dtype(meta_model))
    rec.claim(x, Source(INPUT, INPUT, None))
    error: BaseException | None = None
    failed_in: str | None = None
    output: Any = None
    try:
        with torch.no_grad(), rec:
            output = meta_model(x)
    except Exception as exc:  # the model's own error, reported with where it happened
        error, failed_in = exc, (rec.stack[-1] if rec.stack else "")
    except SystemExit as exc:  # sys.exit() / exit() in a forward must not end the CLI or the app silently
        error = RuntimeError(f"the model's forward called sys.exit({exc.code!r})")
        failed_in = rec.stack[-1] if rec.stack else ""
    finally:
        for h in handles:
            h.remove()
    return rec.result(shape, output), error, failed_in


def trace(model: nn.Module, input_shape: Sequence[int]) -> Trace:
    """Trace ``model`` on an input of ``input_shape`` (e.g. (B, C, H, W)) on the meta device.

    Returns every leaf call and every ``torch.cat`` / ``torch.stack`` / tensor ``+`` with shapes and
    producers. The model is not touched: it runs as a meta copy (same mode; PyTorch's own hooks
    but not yours, which never see a meta tensor), so its device, mode and hooks are as they were
    afterwards, also when it raises. A forward that needs values (``.item()``, ``if x.any():``)
    or makes CPU tensors cannot run on meta: then a CPU copy runs instead, if its weights and
    input fit in 256 MiB. Raises PyTorch's ``RuntimeError`` if the model cannot run at this
    shape (``inspector.doctor.diagnose`` says why).
    """
    result, error, _ = run_traced(meta_copy(model), input_shape)
    if error is not None and is_meta_limit(error):
        clone = cpu_copy(model, check_shape(input_shape))
        if clone is not None:  # the forward needs values: run it for real, small
            result, error, _ = run_traced(clone, input_shape)
    if error is not None:
        raise error
    return result

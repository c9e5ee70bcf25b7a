"""The mismatch doctor: every shape problem of a model in one pass, each with its fix.

PyTorch stops at the first error, with a message about weights and tensors
(``Given groups=1, weight of size [64, 3, 4, 4], expected input[1, 64, 128, 128] to have 3
channels, but got 64 channels instead``). The doctor runs the model on the meta device with the
tracer of ``inspector.shapes.trace`` and checks each layer's input *before* the layer runs. On a
mismatch it records the problem, then hands the layer a well-formed meta input (the channels it
expects, a size its kernel fits) so that the pass carries on with the shape the layer would
have produced, and the next problem is found too.

Covered: conv / conv-transpose ``in_channels``, norm ``num_features`` (batch, instance, group,
layer), ``Linear.in_features``, kernels larger than their padded input (convs and pools),
batch norm with one value per channel, ``torch.cat`` / ``torch.stack`` / ``+`` of tensors whose
sizes differ (a U-Net input that is not a multiple of ``2**depth``), and a discriminator fed 2
channels where L + ab makes 3. Anything else the model raises ends the pass as a ``runtime``
problem carrying PyTorch's own message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from torch import Tensor, nn

from inspector.errors import UserError
from inspector.shapes.engine import traced_run
from inspector.shapes.input_sizes import InputSizes, valid_input_sizes
from inspector.shapes.memory import real_run_bytes
from inspector.shapes.meta import meta_copy
from inspector.shapes.recorder import CombineCall, LeafCall, Source
from inspector.shapes.text import describe_layer as describe  # one layer description for every view
from inspector.shapes.trace import INPUT, ConcatRecord, Shape, Trace, check_shape, fmt_shape, top_level_blocks

Value = int | tuple[int, ...] | None


@dataclass(frozen=True)
class Problem:
    """One thing that stops the model from running at this input shape."""

    module: str  # qualified name of the layer (or the block fed by a bad torch.cat)
    kind: str  # channels, features, concat, kernel, batch-stats, dims, runtime
    expected: Value
    actual: Value
    message: str  # what the layer expected, what it got, and which module produced the tensor
    fix: str  # the concrete change, e.g. "decoder_4: ConvTranspose2d in_channels 512 -> 1024 (...)"
    block: str = ""  # the top-level block it sits in, e.g. "decoder_4" ("" if none)
    concat: int | None = None  # index into Diagnosis.trace.concats for a bad combination


@dataclass(frozen=True)
class Diagnosis:
    """The doctor's findings; ``trace`` is the pass carried on past every problem."""

    ok: bool
    problems: tuple[Problem, ...]
    trace: Trace
    input_shape: Shape
    sizes: InputSizes | None = None  # the valid input sizes, when a size problem was found
    device: str = "meta"  # "cpu" when the forward needed values and a small CPU copy ran instead

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "input_shape": list(self.input_shape),
            "problems": [asdict(p) for p in self.problems],
            "valid_input_sizes": asdict(self.sizes) if self.sizes else None,
            "device": self.device,
        }


@dataclass
class _Found:
    """A problem while the pass runs; ``module``/``fix`` of size problems are completed after it."""

    module: str
    kind: str
    expected: Value
    actual: Value
    message: str
    fix: str
    block: str = ""
    concat: int | None = None
    needs_sizes: bool = False


@dataclass
class _Doctor:
    """The tracer's ``Observer``: called before each leaf and each combination."""

    model: nn.Module
    input_shape: Shape
    # After a norm gets the wrong channels, carry on as if the layer before were fixed ("expect":
    # the norm's own count flows on) or as if the norm were ("mend": the input's count flows on).
    # diagnose() runs both and keeps the pass that explains the model with fewer problems.
    norm_carry: str = "expect"
    found: list[_Found] = field(default_factory=list)
    concats: list[ConcatRecord] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # leaf name -> when it first ran

    def __post_init__(self) -> None:
        self.modules = dict(self.model.named_modules())
        prefix, top = top_level_blocks(self.model)
        self.top = [n for n, _ in top]
        # A leaf is named after its block in a fix ("decoder_4: ...") when the block is a
        # child of the model; a layer of the model's only Sequential is named itself ("model.2").
        self.named_blocks = set(self.top) if not prefix else set()

    def before_leaf(self, call: LeafCall) -> tuple[Any, ...] | None:
        self.concats = list(call.concats)
        return self.check_layer(call.name, call.module, call.args, list(call.sources))

    def before_combine(self, call: CombineCall) -> list[Tensor] | None:
        self.concats = list(call.concats)
        return self.check_combine(call.op, call.tensors, call.dim, list(call.sources), call.module)

    # --- naming ---
    def block_of(self, name: str) -> str:
        return next((b for b in self.top if name == b or name.startswith(b + ".")), "")

    def fix_target(self, name: str) -> str:
        """The name a fix uses: the block ("decoder_4") when that says which layer unambiguously
        (its only one of the kind), else the layer itself ("downs.1" in a ModuleList, "body.3")."""
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        block, leaf = self.modules.get(parent), self.modules.get(name)
        if parent not in self.named_blocks or block is None or leaf is None:
            return name
        if isinstance(block, (nn.ModuleList, nn.ModuleDict)):  # a list of layers, not one block
            return name
        same_kind = [m for m in block.modules() if type(m) is type(leaf)]
        return parent if len(same_kind) == 1 else name

    def origin(self, src: Source | None, dim: int) -> str:
        """Where a tensor came from, in words: '... from model.0 (Conv2d(3, 64))'."""
        if src is None:
            return "from a computation the tracer did not see"
        if src.concat is not None and src.concat < len(self.concats):
            c = self.concats[src.concat]
            if c.op == "torch.cat" and c.dim == dim:
                parts = " and ".join(
                    f"{r.shape[dim]} from {r.producer}" for r in c.inputs if len(r.shape) > dim
                )
                return f"made by torch.cat of {parts}"
            return f"made by {c.label} ({' + '.join(r.producer for r in c.inputs)})"
        if src.producer == INPUT:
            return "from the model's input"
        leaf = self.modules.get(src.layer)
        if src.producer == src.layer and leaf is not None:
            return f"from {src.producer} ({describe(leaf)})"
        return f"from {src.producer}"

    def composition(self, src: Source | None, dim: int, total: int) -> str:
        """' (512 from decoder_5 + 512 skip from encoder_4)' or ' (64 from model.0)'."""
        if src is None:
            return ""
        if src.concat is not None and src.concat < len(self.concats):
            c = self.concats[src.concat]
            if c.op == "torch.cat" and c.dim == dim:
                # The skip is the input made first (an encoder's), wherever it sits in the list:
                # the notebook writes cat([decoder, encoder]), milesial's U-Net cat([encoder, decoder]).
                when = [-1 if r.producer == INPUT else self.order.get(leaf, 1 << 30)
                        for r, leaf in zip(c.inputs, c.input_layers)]
                skip = when.index(min(when)) if len(c.inputs) == 2 else -1
                parts = [
                    f"{r.shape[dim]} {'skip ' if i == skip else ''}from {r.producer}"
                    for i, r in enumerate(c.inputs)
                    if len(r.shape) > dim
                ]
                return f" ({' + '.join(parts)})"
        return f" ({total} from {src.producer})"

    def add(
        self, name: str, kind: str, expected: Value, actual: Value, message: str, fix: str, **kw: Any
    ) -> None:
        self.found.append(_Found(name, kind, expected, actual, message, fix, block=self.block_of(name), **kw))

    # --- layers ---
    def check_layer(
        self, name: str, module: nn.Module, args: tuple[Any, ...], sources: list[Source | None]
    ) -> tuple[Any, ...] | None:
        self.order.setdefault(name, len(self.order))  # call order: the earlier input of a cat is the skip
        if not args or not isinstance(args[0], Tensor):
            return None
        x, src = args[0], (sources[0] if sources else None)
        if isinstance(module, nn.modules.conv._ConvNd):
            new = self._conv(name, module, x, src)
        elif isinstance(module, nn.Linear):
            new = self._linear(name, module, x, src)
        elif isinstance(module, nn.modules.batchnorm._NormBase):
            new = self._norm(name, module, x, src)
        elif isinstance(module, nn.GroupNorm):
            new = self._channels_norm(name, module, x, src, module.num_channels, "num_channels")
        elif isinstance(module, nn.LayerNorm):
            new = self._layer_norm(name, module, x, src)
        elif isinstance(module, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
            new = self._pool(name, module, x, src)
        else:
            return None
        return None if new is None else (new, *args[1:])

    def _conv(self, name: str, m: nn.modules.conv._ConvNd, x: Tensor, src: Source | None) -> Tensor | None:
        n = len(m.kernel_size)
        kind = type(m).__name__
        if x.dim() not in (n + 1, n + 2):
            self.add(
                name,
                "dims",
                n + 2,
                x.dim(),
                f"{name} ({describe(m)}) needs a {n + 2}-d input (B, C, {', '.join('HWD'[:n])}) but gets "
                f"{fmt_shape(x.shape)}, {self.origin(src, 1)}.",
                f"reshape the input of {name} to (B, {m.in_channels}, {', '.join('HWD'[:n])})",
            )
            return torch.zeros((1, m.in_channels, *m.kernel_size), device=x.device, dtype=x.dtype)
        cdim = x.dim() - n - 1  # 1 when batched, 0 when not
        shape = list(x.shape)
        expected, got = m.in_channels, shape[cdim]
        if got != expected:
            shape[cdim] = expected
            if src is not None and src.producer == INPUT:
                fix = (
                    f"feed a {expected}-channel input (B, {expected}, H, W), or set "
                    f"{name}: {kind} in_channels {expected} -> {got}"
                )
                if expected == 3 and got in (1, 2):
                    fix = (
                        "feed L and ab together: torch.cat([L, ab], dim=1) has 1 + 2 = 3 channels (the "
                        "discriminator judges the colours together with the lightness they belong to)"
                    )
            else:
                fix = f"{self.fix_target(name)}: {kind} in_channels {expected} -> {got}" + self.composition(
                    src, cdim, got
                )
            lab = ""
            if src is not None and src.producer == INPUT and expected == 3 and got in (1, 2):
                alone = "L" if got == 1 else "ab"
                lab = f" In Lab colour L has 1 channel, ab 2, and L + ab 3: this input looks like {alone} alone."
            self.add(
                name,
                "channels",
                expected,
                got,
                f"{name} ({describe(m)}) expects {expected} input channels but gets {got}, "
                f"{self.origin(src, cdim)}.{lab}",
                fix,
            )
        if not m.transposed and not (isinstance(m.padding, str) and m.padding == "same"):
            pads = (0,) * n if isinstance(m.padding, str) else tuple(m.padding)
            need = [m.dilation[i] * (m.kernel_size[i] - 1) + 1 - 2 * pads[i] for i in range(n)]
            self._kernel_fits(name, m, shape, cdim + 1, need, pads, src)
        return None if shape == list(x.shape) else torch.zeros(shape, device=x.device, dtype=x.dtype)

    def _kernel_fits(
        self,
        name: str,
        m: nn.Module,
        shape: list[int],
        first: int,
        need: list[int],
        pads: Sequence[int],
        src: Source | None,
    ) -> None:
        """Record a kernel larger than its padded input; grow ``shape`` so the layer can run."""
        spatial = shape[first:]
        if all(s >= k for s, k in zip(spatial, need)):
            return
        kernel = "x".join(str(k + 2 * p) for k, p in zip(need, pads))
        padded = "x".join(str(s + 2 * p) for s, p in zip(spatial, pads))
        self.add(
            name,
            "kernel",
            tuple(max(k, 1) for k in need),
            tuple(spatial),
            f"{name} ({describe(m)}) has a {kernel} kernel but its input, {self.origin(src, 1)}, is only "
            f"{'x'.join(map(str, spatial))} ({padded} with padding): the kernel does not fit.",
            "",
            needs_sizes=True,
        )
        shape[first:] = [max(s, k, 1) for s, k in zip(spatial, need)]

    def _linear(self, name: str, m: nn.Linear, x: Tensor, src: Source | None) -> Tensor | None:
        got = x.shape[-1] if x.dim() else 1
        if got == m.in_features:
            return None
        producer = self.modules.get(src.layer) if src is not None else None
        # Features that came through a flatten of a feature map change with the input size; after
        # another Linear or an adaptive pool they do not.
        size_bound = not isinstance(
            producer, (nn.Linear, nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
        )
        self.add(
            name,
            "features",
            m.in_features,
            got,
            f"{name} ({describe(m)}) expects {m.in_features} input features but gets {got} (input "
            f"{fmt_shape(x.shape)}), {self.origin(src, x.dim() - 1)}."
            + (" After a flatten, that number is channels x height x width, so it changes with the input size."
               if size_bound else ""),
            f"{self.fix_target(name)}: Linear in_features {m.in_features} -> {got}"
            + (", or feed the input size the model was built for" if size_bound else ""),
        )
        return torch.zeros((*x.shape[:-1], m.in_features), device=x.device, dtype=x.dtype)

    def _norm(
        self, name: str, m: nn.modules.batchnorm._NormBase, x: Tensor, src: Source | None
    ) -> Tensor | None:
        # InstanceNorm without affine weights or running stats ignores num_features (PyTorch only
        # warns), so a mismatch there is harmless and not reported.
        if isinstance(m, nn.modules.instancenorm._InstanceNorm) and not (m.affine or m.track_running_stats):
            return None
        dims = _allowed_dims(m)
        if x.dim() not in dims:
            x = self._norm_dims(name, m, x, src, dims)
            new = self._channels_norm(name, m, x, src, m.num_features, "num_features")
            return x if new is None else new
        new = self._channels_norm(name, m, x, src, m.num_features, "num_features")
        x = new if new is not None else x
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and x.dim() >= 2:
            per_channel = x.numel() // x.shape[1]
            if per_channel == 1:
                self.add(
                    name,
                    "batch-stats",
                    2,
                    1,
                    f"{name} ({describe(m)}) in training mode computes a mean and variance per channel over "
                    f"batch and space, but its input {fmt_shape(x.shape)} has one value per channel.",
                    "use a batch of 2 or more or a larger input; or evaluate with model.eval(), or use "
                    "InstanceNorm (the reference's innermost U-Net block has no norm for this reason)",
                )
                # Carry on: in eval mode the layer uses running stats and keeps the shape. The
                # module belongs to the doctor's meta copy, so changing its mode is harmless.
                m.eval()
        return new

    def _norm_dims(
        self, name: str, m: nn.Module, x: Tensor, src: Source | None, dims: tuple[int, ...]
    ) -> Tensor:
        """A norm fed a tensor with the wrong number of dims (an unbatched input, most often)."""
        want = " or ".join(f"{d}-d" for d in dims)
        missing = x.dim() + 1 in dims
        target = min((d for d in dims if d >= x.dim()), default=dims[-1])
        self.add(
            name,
            "dims",
            target,
            x.dim(),
            f"{name} ({describe(m)}) needs a {want} input but gets {fmt_shape(x.shape)}, {self.origin(src, 0)}."
            + (" Convolutions accept an input without its batch dimension; norms like this one do not."
               if missing else ""),
            f"give the model a batched input: {fmt_shape((1, *self.input_shape))} instead of "
            f"{fmt_shape(self.input_shape)} (x.unsqueeze(0))"
            if missing else f"reshape the input of {name} to {want}",
        )
        # Carry on with a batch dim added (too few dims) or the extra inner dims dropped (too many).
        shape = list(x.shape)
        if len(shape) < target:
            shape = [1] * (target - len(shape)) + shape
        else:
            shape = shape[:2] + shape[len(shape) - (target - 2) :] if target > 2 else shape[:target]
        return torch.zeros(shape, device=x.device, dtype=x.dtype)

    def _channels_norm(
        self, name: str, m: nn.Module, x: Tensor, src: Source | None, expected: int, field_name: str
    ) -> Tensor | None:
        cdim = 0 if _unbatched_instance_norm(m, x) else 1
        if x.dim() < 2 or x.shape[cdim] == expected:
            return None
        got = int(x.shape[cdim])
        kind = type(m).__name__
        fix = f"{self.fix_target(name)}: {kind} {field_name} {expected} -> {got}"
        producer = self.modules.get(src.layer) if src is not None else None
        if isinstance(producer, nn.modules.conv._ConvNd) and src is not None and src.concat is None:
            conv = type(producer).__name__
            fix_norm = f"{name}: {kind} {field_name} {expected} -> {got}"
            fix_conv = f"{src.layer}: {conv} out_channels {got} -> {expected}"
            fix = f"{fix_norm}, or {fix_conv}" if self.norm_carry == "mend" else f"{fix_conv}, or {fix_norm}"
            # The notebook's typo in one line: the conv before got both its counts wrong.
            for earlier in self.found:
                if (
                    earlier.module == src.layer
                    and earlier.kind == "channels"
                    and isinstance(earlier.actual, int)
                ):
                    should = f"{conv}({earlier.actual}, {expected})"
                    earlier.fix += f"; with the next problem ({name}), {src.layer} should be {should}"
        self.add(
            name,
            "channels",
            expected,
            got,
            f"{name} ({describe(m)}) normalizes {expected} channels but gets {got}, {self.origin(src, cdim)}.",
            fix,
        )
        if self.norm_carry == "mend" and _resize_norm(m, got, x.device):
            return x  # the doctor's copy of the norm now takes `got` channels: they flow on
        shape = list(x.shape)
        shape[cdim] = expected
        return torch.zeros(shape, device=x.device, dtype=x.dtype)

    def _layer_norm(self, name: str, m: nn.LayerNorm, x: Tensor, src: Source | None) -> Tensor | None:
        want = tuple(m.normalized_shape)
        got = tuple(x.shape[-len(want) :]) if x.dim() >= len(want) else tuple(x.shape)
        if got == want:
            return None
        self.add(
            name,
            "features",
            want,
            got,
            f"{name} (LayerNorm{want}) normalizes the last dims {want} but gets {got} (input "
            f"{fmt_shape(x.shape)}), {self.origin(src, x.dim() - 1)}.",
            f"{self.fix_target(name)}: LayerNorm normalized_shape {want} -> {got}",
        )
        return torch.zeros((*x.shape[: x.dim() - len(want)], *want), device=x.device, dtype=x.dtype)

    def _pool(self, name: str, m: nn.Module, x: Tensor, src: Source | None) -> Tensor | None:
        n = {"1d": 1, "2d": 2, "3d": 3}.get(type(m).__name__[-2:].lower(), 2)
        if x.dim() < n + 1:
            return None

        def per_dim(v: Any) -> tuple[int, ...]:
            return tuple(v) if isinstance(v, (tuple, list)) else (int(v),) * n

        kernel, pads = per_dim(m.kernel_size), per_dim(m.padding)
        dilation = per_dim(getattr(m, "dilation", 1))
        need = [dilation[i] * (kernel[i] - 1) + 1 - 2 * pads[i] for i in range(n)]
        if getattr(m, "ceil_mode", False):
            # ceil_mode keeps a last window that starts inside the input: one that fits is enough
            stride = per_dim(m.stride or m.kernel_size)
            spatial = x.shape[x.dim() - n :]
            if all(_pool_out(spatial[i], kernel[i], stride[i], pads[i], dilation[i]) >= 1 for i in range(n)):
                return None
        shape = list(x.shape)
        self._kernel_fits(name, m, shape, x.dim() - n, need, pads, src)
        return None if shape == list(x.shape) else torch.zeros(shape, device=x.device, dtype=x.dtype)

    # --- torch.cat, torch.stack, + ---
    def check_combine(
        self, op: str, tensors: list[Tensor], dim: int | None, sources: list[Source | None], module: str
    ) -> list[Tensor] | None:
        if not tensors:
            return None
        index = len(self.concats)  # the index the tracer will give this combination
        first = tensors[0]
        if op == "add":
            try:
                torch.broadcast_shapes(first.shape, tensors[1].shape)
                return None
            except RuntimeError:
                bad = 1
            fix = (
                "make both sides the same shape, e.g. a 1x1 conv with the same stride on the shortcut "
                "(ResNet's downsample)"
            )
        else:
            ndim = first.dim()
            d = (dim % ndim if op == "torch.cat" else None) if ndim else None
            bad = next(
                (
                    i
                    for i, t in enumerate(tensors[1:], 1)
                    if t.dim() != ndim
                    or any(a != b for j, (a, b) in enumerate(zip(t.shape, first.shape)) if j != d)
                ),
                0,
            )
            if not bad:
                return None
            fix = ""
        a, b = first, tensors[bad]
        pa, pb = (s.producer if s else "?" for s in (sources[0], sources[bad]))
        what = {"torch.cat": "joins", "torch.stack": "stacks", "add": "adds"}[op]
        message = (
            f"{op} {what} {fmt_shape(a.shape)} from {pa} with {fmt_shape(b.shape)} from {pb}: "
            + (
                "all sizes except the concatenated dim must match. "
                if op == "torch.cat"
                else "the shapes must match. "
            )
            + self._halving(a, b)
        )
        self.found.append(
            _Found(
                module,
                "concat",
                tuple(a.shape),
                tuple(b.shape),
                message,
                fix,
                concat=index,
                needs_sizes=not fix,
            )
        )
        # Carry on with the larger size in every dim but the concatenated one (the encoder's
        # rounded-down size is the larger: its way back up then meets the next skip again).
        if op == "add":
            return [first, torch.zeros(first.shape, device=first.device, dtype=first.dtype)]
        target = [max(t.shape[j] for t in tensors if t.dim() == first.dim()) for j in range(first.dim())]
        out = []
        for t in tensors:
            shape = list(target)
            if op == "torch.cat" and t.dim() == first.dim():
                shape[dim % first.dim()] = t.shape[dim % first.dim()]  # type: ignore[operator]
            out.append(torch.zeros(shape, device=t.device, dtype=t.dtype))
        return out

    def _halving(self, a: Tensor, b: Tensor) -> str:
        """Why spatial sizes differ in a U-Net: the input is halved with rounding down."""
        if a.dim() < 3 or len(self.input_shape) < 3 or a.dim() != b.dim():
            return ""
        # the spatial dim where they differ (height or width), and the input's size along it
        d = next((i for i in range(a.dim() - 1, 1, -1) if a.shape[i] != b.shape[i]), a.dim() - 1)
        offset = d - a.dim()
        if -offset > len(self.input_shape) - 2:
            return ""
        size = self.input_shape[offset]
        target = max(a.shape[d], b.shape[d])
        chain = [size]
        while chain[-1] > target and chain[-1] > 1:
            chain.append(chain[-1] // 2)
        if chain[-1] != target or target % 2 == 0:
            return ""
        what = "input size" if len(set(self.input_shape[2:])) == 1 else f"input {_dim_name(offset)}"
        return (
            f"The {what} {size} is halved with rounding down ({' -> '.join(map(str, chain))}), "
            f"and {target} is odd: it halves to {target // 2}, which doubles back up to {target // 2 * 2}, "
            f"not {target}."
        )

    # --- after the pass ---
    def problems(self, trace: Trace, sizes: InputSizes | None) -> tuple[Problem, ...]:
        out = []
        spatial = self.input_shape[2:] if len(self.input_shape) >= 3 else self.input_shape[-1:]
        square = len(set(spatial)) == 1
        for f in self.found:
            module, block, fix = f.module, f.block, f.fix
            if f.concat is not None and f.concat < len(trace.concats):
                c = trace.concats[f.concat]
                module = c.consumer or c.module or "(model)"
                block = self.block_of(module) or block
                f.message = f.message.replace(f"{c.op} ", f"{c.op} before {module} ", 1)
            if f.needs_sizes:
                degenerate = sizes is not None and sizes.maximum is not None and sizes.maximum < MIN_USEFUL_SIZE
                if degenerate and f.kind == "concat":  # e.g. a stride-2 branch joined to a stride-1 one
                    fix = (
                        f"no useful input size fixes this ({sizes.describe()} would run): the joined tensors "
                        "are downsampled differently; make their strides match, or resize one before the call"
                    )
                elif sizes is not None and not degenerate and not all(sizes.is_valid(x) for x in spatial):
                    # one clause per bad dim: "a height of 48 or 64 instead of 60"; square: "an input size"
                    bad = [(i - len(spatial), x) for i, x in enumerate(spatial) if not sizes.is_valid(x)]
                    if square:
                        bad = bad[:1]
                    parts = [
                        f"{'an input size' if square else 'a ' + _dim_name(i)} of "
                        f"{' or '.join(map(str, sizes.nearest(x)))} instead of {x}"
                        for i, x in bad
                    ]
                    fix = f"use {' and '.join(parts)} (valid: {sizes.describe()})"
                elif f.kind == "kernel":
                    fix = f"use a larger input, or a smaller kernel or more padding at {f.module}"
                else:
                    fix = "make the sizes match: resize or pad the input, or crop or pad a tensor before the call"
            out.append(Problem(module, f.kind, f.expected, f.actual, f.message, fix, block, f.concat))
        return _fold_size_cascade(out)


def _dim_name(offset: int) -> str:
    """-1 -> "width", -2 -> "height", -3 -> "depth" (the spatial dims, counted from the end)."""
    return {-1: "width", -2: "height", -3: "depth"}.get(offset, f"dim {offset}")


SIZE_KINDS = ("kernel", "batch-stats", "concat")
MIN_USEFUL_SIZE = 8  # valid sizes that all lie below this are an accident of rounding, not a fix


def _allowed_dims(m: nn.modules.batchnorm._NormBase) -> tuple[int, ...]:
    """The input ranks a batch or instance norm takes, asked of the layer itself."""
    dims = []
    for d in range(1, 7):
        try:
            m._check_input_dim(torch.empty((1,) * d, device="meta"))
        except ValueError:
            continue
        dims.append(d)
    return tuple(dims) or (2, 3, 4, 5)


def _unbatched_instance_norm(m: nn.Module, x: Tensor) -> bool:
    return isinstance(m, nn.modules.instancenorm._InstanceNorm) and x.dim() == m._get_no_batch_dim()


def _pool_out(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Output length of a ceil_mode pool (PyTorch's pooling_output_shape)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _resize_norm(m: nn.Module, channels: int, device: torch.device) -> bool:
    """Give the doctor's copy of a norm ``channels`` features (its fix applied); False if it cannot."""
    if isinstance(m, nn.modules.batchnorm._NormBase):
        m.num_features = channels
    elif isinstance(m, nn.GroupNorm) and channels % m.num_groups == 0:
        m.num_channels = channels
    else:
        return False
    for attr in ("weight", "bias"):
        if getattr(m, attr, None) is not None:
            setattr(m, attr, nn.Parameter(torch.empty(channels, device=device)))
    for attr in ("running_mean", "running_var"):
        if getattr(m, attr, None) is not None:
            setattr(m, attr, torch.empty(channels, device=device))
    return True


def _fold_size_cascade(problems: list[Problem]) -> tuple[Problem, ...]:
    """After a kernel that does not fit, the pass carries on with a made-up size, so every later
    size problem is an echo of the first: fold them into it (channel problems stay separate)."""
    first = next((i for i, p in enumerate(problems) if p.kind == "kernel"), None)
    if first is None:
        return tuple(problems)
    echoes = [p for p in problems[first + 1 :] if p.kind in SIZE_KINDS]
    if not echoes:
        return tuple(problems)
    names = ", ".join(p.module for p in echoes[:6]) + (", ..." if len(echoes) > 6 else "")
    head = problems[first]
    folded = replace(
        head,
        message=f"{head.message} Carrying on from there, {len(echoes)} later layer(s) hit the same size "
        f"problem ({names}); one fix covers them all.",
    )
    rest = [p for p in problems[first + 1 :] if p.kind not in SIZE_KINDS]
    return (*problems[:first], folded, *rest)


def diagnose(model: nn.Module, input_shape: Sequence[int]) -> Diagnosis:
    """Every shape problem of ``model`` on an input of ``input_shape`` (B, C, H, W), in one pass.

    Runs on a meta copy: the model itself is left as it was. ``ok`` is True when nothing is
    wrong; then ``trace`` equals ``inspector.shapes.trace(model, input_shape)``.
    """
    shape = check_shape(input_shape)
    run = traced_run(model, shape, lambda copy: _Doctor(copy, shape, "expect"))
    doctor = run.observer
    assert doctor is not None
    if any(f.kind == "channels" and _is_norm(doctor.modules.get(f.module)) for f in doctor.found):
        # Which side of a norm mismatch is wrong shows downstream: keep the shorter explanation.
        # The second pass runs on its own copy ("mend" changes the copy's norms), on the same device.
        other = traced_run(model, shape, lambda copy: _Doctor(copy, shape, "mend"), device=run.device)
        assert other.observer is not None
        if len(other.observer.found) < len(doctor.found):
            run, doctor = other, other.observer
    if run.error is not None:
        where = run.failed_in or "the model"
        text = " ".join(str(run.error).split()) or type(run.error).__name__
        doctor.add(
            where,
            "runtime",
            None,
            None,
            f"{where} raised {type(run.error).__name__}: {text}",
            "the doctor has no rule for this error; the message is PyTorch's own (the pass stopped here)",
        )
    sizes = None
    if any(f.needs_sizes for f in doctor.found):
        sizes = valid_input_sizes(model, shape)
    problems = doctor.problems(run.trace, sizes)
    return Diagnosis(
        ok=not problems, problems=problems, trace=run.trace, input_shape=shape, sizes=sizes, device=run.device
    )


def _is_norm(m: nn.Module | None) -> bool:
    return isinstance(m, (nn.modules.batchnorm._NormBase, nn.GroupNorm))


MAX_RUN_BYTES = 1 << 30  # 1 GiB: a real CPU run for PyTorch's message; beyond it the meta answer stands


def pytorch_error(
    model: nn.Module, input_shape: Sequence[int], max_bytes: int = MAX_RUN_BYTES
) -> str | None:
    """What PyTorch itself says when ``model`` runs on CPU at ``input_shape`` (None if it runs).

    The copy's weights are uninitialized memory (``to_empty``): fast, and the values do not
    matter for a shape error. Used to show the learner the message the doctor explains.
    Raises ``UserError`` instead of running when the run would need more than ``max_bytes``
    (see ``real_run_bytes``): a 4096-channel model must not take the machine's memory.
    """
    shape = check_shape(input_shape)
    need = real_run_bytes(model, shape)
    if need > max_bytes:
        raise UserError(
            f"running it for real would need about {need / 2**30:.1f} GiB of CPU memory "
            f"(the limit is {max_bytes / 2**30:.1f} GiB), so only the meta-device diagnosis is shown"
        )
    copy = meta_copy(model).to_empty(device="cpu")
    try:
        with torch.no_grad():
            copy(torch.zeros(shape))
    except Exception as exc:  # any error is the answer
        return " ".join(str(exc).split()) or type(exc).__name__
    except SystemExit as exc:  # a forward that calls sys.exit() must not stop the app
        return f"the model's forward called sys.exit({exc.code!r})"
    return None

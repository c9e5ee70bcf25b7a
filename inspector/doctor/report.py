"""The doctor's report: its problems and diagnosis, and every sentence it writes.

The rules (``inspector.doctor.rules``) decide *what* is wrong and hand the facts to the wording
functions here, which say it: what the layer expected, what it got, where the tensor came from
and the concrete change that fixes it. Each returns ``Words(message, fix)``. After the pass,
``to_problems`` completes the size fixes from the valid input sizes and folds a cascade of size
problems into its first one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

from torch import nn

from inspector.doctor.changes import Change, input_change
from inspector.shapes.input_sizes import InputSizes
from inspector.shapes.recorder import Source
from inspector.shapes.records import INPUT, ConcatRecord, Shape, Trace
from inspector.shapes.text import describe_layer as describe  # one layer description for every view
from inspector.shapes.text import fmt_shape

Value = int | tuple[int, ...] | None

SIZE_KINDS = ("kernel", "batch-stats", "concat")
MIN_USEFUL_SIZE = 8  # valid sizes that all lie below this are an accident of rounding, not a fix


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
    # The fix as changes, e.g. (body.3 BatchNorm2d num_features 64 -> 128, body.5 Conv2d in_channels
    # 64 -> 128): ``verified`` when the doctor applied them to a meta copy and the model then got
    # past this point; otherwise ``fix`` is a suggestion.
    verified: bool = False
    changes: tuple[Change, ...] = ()
    # The other ways out the rule saw (each a tuple of changes); the proof picks among them.
    options: tuple[tuple[Change, ...], ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["options"]
        data["changes"] = [{**asdict(c), "text": c.text()} for c in self.changes]
        return data


@dataclass(frozen=True)
class Diagnosis:
    """The doctor's findings; ``trace`` is the pass carried on past every problem."""

    ok: bool
    problems: tuple[Problem, ...]
    trace: Trace
    input_shape: Shape
    sizes: InputSizes | None = None  # the valid input sizes, when a size problem was found
    device: str = "meta"  # "cpu" when the forward needed values and a small CPU copy ran instead
    notes: tuple[str, ...] = ()  # not problems: a skip rewritten in place, an output of another size

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "input_shape": list(self.input_shape),
            "problems": [p.to_dict() for p in self.problems],
            "valid_input_sizes": asdict(self.sizes) if self.sizes else None,
            "device": self.device,
            "notes": list(self.notes),
        }


@dataclass
class Finding:
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
    options: tuple[tuple[Change, ...], ...] = ()  # the ways out, each a set of changes


class Words(NamedTuple):
    """What the doctor says about one problem."""

    message: str
    fix: str


# --- where a tensor came from ---
def _piece(size: int | None, c: ConcatRecord, dim: int) -> str:
    """'24 of the 48 ' when the tensor is a piece (chunk, split, unbind, a slice) of the combination's result."""
    total = c.output_shape[dim] if dim < len(c.output_shape) else None
    return f"{size} of the {total} " if size is not None and total is not None and size != total else ""


def origin(
    src: Source | None,
    dim: int,
    concats: Sequence[ConcatRecord],
    modules: Mapping[str, nn.Module],
    size: int | None = None,
) -> str:
    """Where a tensor came from, in words: '... from model.0 (Conv2d(3, 64))'; ``size`` is the
    tensor's own size along ``dim`` (a piece of a cat says so: '24 of the 48 made by torch.cat ...')."""
    if src is None:
        return "from a computation the tracer did not see"
    if src.concat is not None and src.concat < len(concats):
        c = concats[src.concat]
        if c.op == "torch.cat" and c.dim == dim:
            parts = " and ".join(f"{r.shape[dim]} from {r.producer}" for r in c.inputs if len(r.shape) > dim)
            return f"{_piece(size, c, dim)}made by torch.cat of {parts}".strip()
        return f"made by {c.label} ({' + '.join(r.producer for r in c.inputs)})"
    if src.producer == INPUT:
        return "from the model's input"
    leaf = modules.get(src.layer)
    if src.producer == src.layer and leaf is not None:
        return f"from {src.producer} ({describe(leaf)})"
    return f"from {src.producer}"


def skip_index(c: ConcatRecord, dim: int, made_at: Callable[[str], int]) -> int:
    """Which input of a two-tensor cat is the skip: the one made first (on the contracting path),
    wherever it stands: the notebook writes cat([decoder, encoder]), milesial's U-Net and smp
    cat([upsampled, skip]). Among inputs of a different resolution, none is (-1)."""
    if len(c.inputs) != 2 or any(len(r.shape) != len(c.inputs[0].shape) for r in c.inputs):
        return -1
    same = all(a == b for j, (a, b) in enumerate(zip(c.inputs[0].shape, c.inputs[1].shape)) if j != dim)
    if not same:
        return -1
    when = [-1 if r.producer == INPUT else made_at(leaf) for r, leaf in zip(c.inputs, c.input_layers)]
    return when.index(min(when)) if when[0] != when[1] else -1


def composition(
    src: Source | None, dim: int, total: int, concats: Sequence[ConcatRecord], made_at: Callable[[str], int]
) -> str:
    """' (512 from decoder_5 + 512 skip from encoder_4)' or ' (64 from model.0)'; a piece of a cat:
    ' (24 of the 48 made by torch.cat#0: 24 from a + 24 from b)'.

    ``made_at(layer)`` is when the tensor was made (a leaf's first run, or a combination's):
    the skip is the input made first (``skip_index``).
    """
    if src is None:
        return ""
    if src.concat is not None and src.concat < len(concats):
        c = concats[src.concat]
        if c.op == "torch.cat" and c.dim == dim:
            piece = _piece(total, c, dim)
            skip = -1 if piece else skip_index(c, dim, made_at)  # a piece is no skip connection
            parts = [
                f"{r.shape[dim]} {'skip ' if i == skip else ''}from {r.producer}"
                for i, r in enumerate(c.inputs)
                if len(r.shape) > dim
            ]
            if piece:
                return f" ({piece}made by {c.label}: {' + '.join(parts)})"
            return f" ({' + '.join(parts)})"
    return f" ({total} from {src.producer})"


# --- layers ---
def _spatial_names(n: int) -> str:
    return ", ".join("HWD"[:n])


def conv_dims(name: str, m: nn.modules.conv._ConvNd, shape: Shape, came_from: str) -> Words:
    n = len(m.kernel_size)
    return Words(
        f"{name} ({describe(m)}) needs a {n + 2}-d input (B, C, {_spatial_names(n)}) but gets "
        f"{fmt_shape(shape)}, {came_from}.",
        f"reshape the input of {name} to (B, {m.in_channels}, {_spatial_names(n)})",
    )


def conv_channels(
    name: str,
    m: nn.modules.conv._ConvNd,
    got: int,
    from_input: bool,
    target: str,
    came_from: str,
    parts: str,
    pix2pix: bool = False,
) -> Words:
    """A conv fed ``got`` channels where it expects ``m.in_channels``; ``parts`` is ``composition``.
    ``pix2pix``: the model is ours or a PatchGAN, so an input of 1 or 2 channels is L or ab alone."""
    expected, kind = m.in_channels, type(m).__name__
    lab = ""
    if from_input:
        fix = (
            f"feed a {expected}-channel input (B, {expected}, H, W), or set "
            f"{name}: {kind} in_channels {expected} -> {got}"
        )
        if expected == 3 and not pix2pix:
            lab = (
                " The first layer expects 3 channels: an RGB image, or change in_channels"
                " (a grayscale image has 1: x.expand(-1, 3, -1, -1) repeats it)."
            )
            fix = f"feed an RGB image (B, 3, H, W), or set {name}: {kind} in_channels 3 -> {got}"
        if expected == 3 and got in (1, 2) and pix2pix:
            fix = (
                "feed L and ab together: torch.cat([L, ab], dim=1) has 1 + 2 = 3 channels (the "
                "discriminator judges the colours together with the lightness they belong to)"
            )
            alone = "L" if got == 1 else "ab"
            lab = f" In Lab colour L has 1 channel, ab 2, and L + ab 3: this input looks like {alone} alone."
    else:
        fix = f"{target}: {kind} in_channels {expected} -> {got}{parts}"
    return Words(
        f"{name} ({describe(m)}) expects {expected} input channels but gets {got}, {came_from}.{lab}", fix
    )


def kernel_too_large(
    name: str, m: nn.Module, need: Sequence[int], pads: Sequence[int], spatial: Sequence[int], came_from: str
) -> Words:
    """A kernel larger than its padded input; the fix comes from the valid sizes (``to_problems``)."""
    kernel = "x".join(str(k + 2 * p) for k, p in zip(need, pads))
    padded = "x".join(str(s + 2 * p) for s, p in zip(spatial, pads))
    return Words(
        f"{name} ({describe(m)}) has a {kernel} kernel but its input, {came_from}, is only "
        f"{'x'.join(map(str, spatial))} ({padded} with padding): the kernel does not fit.",
        "",
    )


def linear_features(
    name: str, m: nn.Linear, got: int, shape: Shape, came_from: str, target: str, size_bound: bool
) -> Words:
    """``size_bound``: the features came through a flatten of a feature map, so they follow the input size."""
    return Words(
        f"{name} ({describe(m)}) expects {m.in_features} input features but gets {got} (input "
        f"{fmt_shape(shape)}), {came_from}."
        + (
            " After a flatten, that number is channels x height x width, so it changes with the input size."
            if size_bound
            else ""
        ),
        f"{target}: Linear in_features {m.in_features} -> {got}"
        + (", or feed the input size the model was built for" if size_bound else ""),
    )


def one_value_per_channel(name: str, m: nn.Module, shape: Shape) -> Words:
    return Words(
        f"{name} ({describe(m)}) in training mode computes a mean and variance per channel over "
        f"batch and space, but its input {fmt_shape(shape)} has one value per channel.",
        "use a batch of 2 or more or a larger input; or evaluate with model.eval(), or use "
        "InstanceNorm (the reference's innermost U-Net block has no norm for this reason)",
    )


def norm_dims(
    name: str, m: nn.Module, shape: Shape, came_from: str, dims: Sequence[int], input_shape: Shape
) -> Words:
    """A norm fed a tensor with a rank outside ``dims``; one dim short is an unbatched input."""
    want = " or ".join(f"{d}-d" for d in dims)
    missing = len(shape) + 1 in dims
    return Words(
        f"{name} ({describe(m)}) needs a {want} input but gets {fmt_shape(shape)}, {came_from}."
        + (
            " Convolutions accept an input without its batch dimension; norms like this one do not."
            if missing
            else ""
        ),
        f"give the model a batched input: {fmt_shape((1, *input_shape))} instead of "
        f"{fmt_shape(input_shape)} (x.unsqueeze(0))"
        if missing
        else f"reshape the input of {name} to {want}",
    )


def norm_channels(
    name: str,
    m: nn.Module,
    field_name: str,
    expected: int,
    got: int,
    came_from: str,
    target: str,
    conv_fix: str | None,
    conv_first: bool,
) -> Words:
    """A norm built for ``expected`` channels (its ``field_name``) fed ``got``. ``conv_fix`` is the
    other way out when a conv made the tensor ("body.0: Conv2d out_channels 64 -> 128"), offered
    first when ``conv_first``."""
    kind = type(m).__name__
    fix = f"{target}: {kind} {field_name} {expected} -> {got}"
    if conv_fix is not None:
        fix_norm = f"{name}: {kind} {field_name} {expected} -> {got}"
        fix = f"{conv_fix}, or {fix_norm}" if conv_first else f"{fix_norm}, or {conv_fix}"
    return Words(f"{name} ({describe(m)}) normalizes {expected} channels but gets {got}, {came_from}.", fix)


def conv_out_channels(layer: str, conv: nn.Module, got: int, expected: int) -> str:
    return f"{layer}: {type(conv).__name__} out_channels {got} -> {expected}"


def conv_should_be(norm: str, layer: str, conv: nn.Module, in_channels: int, out_channels: int) -> str:
    """Added to the fix of a conv with the wrong in_channels when the norm after it shows its out_channels
    are wrong too: the notebook's typo in one line."""
    return f"; with the next problem ({norm}), {layer} should be {type(conv).__name__}({in_channels}, {out_channels})"


def layer_norm_shape(name: str, want: Shape, got: Shape, shape: Shape, came_from: str, target: str) -> Words:
    return Words(
        f"{name} (LayerNorm{want}) normalizes the last dims {want} but gets {got} (input "
        f"{fmt_shape(shape)}), {came_from}.",
        f"{target}: LayerNorm normalized_shape {want} -> {got}",
    )


def layer_width(
    name: str, m: nn.Module, field_name: str, want: int, got: int, dim: int, came_from: str
) -> Words:
    """A layer judged by running it (a fused norm, a channels-first LayerNorm, a conv wrapper):
    it runs once dim ``dim`` of its input has its own ``field_name``, ``want``."""
    what = "channels" if dim == 1 else f"values in dim {dim}"
    return Words(
        f"{name} ({describe(m)}) is built for {want} {what} ({field_name}) but gets {got}, {came_from}.",
        f"{name}: {type(m).__name__} {field_name} {want} -> {got}",
    )


# --- torch.cat, torch.stack, + ---
def combine_mismatch(op: str, a: Shape, from_a: str, b: Shape, from_b: str, input_shape: Shape) -> Words:
    """Two tensors that cannot be joined; the fix of a cat or stack comes from the valid sizes."""
    what = {"torch.cat": "joins", "torch.stack": "stacks", "add": "adds"}[op]
    rule = (
        "all sizes except the concatenated dim must match. "
        if op == "torch.cat"
        else "the shapes must match. "
    )
    fix = (
        "make both sides the same shape, e.g. a 1x1 conv with the same stride on the shortcut (ResNet's downsample)"
        if op == "add"
        else ""
    )
    return Words(
        f"{op} {what} {fmt_shape(a)} from {from_a} with {fmt_shape(b)} from {from_b}: {rule}"
        + halving(a, b, input_shape),
        fix,
    )


def halving(a: Shape, b: Shape, input_shape: Shape) -> str:
    """Why spatial sizes differ in a U-Net: the input is halved with rounding down."""
    if len(a) < 3 or len(input_shape) < 3 or len(a) != len(b):
        return ""
    # the spatial dim where they differ (height or width), and the input's size along it
    d = next((i for i in range(len(a) - 1, 1, -1) if a[i] != b[i]), len(a) - 1)
    offset = d - len(a)
    if -offset > len(input_shape) - 2:
        return ""
    size = input_shape[offset]
    target = max(a[d], b[d])
    chain = [size]
    while chain[-1] > target and chain[-1] > 1:
        chain.append(chain[-1] // 2)
    if chain[-1] != target or target % 2 == 0:
        return ""
    what = "input size" if len(set(input_shape[2:])) == 1 else f"input {dim_name(offset)}"
    return (
        f"The {what} {size} is halved with rounding down ({' -> '.join(map(str, chain))}), "
        f"and {target} is odd: it halves to {target // 2}, which doubles back up to {target // 2 * 2}, "
        f"not {target}."
    )


def too_few_values(where: str, error: BaseException) -> Words:
    """A norm that needs more than one value per channel (BatchNorm in training) or more than one
    spatial element (InstanceNorm, MONAI's norms) raised: the input is too small for it."""
    text = " ".join(str(error).split())
    return Words(
        f"{where} raised: {text}. A norm's statistics need more than one value: here the feature map "
        "is down to a single value.",
        "use a batch of 2 or more or a larger input; or evaluate with model.eval()",
    )


TOO_FEW_VALUES = ("Expected more than 1 value per channel", "Expected more than 1 spatial element")


def runtime(where: str, error: BaseException) -> Words:
    """Anything the rules did not foresee: PyTorch's own message, and the pass stopped there."""
    text = " ".join(str(error).split()) or type(error).__name__
    return Words(
        f"{where} raised {type(error).__name__}: {text}",
        "the doctor has no rule for this error; the message is PyTorch's own (the pass stopped here)",
    )


def dim_name(offset: int) -> str:
    """-1 -> "width", -2 -> "height", -3 -> "depth" (the spatial dims, counted from the end)."""
    return {-1: "width", -2: "height", -3: "depth"}.get(offset, f"dim {offset}")


# --- after the pass ---
def _size_fix(f: Finding, sizes: InputSizes | None, spatial: Shape) -> str:
    """The fix of a size problem, from the sizes that work."""
    degenerate = sizes is not None and sizes.maximum is not None and sizes.maximum < MIN_USEFUL_SIZE
    if degenerate and f.kind == "concat" and sizes is not None:
        # e.g. a stride-2 branch joined to a stride-1 one
        return (
            f"no useful input size fixes this ({sizes.describe()} would run): the joined tensors "
            "are downsampled differently; make their strides match, or resize one before the call"
        )
    if sizes is not None and not degenerate and not all(sizes.is_valid(x) for x in spatial):
        # one clause per bad dim: "a height of 48 or 64 instead of 60"; square: "an input size"
        square = len(set(spatial)) == 1
        bad = [(i - len(spatial), x) for i, x in enumerate(spatial) if not sizes.is_valid(x)]
        if square:
            bad = bad[:1]
        parts = [
            f"{'an input size' if square else 'a ' + dim_name(i)} of "
            f"{' or '.join(map(str, sizes.nearest(x)))} instead of {x}"
            for i, x in bad
        ]
        text = f"use {' and '.join(parts)} (valid: {sizes.describe()})"
        return f"{text}; or {f.fix}" if f.kind == "batch-stats" else text
    if f.kind in ("batch-stats", "runtime"):  # no size helps: the rule's own words
        return f.fix
    if f.kind == "kernel":
        return f"use a larger input, or a smaller kernel or more padding at {f.module}"
    return "make the sizes match: resize or pad the input, or crop or pad a tensor before the call"


def _size_options(sizes: InputSizes | None, input_shape: Shape) -> tuple[tuple[Change, ...], ...]:
    """The input shapes the size fix names, as changes (the nearest size below first)."""
    if sizes is None or len(input_shape) < 3:
        return ()
    spatial = input_shape[2:]
    out: list[tuple[Change, ...]] = []
    for k in (0, 1):
        new = tuple(
            x if sizes.is_valid(x) else sizes.nearest(x)[min(k, len(sizes.nearest(x)) - 1)] for x in spatial
        )
        change = (input_change(input_shape, (*input_shape[:2], *new)),)
        if new != tuple(spatial) and change not in out:
            out.append(change)
    return tuple(out)


def to_problems(
    found: Sequence[Finding],
    trace: Trace,
    sizes: InputSizes | None,
    input_shape: Shape,
    block_of: Callable[[str], str],
) -> tuple[Problem, ...]:
    """The findings of a pass as problems: a bad combination is named after the block it feeds,
    size problems get their fix from ``sizes``, and a cascade of size problems is folded."""
    out = []
    spatial = input_shape[2:] if len(input_shape) >= 3 else input_shape[-1:]
    for f in found:
        module, block, fix, message = f.module, f.block, f.fix, f.message
        if f.concat is not None and f.concat < len(trace.concats):
            c = trace.concats[f.concat]
            module = c.consumer or c.module or "(model)"
            block = block_of(module) or block
            message = message.replace(f"{c.op} ", f"{c.op} before {module} ", 1)
        options = f.options
        if f.needs_sizes:
            fix = _size_fix(f, sizes, spatial)
            options = options or _size_options(sizes, input_shape)
        out.append(
            Problem(
                module,
                f.kind,
                f.expected,
                f.actual,
                message,
                fix,
                block,
                f.concat,
                changes=options[0] if options else (),
                options=options,
            )
        )
    return fold_size_cascade(out)


def fold_size_cascade(problems: list[Problem]) -> tuple[Problem, ...]:
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

"""The doctor's report: its problems and diagnosis, and every sentence it writes.

The rules (``inspector.doctor.rules``) decide *what* is wrong and hand the facts to the wording
functions here, which say it: what the layer expected, what it got, where the tensor came from
(``inspector.doctor.provenance``) and the concrete change that fixes it. Each returns
``Words(message, fix)``. After the pass, ``inspector.doctor.problems.to_problems`` completes the
size fixes from the valid input sizes and folds a cascade of size problems into its first one.

Every sentence is a ``Text`` (``models.text``): English as a ``str`` (the CLI, JSON and the
golden files read it so), with its template kept for the app to render in the reader's language.
A fragment that goes into a sentence ("from model.0 (Conv2d(3, 64))") is a ``Text`` value of it,
so each language orders the parts its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from torch import nn

from inspector.doctor.changes import Change
from inspector.shapes.input_sizes import InputSizes
from inspector.shapes.labels import describe_layer as describe  # one layer description for every view
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Shape, Trace
from models.text import Text, compose, join

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
        data["changes"] = [c.to_dict() for c in self.changes]
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
            "valid_input_sizes": self.sizes.to_dict() if self.sizes else None,  # one rule per side
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
    """What the doctor says about one problem: ``Text`` (English as a ``str``, translatable) or, from
    a rule of one's own, plain English."""

    message: str
    fix: str


OR = Text(" or ")  # between alternatives: "256 or 512", "2-d or 3-d"


# --- layers ---
def _spatial_names(n: int) -> str:
    return ", ".join("HWD"[:n])


def conv_dims(name: str, m: nn.modules.conv._ConvNd, shape: Shape, came_from: str) -> Words:
    n = len(m.kernel_size)
    return Words(
        Text(
            "{name} ({layer}) needs a {rank}-d input (B, C, {spatial}) but gets {shape}, {came_from}.",
            name=name,
            layer=describe(m),
            rank=n + 2,
            spatial=_spatial_names(n),
            shape=fmt_shape(shape),
            came_from=came_from,
        ),
        Text(
            "reshape the input of {name} to (B, {channels}, {spatial})",
            name=name,
            channels=m.in_channels,
            spatial=_spatial_names(n),
        ),
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
    lab: str = ""
    fix: str
    if from_input:
        change = f"{name}: {kind} in_channels {expected} -> {got}"
        fix = Text(
            "feed a {expected}-channel input (B, {expected}, H, W), or set {change}",
            expected=expected,
            change=change,
        )
        if expected == 3 and not pix2pix:
            lab = Text(
                "The first layer expects 3 channels: an RGB image, or change in_channels"
                " (a grayscale image has 1: x.expand(-1, 3, -1, -1) repeats it)."
            )
            fix = Text(
                "feed an RGB image (B, 3, H, W), or set {change}",
                change=f"{name}: {kind} in_channels 3 -> {got}",
            )
        if expected == 3 and got in (1, 2) and pix2pix:
            fix = Text(
                "feed L and ab together: torch.cat([L, ab], dim=1) has 1 + 2 = 3 channels (the "
                "discriminator judges the colours together with the lightness they belong to)"
            )
            lab = Text(
                "In Lab colour L has 1 channel, ab 2, and L + ab 3: this input looks like {alone} alone.",
                alone="L" if got == 1 else "ab",
            )
    else:
        fix = compose(
            "{change}{parts}", change=f"{target}: {kind} in_channels {expected} -> {got}", parts=parts
        )
    message = Text(
        "{name} ({layer}) expects {expected} input channels but gets {got}, {came_from}.",
        name=name,
        layer=describe(m),
        expected=expected,
        got=got,
        came_from=came_from,
    )
    return Words(join([message, lab]), fix)


def kernel_too_large(
    name: str, m: nn.Module, need: Sequence[int], pads: Sequence[int], spatial: Sequence[int], came_from: str
) -> Words:
    """A kernel larger than its padded input; the fix comes from the valid sizes (``to_problems``)."""
    return Words(
        Text(
            "{name} ({layer}) has a {kernel} kernel but its input, {came_from}, is only {size} ({padded} with "
            "padding): the kernel does not fit.",
            name=name,
            layer=describe(m),
            kernel="x".join(str(k + 2 * p) for k, p in zip(need, pads)),
            came_from=came_from,
            size="x".join(map(str, spatial)),
            padded="x".join(str(s + 2 * p) for s, p in zip(spatial, pads)),
        ),
        "",
    )


def linear_features(
    name: str, m: nn.Linear, got: int, shape: Shape, came_from: str, target: str, size_bound: bool
) -> Words:
    """``size_bound``: the features came through a flatten of a feature map, so they follow the input size."""
    message = Text(
        "{name} ({layer}) expects {expected} input features but gets {got} (input {shape}), {came_from}.",
        name=name,
        layer=describe(m),
        expected=m.in_features,
        got=got,
        shape=fmt_shape(shape),
        came_from=came_from,
    )
    change = f"{target}: Linear in_features {m.in_features} -> {got}"
    if not size_bound:
        return Words(message, change)
    return Words(
        join(
            [
                message,
                Text(
                    "After a flatten, that number is channels x height x width, so it changes with the input size."
                ),
            ]
        ),
        Text("{change}, or feed the input size the model was built for", change=change),
    )


BATCH_OF_TWO = Text("use a batch of 2 or more or a larger input; or evaluate with model.eval()")


def one_value_per_channel(name: str, m: nn.Module, shape: Shape) -> Words:
    return Words(
        Text(
            "{name} ({layer}) in training mode computes a mean and variance per channel over batch and space, "
            "but its input {shape} has one value per channel.",
            name=name,
            layer=describe(m),
            shape=fmt_shape(shape),
        ),
        Text(
            "use a batch of 2 or more or a larger input; or evaluate with model.eval(), or use InstanceNorm "
            "(the reference's innermost U-Net block has no norm for this reason)"
        ),
    )


def norm_dims(
    name: str, m: nn.Module, shape: Shape, came_from: str, dims: Sequence[int], input_shape: Shape
) -> Words:
    """A norm fed a tensor with a rank outside ``dims``; one dim short is an unbatched input."""
    want = join([Text("{rank}-d", rank=d) for d in dims], OR)
    message = Text(
        "{name} ({layer}) needs a {want} input but gets {shape}, {came_from}.",
        name=name,
        layer=describe(m),
        want=want,
        shape=fmt_shape(shape),
        came_from=came_from,
    )
    if len(shape) + 1 not in dims:  # not a missing batch dim
        return Words(message, Text("reshape the input of {name} to {want}", name=name, want=want))
    return Words(
        join(
            [
                message,
                Text("Convolutions accept an input without its batch dimension; norms like this one do not."),
            ]
        ),
        Text(
            "give the model a batched input: {batched} instead of {shape} (x.unsqueeze(0))",
            batched=fmt_shape((1, *input_shape)),
            shape=fmt_shape(input_shape),
        ),
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
    fix: str = f"{target}: {kind} {field_name} {expected} -> {got}"
    if conv_fix is not None:
        fix_norm = f"{name}: {kind} {field_name} {expected} -> {got}"
        first, second = (conv_fix, fix_norm) if conv_first else (fix_norm, conv_fix)
        fix = Text("{first}, or {second}", first=first, second=second)
    return Words(
        Text(
            "{name} ({layer}) normalizes {expected} channels but gets {got}, {came_from}.",
            name=name,
            layer=describe(m),
            expected=expected,
            got=got,
            came_from=came_from,
        ),
        fix,
    )


def conv_out_channels(layer: str, conv: nn.Module, got: int, expected: int) -> str:
    return f"{layer}: {type(conv).__name__} out_channels {got} -> {expected}"


def conv_should_be(norm: str, layer: str, conv: nn.Module, in_channels: int, out_channels: int) -> Text:
    """Added to the fix of a conv with the wrong in_channels when the norm after it shows its out_channels
    are wrong too: the notebook's typo in one line."""
    return Text(
        "; with the next problem ({norm}), {layer} should be {intended}",
        norm=norm,
        layer=layer,
        intended=f"{type(conv).__name__}({in_channels}, {out_channels})",
    )


def layer_norm_shape(name: str, want: Shape, got: Shape, shape: Shape, came_from: str, target: str) -> Words:
    return Words(
        Text(
            "{name} ({layer}) normalizes the last dims {want} but gets {got} (input {shape}), {came_from}.",
            name=name,
            layer=f"LayerNorm{want}",
            want=str(want),
            got=str(got),
            shape=fmt_shape(shape),
            came_from=came_from,
        ),
        f"{target}: LayerNorm normalized_shape {want} -> {got}",
    )


def layer_width(
    name: str, m: nn.Module, field_name: str, want: int, got: int, dim: int, came_from: str
) -> Words:
    """A layer judged by running it (a fused norm, a channels-first LayerNorm, a conv wrapper):
    it runs once dim ``dim`` of its input has its own ``field_name``, ``want``."""
    values = dict(name=name, layer=describe(m), want=want, field=field_name, got=got, came_from=came_from)
    message = (
        Text("{name} ({layer}) is built for {want} channels ({field}) but gets {got}, {came_from}.", **values)
        if dim == 1
        else Text(
            "{name} ({layer}) is built for {want} values in dim {dim} ({field}) but gets {got}, {came_from}.",
            dim=dim,
            **values,
        )
    )
    return Words(message, f"{name}: {type(m).__name__} {field_name} {want} -> {got}")


# --- torch.cat, torch.stack, + ---
def combine_mismatch(op: str, a: Shape, from_a: str, b: Shape, from_b: str, input_shape: Shape) -> Words:
    """Two tensors that cannot be joined; the fix of a cat or stack comes from the valid sizes.

    ``op`` is a value of the sentence: ``to_problems`` makes it "torch.cat before decoder_4"
    (``Text.with_values``) once the pass knows which block the result feeds."""
    values = dict(
        op=op,
        a=fmt_shape(a),
        from_a=from_a,
        b=fmt_shape(b),
        from_b=from_b,
        halving=halving(a, b, input_shape),
    )
    if op == "torch.cat":
        said = Text(
            "{op} joins {a} from {from_a} with {b} from {from_b}: all sizes except the concatenated dim must "
            "match.{halving}",
            **values,
        )
    elif op == "torch.stack":
        said = Text(
            "{op} stacks {a} from {from_a} with {b} from {from_b}: the shapes must match.{halving}", **values
        )
    else:
        said = Text(
            "{op} adds {a} from {from_a} with {b} from {from_b}: the shapes must match.{halving}", **values
        )
    fix: str = (
        Text(
            "make both sides the same shape, e.g. a 1x1 conv with the same stride on the shortcut (ResNet's "
            "downsample)"
        )
        if op == "add"
        else ""
    )
    return Words(said, fix)


def halving(a: Shape, b: Shape, input_shape: Shape) -> str:
    """Why spatial sizes differ in a U-Net: the input is halved with rounding down (" The input
    size 300 is halved ..." with its leading space, or "")."""
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
    what = Text("input size") if len(set(input_shape[2:])) == 1 else Text("input {dim}", dim=dim_name(offset))
    return compose(
        " {sentence}",
        sentence=Text(
            "The {what} {size} is halved with rounding down ({chain}), and {target} is odd: it halves to "
            "{half}, which doubles back up to {double}, not {target}.",
            what=what,
            size=size,
            chain=" -> ".join(map(str, chain)),
            target=target,
            half=target // 2,
            double=target // 2 * 2,
        ),
    )


def too_few_values(where: str, error: BaseException) -> Words:
    """A norm that needs more than one value per channel (BatchNorm in training) or more than one
    spatial element (InstanceNorm, MONAI's norms) raised: the input is too small for it."""
    return Words(
        Text(
            "{where} raised: {error}. A norm's statistics need more than one value: here the feature map is "
            "down to a single value.",
            where=where,
            error=" ".join(str(error).split()),
        ),
        BATCH_OF_TWO,
    )


TOO_FEW_VALUES = ("Expected more than 1 value per channel", "Expected more than 1 spatial element")


def runtime(where: str, error: BaseException) -> Words:
    """Anything the rules did not foresee: PyTorch's own message, and the pass stopped there."""
    return Words(
        Text(
            "{where} raised {kind}: {error}",
            where=where,
            kind=type(error).__name__,
            error=" ".join(str(error).split()) or type(error).__name__,
        ),
        Text("the doctor has no rule for this error; the message is PyTorch's own (the pass stopped here)"),
    )


def dim_name(offset: int) -> Text:
    """-1 -> "width", -2 -> "height", -3 -> "depth" (the spatial dims, counted from the end)."""
    names = {-1: Text("width"), -2: Text("height"), -3: Text("depth")}
    return names.get(offset) or Text("dim {offset}", offset=offset)

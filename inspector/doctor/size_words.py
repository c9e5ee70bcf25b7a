"""What the doctor says about sizes: a kernel larger than its input, statistics over a single value,
tensors that ``torch.cat`` / ``torch.stack`` / ``+`` cannot combine, and why a U-Net's sizes drift
apart (the input halved with rounding down). The fix of most of these comes from the valid input
sizes, after the pass (``inspector.doctor.problems``).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from inspector.doctor.report import Words
from inspector.shapes.labels import describe_layer as describe
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Shape
from models.text import Text, compose


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
            kernel=fmt_shape([k + 2 * p for k, p in zip(need, pads)]),
            came_from=came_from,
            size=fmt_shape(spatial),
            padded=fmt_shape([s + 2 * p for s, p in zip(spatial, pads)]),
        ),
        "",
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
            "{advice}, or use InstanceNorm (the reference's innermost U-Net block has no norm for this reason)",
            advice=BATCH_OF_TWO,
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


def dim_name(offset: int) -> Text:
    """-1 -> "width", -2 -> "height", -3 -> "depth" (the spatial dims, counted from the end)."""
    names = {-1: Text("width"), -2: Text("height"), -3: Text("depth")}
    return names.get(offset) or Text("dim {offset}", offset=offset)

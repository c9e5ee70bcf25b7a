"""What the doctor notes on a model that runs: things worth knowing that are not problems.

* A tensor that a later ``torch.cat`` uses, rewritten in place before it (the notebook's and the
  reference's ``LeakyReLU(0.2, True)`` at the start of each encoder block): the skip then carries
  the activated tensor, not the output of the layer that made it.
* An image-to-image model whose output size differs from its input's (the notebook's generator
  at 257 gives 256x256): a colorizer's ab could then not be joined with its L.
* An input one dim short of the model's first conv (three numbers for a 2-d model): PyTorch reads
  it as one unbatched sample, C x H x W, not as B, C, H, W.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from inspector.doctor.report import OR
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Shape, Trace
from models.text import Text, join


def in_place_notes(trace: Trace) -> list[Text]:
    """One note per combination input that an in-place layer rewrote before the combination used it."""
    notes = []
    for c in trace.concats:
        for ref, writers in zip(c.inputs, c.modified_in_place):
            if not writers:
                continue
            values = dict(label=c.label, producer=ref.producer, writers=", ".join(writers))
            notes.append(
                Text(
                    "{label} before {consumer} uses the output of {producer} after {writers} changed it in place: "
                    "the skip carries the activated tensor, not {producer}'s own output.",
                    consumer=c.consumer,
                    **values,
                )
                if c.consumer
                else Text(
                    "{label} uses the output of {producer} after {writers} changed it in place: the skip carries "
                    "the activated tensor, not {producer}'s own output.",
                    **values,
                )
            )
    return notes


def output_size_note(trace: Trace, nearest: Sequence[Shape] = ()) -> Text | None:
    """A model whose output keeps the rank of its input but not quite its spatial size (within 2x);
    ``nearest``: the closest input shapes that come back unchanged, when the doctor found them."""
    a, b = trace.input_shape, trace.output_shape
    if b is None or len(a) != len(b) or len(a) < 3 or tuple(a[2:]) == tuple(b[2:]):
        return None
    if not all(x / 2 < y < x * 2 for x, y in zip(a[2:], b[2:])):
        return None  # a patch map or a feature map: a different size by design
    values = dict(output=fmt_shape(b), input=fmt_shape(a))
    if nearest:
        return Text(
            "The output {output} does not have the input's size {input}: an image-to-image model (a "
            "colorizer's ab joined with its L) needs both the same; an input of {sizes} comes back unchanged.",
            sizes=join((fmt_shape(s) for s in nearest), OR),
            **values,
        )
    return Text(
        "The output {output} does not have the input's size {input}: an image-to-image model (a colorizer's "
        "ab joined with its L) needs both the same; use an input size that comes back unchanged.",
        **values,
    )


def unbatched_input_note(model: nn.Module, input_shape: Shape) -> Text | None:
    """A note when ``input_shape`` has one dim fewer than the model's first conv takes with a batch
    (C, H, W for a ``Conv2d``): PyTorch runs it as one sample without a batch dimension."""
    conv = next((m for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)), None)
    if conv is None or len(input_shape) != len(conv.kernel_size) + 1:
        return None
    dims = ",".join(["C", *"DHW"[3 - len(conv.kernel_size) :]] if len(conv.kernel_size) > 1 else ["C", "L"])
    return Text(
        "The {count} numbers of the input {shape} were read as an unbatched {dims} (one sample, no batch "
        "dimension); for a batch give B,{dims}, e.g. {batched}.",
        count=len(input_shape),
        shape=fmt_shape(input_shape),
        dims=dims,
        batched=",".join(map(str, (1, *input_shape))),
    )


def notes(trace: Trace, nearest: Sequence[Shape] = ()) -> tuple[Text, ...]:
    size = output_size_note(trace, nearest)
    return (*in_place_notes(trace), *([size] if size else []))

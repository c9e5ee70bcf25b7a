"""The records of a traced forward pass: one per leaf call, top-level block and combination.

``LayerRecord`` per leaf call, ``BlockRecord`` per top-level block, ``ConcatRecord`` per
``torch.cat`` / ``torch.stack`` / ``+``, all in a ``Trace``: plain frozen data that the CLI, the
app, the U diagram and the doctor read. The recorder (``inspector.shapes.recorder``) fills them;
``inspector.shapes.trace`` says what ``producer`` and ``layer`` mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from inspector.display import RichDisplay
from inspector.shapes.labels import fmt_shape

Shape = tuple[int, ...]
INPUT = "input"  # producer name of the model's input tensor


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
    # The layer as its code writes it, e.g. "Conv2d(3, 64)" (``labels.describe_layer``), read before
    # the call: a doctor's stand-in input or mended norm never renames the layer.
    written: str = ""


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
class Trace(RichDisplay):
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


def check_shape(input_shape: Sequence[int]) -> Shape:
    """``input_shape`` as a tuple of positive ints, or ``ValueError`` quoting it."""
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a sequence of integers, got {input_shape!r}") from None
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive integers, e.g. (1, 1, 256, 256); got {shape}")
    return shape

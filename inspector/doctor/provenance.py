"""Where a tensor came from, in the doctor's words: its producer, the parts of a cat, the skip.

The skip of a U-Net ``torch.cat`` is the tensor of the contracting path: made earlier, at the
same resolution, wherever it stands in the list. A piece of a cat (``chunk``, ``split``,
``unbind``, a slice) is said to be a piece: "24 of the 48 made by torch.cat".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import nn

from inspector.shapes.labels import describe_layer as describe
from inspector.shapes.recorder import Source
from inspector.shapes.records import INPUT, ConcatRecord
from models.text import Text, compose, join

AND = Text(" and ")  # between the parts of a list: "512 from decoder_5 and 512 from encoder_4"


def _piece(size: int | None, c: ConcatRecord, dim: int) -> tuple[int, int] | None:
    """(size, total) when the tensor is a piece (chunk, split, unbind, a slice) of the combination's
    result: "24 of the 48"; None when it is the whole result."""
    total = c.output_shape[dim] if dim < len(c.output_shape) else None
    return (size, total) if size is not None and total is not None and size != total else None


def _cat_parts(c: ConcatRecord, dim: int, skip: int = -1) -> list[Text]:
    """'512 from decoder_5', '512 skip from encoder_4': each input of a cat along ``dim``."""
    return [
        Text("{size} skip from {producer}", size=r.shape[dim], producer=r.producer)
        if i == skip
        else Text("{size} from {producer}", size=r.shape[dim], producer=r.producer)
        for i, r in enumerate(c.inputs)
        if len(r.shape) > dim
    ]


def origin(
    src: Source | None,
    dim: int,
    concats: Sequence[ConcatRecord],
    modules: Mapping[str, nn.Module],
    size: int | None = None,
) -> Text:
    """Where a tensor came from, in words: '... from model.0 (Conv2d(3, 64))'; ``size`` is the
    tensor's own size along ``dim`` (a piece of a cat says so: '24 of the 48 made by torch.cat ...')."""
    if src is None:
        return Text("from a computation the tracer did not see")
    if src.concat is not None and src.concat < len(concats):
        c = concats[src.concat]
        if c.op == "torch.cat" and c.dim == dim:
            parts = join(_cat_parts(c, dim), AND)
            piece = _piece(size, c, dim)
            if piece is not None:
                return Text(
                    "{size} of the {total} made by torch.cat of {parts}",
                    size=piece[0],
                    total=piece[1],
                    parts=parts,
                )
            return Text("made by torch.cat of {parts}", parts=parts)
        return Text(
            "made by {label} ({inputs})", label=c.label, inputs=" + ".join(r.producer for r in c.inputs)
        )
    if src.producer == INPUT:
        return Text("from the model's input")
    leaf = modules.get(src.layer)
    if src.producer == src.layer and leaf is not None:
        return Text("from {producer} ({layer})", producer=src.producer, layer=describe(leaf))
    return Text("from {producer}", producer=src.producer)


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
) -> Text | str:
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
            parts = join(_cat_parts(c, dim, skip), " + ")
            if piece is not None:
                return Text(
                    " ({size} of the {total} made by {label}: {parts})",
                    size=piece[0],
                    total=piece[1],
                    label=c.label,
                    parts=parts,
                )
            return compose(" ({parts})", parts=parts)
    return compose(" ({part})", part=Text("{size} from {producer}", size=total, producer=src.producer))

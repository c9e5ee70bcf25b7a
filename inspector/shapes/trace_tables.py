"""A trace as tables: one row per concatenation and one per block, and which way a block goes.

The Skip connections page shows them beside the U diagram (``inspector.shapes.diagram``); the
column names are English messages (``N_``), the keys of the rows, translated by the app.
"""

from __future__ import annotations

from collections.abc import Sequence

from inspector.i18n.catalog import N_
from inspector.shapes.labels import fmt_chw
from inspector.shapes.records import BlockRecord, Trace
from models.text import Text


def spatial(shape: Sequence[int] | None) -> int | None:
    """The last side of a (B, C, H, W) shape; None for a shape without one."""
    return shape[-1] if shape and len(shape) >= 3 else None


def direction(block: BlockRecord) -> str:
    """Which way the block takes the image: "down" (it shrinks), "up" (it grows) or "same"."""
    a, b = spatial(block.input_shape), spatial(block.output_shape)
    if a is None or b is None or a == b:
        return "same"
    return "down" if b < a else "up"


# The tables' column names: the keys of their rows (for code and tests) and, translated, the app's labels.
CONCAT_COLUMNS = (
    N_("concatenation"),
    N_("feeds"),
    N_("path from"),
    N_("path shape"),
    N_("skip from"),
    N_("skip shape"),
    N_("channels"),
    N_("output"),
)
BLOCK_COLUMNS = (N_("block"), N_("input from"), N_("input"), N_("output"), N_("size"), N_("params"))
# What a block does to the size (a Text: the app shows it in the reader's language)
SIZE_CHANGE = {
    "down": Text("halves"),
    "up": Text("doubles"),
    "same": Text("keeps"),
    "shrinks": Text("down"),
    "grows": Text("up"),
}


def concat_rows(trace: Trace) -> list[dict[str, str]]:
    """One row per concatenation (keys ``CONCAT_COLUMNS``): where it feeds, what it joins, and the
    channel arithmetic."""
    rows = []
    for c in trace.concats:
        main = c.inputs[0] if c.inputs else None
        values = (
            c.label,
            c.consumer or "--",
            main.producer if main else "--",
            fmt_chw(main.shape) if main else "--",
            ", ".join(r.producer for r in c.inputs[1:]) or "--",
            ", ".join(fmt_chw(r.shape) for r in c.inputs[1:]) or "--",
            c.arithmetic(),
            fmt_chw(c.output_shape),
        )
        rows.append(dict(zip(CONCAT_COLUMNS, values)))
    return rows


def _size_change(b: BlockRecord) -> Text:
    way = direction(b)
    if way == "same" or _ratio(b) == 2:
        return SIZE_CHANGE[way]  # halves, doubles, keeps
    return SIZE_CHANGE["shrinks" if way == "down" else "grows"]  # by another factor


def block_rows(trace: Trace) -> list[dict[str, str | int]]:
    """One row per block (keys ``BLOCK_COLUMNS``): input -> output shape and the size change."""
    return [
        dict(
            zip(
                BLOCK_COLUMNS,
                (
                    b.name,
                    b.input_producer,
                    fmt_chw(b.input_shape),
                    fmt_chw(b.output_shape),
                    _size_change(b),
                    b.params,
                ),
            )
        )
        for b in trace.blocks
    ]


def _ratio(b: BlockRecord) -> float:
    a, c = spatial(b.input_shape), spatial(b.output_shape)
    if not a or not c:
        return 0.0
    return max(a, c) / min(a, c)

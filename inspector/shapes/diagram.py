"""Pictures of a trace: the U-Net as a U (graphviz source) and its skip connections as a table.

Built from ``inspector.shapes.trace`` data only, so any model drawn from blocks works; a U-Net made of
flat named blocks (the notebook's) draws as a U. Nodes are placed in rows by the spatial size
of what they output: the encoder goes down the left (each block halves the size), the decoder
comes up the right, and every concatenation sits in the row of the skip it receives, beside the
encoder block that sent it. Edges carry the tensor's shape (C x H x W, batch left out); a
concatenation node shows its arithmetic, "512 + 512 = 1024". Problems from the doctor paint
their node red.

Returns DOT source text: Streamlit renders it in the browser (``st.graphviz_chart``), so the
``dot`` binary is only needed to render files (``render_svg``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import graphviz

from inspector.shapes.text import fmt_chw, fmt_value
from inspector.shapes.trace import INPUT, BlockRecord, LayerRecord, Trace

if TYPE_CHECKING:  # the doctor's problems are only read here: shapes never imports the doctor
    from inspector.doctor.diagnose import Problem

RED = "#d62728"
RED_FILL = "#fde0dd"
BLOCK_FILL = {"down": "#dbe9f6", "up": "#e5f5e0", "same": "#f0f0f0"}
CONCAT_FILL = "#fff2cc"


def _spatial(shape: Sequence[int] | None) -> int | None:
    return shape[-1] if shape and len(shape) >= 3 else None


def _direction(block: BlockRecord) -> str:
    a, b = _spatial(block.input_shape), _spatial(block.output_shape)
    if a is None or b is None or a == b:
        return "same"
    return "down" if b < a else "up"


def _main_op(layers: Sequence[LayerRecord], block: BlockRecord) -> str:
    """The block's weighted layers, e.g. ``Conv2d 64→128``; norms and activations left out."""
    parts = []
    inner = layers[block.first_layer : block.last_layer + 1]
    for rec in inner:
        if rec.kind.startswith(("Conv", "Linear")) and rec.input_shapes and rec.output_shape:
            parts.append(f"{rec.kind} {rec.input_shapes[0][1]}→{rec.output_shape[1]}")
    # A block that goes down and back up inside (the notebook's `middle`) shows its bottleneck.
    deepest = min((r.output_shape for r in inner if _spatial(r.output_shape)), key=_spatial, default=None)
    if (
        deepest is not None
        and _direction(block) == "same"
        and _spatial(deepest) < (_spatial(block.output_shape) or 0)
    ):
        parts.append(f"bottleneck {fmt_chw(deepest)}")
    return "\n".join(parts) if parts else block.kind


def _bad(problems: Iterable[Problem]) -> tuple[set[str], set[int], dict[str, str]]:
    blocks, concats, notes = set(), set(), {}
    for p in problems:
        if p.concat is not None:
            concats.add(p.concat)
        else:
            name = p.block or p.module
            blocks.add(name)
            notes.setdefault(name, f"expected {fmt_value(p.expected)}, got {fmt_value(p.actual)}")
    return blocks, concats, notes


def _digraph(name: str, nodesep: str, ranksep: str, title: str) -> graphviz.Digraph:
    """An empty top-to-bottom graph in the diagrams' style: rounded boxes, small edge labels."""
    dot = graphviz.Digraph(name, graph_attr={"rankdir": "TB", "nodesep": nodesep, "ranksep": ranksep})
    dot.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9", color="#555555")
    if title:
        dot.attr(label=title, labelloc="t", fontname="Helvetica", fontsize="14")
    return dot


def unet_dot(trace: Trace, problems: Iterable[Problem] = (), title: str = "") -> str:
    """DOT source of ``trace`` as a U (blocks and concatenations), problems in red."""
    bad_blocks, bad_concats, notes = _bad(problems)
    dot = _digraph("unet", "0.35", "0.35", title)

    # Rows are keyed by spatial size; a concatenation joins the row of the encoder block whose
    # skip it receives, and a decoder block the row of the concatenation it feeds, so that even
    # mismatched sizes (an input of 300) keep the U.
    row_of: dict[str, int] = {}

    def place(node: str, size: int | None) -> None:
        if size is not None:
            row_of[node] = size

    dot.node(INPUT, f"input\n{fmt_chw(trace.input_shape)}", fillcolor="white")
    place(INPUT, _spatial(trace.input_shape))
    node_of: dict[str, str] = {INPUT: INPUT}
    for block in trace.blocks:
        way = _direction(block)
        bad = block.name in bad_blocks
        label = f"{block.name}\n{_main_op(trace.layers, block)}"
        if bad:
            label += f"\n✗ {notes.get(block.name, '')}"
        dot.node(
            block.name,
            label,
            fillcolor=RED_FILL if bad else BLOCK_FILL[way],
            color=RED if bad else "#333333",
            penwidth="2.5" if bad else "1",
        )
        node_of[block.name] = block.name
        if way == "down":  # the bottleneck ("same") floats below the encoder
            place(block.name, _spatial(block.output_shape))
    for c in trace.concats:
        bad = c.index in bad_concats
        dot.node(
            c.label,
            f"{c.op}\n{c.arithmetic()}" + ("\n✗ sizes differ" if bad else ""),
            shape="ellipse",
            fillcolor=RED_FILL if bad else CONCAT_FILL,
            color=RED if bad else "#b8860b",
            penwidth="2.5" if bad else "1",
        )
        node_of[c.label] = c.label
        skip = c.inputs[-1] if c.inputs else None
        place(c.label, (row_of.get(skip.producer) if skip else None) or _spatial(c.output_shape))
    feeds = {c.inputs[0].producer: c.label for c in trace.concats if c.inputs}
    for block in trace.blocks:
        if _direction(block) == "up":
            place(block.name, row_of.get(feeds.get(block.name, ""), _spatial(block.output_shape)))

    def link(src: str, dst: str, shape: Sequence[int] | None, skip: bool = False) -> None:
        if src not in node_of:
            return
        up = (_spatial(shape) or 0) < (_spatial(_out_shape(trace, dst)) or 0)
        dot.edge(
            src,
            dst,
            label=fmt_chw(shape),
            style="dashed" if skip else "solid",
            color="#b8860b" if skip else "#555555",
            constraint="false" if (skip or up) else "true",
        )

    for block in trace.blocks:
        link(block.input_producer, block.name, block.input_shape)
    for c in trace.concats:
        for i, ref in enumerate(c.inputs):
            link(ref.producer, c.label, ref.shape, skip=i > 0)
    last = trace.blocks[-1].name if trace.blocks else None
    if last is not None:
        dot.node("output", f"output\n{fmt_chw(trace.output_shape)}", fillcolor="white")
        place("output", _spatial(trace.output_shape))
        dot.edge(last, "output", label=fmt_chw(trace.output_shape))
    rows: dict[int, list[str]] = {}
    for node, size in row_of.items():
        rows.setdefault(size, []).append(node)
    for size in sorted(rows, reverse=True):
        with dot.subgraph() as row:
            row.attr(rank="same")
            for node in rows[size]:
                row.node(node)
    return dot.source


def _out_shape(trace: Trace, node: str) -> Sequence[int] | None:
    for b in trace.blocks:
        if b.name == node:
            return b.output_shape
    for c in trace.concats:
        if c.label == node:
            return c.output_shape
    return None


def chain_dot(trace: Trace, problems: Iterable[Problem] = (), title: str = "") -> str:
    """DOT source of a model without skips (a PatchGAN): its blocks top to bottom."""
    bad_blocks, _, notes = _bad(problems)
    dot = _digraph("chain", "0.2", "0.25", title)
    dot.node(INPUT, f"input\n{fmt_chw(trace.input_shape)}", fillcolor="white")
    previous = INPUT  # a chain: each block takes what the one before it returned
    for block in trace.blocks:
        bad = block.name in bad_blocks
        label = f"{block.name}\n{_main_op(trace.layers, block)}" + (
            f"\n✗ {notes.get(block.name, '')}" if bad else ""
        )
        dot.node(
            block.name,
            label,
            fillcolor=RED_FILL if bad else BLOCK_FILL[_direction(block)],
            color=RED if bad else "#333333",
            penwidth="2.5" if bad else "1",
        )
        dot.edge(previous, block.name, label=fmt_chw(block.input_shape))
        previous = block.name
    if trace.blocks:
        dot.node("output", f"output\n{fmt_chw(trace.output_shape)}", fillcolor="white")
        dot.edge(trace.blocks[-1].name, "output", label=fmt_chw(trace.output_shape))
    return dot.source


def diagram_dot(trace: Trace, problems: Iterable[Problem] = (), title: str = "") -> str:
    """A U when the model concatenates, a chain otherwise."""
    if any(c.op == "torch.cat" for c in trace.concats):
        return unet_dot(trace, problems, title)
    return chain_dot(trace, problems, title)


def concat_rows(trace: Trace) -> list[dict[str, str]]:
    """One row per concatenation: where it feeds, what it joins, and the channel arithmetic."""
    rows = []
    for c in trace.concats:
        main = c.inputs[0] if c.inputs else None
        rows.append(
            {
                "concatenation": c.label,
                "feeds": c.consumer or "--",
                "path from": main.producer if main else "--",
                "path shape": fmt_chw(main.shape) if main else "--",
                "skip from": ", ".join(r.producer for r in c.inputs[1:]) or "--",
                "skip shape": ", ".join(fmt_chw(r.shape) for r in c.inputs[1:]) or "--",
                "channels": c.arithmetic(),
                "output": fmt_chw(c.output_shape),
            }
        )
    return rows


def block_rows(trace: Trace) -> list[dict[str, str | int]]:
    """One row per block: input -> output shape and the size change."""
    return [
        {
            "block": b.name,
            "input from": b.input_producer,
            "input": fmt_chw(b.input_shape),
            "output": fmt_chw(b.output_shape),
            "size": {"down": "halves", "up": "doubles", "same": "keeps"}[_direction(b)]
            if _direction(b) == "same" or _ratio(b) == 2
            else _direction(b),
            "params": b.params,
        }
        for b in trace.blocks
    ]


def _ratio(b: BlockRecord) -> float:
    a, c = _spatial(b.input_shape), _spatial(b.output_shape)
    if not a or not c:
        return 0.0
    return max(a, c) / min(a, c)


def render_svg(source: str) -> bytes | None:
    """SVG bytes of DOT ``source`` with the ``dot`` binary, or None when it is not installed."""
    if shutil.which("dot") is None:
        return None
    return graphviz.Source(source).pipe(format="svg")

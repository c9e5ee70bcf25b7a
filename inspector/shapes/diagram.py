"""Pictures of a trace: the U-Net as a U, any other model as a chain (graphviz source).

Built from ``inspector.shapes.trace`` data only, so any model drawn from blocks works; a U-Net made of
flat named blocks (the notebook's) draws as a U. Nodes are placed in rows by the spatial size
of what they output: the encoder goes down the left (each block halves the size), the decoder
comes up the right, and every concatenation sits in the row of the skip it receives, beside the
encoder block that sent it. Edges carry the tensor's shape (C x H x W, batch left out); a
concatenation node shows its arithmetic, "512 + 512 = 1024". A layer reads as its code writes
it (``Conv2d(3, 64)``, from the trace's ``LayerRecord.written``), never as the doctor's pass saw
it when it carried on past a problem; a problem paints its node red and writes what arrived
beside it in red ("✗ got 64 channels").

A ``DiagramStyle`` makes a slide of it (the options torchview users ask for): top-to-bottom or
left-to-right, runs of identical blocks folded into one node ("encoder_4 … encoder_6 ×3"), norm
and activation layers shown or hidden, and the words in another language through a translator
``tr(message, **values)`` (``inspector.i18n.catalog.translator``; this module never imports the UI).
The default style gives the same DOT text as before the options existed (golden files guard it).

Returns DOT source text: Streamlit renders it in the browser (``st.graphviz_chart``), so the
``dot`` binary is only needed to render files (``render``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from inspector.i18n.catalog import N_, Translator, english
from inspector.shapes.dot_graph import DEFAULT_STYLE, FORMATS, DiagramStyle, DotGraph, render, render_svg
from inspector.shapes.labels import fmt_chw, fmt_value
from inspector.shapes.records import INPUT, BlockRecord, LayerRecord, Trace
from inspector.shapes.trace_tables import direction, spatial


class Problem(Protocol):
    """What a diagram reads of one of the doctor's problems (``inspector.doctor.report.Problem``):
    which node to paint red and what to write on it. A protocol, so that shapes never imports
    the doctor, not even for a type: the doctor is built on shapes."""

    @property
    def module(self) -> str: ...
    @property
    def block(self) -> str: ...
    @property
    def concat(self) -> int | None: ...
    @property
    def kind(self) -> str: ...  # ProblemKind's value: "channels", "features", "dims", ...
    @property
    def expected(self) -> object: ...
    @property
    def actual(self) -> object: ...


RED = "#d62728"
RED_FILL = "#fde0dd"
BLOCK_FILL = {"down": "#dbe9f6", "up": "#e5f5e0", "same": "#f0f0f0"}
CONCAT_FILL = "#fff2cc"

# Layers a slide may leave out: they change neither the channels nor the size.
NORM_ACT_KINDS = ("Norm", "ReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "ELU", "Dropout", "Identity")

# The diagram's own words; tests/i18n checks that each has Korean.
INPUT_WORD, OUTPUT_WORD = N_("input"), N_("output")
BOTTLENECK = N_("bottleneck {shape}")
SIZES_DIFFER = N_("sizes differ")
EXPECTED_GOT = N_("expected {expected}, got {actual}")
# What arrived at a layer that did not fit, by the problem's kind: the layer reads as written
# (``Conv2d(3, 64)``), so the number it expected is in its own label.
GOT = {
    "channels": N_("got {actual} channels"),
    "features": N_("got {actual} features"),
    "dims": N_("got a {actual}-d input"),
}
MESSAGES = (INPUT_WORD, OUTPUT_WORD, BOTTLENECK, SIZES_DIFFER, EXPECTED_GOT, *GOT.values())


def _is_norm_act(kind: str) -> bool:
    return any(word in kind for word in NORM_ACT_KINDS)


def _layer_text(rec: LayerRecord) -> str:
    """The layer as its code writes it (``Conv2d(3, 64)``), never as a pass that carried on past it
    saw it; a record without that (built by hand) reads ``Conv2d 3→64`` from its shapes."""
    if rec.written:
        return rec.written
    if rec.kind.startswith(("Conv", "Linear")) and rec.input_shapes and rec.output_shape:
        return f"{rec.kind} {rec.input_shapes[0][1]}→{rec.output_shape[1]}"
    return rec.kind


def _main_op(
    layers: Sequence[LayerRecord], block: BlockRecord, tr: Translator = english, show_all: bool = False
) -> str:
    """The block's weighted layers as written, e.g. ``Conv2d(64, 128)``; norms and activations left
    out unless ``show_all`` (then every layer, in order) or the block is that one layer."""
    parts = []
    inner = layers[block.first_layer : block.last_layer + 1]
    for rec in inner:
        weighted = rec.kind.startswith(("Conv", "Linear")) and rec.input_shapes and rec.output_shape
        if show_all or weighted or (len(inner) == 1 and rec.name == block.name):
            parts.append(_layer_text(rec))
    # A block that goes down and back up inside (the notebook's `middle`) shows its bottleneck.
    sized = [(side, r.output_shape) for r in inner if r.output_shape and (side := spatial(r.output_shape))]
    deepest_side, deepest = min(sized, key=lambda pair: pair[0], default=(None, None))
    if (
        deepest is not None
        and deepest_side is not None
        and direction(block) == "same"
        and deepest_side < (spatial(block.output_shape) or 0)
    ):
        parts.append(tr(BOTTLENECK, shape=fmt_chw(deepest)))
    return "\n".join(parts) if parts else block.kind


def _bad(problems: Iterable[Problem], tr: Translator) -> tuple[set[str], set[int], dict[str, str]]:
    blocks: set[str] = set()
    concats: set[int] = set()
    notes: dict[str, str] = {}
    for p in problems:
        if p.concat is not None:
            concats.add(p.concat)
        else:
            name = p.block or p.module
            blocks.add(name)
            got = GOT.get(str(p.kind))
            note = (
                tr(got, actual=fmt_value(p.actual))
                if got is not None and isinstance(p.actual, int)
                else tr(EXPECTED_GOT, expected=fmt_value(p.expected), actual=fmt_value(p.actual))
            )
            notes.setdefault(name, note)
    return blocks, concats, notes


def _red(text: str) -> str:
    """``text`` as a graphviz HTML-like label in red (an ``xlabel`` beside a node)."""
    return f'<<font color="{RED}">✗ {html.escape(text)}</font>>'


def _runs(trace: Trace, signature: Callable[[BlockRecord], str]) -> list[list[str]]:
    """Runs of consecutive blocks with the same ``signature``, each taking the previous one's output
    (directly, or as the main input of the concatenation in between)."""
    main_input = {c.label: c.inputs[0].producer for c in trace.concats if c.inputs}
    runs: list[list[str]] = []
    last: BlockRecord | None = None
    for block in trace.blocks:
        source = main_input.get(block.input_producer, block.input_producer)
        if last is not None and source == last.name and signature(block) == signature(last):
            runs[-1].append(block.name)
        else:
            runs.append([block.name])
        last = block
    return runs


def _signature(
    trace: Trace, tr: Translator, style: DiagramStyle, bad: set[str]
) -> Callable[[BlockRecord], str]:
    """What makes two blocks "the same" on a slide: their way (down, up) and their layers as drawn.
    A block with a problem is like no other: folding must not hide it."""
    show = style.norm_act == "show"
    return lambda b: (
        direction(b) + "|" + _main_op(trace.layers, b, tr, show) + ("|" + b.name) * (b.name in bad)
    )


def _fold_runs(graph: DotGraph, trace: Trace, signature: Callable[[BlockRecord], str]) -> None:
    """Fold every run of identical blocks, and the concatenations that feed a folded run."""
    for run in _runs(trace, signature):
        graph.fold(run)
        feeding = [c for c in trace.concats if c.consumer in run and len(run) > 1]
        if len(feeding) > 1 and len({c.arithmetic() for c in feeding}) == 1:
            graph.fold([c.label for c in feeding])


def _block_node(
    graph: DotGraph,
    trace: Trace,
    block: BlockRecord,
    bad: bool,
    note: str,
    tr: Translator,
    style: DiagramStyle,
) -> None:
    label = f"{block.name}\n{_main_op(trace.layers, block, tr, style.norm_act == 'show')}"
    # The layer reads as written; what arrived stands beside it in red.
    extra = {"xlabel": _red(note)} if bad and note else {}
    graph.node(
        block.name,
        label,
        fillcolor=RED_FILL if bad else BLOCK_FILL[direction(block)],
        color=RED if bad else "#333333",
        penwidth="2.5" if bad else "1",
        **extra,
    )


def unet_dot(
    trace: Trace,
    problems: Iterable[Problem] = (),
    title: str = "",
    style: DiagramStyle = DEFAULT_STYLE,
    tr: Translator = english,
) -> str:
    """DOT source of ``trace`` as a U (blocks and concatenations), problems in red."""
    bad_blocks, bad_concats, notes = _bad(problems, tr)
    graph = DotGraph("unet", "0.35", "0.35", title, style)

    # Rows are keyed by spatial size; a concatenation joins the row of the encoder block whose
    # skip it receives, and a decoder block the row of the concatenation it feeds, so that even
    # mismatched sizes (an input of 300) keep the U.
    row_of: dict[str, int] = {}

    def place(node: str, size: int | None) -> None:
        if size is not None:
            row_of[node] = size

    graph.node(INPUT, f"{tr(INPUT_WORD)}\n{fmt_chw(trace.input_shape)}", fillcolor="white")
    place(INPUT, spatial(trace.input_shape))
    node_of: dict[str, str] = {INPUT: INPUT}
    for block in trace.blocks:
        _block_node(graph, trace, block, block.name in bad_blocks, notes.get(block.name, ""), tr, style)
        node_of[block.name] = block.name
        if direction(block) == "down":  # the bottleneck ("same") floats below the encoder
            place(block.name, spatial(block.output_shape))
    for c in trace.concats:
        bad = c.index in bad_concats
        graph.node(
            c.label,
            f"{c.op}\n{c.arithmetic()}" + (f"\n✗ {tr(SIZES_DIFFER)}" if bad else ""),
            shape="ellipse",
            fillcolor=RED_FILL if bad else CONCAT_FILL,
            color=RED if bad else "#b8860b",
            penwidth="2.5" if bad else "1",
        )
        node_of[c.label] = c.label
        skip = c.inputs[-1] if c.inputs else None
        place(c.label, (row_of.get(skip.producer) if skip else None) or spatial(c.output_shape))
    feeds = {c.inputs[0].producer: c.label for c in trace.concats if c.inputs}
    for block in trace.blocks:
        if direction(block) == "up":
            place(block.name, row_of.get(feeds.get(block.name, ""), spatial(block.output_shape)))

    def link(src: str, dst: str, shape: Sequence[int] | None, skip: bool = False) -> None:
        if src not in node_of:
            return
        up = (spatial(shape) or 0) < (spatial(_out_shape(trace, dst)) or 0)
        graph.edge(
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
        graph.node("output", f"{tr(OUTPUT_WORD)}\n{fmt_chw(trace.output_shape)}", fillcolor="white")
        place("output", spatial(trace.output_shape))
        graph.edge(last, "output", label=fmt_chw(trace.output_shape))
    rows: dict[int, list[str]] = {}
    for node, size in row_of.items():
        rows.setdefault(size, []).append(node)
    graph.rows = [rows[size] for size in sorted(rows, reverse=True)]
    if style.collapse:
        _fold_runs(graph, trace, _signature(trace, tr, style, bad_blocks))
    return graph.source()


def _out_shape(trace: Trace, node: str) -> Sequence[int] | None:
    for b in trace.blocks:
        if b.name == node:
            return b.output_shape
    for c in trace.concats:
        if c.label == node:
            return c.output_shape
    return None


def _only_norm_act(trace: Trace, block: BlockRecord) -> bool:
    inner = trace.layers[block.first_layer : block.last_layer + 1]
    return all(_is_norm_act(r.kind) for r in inner) if inner else _is_norm_act(block.kind)


def chain_dot(
    trace: Trace,
    problems: Iterable[Problem] = (),
    title: str = "",
    style: DiagramStyle = DEFAULT_STYLE,
    tr: Translator = english,
) -> str:
    """DOT source of a model without skips (a PatchGAN): its blocks top to bottom (or left to right)."""
    bad_blocks, _, notes = _bad(problems, tr)
    graph = DotGraph("chain", "0.2", "0.25", title, style)
    graph.node(INPUT, f"{tr(INPUT_WORD)}\n{fmt_chw(trace.input_shape)}", fillcolor="white")
    previous = INPUT  # a chain: each block takes what the one before it returned
    drawn: list[BlockRecord] = []
    for block in trace.blocks:
        bad = block.name in bad_blocks
        if style.norm_act == "hide" and not bad and _only_norm_act(trace, block):
            continue  # the edge goes on to the next drawn block, labelled with what that one reads
        _block_node(graph, trace, block, bad, notes.get(block.name, ""), tr, style)
        graph.edge(previous, block.name, label=fmt_chw(block.input_shape))
        previous = block.name
        drawn.append(block)
    if trace.blocks:
        graph.node("output", f"{tr(OUTPUT_WORD)}\n{fmt_chw(trace.output_shape)}", fillcolor="white")
        graph.edge(previous, "output", label=fmt_chw(trace.output_shape))
    if style.collapse:
        _fold_chain(graph, drawn, _signature(trace, tr, style, bad_blocks))
    return graph.source()


def _fold_chain(
    graph: DotGraph, blocks: Sequence[BlockRecord], signature: Callable[[BlockRecord], str]
) -> None:
    """Fold runs of identical blocks of a chain, consecutive in drawing order."""
    run: list[BlockRecord] = []
    for block in blocks:
        if run and signature(block) != signature(run[-1]):
            graph.fold([b.name for b in run])
            run = []
        run.append(block)
    graph.fold([b.name for b in run])


def diagram_dot(
    trace: Trace,
    problems: Iterable[Problem] = (),
    title: str = "",
    style: DiagramStyle = DEFAULT_STYLE,
    tr: Translator = english,
) -> str:
    """A U when the model concatenates, a chain otherwise."""
    if any(c.op == "torch.cat" for c in trace.concats):
        return unet_dot(trace, problems, title, style, tr)
    return chain_dot(trace, problems, title, style, tr)


__all__ = [
    "DEFAULT_STYLE",
    "FORMATS",
    "DiagramStyle",
    "chain_dot",
    "diagram_dot",
    "render",
    "render_svg",
    "unet_dot",
]

"""A DOT graph recorded statement by statement, folded for slides, written out, and drawn to files.

``diagram.py`` decides *what* a U or a chain shows; this module decides *how* it is written: the
``DiagramStyle`` (direction, folding, norm/activation layers, font), the folding of runs of
identical nodes into one ("encoder_4 … encoder_6 ×3"), and the ``dot`` binary's SVG, PDF and PNG.
Recording first lets the folding see the whole graph; writing the statements in the recorded
order keeps the default DOT text byte for byte what it was before the options existed.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import graphviz

from inspector.errors import UserError
from models.text import Text

Direction = Literal["TB", "LR"]
NormAct = Literal["auto", "show", "hide"]
FORMATS = ("svg", "pdf", "png")


@dataclass(frozen=True)
class DiagramStyle:
    """How to draw: the default is the app's on-screen picture."""

    direction: Direction = "TB"  # "LR" lays the U on its side, the chain across a slide
    collapse: bool = False  # fold a run of blocks with the same layers into one node "×n"
    norm_act: NormAct = "auto"  # auto: U blocks name their convs, a chain draws every block
    fontname: str = "Helvetica"  # Korean needs a font with Hangul ("NanumGothic")

    def __post_init__(self) -> None:
        if self.direction not in ("TB", "LR"):
            raise ValueError(f"direction must be 'TB' or 'LR', got {self.direction!r}")
        if self.norm_act not in ("auto", "show", "hide"):
            raise ValueError(f"norm_act must be 'auto', 'show' or 'hide', got {self.norm_act!r}")


DEFAULT_STYLE = DiagramStyle()


class DotGraph:
    """The statements of one diagram, recorded in order, then folded (``collapse``) and written out.

    Recording first lets the folding see the whole graph; writing in the recorded order keeps the
    default DOT text unchanged.
    """

    def __init__(self, name: str, nodesep: str, ranksep: str, title: str, style: DiagramStyle) -> None:
        self.name, self.nodesep, self.ranksep, self.title, self.style = name, nodesep, ranksep, title, style
        self.statements: list[tuple[str, str, str, str, dict[str, str]]] = []  # (kind, a, b, label, attrs)
        self.rows: list[list[str]] = []  # nodes drawn side by side (rank=same), in order
        self.groups: dict[str, str] = {}  # member node -> the node that stands for its run
        self.members: dict[str, list[str]] = {}  # standing node -> its run, in order

    def node(self, name: str, label: str, **attrs: str) -> None:
        self.statements.append(("node", name, "", label, attrs))

    def edge(self, src: str, dst: str, label: str, **attrs: str) -> None:
        self.statements.append(("edge", src, dst, label, attrs))

    def fold(self, run: Sequence[str]) -> None:
        """Draw the nodes of ``run`` as one."""
        if len(run) > 1:
            self.members[run[0]] = list(run)
            for member in run:
                self.groups[member] = run[0]

    def _node_label(self, name: str, label: str) -> str:
        run = self.members.get(name)
        if run is None:
            return label
        head, _, rest = label.partition("\n")
        last = self.label_of(run[-1]).partition("\n")[0]
        names = head if last == head else f"{head} … {last}"  # concatenations share one name
        return f"{names} ×{len(run)}" + (f"\n{rest}" if rest else "")

    def label_of(self, name: str) -> str:
        return next((s[3] for s in self.statements if s[0] == "node" and s[1] == name), name)

    def _folded_edges(self) -> dict[int, tuple[str, str, str]]:
        """Statement index -> (src, dst, label) of each edge kept after folding.

        An edge inside a run disappears, so does the way back into a run (a decoder run feeds the
        concatenation run that fed it), and parallel edges merge into one labelled "first … last".
        """
        first: dict[tuple[str, str], int] = {}
        labels: dict[tuple[str, str], list[str]] = {}
        for i, (kind, a, b, label, _) in enumerate(self.statements):
            if kind != "edge":
                continue
            key = (self.groups.get(a, a), self.groups.get(b, b))
            if key[0] == key[1] or (key[1], key[0]) in first:
                continue
            first.setdefault(key, i)
            labels.setdefault(key, []).append(label)
        kept = {}
        for key, i in first.items():
            shapes = list(dict.fromkeys(labels[key]))
            kept[i] = (key[0], key[1], shapes[0] if len(shapes) == 1 else f"{shapes[0]} … {shapes[-1]}")
        return kept

    def source(self) -> str:
        """The DOT text: graph, node and edge defaults, the statements, then the rows."""
        style = self.style
        dot = graphviz.Digraph(
            self.name,
            graph_attr={"rankdir": style.direction, "nodesep": self.nodesep, "ranksep": self.ranksep},
        )
        dot.attr("node", shape="box", style="rounded,filled", fontname=style.fontname, fontsize="11")
        dot.attr("edge", fontname=style.fontname, fontsize="9", color="#555555")
        if self.title:
            dot.attr(label=self.title, labelloc="t", fontname=style.fontname, fontsize="14")
        edges = self._folded_edges()
        for i, (kind, a, _, label, attrs) in enumerate(self.statements):
            if kind == "node" and self.groups.get(a, a) == a:
                dot.node(a, self._node_label(a, label), **attrs)
            elif i in edges:
                src, dst, shapes = edges[i]
                dot.edge(src, dst, label=shapes, **attrs)
        seen: set[str] = set()
        for row in self.rows:
            names = [n for n in dict.fromkeys(self.groups.get(n, n) for n in row) if n not in seen]
            seen.update(names)
            if names:
                with dot.subgraph() as sub:
                    sub.attr(rank="same")
                    for n in names:
                        sub.node(n)
        return dot.source


def render(source: str, fmt: str) -> bytes:
    """DOT ``source`` drawn by the ``dot`` binary as ``fmt`` (svg, pdf or png) bytes."""
    if fmt not in FORMATS:
        raise UserError(
            Text(
                "the diagram format must be one of {formats}, got {fmt}",
                formats=", ".join(FORMATS),
                fmt=repr(fmt),
            )
        )
    if shutil.which("dot") is None:
        raise UserError(
            Text("drawing a file needs graphviz's `dot` program: install graphviz (apt-get install graphviz)")
        )
    return graphviz.Source(source).pipe(format=fmt)


def render_svg(source: str) -> bytes | None:
    """SVG bytes of DOT ``source`` with the ``dot`` binary, or None when it is not installed."""
    if shutil.which("dot") is None:
        return None
    return graphviz.Source(source).pipe(format="svg")

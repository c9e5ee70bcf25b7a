"""Notebook views of shapes and of the doctor: ``Trace``, ``Summary``, ``InputSizes``, the comparison
with the reference, ``Diagnosis`` and ``Problem``.

The U diagram is the app's (``shapes.diagram.diagram_dot``), drawn to SVG by graphviz's ``dot``;
where ``dot`` is missing (a bare Colab, a pip-only machine) the view says how to get it and still
shows the tables, which say the same. The tables and sentences are the app's (``CONCAT_COLUMNS``,
``summary_rows``, ``doctor.verdict_words``).
"""

from __future__ import annotations

from collections.abc import Iterable

from inspector.doctor import verdict_words as words
from inspector.doctor.report import SIZE_KINDS, Diagnosis, Problem
from inspector.i18n.catalog import N_, Translator
from inspector.i18n.fonts import graphviz_font
from inspector.notebook import html as h
from inspector.shapes.compare import Comparison
from inspector.shapes.diagram import diagram_dot
from inspector.shapes.dot_graph import DiagramStyle, render_svg
from inspector.shapes.input_sizes import SEARCH_BUDGET_S, InputSizes
from inspector.shapes.labels import fmt_shape, fmt_value
from inspector.shapes.records import Trace
from inspector.shapes.size_rules import side_names
from inspector.shapes.summary import SUMMARY_COLUMNS, Summary, block_totals, summary_rows
from inspector.shapes.trace_tables import BLOCK_COLUMNS, CONCAT_COLUMNS, block_rows, concat_rows
from models.text import render

NO_DOT = N_(
    "The diagram needs graphviz's `dot` program, which this machine does not have: "
    "`apt-get install graphviz` (in Colab: `!apt-get install -y graphviz`) or `conda install graphviz`, "
    "then show this result again. The tables below say the same."
)
TRACE_TITLE = N_("Input {input} -> output {output}: shapes are channels x height x width")
EVERY_CONCAT = N_("**Every concatenation**")
EVERY_BLOCK = N_("Every block: input and output shapes")
NO_CONCAT = N_("This model concatenates nothing: no skip connection.")
SUMMARY_HEAD = N_("**torchinfo summary** (input {input} -> output {output}, {gmacs} G mult-adds)")
PER_BLOCK = N_("**Parameters per block**")
TORCHINFO_TEXT = N_("torchinfo's text output")
TOTAL_WORD, BLOCK_WORD, TYPE_WORD, PARAMS_WORD = N_("total"), N_("block"), N_("type"), N_("params")
TOTAL_PARAMS = N_("{total} parameters, {trainable} trainable")
SIDE_WORD, RULE_WORD = N_("side"), N_("rule")
INCOMPLETE = N_("The search stopped at its time budget: more sizes may work.")
COMPARE_COLUMNS = (
    N_("network"),
    N_("point"),
    N_("this configuration"),
    N_("pix2pix reference"),
    N_("why it matters"),
)
PART_WORDS = {"generator": N_("generator"), "discriminator": N_("discriminator")}
SAME_AS_REFERENCE = N_("These settings are the pix2pix reference: nothing differs.")
DIFFERS_ONLY = N_("Only the points that differ are shown.")


def diagram(trace: Trace, problems: Iterable[Problem], title: str, lang: str, tr: Translator) -> str:
    """The app's U (or chain) diagram as an inline SVG image; the way to get ``dot`` where it is missing."""
    style = DiagramStyle(fontname=graphviz_font(lang))
    source = diagram_dot(trace, tuple(problems), title, style=style, tr=tr)
    svg = render_svg(source)
    if svg is None:
        return h.box(tr(NO_DOT), "warning")
    return h.img(svg, "image/svg+xml", title or "diagram")


def _tables(trace: Trace, tr: Translator) -> str:
    concats = concat_rows(trace)
    parts = []
    if concats:
        parts.append(h.para(tr(EVERY_CONCAT)))
        parts.append(h.table([tr(c) for c in CONCAT_COLUMNS], [list(r.values()) for r in concats]))
    else:
        parts.append(h.para(tr(NO_CONCAT)))
    blocks = [[render(v, tr) if not isinstance(v, int) else v for v in r.values()] for r in block_rows(trace)]
    parts.append(h.details(tr(EVERY_BLOCK), h.table([tr(c) for c in BLOCK_COLUMNS], blocks)))
    return "".join(parts)


def trace_html(trace: Trace, lang: str, tr: Translator) -> str:
    """The U with every shape and ``torch.cat``, then the concatenations and the blocks as tables."""
    title = tr(TRACE_TITLE, input=fmt_shape(trace.input_shape), output=fmt_shape(trace.output_shape))
    return h.page(h.para(title), diagram(trace, (), "", lang, tr), _tables(trace, tr))


def summary_html(s: Summary, lang: str, tr: Translator) -> str:
    """torchinfo's table with the parameters of each block and the total."""
    head = tr(
        SUMMARY_HEAD,
        input=fmt_shape(s.input_shape),
        output=fmt_shape(s.output_shape),
        gmacs=format(s.total_mult_adds / 1e9, ".2f"),
    )
    totals = block_totals(s)
    blocks = [[name, kind, params] for name, kind, params in totals] + [[tr(TOTAL_WORD), "", s.total_params]]
    rows = [list(r.values()) for r in summary_rows(s)]
    return h.page(
        h.para(head),
        h.para(tr(TOTAL_PARAMS, total=f"{s.total_params:,}", trainable=f"{s.trainable_params:,}")),
        h.para(tr(PER_BLOCK)),
        h.table([tr(BLOCK_WORD), tr(TYPE_WORD), tr(PARAMS_WORD)], blocks),
        h.table([tr(c) for c in SUMMARY_COLUMNS], rows),
        h.details(tr(TORCHINFO_TEXT), h.code(s.text)),
    )


def sizes_html(sizes: InputSizes, lang: str, tr: Translator) -> str:
    """The sizes that work, one rule per spatial side, and where the rules come from."""
    why = sizes.explain(tr)
    rows = [[name, side.describe(tr)] for name, side in zip(side_names(len(sizes.sides)), sizes.sides)]
    return h.page(
        h.box(tr(words.VALID_SIZES, sizes=sizes.describe(tr), why=why[:1].upper() + why[1:]), "info"),
        h.table([tr(SIDE_WORD), tr(RULE_WORD)], rows),
        "" if sizes.complete else h.para(tr(INCOMPLETE)),
    )


def problem_html(number: int, p: Problem, tr: Translator) -> str:
    """One problem as the app's red box: module, what it expected and got, where the tensor came
    from (in the message) and the fix, then whether the fix is proven."""
    text = tr(
        words.PROBLEM,
        number=number,
        module=p.module,
        kind=render(p.kind.label, tr),
        expected=fmt_value(p.expected),
        actual=fmt_value(p.actual),
        message=render(p.message, tr),
        fix=render(p.fix, tr),
    )
    if p.verified:
        proof = tr(words.VERIFIED, number=number, changes=", ".join(render(c.text(), tr) for c in p.changes))
    else:
        proof = tr(words.SUGGESTION, number=number)
    return h.box(text, "error") + h.para(proof)


def diagnosis_html(d: Diagnosis, lang: str, tr: Translator) -> str:
    """The verdict: healthy, or every problem with its proven fix, the failing edges red in the
    diagram, the valid sizes and the notes."""
    parts: list[str] = []
    if d.ok:
        parts.append(h.box(tr(words.HEALTHY, shape=fmt_shape(d.trace.output_shape)), "success"))
    else:
        parts.append(h.para(tr(words.FOUND, count=len(d.problems))))
        parts += [problem_html(i, p, tr) for i, p in enumerate(d.problems, 1)]
    parts += [h.para(tr(words.NOTE, note=render(n, tr))) for n in d.notes]
    if not d.ok and (d.sizes is None or not d.sizes.is_valid(d.input_shape[2:])):
        if d.sizes is not None:
            why = d.sizes.explain(tr)
            parts.append(
                h.box(
                    tr(words.VALID_SIZES, sizes=d.sizes.describe(tr), why=why[:1].upper() + why[1:]), "info"
                )
            )
        elif any(p.kind in SIZE_KINDS for p in d.problems):
            parts.append(h.box(tr(words.NO_SIZE, budget=f"{SEARCH_BUDGET_S:g}"), "info"))
    title = tr(TRACE_TITLE, input=fmt_shape(d.input_shape), output=fmt_shape(d.trace.output_shape))
    parts += [h.para(title), diagram(d.trace, d.problems, "", lang, tr), _tables(d.trace, tr)]
    return h.page(*parts)


def single_problem_html(p: Problem, lang: str, tr: Translator) -> str:
    return h.page(problem_html(1, p, tr))


def comparison_html(rows: Comparison, lang: str, tr: Translator) -> str:
    """How a configuration differs from the pix2pix reference: the Architecture page's table."""
    differ = [d for d in rows if d.differs]
    if not differ:
        return h.page(h.box(tr(SAME_AS_REFERENCE), "success"))
    table = [
        [tr(PART_WORDS[d.network]), render(d.point, tr), render(d.chosen, tr), render(d.reference, tr),
         render(d.note, tr)]
        for d in differ
    ]  # fmt: skip
    return h.page(h.table([tr(c) for c in COMPARE_COLUMNS], table), h.para(tr(DIFFERS_ONLY)))

"""Widgets of the Skip connections and Mismatch doctor pages: the U diagram, the problems, the proofs
of their fixes, the valid input sizes and the notes.

The traces and diagnoses they draw are computed (and cached) in ``inspector.ui.caches.doctor``.
"""

from __future__ import annotations

import streamlit as st

from inspector.doctor import verdict_words as words
from inspector.doctor.report import SIZE_KINDS, Diagnosis, Problem
from inspector.i18n.fonts import graphviz_font
from inspector.shapes.diagram import DiagramStyle, diagram_dot
from inspector.shapes.input_sizes import SEARCH_BUDGET_S
from inspector.shapes.labels import fmt_shape, fmt_value
from inspector.ui.derived import derived
from inspector.ui.i18n import _, current_language, current_translator, say


def screen_style() -> DiagramStyle:
    """The on-screen diagram's style: the default, in a font that has this language's letters."""
    return DiagramStyle(fontname=graphviz_font(current_language()))


def show_diagram(d: Diagnosis, title: str = "") -> None:
    """The graphviz picture of the pass, problems in red. Rendered in the browser (no dot binary);
    its DOT source is written once per diagnosis, title and language (``derived``)."""
    source = derived(
        d,
        lambda d: diagram_dot(d.trace, d.problems, title, style=screen_style(), tr=current_translator()),
        key=(title, current_language()),
    )
    st.graphviz_chart(source, width="stretch")


def show_problems(problems: tuple[Problem, ...]) -> None:
    """One red box per problem: where, what, and the fix (the doctor's own sentences)."""
    for i, p in enumerate(problems, 1):
        st.error(
            _(
                words.PROBLEM,
                number=i,
                module=p.module,
                kind=say(p.kind.label),
                expected=fmt_value(p.expected),
                actual=fmt_value(p.actual),
                message=say(p.message),
                fix=say(p.fix),
            )
        )


def show_proofs(d: Diagnosis) -> None:
    """Under the problems: which fixes the doctor proved (applied to a meta copy and run again)."""
    for i, p in enumerate(d.problems, 1):
        if p.verified:
            chain = ", ".join(say(c.text()) for c in p.changes)
            st.caption(
                _(
                    words.VERIFIED,
                    number=i,
                    changes=chain,
                )
            )
        else:
            st.caption(_(words.SUGGESTION, number=i))
    show_notes(d)


def show_notes(d: Diagnosis) -> None:
    """What is worth knowing and is no problem (a skip rewritten in place, an unbatched input)."""
    for note in d.notes:
        st.caption(_(words.NOTE, note=say(note)))


def show_sizes(d: Diagnosis) -> None:
    """The sizes that work, one rule per side when the sides differ, and where the rule comes from."""
    if d.sizes is None:
        if any(p.kind in SIZE_KINDS for p in d.problems):
            st.info(
                _(
                    words.NO_SIZE,
                    budget=f"{SEARCH_BUDGET_S:g}",
                )
            )
        return
    why = d.sizes.explain(current_translator())
    st.info(
        _(
            words.VALID_SIZES,
            sizes=d.sizes.describe(current_translator()),
            why=why[0].upper() + why[1:],
        )
    )


def show_verdict(d: Diagnosis) -> None:
    """The whole verdict on a model of one's own: healthy, or every problem, its proof and the sizes."""
    if d.ok:
        st.success(_(words.HEALTHY, shape=fmt_shape(d.trace.output_shape)))
        show_notes(d)
        return
    st.markdown(_(words.FOUND, count=len(d.problems)))
    show_problems(d.problems)
    show_proofs(d)
    if d.sizes is None or not d.sizes.is_valid(d.input_shape[2:]):
        show_sizes(d)

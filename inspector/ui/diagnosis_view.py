"""Widgets of the Skip connections and Mismatch doctor pages: the U diagram and the problems.

The traces and diagnoses they draw are computed (and cached) in ``inspector.ui.cache``.
"""

from __future__ import annotations

import streamlit as st

from inspector.doctor.report import Diagnosis, Problem
from inspector.i18n.fonts import graphviz_font
from inspector.shapes.diagram import DiagramStyle, diagram_dot
from inspector.shapes.labels import fmt_value
from inspector.ui.i18n import _, current_language, current_translator, say


def screen_style() -> DiagramStyle:
    """The on-screen diagram's style: the default, in a font that has this language's letters."""
    return DiagramStyle(fontname=graphviz_font(current_language()))


def show_diagram(d: Diagnosis, title: str = "") -> None:
    """The graphviz picture of the pass, problems in red. Rendered in the browser (no dot binary)."""
    source = diagram_dot(d.trace, d.problems, title, style=screen_style(), tr=current_translator())
    st.graphviz_chart(source, width="stretch")


def show_problems(problems: tuple[Problem, ...]) -> None:
    """One red box per problem: where, what, and the fix (the doctor's own sentences)."""
    for i, p in enumerate(problems, 1):
        st.error(
            _(
                "**{number}. `{module}`** ({kind}: expected {expected}, got {actual})\n\n{message}\n\n"
                "**Fix:** {fix}",
                number=i,
                module=p.module,
                kind=say(p.kind.label),
                expected=fmt_value(p.expected),
                actual=fmt_value(p.actual),
                message=say(p.message),
                fix=say(p.fix),
            )
        )

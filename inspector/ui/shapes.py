"""Widgets of the Skip connections and Mismatch doctor pages: the U diagram and the problems.

The traces and diagnoses they draw are computed (and cached) in ``inspector.ui.cache``.
"""

from __future__ import annotations

import streamlit as st

from inspector.doctor.diagnose import Diagnosis, Problem
from inspector.shapes.diagram import diagram_dot
from inspector.shapes.text import fmt_value


def show_diagram(d: Diagnosis, title: str = "") -> None:
    """The graphviz picture of the pass, problems in red. Rendered in the browser (no dot binary)."""
    st.graphviz_chart(diagram_dot(d.trace, d.problems, title), width="stretch")


def show_problems(problems: tuple[Problem, ...]) -> None:
    """One red box per problem: where, what, and the fix."""
    for i, p in enumerate(problems, 1):
        st.error(
            f"**{i}. `{p.module}`** ({p.kind}: expected {fmt_value(p.expected)}, got {fmt_value(p.actual)})\n\n"
            f"{p.message}\n\n**Fix:** {p.fix}"
        )

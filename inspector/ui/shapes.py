"""Cached traces and diagnoses for the Skip connections and Mismatch doctor pages, and their widgets.

Everything is computed on the meta device and keyed on frozen configs (plus a plan or a tuple of
channel edits), so a rerun with the same settings computes nothing.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from inspector.doctor.diagnose import Diagnosis, Problem, diagnose, pytorch_error
from inspector.errors import UserError
from inspector.shapes.diagram import diagram_dot
from inspector.shapes.edit_layers import with_channels
from inspector.shapes.text import fmt_value
from inspector.ui.cache import meta_model
from models import DiscriminatorConfig, GeneratorConfig, Plan, build_generator

Changes = tuple[tuple[str, int, int], ...]  # (layer name, in, out): hashable channel edits


def _generator(cfg: GeneratorConfig, plan: Plan | None) -> torch.nn.Module:
    if plan is None:
        return meta_model(cfg)
    with torch.device("meta"):
        return build_generator(cfg, plan)


def _discriminator(cfg: DiscriminatorConfig, changes: Changes) -> torch.nn.Module:
    model = meta_model(cfg)
    return with_channels(model, {n: (i, o) for n, i, o in changes}) if changes else model


@st.cache_data(max_entries=64, show_spinner="Tracing on the meta device...")
def generator_diagnosis(cfg: GeneratorConfig, size: int, plan: Plan | None = None) -> Diagnosis:
    """The doctor's pass over the generator at 1 x in_channels x size x size."""
    return diagnose(_generator(cfg, plan), (1, cfg.in_channels, size, size))


@st.cache_data(max_entries=64, show_spinner="Tracing on the meta device...")
def discriminator_diagnosis(
    cfg: DiscriminatorConfig, channels: int, size: int, changes: Changes = ()
) -> Diagnosis:
    """The doctor's pass over the discriminator at 1 x channels x size x size."""
    return diagnose(_discriminator(cfg, changes), (1, channels, size, size))


@st.cache_data(max_entries=32, show_spinner="Running it in PyTorch for its own message...")
def pytorch_message(
    cfg: GeneratorConfig | DiscriminatorConfig,
    channels: int,
    size: int,
    plan: Plan | None = None,
    changes: Changes = (),
) -> tuple[str | None, str | None]:
    """(PyTorch's own error for the same model on CPU or None if it runs, why it was not run or None).

    A refusal is an answer too, cached like one: a model too big to run is not re-measured on
    every rerun of the page.
    """
    model = _generator(cfg, plan) if isinstance(cfg, GeneratorConfig) else _discriminator(cfg, changes)
    try:
        return pytorch_error(model, (1, channels, size, size)), None
    except UserError as exc:
        return None, str(exc)


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


def problems_table(problems: tuple[Problem, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "module": [p.module for p in problems],
            "kind": [p.kind for p in problems],
            "expected": [fmt_value(p.expected) for p in problems],
            "got": [fmt_value(p.actual) for p in problems],
            "fix": [p.fix for p in problems],
        }
    )

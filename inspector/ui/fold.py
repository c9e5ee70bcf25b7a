"""Folded content that costs nothing while it is folded: the one home of lazy expanders and of the
widget values kept while their widgets are hidden.

A plain ``st.expander`` runs and sends its whole content on every view, open or closed: a table of
every block, torchinfo's text, the notebook's code. With a class of 30 on one server that is CPU
on every view of every student for content most of them never open (``bench/classroom.py``).
:func:`fold` is an expander that reruns the page when it is opened or closed and says whether it
is open, so the page draws its content only then; :func:`tabs` does the same for tabs. A folded
section that holds widgets names their keys in ``keep``: Streamlit forgets the value of a widget
that a run does not draw, and the student's choices must outlast a fold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence

import streamlit as st
from streamlit.elements.lib.mutable_tab_container import TabContainer

FOLD_PREFIX = "fold."  # every fold's session-state key starts with it (tests open them all)


def keep_values(keys: Iterable[str]) -> None:
    """Make the values of the widgets ``keys`` the session's own, so they survive runs that do not
    draw those widgets (assigning a widget's value to its key does that). By key: a walk over the
    session state copies all of it, on every view."""
    ss = st.session_state
    for key in keys:
        if key in ss:
            ss[key] = ss[key]


@contextlib.contextmanager
def fold(
    label: str,
    key: str,
    *,
    expanded: bool = False,
    keep: Iterable[str] = (),
) -> Iterator[bool]:
    """An expander whose body the caller runs only when this yields True:
    ``with fold(label, "page.part") as shown: if shown: ...``. ``key`` names it for the session (its
    state is ``st.session_state["fold." + key]``); ``keep``: the keys of the widgets inside, kept
    while it is folded."""
    keep_values(keep)
    box = st.expander(label, expanded=expanded, key=FOLD_PREFIX + key, on_change="rerun")
    with box:
        yield bool(box.open)


def tabs(labels: Sequence[str], key: str, keep: Iterable[str] = ()) -> Sequence[TabContainer]:
    """``st.tabs`` whose tabs say whether they are open (``tab.open``): the page draws the open one
    only (``for tab, draw in zip(tabs(...), drawers): if tab.open: ...``); a switch reruns the
    page. Streamlit remembers the open tab by its label: here it is kept by position as well, so
    it stays open when the labels change language. ``keep``: the keys of the widgets in the tabs,
    kept while their tab is closed (a file uploader's file cannot be kept: keep uploaders out)."""
    keep_values(keep)
    ss = st.session_state
    name, position = FOLD_PREFIX + key, FOLD_PREFIX + key + ".position"
    if ss.get(name) not in labels:
        ss[name] = labels[min(int(ss.get(position, 0)), len(labels) - 1)]
    shown = st.tabs(list(labels), key=name, on_change="rerun")
    ss[position] = next((i for i, tab in enumerate(shown) if tab.open), 0)
    return shown

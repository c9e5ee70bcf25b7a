"""Follow the notes: the study notes' sections in their order, each with its code and a link to the view."""

from __future__ import annotations

import textwrap

import streamlit as st

from inspector.ui.common import intro
from inspector.ui.fold import tabs
from inspector.ui.i18n import _, current_language
from inspector.ui.links import LINK_KEYS
from inspector.ui.navigation import linked_page
from inspector.ui.notes_walk import Section, parts

intro(
    _("Follow the notes"),
    _(
        "The study notes build Pix2Pix step by step: the data, the two networks, then the initialization. "
        "Each section below shows the notebook's code of that step, says what to look at, and opens the "
        "page that shows it, already set up."
    ),
)

lang = current_language()


def _part(first: int, sections: tuple[Section, ...]) -> None:
    """The sections of one part, numbered from ``first``: the code, what to look at, the links."""
    for number, section in enumerate(sections, first):
        st.subheader(f"{number}. {_(section.title)}")  # a numbered heading: no words to translate
        code, text = st.columns([3, 2])
        # The notes' own Korean comments make long lines: wrapped, never cut at the column's edge.
        code.code(textwrap.dedent(section.code), language="python", wrap_lines=True)
        with text:
            st.markdown("\n".join(f"- {_(sentence)}" for sentence in section.look))
            for link in section.links:
                # The language travels with the link, so that the page opens in the language shown here.
                params = {**dict(link.params), "lang": lang}
                assert set(params) <= {*LINK_KEYS, "lang"}
                st.page_link(
                    linked_page(link.page, lang),
                    label=_(link.label),
                    icon=":material/arrow_forward:",
                    query_params=params,
                )


# One part of the notes at a time: only the open tab runs and is sent (``ui.fold``).
walk = parts()
for tab, (_title, first, sections) in zip(tabs([_(title) for title, _n, _s in walk], "notes.part"), walk):
    if tab.open:
        with tab:
            _part(first, sections)

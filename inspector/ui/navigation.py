"""The navigation: the registry's pages as ``st.Page`` objects, grouped under their sections.

Built once per language and shared by every session: building 13 ``st.Page`` objects resolves
each script's real path, which cost about a tenth of a page view's server CPU when every view
built them again.
"""

from __future__ import annotations

import streamlit as st

from inspector.i18n.catalog import gettext
from inspector.ui.page_registry import PAGES


@st.cache_resource(show_spinner=False)
def navigation(lang: str) -> dict[str, list[st.Page]]:
    """{section title: its pages} in the language ``lang``; the first page is the default."""
    sections: dict[str, list[st.Page]] = {}
    for entry in PAGES:
        sections.setdefault(gettext(lang, entry.section), []).append(
            st.Page(entry.file, title=gettext(lang, entry.title), icon=entry.icon, default=entry is PAGES[0])
        )
    return sections

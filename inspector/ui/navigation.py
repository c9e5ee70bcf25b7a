"""The navigation: the registry's pages as ``st.Page`` objects, grouped under their sections.

Building 13 ``st.Page`` objects resolves each script's real path, which cost about a tenth of a
page view's server CPU when every view built them again: they are built once per language, and
each script run gets shallow copies (a page object may be run once only, so sessions running at
the same moment must not share one).
"""

from __future__ import annotations

import copy

import streamlit as st

from inspector.i18n.catalog import LANGUAGES, gettext
from inspector.ui.caches.shared import shared
from inspector.ui.page_registry import PAGES


def navigation(lang: str) -> dict[str, list[st.Page]]:
    """{section title: its pages} in the language ``lang``, fresh for this script run; the first page
    is the default."""
    return {section: [copy.copy(page) for page in pages] for section, pages in _built(lang).items()}


def linked_page(page_id: str, lang: str) -> st.Page:
    """The registered ``st.Page`` of ``page_id``, for ``st.page_link``: given a page object, the link
    skips resolving the script's real path on disk (a fifth of the Follow the notes page's CPU with
    its 23 links). A link never runs its page, so the cached object itself is handed out."""
    pages = [page for section in _built(lang).values() for page in section]
    return pages[[entry.id for entry in PAGES].index(page_id)]


@shared(max_entries=len(LANGUAGES))
def _built(lang: str) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for entry in PAGES:
        sections.setdefault(gettext(lang, entry.section), []).append(
            st.Page(entry.file, title=gettext(lang, entry.title), icon=entry.icon, default=entry is PAGES[0])
        )
    return sections

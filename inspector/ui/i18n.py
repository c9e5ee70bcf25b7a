"""The language of this browser session: ``?lang=ko`` in the URL, else the browser's own language.

Pages call ``_("English text", name=value)``; the text is looked up in the catalog of the current
language (``inspector.i18n.catalog``). The choice lives in the URL so that a teacher can share a
link that opens in Korean.
"""

from __future__ import annotations

import streamlit as st

from inspector.i18n.catalog import LANGUAGES, gettext, normalize_language

QUERY_KEY = "lang"


def current_language() -> str:
    """``"ko"`` or ``"en"``: the URL's ``?lang=`` first, then ``st.context.locale`` (the browser's)."""
    asked = st.query_params.get(QUERY_KEY)
    if asked in LANGUAGES:
        return str(asked)
    try:
        browser = st.context.locale
    except Exception:  # AppTest and bare scripts have no browser context
        browser = None
    return normalize_language(browser)


def _(message: str, **values: object) -> str:
    """``message`` in the session's language, placeholders filled with ``values``."""
    return gettext(current_language(), message, **values)


def language_switch() -> str:
    """The sidebar's language picker; keeps the choice in the URL and returns it."""
    lang = current_language()
    codes = list(LANGUAGES)
    chosen = st.sidebar.segmented_control(
        "Language / 언어",
        codes,
        default=lang,
        format_func=LANGUAGES.__getitem__,
        key="ui.lang",
    )
    chosen = chosen or lang  # a click on the selected option clears it: keep the language
    if chosen != st.query_params.get(QUERY_KEY):
        st.query_params[QUERY_KEY] = chosen
    return chosen

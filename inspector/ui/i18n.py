"""The language of this browser session: the sidebar's switch, else ``?lang=ko`` in the URL, else
the browser's own language.

Pages call ``_("English text", name=value)``; the text is looked up in the catalog of the current
language (``inspector.i18n.catalog``). Sentences the core returns (``models.text.Text``: a
doctor's problem, a config's error) are shown with ``say(text)``, an exception with
``reason(exc)``. The choice lives in the URL so that a teacher can share a link that opens in Korean.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from inspector.i18n.catalog import LANGUAGES, gettext, normalize_language, translator
from models.text import message_of, render

QUERY_KEY = "lang"
WIDGET_KEY = "ui.lang"


def current_language() -> str:
    """``"ko"`` or ``"en"``: the switch's value once it was used, then the URL's ``?lang=``, then
    ``st.context.locale`` (the browser's).

    The switch comes first because a click on it reruns the script before the URL is updated, and
    the navigation's titles are drawn before the sidebar.
    """
    chosen = st.session_state.get(WIDGET_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    asked = st.query_params.get(QUERY_KEY)
    if asked in LANGUAGES:
        return str(asked)
    try:
        browser = st.context.locale
    except Exception:  # AppTest and bare scripts have no browser context
        browser = None
    return normalize_language(browser)


def _(message: str, /, **values: object) -> str:
    """``message`` in the session's language, placeholders filled with ``values``."""
    return gettext(current_language(), message, **values)


def current_translator() -> Callable[..., str]:
    """``_`` bound to this run's language, for core functions that take a translator parameter."""
    return translator(current_language())


def say(text: object) -> str:
    """A sentence the core returned (a ``Text``) in the session's language; a plain string as it is."""
    return render(text, current_translator())


def reason(error: BaseException) -> str:
    """An exception's message in the session's language (the core raises its errors with a ``Text``)."""
    return say(message_of(error))


def language_switch() -> str:
    """The sidebar's language picker; keeps the choice in the URL and returns it."""
    lang = current_language()
    chosen = st.sidebar.segmented_control(
        "Language / 언어",
        list(LANGUAGES),
        default=lang,
        format_func=LANGUAGES.__getitem__,
        key=WIDGET_KEY,
        required=True,  # a click on the selected option would otherwise clear it
    )
    chosen = chosen if chosen in LANGUAGES else lang
    if chosen != st.query_params.get(QUERY_KEY):
        st.query_params[QUERY_KEY] = chosen
    return str(chosen)

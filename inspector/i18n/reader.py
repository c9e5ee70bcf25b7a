"""The reader's language outside the app: what a notebook's displays speak.

The app takes its language from the browser and the sidebar (``inspector.ui.i18n``); a notebook
has neither, so ``inspector.set_language("ko")`` chooses it, and until then it follows the
machine's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``): a Korean Jupyter opens in
Korean, Colab (``en_US``) in English. Every display draws through :func:`reader_translator`, so
the app's catalogs (``inspector/i18n/locales``) serve both. The CLI stays English.
"""

from __future__ import annotations

import locale
import os

from inspector.i18n.catalog import LANGUAGES, Translator, normalize_language, translator
from models.text import Text

_chosen: str | None = None
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def locale_language() -> str:
    """The language of the machine's locale, the first variable that is set (POSIX's order), then
    Python's ``locale.getlocale()``; English when neither names a language the app speaks."""
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX"):
            # LANGUAGE may list several ("ko:en"): the first one counts
            return normalize_language(value.split(":")[0].split(".")[0])
    code = locale.getlocale()[0]
    return normalize_language(code)


def set_language(lang: str) -> None:
    """Speak ``lang`` ("en" or "ko", or a locale such as "ko_KR") in every display from now on
    (``get_language()`` says which). ``ValueError`` for a language the app does not speak."""
    code = str(lang).replace("_", "-").split("-")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(
            Text(
                "the language must be one of {languages}, got {lang}",
                languages=", ".join(LANGUAGES),
                lang=repr(lang),
            )
        )
    global _chosen
    _chosen = code


def get_language() -> str:
    """The language displays speak: the one set with :func:`set_language`, else the locale's."""
    return _chosen if _chosen is not None else locale_language()


def reader_translator() -> Translator:
    """``tr(message, **values)`` in the reader's language, for the code that draws."""
    return translator(get_language())

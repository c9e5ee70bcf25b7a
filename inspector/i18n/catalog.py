"""Catalogs: one ``.po`` file per language, the English source string as the key (gettext style).

English needs no catalog: a message id *is* the English text. Korean lives in
``locales/ko/LC_MESSAGES/messages.po``; ``make i18n`` runs ``pybabel extract`` over the UI and
``pybabel update`` so new strings appear there untranslated, and ``tests/i18n`` fails until each
has a Korean text. Placeholders use ``str.format`` names (``{size}``), never positions, so a
translation may reorder them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


def po_path(lang: str) -> Path:
    """Where the catalog of ``lang`` lives (English has none)."""
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def load_catalog(lang: str) -> Catalog:
    """The parsed ``.po`` catalog of ``lang`` (an empty one for English or a language without a file)."""
    path = po_path(lang)
    if lang == DEFAULT_LANGUAGE or not path.is_file():
        return Catalog(locale=lang if lang in LANGUAGES else None)
    with path.open("rb") as f:
        return read_po(f, locale=lang)


@functools.cache
def _table(lang: str) -> dict[str, str]:
    # msgid -> msgstr for singular, translated, non-fuzzy entries: a fuzzy guess is never shown.
    table: dict[str, str] = {}
    for message in load_catalog(lang):
        singular = isinstance(message.id, str) and isinstance(message.string, str)
        if singular and message.id and message.string and not message.fuzzy:
            table[message.id] = message.string
    return table


def normalize_language(code: str | None) -> str:
    """``"ko-KR"`` -> ``"ko"``; anything unknown -> English."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def gettext(lang: str, message: str, **values: object) -> str:
    """``message`` in ``lang`` (English when no translation exists), with ``{name}`` placeholders filled."""
    text = message if lang == DEFAULT_LANGUAGE else _table(lang).get(message, message)
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """A ``_(message, **values)`` function bound to ``lang``, for code that renders figures or files."""
    return functools.partial(gettext, lang)


def missing(lang: str, messages: list[str]) -> list[str]:
    """The messages among ``messages`` that ``lang`` has no (non-fuzzy) translation for."""
    if lang == DEFAULT_LANGUAGE:
        return []
    table = _table(lang)
    return [m for m in messages if m not in table]


def N_(message: str) -> str:
    """Mark a module-level string for extraction without translating it yet (gettext's ``N_``)."""
    return message

"""Catalogs: ``.po`` files per language, the English source string as the key (gettext style).

English needs no catalog: a message id *is* the English text. Korean lives in
``locales/ko/LC_MESSAGES/*.po``: one file per area of the app (``messages.po`` for the shared
words, ``train.po`` for the Train page...), merged at load time, so that two people translating
two pages never edit the same file. ``make i18n`` extracts the UI's messages and appends the ones
no file has yet to ``messages.po``, untranslated; ``tests/i18n`` fails until each has Korean.
Placeholders use ``str.format`` names (``{size}``), never positions, so a translation may
reorder them. A Korean particle after a placeholder is written as a pair (``{size}은(는)``,
``{shape}(으)로``) and chosen by the value when the text is formatted (``particles``): never a
fixed particle, which is wrong for half of the values ("300는", "padding=1으로").

Who translates what (one rule for the whole app): core code (``models/``, ``inspector/`` outside
``inspector/ui/``) never knows the reader's language and returns English.

* A sentence the core *returns* (a doctor's problem and its fix, a note, a config's
  ``ValueError``, an init rule) is an ``models.text.Text``: a ``str`` whose value is the
  English, which keeps its msgid and values. The CLI prints it as it is; the app renders it in
  the session's language with ``render(text, _)`` (the UI's ``inspector.ui.i18n.say``), so that a
  cached result (a diagnosis in ``st.cache_data``) serves every language. An exception raised
  with a ``Text`` keeps it in ``args[0]`` (``message_of``).
* Code that *draws* (figures, GIF frames, the diagram's DOT) takes a translator
  ``tr: Translator = english`` (``translator(lang)``) and draws in that language.

The extraction (``tools/i18n_update.py``) reads ``_``, ``N_`` and ``Text`` calls in every
package, so ``tests/i18n`` fails on a core msgid without Korean as it does on a page's.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from inspector.i18n.particles import format_message
from models.text import Translator

LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


def po_path(lang: str, domain: str = DOMAIN) -> Path:
    """Where one catalog file of ``lang`` lives (English has none)."""
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


def po_files(lang: str) -> list[Path]:
    """Every catalog file of ``lang``, in name order."""
    if lang == DEFAULT_LANGUAGE:
        return []
    return sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po"))


@functools.cache
def load_catalog(lang: str) -> Catalog:
    """All ``.po`` files of ``lang`` merged into one catalog (empty for English or an unknown language).

    A message translated in two files is an error: the test suite names it (``duplicates``).
    """
    merged = Catalog(locale=lang if lang in LANGUAGES and lang != DEFAULT_LANGUAGE else None)
    for path in po_files(lang):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


def duplicates(lang: str) -> list[str]:
    """Messages that appear in more than one catalog file of ``lang``."""
    seen: dict[str, Path] = {}
    twice: list[str] = []
    for path in po_files(lang):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if isinstance(message.id, str) and message.id:
                    if message.id in seen:
                        twice.append(f"{message.id!r} in {seen[message.id].name} and {path.name}")
                    seen[message.id] = path
    return twice


@functools.cache
def _table(lang: str) -> dict[str, str]:
    # msgid -> msgstr for singular, translated, non-fuzzy entries: a fuzzy guess is never shown.
    table: dict[str, str] = {}
    for message in load_catalog(lang):
        msgid, msgstr = message.id, message.string
        if isinstance(msgid, str) and isinstance(msgstr, str) and msgid and msgstr and not message.fuzzy:
            table[msgid] = msgstr
    return table


def normalize_language(code: str | None) -> str:
    """``"ko-KR"`` -> ``"ko"``; anything unknown -> English."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def gettext(lang: str, message: str, /, **values: object) -> str:
    """``message`` in ``lang`` (English when no translation exists), with ``{name}`` placeholders filled
    and each Korean particle pair after one (``{size}은(는)``) resolved for its value
    (``inspector.i18n.particles``)."""
    text = message if lang == DEFAULT_LANGUAGE else _table(lang).get(message, message)
    return format_message(text, values) if values else text


def translator(lang: str) -> Translator:
    """A ``_(message, **values)`` function bound to ``lang``, for code that renders figures or files."""
    return functools.partial(gettext, lang)


def english(message: str, /, **values: object) -> str:
    """The default translator of core functions that draw: the msgid itself, placeholders filled."""
    return gettext(DEFAULT_LANGUAGE, message, **values)


def missing(lang: str, messages: list[str]) -> list[str]:
    """The messages among ``messages`` that ``lang`` has no (non-fuzzy) translation for."""
    if lang == DEFAULT_LANGUAGE:
        return []
    table = _table(lang)
    return [m for m in messages if m not in table]


def N_(message: str) -> str:
    """Mark a module-level string for extraction without translating it yet (gettext's ``N_``)."""
    return message

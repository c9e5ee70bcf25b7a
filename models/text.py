"""Sentences the core writes, in English now and in any language later: ``Text``.

Core code never knows the reader's language. A sentence it returns (a doctor's problem, a
config's ``ValueError``, an init rule) is a ``Text``: a ``str`` whose value is the English
sentence, so the CLI, JSON, golden files and ``in`` tests read it as before, and which keeps
its template and values, so that the app can say it again in the session's language::

    t = Text("{name} expects {expected} input channels but gets {got}.", name="model.2", expected=3, got=64)
    str(t)                     # 'model.2 expects 3 input channels but gets 64.'
    render(t, translator("ko"))  # 'model.2의 입력 채널은 3개여야 하는데 64개가 들어옵니다.'

The template is the catalog's msgid (``Text`` is an extraction keyword, like ``_`` and ``N_``:
``make i18n`` finds it). Values that are ``Text`` themselves are rendered in the same language
(a fragment such as "from model.0 (Conv2d(3, 64))" inside a sentence); any other value (a layer
name, a shape, a number) is kept as it is. ``compose`` and ``join`` build text from parts
without words of their own (punctuation, a list): they are never looked up in a catalog.

Any ``str`` operation (``+``, ``.replace``, an f-string) gives plain English back: build new
text with ``Text``, ``compose``, ``join`` or ``Text.with_values`` instead.

It lives in ``models/``, the bottom layer, because the configs' errors are ``Text`` too and
``models/`` imports nothing of ``inspector``; the catalogs that translate it are
``inspector.i18n``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Translator = Callable[..., str]  # ``tr(message, **values) -> str``: a catalog bound to one language


def _fill(template: str, values: Mapping[str, object]) -> str:
    # gettext's rule (inspector.i18n.catalog.gettext): a template without values is not formatted,
    # so a message with a literal brace and no values reads as written.
    return template.format(**values) if values else template


class Text(str):
    """English text (the ``str`` value) that remembers its ``template`` and ``values``."""

    template: str
    values: dict[str, object]
    looked_up: bool  # False for compose/join: a layout without words, never looked up

    def __new__(cls, template: str, /, **values: object) -> Text:
        return cls._make(template, values, looked_up=True)

    @classmethod
    def _make(cls, template: str, values: Mapping[str, object], looked_up: bool) -> Text:
        self = super().__new__(cls, _fill(template, values))
        self.template, self.values, self.looked_up = template, dict(values), looked_up
        return self

    def render(self, tr: Translator) -> str:
        """This text in the language of ``tr`` (``inspector.i18n.catalog.translator``); nested
        ``Text`` values first."""
        values = {k: render(v, tr) for k, v in self.values.items()}
        return tr(self.template, **values) if self.looked_up else _fill(self.template, values)

    def with_values(self, **changes: object) -> Text:
        """The same sentence with some values replaced (e.g. the op "torch.cat" by "torch.cat before
        decoder_4" once the pass knows which block it feeds)."""
        return Text._make(self.template, {**self.values, **changes}, self.looked_up)

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle (st.cache_data) and copy.deepcopy (dataclasses.asdict) keep the template
        return (_rebuild, (self.template, self.values, self.looked_up))


def _rebuild(template: str, values: Mapping[str, object], looked_up: bool) -> Text:
    return Text._make(template, values, looked_up)


def compose(layout: str, /, **values: object) -> Text:
    """Parts put together by a ``layout`` without words (``"{change}{parts}"``): never translated,
    each ``Text`` part still is."""
    return Text._make(layout, values, looked_up=False)


def join(parts: Iterable[object], sep: object = " ") -> Text:
    """``sep.join(parts)`` that keeps each part (and a ``Text`` separator, e.g. ``Text(" or ")``)
    translatable. Empty parts are left out, so an optional sentence needs no test."""
    kept = [p for p in parts if p != ""]
    layout = "{sep}".join(f"{{p{i}}}" for i in range(len(kept)))
    return compose(layout, sep=sep, **{f"p{i}": p for i, p in enumerate(kept)})


def render(text: object, tr: Translator) -> str:
    """``text`` in the language of ``tr``: a ``Text`` is rendered, anything else is ``str(text)``
    (a plain string from a rule of one's own stays English)."""
    return text.render(tr) if isinstance(text, Text) else str(text)


def message_of(error: BaseException) -> str:
    """The message of an exception, as a ``Text`` when it was raised with one (``str(error)`` loses
    the template: ``ValueError(Text(...))`` keeps it in ``args[0]``)."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Text) else str(error)


def to_data(text: object) -> object:
    """``text`` as JSON data that keeps it translatable: a ``Text`` becomes ``{"template", "values",
    "looked_up"}`` (nested ``Text`` values too); any other value is kept if JSON has it, else its str.
    Run files (a run's status, written by a worker) keep their sentences this way."""
    if isinstance(text, Text):
        return {
            "template": text.template,
            "values": {k: to_data(v) for k, v in text.values.items()},
            "looked_up": text.looked_up,
        }
    if text is None or isinstance(text, (bool, int, float)):
        return text
    return str(text)


def from_data(data: object) -> object:
    """The inverse of :func:`to_data`: a ``Text`` again from its data; anything malformed is read as
    plain text (a run file may have been edited or cut short: reading it must not fail)."""
    if isinstance(data, dict):
        template, values = data.get("template"), data.get("values")
        if isinstance(template, str) and isinstance(values, dict):
            kept = {str(k): from_data(v) for k, v in values.items()}
            try:
                return Text._make(template, kept, looked_up=data.get("looked_up") is not False)
            except (KeyError, IndexError, ValueError):  # a template whose values do not fit
                return template
        return str(data)
    return data

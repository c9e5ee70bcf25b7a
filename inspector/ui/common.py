"""Small helpers every page uses: the intro, the notebook's code, and the sidebar's configs
(from the ``Choice``; a page that needs an invalid network stops with the reason).

Callers pass text already translated (``_("...")``); the helpers' own words go through the catalog.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from inspector.i18n.catalog import N_
from inspector.ui.choice import Choice
from inspector.ui.fold import fold
from inspector.ui.i18n import _, say
from inspector.ui.sidebar import current_choice
from models import DiscriminatorConfig, GeneratorConfig
from models.config import PARTS, Part

WHAT_TO_NOTICE = N_("What to notice")
# The main area's width and a half-width column's, in Chromium at 1400 x 1000 with the sidebar open
# (measured): a picture drawn no wider is shown at its own size, its words as drawn (>= 12 px).
MAIN_PX, HALF_COLUMN_PX = 940, 460
PART_NAMES: dict[Part, str] = {"generator": N_("generator"), "discriminator": N_("discriminator")}
K = TypeVar("K", bound=str)


def column_labels(columns: Iterable[str], widths: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A ``column_config`` that shows each column's (English, ``N_``-marked) name in the session's
    language (and, in ``widths``, its width in px); the data keeps its keys, so code and tests read
    ``table["skip from"]`` as before."""
    widths = widths or {}
    return {name: st.column_config.Column(_(name), width=widths.get(name)) for name in columns}


def labelled_radio(
    label: str, labels: Mapping[K, str], key: str, where: DeltaGenerator | None = None, **options: Any
) -> K:
    """A radio whose values are the keys of ``labels``, each shown as its (``N_``-marked) label in the
    session's language; drawn in ``where`` (a column) or in the current container. ``options`` go
    to ``st.radio`` (``horizontal``, ``help``)."""
    radio = where.radio if where is not None else st.radio
    return radio(label, tuple(labels), format_func=lambda k: _(labels[k]), key=key, **options)


def deferred(data: bytes) -> Callable[[], bytes]:
    """``data`` for ``st.download_button`` handed over on the click: bytes given as they are are
    hashed and stored for the session on every view, whether anyone downloads them or not."""
    return lambda: data


def intro(title: str, text: str) -> None:
    """The page title and a few plain sentences on what the page shows."""
    st.title(title)
    st.markdown(text)


def notice(points: list[str], title: str | None = None) -> None:
    """A short list of things a learner should look for in the picture above."""
    st.markdown(f"**{title or _(WHAT_TO_NOTICE)}**\n\n" + "\n".join(f"- {p}" for p in points))


def notebook_code(code: str, caption: str, expanded: bool = False, wrap: bool = True) -> None:
    """The notebook's own code that the view explains, in a fold (the code stays as written; sent
    only while open). Its long lines (the notes' Korean comments) wrap; ``wrap=False`` in a narrow
    column, where wrapped code breaks inside words: there the block scrolls sideways instead."""
    # Named by the code, not the caption: it stays open across a change of language.
    key = f"code.{zlib.crc32(code.encode()):08x}"
    with fold(_("The notebook's code: {caption}", caption=caption), key, expanded=expanded) as shown:
        if shown:
            st.code(code, language="python", wrap_lines=wrap)


def _require(choice: Choice, parts: tuple[Part, ...]) -> None:
    """Stop the page, saying why, if a network that ``parts`` names cannot be built."""
    bad = [(part, why) for part in parts if (why := choice.error(part))]
    if bad:
        for part, why in bad:
            # ``why`` is the config's own ValueError (a Text): said in the session's language
            st.error(
                _("These settings cannot build the {part}: {why}", part=_(PART_NAMES[part]), why=say(why))
            )
        st.info(_("Change the settings in the sidebar, or pick a preset again to start over."))
        st.stop()


def current_config(part: Part, choice: Choice | None = None) -> GeneratorConfig | DiscriminatorConfig:
    """The config of the network ``part`` names; the page stops with the reason if it is invalid."""
    return current_generator(choice) if part == "generator" else current_discriminator(choice)


def current_configs(choice: Choice | None = None) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """Both networks' configs (pages that show or train both); the page stops if one is invalid."""
    choice = choice or current_choice()
    _require(choice, PARTS)
    assert choice.generator is not None and choice.discriminator is not None
    return choice.generator, choice.discriminator


def current_generator(choice: Choice | None = None) -> GeneratorConfig:
    """The generator's config; the page stops with the reason if it is invalid."""
    choice = choice or current_choice()
    _require(choice, ("generator",))
    assert choice.generator is not None
    return choice.generator


def current_discriminator(choice: Choice | None = None) -> DiscriminatorConfig:
    """The discriminator's config; the page stops with the reason if it is invalid."""
    choice = choice or current_choice()
    _require(choice, ("discriminator",))
    assert choice.discriminator is not None
    return choice.discriminator

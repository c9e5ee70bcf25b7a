"""Links that open a page in a given state: ``?preset=notebook-as-written&part=discriminator&example=as-written``.

``arrival(params)`` turns a URL's query parameters into the session-state values of the widgets
they name (the sidebar's ``cfg.*`` keys, the Mismatch doctor's example, the Weight init page's
network, the Lab colour page's photo). The sidebar applies them once, when a link is followed,
and then removes them from the URL, so that the user's later changes win. This module does not
import streamlit: the parsing is tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inspector.data.samples import SAMPLE_FILES
from inspector.ui import doctor_examples
from models import list_presets
from models.config import MAX_INPUT_SIZE, PARTS

PRESET, PART, SIZE, EXAMPLE = "preset", "part", "size", "example"
LINK_KEYS = (PRESET, PART, SIZE, EXAMPLE)  # the query parameters a link may carry (``lang`` stays)

WEIGHTS_PART_KEY = "wi.part"
LAB_SOURCE_KEY, LAB_SAMPLE_KEY, LAB_SAMPLE = "lab.source", "lab.sample", "Sample photo"
INPUT_SIZE_KEY = "cfg.g.input_size"


@dataclass(frozen=True)
class Arrival:
    """What a link asks for: a preset to load first, then widget values; what it asked in vain."""

    preset: str | None = None
    state: dict[str, object] = field(default_factory=dict)  # session-state key -> value
    ignored: tuple[tuple[str, str], ...] = ()  # (parameter, value) pairs that mean nothing here

    @property
    def empty(self) -> bool:
        return self.preset is None and not self.state and not self.ignored


def arrival(params: Mapping[str, str]) -> Arrival:
    """The state a link's query parameters ask for; unknown values are listed, never raised."""
    preset: str | None = None
    state: dict[str, object] = {}
    ignored: list[tuple[str, str]] = []
    if PRESET in params:
        value = params[PRESET]
        if value in list_presets():
            preset = value
        else:
            ignored.append((PRESET, value))
    if PART in params:
        value = params[PART]
        if value in PARTS:
            state[WEIGHTS_PART_KEY] = value
        else:
            ignored.append((PART, value))
    if SIZE in params:
        value = params[SIZE]
        if value.isdigit() and 2 <= int(value) <= MAX_INPUT_SIZE:
            state[INPUT_SIZE_KEY] = int(value)
        else:
            ignored.append((SIZE, value))
    if EXAMPLE in params:
        value = params[EXAMPLE]
        if value in doctor_examples.BY_ID:  # the Mismatch doctor's picker holds the example's id
            state[doctor_examples.PICKER_KEY] = value
        elif value in SAMPLE_FILES:
            state[LAB_SOURCE_KEY] = LAB_SAMPLE
            state[LAB_SAMPLE_KEY] = value
        else:
            ignored.append((EXAMPLE, value))
    return Arrival(preset, state, tuple(ignored))


def link_params(
    preset: str | None = None, part: str | None = None, size: int | None = None, example: str | None = None
) -> dict[str, str]:
    """The query parameters of a link (the inverse of ``arrival``); ``None`` leaves one out."""
    values = {PRESET: preset, PART: part, SIZE: None if size is None else str(size), EXAMPLE: example}
    return {k: v for k, v in values.items() if v is not None}

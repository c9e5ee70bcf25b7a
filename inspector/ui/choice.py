"""The user's choices in the sidebar, as one frozen value that every page receives.

``model_sidebar()`` returns a ``Choice``; pages read it with ``current_choice()`` (or the typed
``current_generator()`` ...), never the sidebar's widget keys. Frozen, hence hashable: a page may
key a cache on it. This module does not import streamlit, so a choice can be built and tested
without the app.

To add a choice (a language, a URL-opened state): give it a field with a default here, a widget
in ``sidebar.py``, and a key in ``SETTINGS`` when it should travel in a link; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from models import DiscriminatorConfig, GeneratorConfig
from models.config import Part
from models.presets import DEFAULT_PRESET
from models.text import message_of

C = TypeVar("C", GeneratorConfig, DiscriminatorConfig)


@dataclass(frozen=True)
class Choice:
    """What the sidebar says. A network is None when its settings are impossible; ``errors`` says why.

    Each network stands on its own: a U-Net valid at 8x8 is still worth exploring when the
    PatchGAN cannot take 8x8, so a page that needs only one network is not blocked by the other.
    """

    preset: str = DEFAULT_PRESET
    generator: GeneratorConfig | None = None
    discriminator: DiscriminatorConfig | None = None
    errors: tuple[tuple[Part, str], ...] = ()  # (part, the config's ValueError) for each None network

    @classmethod
    def from_settings(
        cls, preset: str, generator: Mapping[str, Any], discriminator: Mapping[str, Any]
    ) -> Choice:
        """Validate the two networks' settings (``GeneratorConfig.to_dict()`` keys) into a choice."""
        errors: list[tuple[Part, str]] = []
        g = _build_or_explain(GeneratorConfig, generator, "generator", errors)
        d = _build_or_explain(DiscriminatorConfig, discriminator, "discriminator", errors)
        return cls(preset=preset, generator=g, discriminator=d, errors=tuple(errors))

    def error(self, part: Part) -> str | None:
        """Why ``part`` cannot be built with these settings, or None when it can."""
        return dict(self.errors).get(part)

    @property
    def input_size(self) -> int | None:
        """The image size both networks see (the sidebar has one size box), None if neither is valid."""
        cfg = self.generator or self.discriminator
        return cfg.input_size if cfg is not None else None


def _build_or_explain(
    cls: type[C], values: Mapping[str, Any], part: Part, errors: list[tuple[Part, str]]
) -> C | None:
    """``cls.from_dict(values)``, or None with the config's reason appended to ``errors``."""
    try:
        return cls.from_dict(dict(values))
    except (ValueError, TypeError) as exc:
        errors.append((part, message_of(exc)))  # a Text: the page says it in the session's language
        return None

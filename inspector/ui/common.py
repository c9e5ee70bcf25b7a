"""Small rendering helpers every page uses: the intro, the notebook's code, the configs."""

from __future__ import annotations

import streamlit as st

from models import DiscriminatorConfig, GeneratorConfig


def intro(title: str, text: str) -> None:
    """The page title and a few plain sentences on what the page shows."""
    st.title(title)
    st.markdown(text)


def notice(points: list[str], title: str = "What to notice") -> None:
    """A short list of things a learner should look for in the picture above."""
    st.markdown(f"**{title}**\n\n" + "\n".join(f"- {p}" for p in points))


def notebook_code(code: str, caption: str, expanded: bool = False) -> None:
    """The notebook's own code that the view explains, in an expander."""
    with st.expander(f"The notebook's code: {caption}", expanded=expanded):
        st.code(code, language="python")


def _configs(parts: tuple[str, ...]) -> tuple[GeneratorConfig | None, DiscriminatorConfig | None]:
    """The sidebar's configs; if one that ``parts`` needs is invalid, explain why and stop the page."""
    errors: dict[str, str] = st.session_state.get("config_errors") or {}
    bad = [part for part in parts if errors.get(part)]
    if bad:
        for part in bad:
            st.error(f"These settings cannot build the {part}: {errors[part]}")
        st.info("Change the settings in the sidebar, or pick a preset again to start over.")
        st.stop()
    return st.session_state.get("generator_config"), st.session_state.get("discriminator_config")


def current_configs() -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """Both networks' configs (pages that show or train both)."""
    g, d = _configs(("generator", "discriminator"))
    assert g is not None and d is not None
    return g, d


def current_generator() -> GeneratorConfig:
    """The generator's config; the page stops with the reason if it is invalid."""
    g, _ = _configs(("generator",))
    assert g is not None
    return g


def current_discriminator() -> DiscriminatorConfig:
    """The discriminator's config; the page stops with the reason if it is invalid."""
    _, d = _configs(("discriminator",))
    assert d is not None
    return d

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


def current_configs() -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The configs chosen in the sidebar. If they are invalid, explain why and stop the page."""
    error = st.session_state.get("config_error")
    if error:
        st.error(f"These settings cannot build a model: {error}")
        st.info("Change the settings in the sidebar, or pick a preset again to start over.")
        st.stop()
    return st.session_state["generator_config"], st.session_state["discriminator_config"]

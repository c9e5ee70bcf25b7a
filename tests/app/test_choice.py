"""The sidebar's Choice, built without Streamlit: valid, invalid, frozen and hashable."""

from __future__ import annotations

import dataclasses

import pytest

from inspector.ui.choice import Choice
from models import get_preset


def _settings(name: str) -> tuple[dict[str, object], dict[str, object]]:
    chosen = get_preset(name)
    return chosen.generator.to_dict(), chosen.discriminator.to_dict()


def test_a_preset_gives_both_networks() -> None:
    g, d = _settings("pix2pix")
    choice = Choice.from_settings("pix2pix", g, d)
    assert choice.generator == get_preset("pix2pix").generator
    assert choice.discriminator == get_preset("pix2pix").discriminator
    assert choice.errors == () and choice.error("generator") is None and choice.input_size == 256
    assert hash(choice) == hash(Choice.from_settings("pix2pix", g, d))  # a cache key
    with pytest.raises(dataclasses.FrozenInstanceError):
        choice.preset = "notebook"  # type: ignore[misc]


def test_each_network_stands_on_its_own() -> None:
    g, d = _settings("notebook")
    choice = Choice.from_settings("notebook", {**g, "input_size": 8, "depth": 3}, {**d, "input_size": 8})
    assert choice.generator is not None and choice.generator.input_size == 8
    assert choice.discriminator is None
    assert "input_size" in (choice.error("discriminator") or "") and choice.error("generator") is None
    assert choice.input_size == 8


def test_hidden_settings_keep_their_values_and_come_back() -> None:
    """The networks' settings are drawn only while their toggle is on; hidden, they keep their values
    (Streamlit would forget a widget's value when a run does not draw it)."""
    from tests.app.apptest import open_page

    at = open_page("architecture")
    assert not any(w.key == "cfg.g.ngf" for w in at.number_input)  # hidden by default: a cheaper view
    at.toggle(key="ui.settings").set_value(True).run()
    at.number_input(key="cfg.g.ngf").set_value(32).run()
    at.toggle(key="ui.settings").set_value(False).run()
    at.run()
    at.run()
    assert not at.exception
    assert any("ngf 32" in c.value for c in at.sidebar.caption)  # the one-line summary says it
    at.toggle(key="ui.settings").set_value(True).run()
    assert at.number_input(key="cfg.g.ngf").value == 32

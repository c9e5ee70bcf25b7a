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

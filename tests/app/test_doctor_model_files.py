"""AppTest of the Mismatch doctor's model files (``pix2pix-inspector app --models DIR``): a model
is imported and diagnosed once, read again when its file is edited, and its size problems named."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import inspector.ui.caches.doctor as cache
from inspector.shapes.loader import MODELS_ENV, load_model
from tests.app.apptest import open_page
from tests.doctor.test_size_fixes import SIDES_FILE

DOCTOR = "mismatch_doctor"
NETS = """
from torch import nn


def net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d({cin}, 8, 3, padding=1))
"""


def _texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(e.value for e in elements)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The input shapes the doctor ran a model imported from the folder at, in order (the page's
    own examples are diagnosed too, and are not counted)."""
    seen: list[tuple[int, ...]] = []
    imported: set[int] = set()
    real_diagnose, real_load = cache.diagnose, cache.load_model

    def loading(spec, mode=None):  # type: ignore[no-untyped-def]
        model = real_load(spec, mode)
        imported.add(id(model))
        return model

    def counting(model, shape):  # type: ignore[no-untyped-def]
        if id(model) in imported:
            seen.append(tuple(shape))
        return real_diagnose(model, shape)

    monkeypatch.setattr(cache, "load_model", loading)
    monkeypatch.setattr(cache, "diagnose", counting)
    return seen


def _open(folder: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv(MODELS_ENV, str(folder))
    return open_page(DOCTOR)


def test_a_model_file_is_diagnosed_once_and_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: list[tuple[int, ...]]
) -> None:
    path = tmp_path / "nets.py"
    path.write_text(NETS.format(cin=4))
    at = _open(tmp_path, monkeypatch)
    assert at.selectbox(key="doctor.own.file").value == "nets.py:net"
    assert not calls  # nothing is imported before the button
    at.text_input(key="doctor.own.file_shape").set_value("1,3,16,16").run()
    at.button(key="doctor.own.load").click().run()
    assert not at.exception
    assert "1: Conv2d in_channels 4 -> 8" in _texts(at.error) and calls == [(1, 3, 16, 16)]

    at.run()  # a rerun (any widget, any click): the verdict stays, from the cache
    assert "1: Conv2d in_channels 4 -> 8" in _texts(at.error) and len(calls) == 1

    path.write_text(NETS.format(cin=8))  # the typo mended; the file's mtime and size change
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    at.run()
    assert not at.exception and len(calls) == 2
    assert "Healthy: the output is 1x8x16x16." in _texts(at.success)

    at.radio(key="doctor.own.file_mode").set_value("eval").run()  # another mode: checked again
    assert len(calls) == 3 and not at.exception
    at.text_input(key="doctor.own.file_shape").set_value("1,3,16,16").run()
    assert len(calls) == 3


def test_a_size_problem_of_a_model_file_shows_the_sizes_per_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: list[tuple[int, ...]]
) -> None:
    (tmp_path / "sides.py").write_text(SIDES_FILE)  # H multiples of 4, W multiples of 16
    at = _open(tmp_path, monkeypatch)
    at.text_input(key="doctor.own.file_shape").set_value("1,3,32,60").run()
    at.button(key="doctor.own.load").click().run()
    assert not at.exception
    assert "use a width of 48 or 64 instead of 60 (the height 32 works)" in _texts(at.error)
    info = _texts(at.info)
    assert "Valid input sizes: H: multiples of 4 (4, 8, 12, ...); W: multiples of 16" in info
    assert "each side on its own" in info


def test_an_edited_file_is_imported_again_even_within_the_same_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as `streamlit run` has it, by default
    path = tmp_path / "nets.py"
    path.write_text(NETS.format(cin=4))
    first = load_model(f"{path}:net")
    path.write_text(NETS.format(cin=8))  # the same size, most likely the same second
    second = load_model(f"{path}:net")
    assert (first[1].in_channels, second[1].in_channels) == (4, 8)
    assert not (tmp_path / "__pycache__").exists()  # nothing written into the user's folder

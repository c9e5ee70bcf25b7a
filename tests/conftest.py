"""Shared fixtures: presets, the AppTest page opener, and golden files for text output.

Golden files live in ``tests/golden/``. When an intended change alters a text output, regenerate
them with ``pytest --overwrite`` (as torchinfo's tests do) and review the diff before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from models import DiscriminatorConfig, GeneratorConfig, preset

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--overwrite", action="store_true", default=False, help="rewrite the golden files in tests/golden/"
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)`` compares ``text`` with ``tests/golden/name`` (or writes it with --overwrite)."""
    overwrite = bool(request.config.getoption("--overwrite"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if overwrite or not path.exists():
            if not overwrite:
                pytest.fail(f"golden file {path} is missing: run pytest --overwrite and review it")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"output differs from {path.relative_to(ROOT)} (pytest --overwrite rewrites it)"
        )

    return check


@pytest.fixture(params=["notebook", "notebook-as-written", "pix2pix"])
def preset_name(request: pytest.FixtureRequest) -> str:
    """Each preset's name in turn."""
    return str(request.param)


@pytest.fixture
def notebook_cfgs() -> tuple[GeneratorConfig, DiscriminatorConfig]:
    return preset("notebook")


@pytest.fixture
def pix2pix_cfgs() -> tuple[GeneratorConfig, DiscriminatorConfig]:
    return preset("pix2pix")


@pytest.fixture
def open_page() -> Callable[..., object]:
    """The AppTest page opener (``tests/app/apptest.py``) as a fixture."""
    from tests.app.apptest import open_page as opener

    return opener

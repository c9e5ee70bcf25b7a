"""The page registry is the one list of pages: every file of inspector/ui/pages is in it and every
entry has its file; the bench reads it (the walk's links: tests/app/test_follow_notes.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from inspector.i18n.catalog import gettext
from inspector.ui.page_registry import PAGES, PAGES_DIR, page_file
from inspector.ui.runs_list import COLORIZE_PAGE

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_file_is_registered_and_every_entry_has_its_file() -> None:
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / PAGES_DIR).glob("*.py"))
    assert sorted(page.file for page in PAGES) == files
    assert len({page.id for page in PAGES}) == len(PAGES)
    assert all(page.icon.startswith(":material/") and page.icon.endswith(":") for page in PAGES)


def test_titles_are_catalog_messages() -> None:
    for page in PAGES:
        assert gettext("en", page.title) == page.title
        assert gettext("ko", page.title) != page.title, f"{page.title!r} has no Korean title"


def test_an_unknown_page_is_named_in_the_error() -> None:
    assert page_file("colorize") == f"{PAGES_DIR}/colorize.py" == COLORIZE_PAGE
    with pytest.raises(KeyError, match="no page 'colourize'"):
        page_file("colourize")


def test_page_latency_measures_every_page_in_the_navigation_order() -> None:
    spec = importlib.util.spec_from_file_location("page_latency", ROOT / "bench" / "page_latency.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.pages() == [(page.title, page.file) for page in PAGES]

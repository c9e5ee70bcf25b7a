"""Fixtures of the real-browser tests (``test_browser*.py``): the app served by ``streamlit run`` and
one Chromium per module. A module that needs its own server (a runs folder of its own) overrides
``server`` with ``tests.app.browser.streamlit_server``; ``browser`` then drives that one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.browser import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with streamlit_server(ROOT / ".pytest_cache" / "streamlit-browser-test.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()

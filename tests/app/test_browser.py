"""A real browser opens every page of a running ``streamlit run`` and fails on any exception box.

Playwright drives Debian's Chromium at /usr/bin/chromium (no browser download). Where it is
missing the test skips with the reason, except under CI (``PIX2PIX_REQUIRE_BROWSER=1``, set by
``.ci/run``), where it fails: the browser test must run there.
Set ``PIX2PIX_SCREENSHOTS=DIR`` to save a full-page screenshot of every page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PAGE_TIMEOUT_S = 120


def _require_or_skip(reason: str) -> None:
    if os.environ.get("PIX2PIX_REQUIRE_BROWSER") or os.environ.get("CI"):
        pytest.fail(f"browser test is required here but cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not CHROMIUM.exists():
        _require_or_skip("Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _require_or_skip("the playwright package is not installed (pip install -e '.[dev]')")
    port = _free_port()
    log = (ROOT / ".pytest_cache").resolve()
    log.mkdir(exist_ok=True)
    with open(log / "streamlit-browser-test.log", "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start; see {log / 'streamlit-browser-test.log'}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_until_idle(page, timeout_s: float = PAGE_TIMEOUT_S) -> None:
    """Wait for the script run to finish: a title is shown and no 'running' indicator for 1.5 s."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            return
        page.wait_for_timeout(250)
    raise AssertionError("the page kept running for too long")


def test_every_page_opens_without_exception(server: str) -> None:
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("PIX2PIX_SCREENSHOTS")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server, wait_until="domcontentloaded")
            _wait_until_idle(page)
            links = page.locator('[data-testid="stSidebarNav"] a')
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            titles = [
                links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())
            ]
            # Every st.Page that streamlit_app.py declares must be in the navigation
            # (Streamlit hides the navigation when there is a single page).
            declared = re.findall(r'st\.Page\([^)]*title="([^"]+)"', (ROOT / "streamlit_app.py").read_text())
            assert declared, "streamlit_app.py declares no st.Page"
            if not hrefs and len(declared) == 1:
                hrefs, titles = [server], declared
            assert sorted(titles) == sorted(declared)
            for title, href in zip(titles, hrefs):
                target = href if href.startswith("http") else f"{server}/{href.lstrip('/')}"
                page.goto(target, wait_until="domcontentloaded")
                _wait_until_idle(page)
                boxes = page.locator('[data-testid="stException"]')
                assert boxes.count() == 0, (
                    f"page {title!r} shows an exception: {boxes.first.inner_text()[:500]}"
                )
                heading = page.locator('[data-testid="stMain"] h1').first.inner_text()
                assert heading.strip(), f"page {title!r} has no title"
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    slug = title.lower().replace(" ", "_")
                    page.screenshot(path=str(Path(shots) / f"{slug}.png"), full_page=True)
            assert not errors, f"uncaught errors in the page: {errors}"
        finally:
            browser.close()

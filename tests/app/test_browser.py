"""A real browser opens every page of a running ``streamlit run``, in English and in Korean, and fails
on any exception box or on a Korean page that still shows an English sentence.

Playwright drives Debian's Chromium at /usr/bin/chromium (no browser download). Where it is
missing the test skips with the reason, except under CI (``PIX2PIX_REQUIRE_BROWSER=1``, set by
``.ci/run``), where it fails: the browser test must run there.
Set ``PIX2PIX_SCREENSHOTS=DIR`` to save a full-page screenshot of every page in both languages.

"An English sentence" is a run of four or more plain English words in the page's main text,
outside code blocks, diagrams and tables (their identifiers, code, numbers and units are not
translated): ``tests.i18n.english``.
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

from tests.i18n.english import english_sentences

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


def _declared_pages() -> list[tuple[str, str]]:
    """(url path, English title) of every st.Page in streamlit_app.py, in order."""
    found = re.findall(
        r'st\.Page\(\s*"[^"]*?([A-Za-z0-9_]+)\.py",\s*title=_\("([^"]+)"\)',
        (ROOT / "streamlit_app.py").read_text(),
    )
    assert found, "streamlit_app.py declares no st.Page"
    return found


# Text nodes of the main area, except code, diagrams, tables and whatever is not shown.
_MAIN_TEXT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const skip = 'pre, code, svg, canvas, [data-testid="stCode"], [data-testid="stDataFrame"], '
    + '[data-testid="stGraphVizChart"]';
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    parts.push(node.textContent);
  }
  return parts.join(' ');
}"""


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_page_opens_in_both_languages(server: str, browser: object, lang: str) -> None:
    from inspector.i18n.catalog import gettext

    shots = os.environ.get("PIX2PIX_SCREENSHOTS")
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/?lang={lang}", wait_until="domcontentloaded")
    _wait_until_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    titles = [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]
    declared = _declared_pages()
    # Every st.Page that streamlit_app.py declares is in the navigation, under its title in this language.
    assert sorted(titles) == sorted(gettext(lang, title) for _, title in declared)
    for (slug, title), href in zip(declared, [hrefs[titles.index(gettext(lang, t))] for _, t in declared]):
        target = href if href.startswith("http") else f"{server}/{href.lstrip('/')}"
        page.goto(f"{target.split('?')[0]}?lang={lang}", wait_until="domcontentloaded")
        _wait_until_idle(page)
        boxes = page.locator('[data-testid="stException"]')
        assert boxes.count() == 0, (
            f"page {title!r} ({lang}) shows an exception: {boxes.first.inner_text()[:500]}"
        )
        heading = page.locator('[data-testid="stMain"] h1').first.inner_text()
        assert heading.strip(), f"page {title!r} ({lang}) has no title"
        if lang == "ko":
            english = english_sentences(page.evaluate(_MAIN_TEXT_JS))
            assert not english, f"page {title!r} in Korean shows English: {english[:3]}"
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{slug}_{lang}.png"), full_page=True)
    page.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def test_a_follow_the_notes_link_opens_the_doctor_on_the_typo(server: str, browser: object) -> None:
    """The real navigation: st.page_link carries the query parameters, the sidebar applies them once."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(f"{server}/?lang=ko", wait_until="domcontentloaded")
    _wait_until_idle(page)
    page.get_by_text("모양 오류 진단에서 오타 열기").click()
    page.wait_for_url(re.compile(r"mismatch_doctor"), timeout=PAGE_TIMEOUT_S * 1000)
    _wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]').inner_text()
    # the story of the "as written" example, in Korean
    assert "첫 번째 합성곱을 복사해 붙여 넣은 실수입니다" in main
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "노트북 그대로입니다" in sidebar and "한국어" in sidebar  # the preset's description, in Korean
    assert "preset=" not in page.url and "lang=ko" in page.url  # applied once; the language stays
    page.close()

"""A real browser opens every page of a running ``streamlit run``, in English and in Korean, and fails
on any exception box or on a Korean page that still shows an English sentence.

The server and the browser are the fixtures of ``tests/app/conftest.py`` (Debian's Chromium; where it
is missing the test skips, except under CI, where it fails: ``tests/app/browser.py``).
Set ``PIX2PIX_SCREENSHOTS=DIR`` to save a full-page screenshot of every page in both languages.

"An English sentence" is a run of four or more plain English words in the page's main text,
outside code blocks, diagrams and tables (their identifiers, code, numbers and units are not
translated): ``tests.i18n.english``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from inspector.ui.page_registry import PAGES
from tests.app.browser import PAGE_TIMEOUT_S, wait_until_idle
from tests.i18n.english import english_sentences

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_page_opens_in_both_languages(server: str, browser: object, lang: str) -> None:
    from inspector.i18n.catalog import gettext

    shots = os.environ.get("PIX2PIX_SCREENSHOTS")
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/?lang={lang}", wait_until="domcontentloaded")
    wait_until_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    titles = [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]
    declared = [(page.id, page.title) for page in PAGES]
    # Every page of the registry is in the navigation, under its title in this language.
    assert sorted(titles) == sorted(gettext(lang, title) for _, title in declared)
    for (slug, title), href in zip(declared, [hrefs[titles.index(gettext(lang, t))] for _, t in declared]):
        target = href if href.startswith("http") else f"{server}/{href.lstrip('/')}"
        page.goto(f"{target.split('?')[0]}?lang={lang}", wait_until="domcontentloaded")
        wait_until_idle(page)
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
    wait_until_idle(page)
    # The networks are the notes' second part: its tab runs its sections when opened (ui.fold.tabs).
    page.get_by_role("tab", name="두 신경망").click()
    page.get_by_text("모양 오류 진단에서 오타 열기").click()
    page.wait_for_url(re.compile(r"mismatch_doctor"), timeout=PAGE_TIMEOUT_S * 1000)
    wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]').inner_text()
    # the story of the "as written" example, in Korean
    assert "첫 번째 합성곱을 복사해 붙여 넣은 실수입니다" in main
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "노트북 그대로입니다" in sidebar and "한국어" in sidebar  # the preset's description, in Korean
    assert "preset=" not in page.url and "lang=ko" in page.url  # applied once; the language stays
    page.close()


# Each picture of the main area: its size on the page, its own size, and the column it stands in.
_IMAGES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] img')).map(i => ({
  shown: i.clientWidth, own: i.naturalWidth,
  column: i.closest('[data-testid="stColumn"]') ? i.closest('[data-testid="stColumn"]').clientWidth : null}))"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_conv_frames_are_shown_at_their_own_size(server: str, browser: object, lang: str) -> None:
    """The Conv2d and ConvTranspose2d frames are drawn for their column and shown unscaled, so their
    words are as drawn: at least 12 px (tests/conv/test_render_readable.py). They were 704 px wide
    in a 462 px column: scaled to 0.66, the kernel's label to about 6 px."""
    from tests.readable import COLUMN_PX

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")  # type: ignore[attr-defined]
    page.goto(f"{server}/conv_vs_transpose?lang={lang}", wait_until="domcontentloaded")
    wait_until_idle(page)
    page.wait_for_function(  # the two frames, loaded
        """() => { const i = document.querySelectorAll('[data-testid="stMain"] img');
                   return i.length == 2 && Array.from(i).every(x => x.complete && x.naturalWidth > 0); }""",
        timeout=PAGE_TIMEOUT_S * 1000,
    )
    images = page.evaluate(_IMAGES_JS)
    for image in images:
        assert image["shown"] == image["own"], image  # not scaled down (nor up)
        assert image["column"] >= COLUMN_PX, image  # the column the readability tests draw for
    page.close()

"""Training runs in a real browser: a tiny run is trained, its checkpoint downloaded, uploaded again on
Colorize and used on a photo; two browser sessions share the one training slot without harming
each other's run, and a closed tab's run stops with a checkpoint; the server cleans its leftovers
when it exits.

Playwright drives Debian's Chromium (``tests/app/conftest.py``'s ``browser``); the server is this
module's own, with a runs folder of its own (``PIX2PIX_RUNS_DIR``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.training.runs import RUNS_ENV, RunsFolder
from tests.app.browser import streamlit_server, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-runs") / "runs"


@pytest.fixture(scope="module")
def server(runs_dir: Path) -> Iterator[str]:
    """The app with a runs folder of its own; on the way out, what the exiting server cleaned."""
    stale: Path | None = None
    with streamlit_server(runs_dir.parent / "streamlit.log", env={RUNS_ENV: str(runs_dir)}) as url:
        try:
            yield url
        finally:
            # A leftover of a killed save, in a run nobody holds: the exiting server removes it.
            runs = RunsFolder(runs_dir).list_runs()
            stale = runs[0].path / ".checkpoint.safetensors.x.tmp" if runs else None
            if stale is not None:
                stale.write_bytes(b"partial")
    if stale is not None:
        assert not stale.exists(), "the server left a temporary file behind"
    assert all(r.checkpoint is not None for r in RunsFolder(runs_dir).list_runs())


def _open_train(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/train", wait_until="domcontentloaded")
    wait_until_idle(page)
    return context, page


def _set_number(page, label: str, value: int) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_until_idle(page)


def _step_of(page) -> int:  # type: ignore[no-untyped-def]
    """The step that this session's progress line shows."""
    text = page.locator('[data-testid="stProgress"]').first.inner_text()
    found = re.search(r"step (\d+) of", text)
    return int(found.group(1)) if found else 0


def _wait_for(condition, timeout_s: float = 120, what: str = "") -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_train_download_upload_on_colorize_and_colorize(browser, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = _open_train(browser, server)
    try:
        _set_number(page, "Steps", 5)
        _set_number(page, "Batch size", 2)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("training finished at step 5 of 5").wait_for()
        wait_until_idle(page)
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(r"Download the checkpoint \(step 5")).first.click()
        download = tmp_path / "pix2pix-step5.safetensors"
        info.value.save_as(download)
        assert download.stat().st_size > 1000

        page.locator('[data-testid="stSidebarNav"] a[href$="colorize"]').click()
        wait_until_idle(page)
        page.get_by_text("Upload a checkpoint", exact=True).click()
        wait_until_idle(page)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(download))
        page.get_by_text("trained for 5 steps").wait_for()
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stMain"] [data-testid="stImage"]').count() == 3
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    finally:
        context.close()


def test_a_second_session_leaves_the_first_run_intact_and_a_closed_tab_stops(  # type: ignore[no-untyped-def]
    browser, server: str, runs_dir: Path
) -> None:
    second_context, second = _open_train(browser, server)  # drawn while the slot is free
    first_context, first = _open_train(browser, server)
    try:
        _set_number(first, "Steps", 100_000)
        _set_number(first, "Batch size", 2)
        first.get_by_role("button", name="Start training").click()
        _wait_for(lambda: _step_of(first) >= 1, what="the first run's progress")
        before = {r.name for r in RunsFolder(runs_dir).list_runs()}

        second.get_by_role("button", name="Start training").click()  # its stale Start
        second.get_by_text(re.compile(r"The trainer is busy: session \w+ has been training since")).wait_for()
        wait_until_idle(second)
        assert second.get_by_text(re.compile(r"session \w+ has been training since")).count() == 1
        assert second.get_by_role("button", name="Start training").is_disabled()
        assert {
            r.name for r in RunsFolder(runs_dir).list_runs()
        } == before  # nothing created, nothing deleted

        # The first session browses: its run goes on, and its progress line follows it.
        step = _step_of(first)
        first.locator('[data-testid="stSidebarNav"] a[href$="lab_colour"]').click()
        _wait_for(lambda: _step_of(first) > step, what="the run to go on on another page")
        (running,) = [r for r in RunsFolder(runs_dir).list_runs() if r.training]

        first_context.close()  # the tab is closed: no more heartbeats
        closed = time.monotonic()
        _wait_for(
            lambda: not RunsFolder(runs_dir).get(running.name).training, timeout_s=60, what="the run to stop"
        )
        assert time.monotonic() - closed < 20  # 8 s without heartbeats, then one step and the save
        stopped = RunsFolder(runs_dir).get(running.name)
        assert stopped.checkpoint is not None and stopped.export is not None and stopped.step >= 1
        second.reload(wait_until="domcontentloaded")
        wait_until_idle(second)
        assert second.get_by_role("button", name="Start training").is_enabled()
    finally:
        second_context.close()

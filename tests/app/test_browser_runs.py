"""Training runs in a real browser: a tiny run is trained, its checkpoint downloaded, uploaded again on
Colorize and used on a photo; two browser sessions share the one training slot without harming
each other's run, and a closed tab's run stops with a checkpoint; the server cleans its leftovers
when it exits.

Playwright drives Debian's Chromium as in ``test_browser.py`` (whose helpers this reuses); the
server gets a runs folder of its own (``PIX2PIX_RUNS_DIR``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.training.runs import RUNS_ENV, RunsFolder
from tests.app.test_browser import CHROMIUM, CHROMIUM_FLAGS, _free_port, _require_or_skip, _wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-runs") / "runs"


@pytest.fixture(scope="module")
def server(runs_dir: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        _require_or_skip("Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _require_or_skip("the playwright package is not installed (pip install -e '.[dev]')")
    port = _free_port()
    log = runs_dir.parent / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, RUNS_ENV: str(runs_dir)},
        )  # fmt: skip
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
                    pytest.fail(f"streamlit did not start; see {log}")
                time.sleep(0.5)
            yield url
        finally:
            # A leftover of a killed save, in a run nobody holds: the exiting server removes it.
            runs = RunsFolder(runs_dir).list_runs()
            stale = runs[0].path / ".checkpoint.safetensors.x.tmp" if runs else None
            if stale is not None:
                stale.write_bytes(b"partial")
            proc.terminate()  # SIGTERM, as systemd or a container runtime sends it
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            if stale is not None:
                assert not stale.exists(), "the server left a temporary file behind"
            assert all(r.checkpoint is not None for r in RunsFolder(runs_dir).list_runs())


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_train(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/train", wait_until="domcontentloaded")
    _wait_until_idle(page)
    return context, page


def _set_number(page, label: str, value: int) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    _wait_until_idle(page)


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
        _wait_until_idle(page)
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(r"Download the checkpoint \(step 5")).first.click()
        download = tmp_path / "pix2pix-step5.safetensors"
        info.value.save_as(download)
        assert download.stat().st_size > 1000

        page.locator('[data-testid="stSidebarNav"] a[href$="colorize"]').click()
        _wait_until_idle(page)
        page.get_by_text("Upload a checkpoint", exact=True).click()
        _wait_until_idle(page)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(download))
        page.get_by_text("trained for 5 steps").wait_for()
        _wait_until_idle(page)
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
        _wait_until_idle(second)
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
        _wait_until_idle(second)
        assert second.get_by_role("button", name="Start training").is_enabled()
    finally:
        second_context.close()

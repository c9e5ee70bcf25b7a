"""Training runs in a real browser, over the run queue: a tiny run is trained by a worker, its
checkpoint downloaded, uploaded again on Colorize and used on a photo; with one run at a time, a
second session's Start waits in line and trains once the first tab is closed (whose run stops with
a checkpoint); a restart of the server loses no run: the worker trains on, and the tab that comes
back is still its owner.

Playwright drives Debian's Chromium (``tests/app/conftest.py``'s ``browser``); the servers are
this module's own, with a runs folder of its own (``PIX2PIX_RUNS_DIR``) and one run at a time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.runqueue.liveness import pid_alive
from inspector.runqueue.status import read_status
from inspector.training.runs import RUNS_ENV
from tests.app.browser import free_port, streamlit_server, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-runs") / "runs"


@pytest.fixture(scope="module")
def env(runs_dir: Path) -> dict[str, str]:
    return {RUNS_ENV: str(runs_dir), "PIX2PIX_MAX_RUNS": "1"}


@pytest.fixture(scope="module")
def server(runs_dir: Path, env: dict[str, str]) -> Iterator[str]:
    with streamlit_server(runs_dir.parent / "streamlit.log", env=env) as url:
        yield url


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


def _start(page, steps: int) -> None:  # type: ignore[no-untyped-def]
    _set_number(page, "Steps", steps)
    _set_number(page, "Batch size", 2)
    page.get_by_role("button", name="Start training").click()
    wait_until_idle(page)


def _line(page) -> str:  # type: ignore[no-untyped-def]
    """What this session's progress line says ("" when it has none)."""
    bars = page.locator('[data-testid="stProgress"]')
    return bars.first.inner_text() if bars.count() else ""


def _step_of(page) -> int:  # type: ignore[no-untyped-def]
    found = re.search(r"step (\d+) of", _line(page))
    return int(found.group(1)) if found else 0


def _wait_for(condition, timeout_s: float = 120, what: str = "") -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.5)


def _runs(runs_dir: Path) -> dict[str, str]:
    return {p.parent.name: read_status(p.parent).state for p in runs_dir.glob("*/status.json")}  # type: ignore[union-attr]


def test_train_download_upload_on_colorize_and_colorize(browser, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = _open_train(browser, server)
    try:
        _start(page, 5)
        page.get_by_text("training finished at step 5 of 5").wait_for()
        wait_until_idle(page)
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(r"Download the checkpoint \(step 5")).first.click()
        download = tmp_path / "pix2pix-step5.safetensors"
        info.value.save_as(download)
        assert download.stat().st_size > 1000

        page.locator('[data-testid="stSidebarNav"] a[href*="colorize"]').click()
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


def test_a_second_start_waits_in_line_and_a_closed_tab_stops_its_run(
    browser, server: str, runs_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    first_context, first = _open_train(browser, server)
    second_context, second = _open_train(browser, server)
    try:
        _start(first, 20_000)
        _wait_for(lambda: _step_of(first) >= 1, what="the first run's progress")
        _start(second, 4)  # one run at a time on this server: it waits, it is not refused
        _wait_for(lambda: "#1 in line" in _line(second), what="the second run's place in line")
        assert second.locator('[data-testid="stException"]').count() == 0
        assert second.get_by_role("button", name="Start training").is_disabled()

        # The first session browses: its run goes on, and its progress line follows it.
        step = _step_of(first)
        first.locator('[data-testid="stSidebarNav"] a[href*="lab_colour"]').click()
        _wait_for(lambda: _step_of(first) > step, what="the run to go on on another page")
        running = next(name for name, state in _runs(runs_dir).items() if state == "running")

        first_context.close()  # the tab is closed: no more heartbeats
        closed = time.monotonic()
        _wait_for(lambda: _runs(runs_dir)[running] == "stopped", timeout_s=60, what="the run to stop")
        assert time.monotonic() - closed < 25  # 8 s without heartbeats, then one step and the save
        assert (runs_dir / running / "checkpoint.safetensors").exists()
        # the second run starts now, and finishes
        second.get_by_text("training finished at step 4 of 4").wait_for()
    finally:
        second_context.close()


def test_a_server_restart_loses_no_run(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A runs folder of its own: no other app process is up while this one restarts (with another
    # one up, a tab would have to come back within the closed-tab timeout, through that one).
    runs_dir = tmp_path / "runs"
    env = {RUNS_ENV: str(runs_dir), "PIX2PIX_RECONNECT_GRACE_S": "25"}  # the workers read it too
    port = free_port()
    log = tmp_path / "restart.log"
    with streamlit_server(log, env=env, port=port) as url:
        context, page = _open_train(browser, url)
        _start(page, 20_000)
        _wait_for(lambda: _step_of(page) >= 2, what="the run's progress")
        name = next(n for n, s in _runs(runs_dir).items() if s == "running")
    # The server is gone (SIGTERM): the worker is not; it trains on while nobody serves the app.
    status = read_status(runs_dir / name)
    assert status is not None and status.state == "running" and pid_alive(status.pid)
    time.sleep(3)
    with streamlit_server(log, env=env, port=port):
        # The tab reconnects by itself: the same session token (in its URL), so still the owner.
        try:
            _wait_for(lambda: _step_of(page) > 2, timeout_s=90, what="the tab to follow its run again")
            time.sleep(30)  # past the reconnect grace and the closed-tab timeout: its heartbeats keep it
            assert read_status(runs_dir / name).state == "running"  # type: ignore[union-attr]
            page.locator(".st-key-run_line-stop button:visible").click()  # ours, not Streamlit's own "Stop"
            _wait_for(lambda: _runs(runs_dir)[name] == "stopped", timeout_s=60, what="the run to stop")
        finally:
            context.close()

"""What the real-browser tests share: Debian's Chromium, a ``streamlit run`` of the app, and the wait
for a page to finish running. The fixtures that use them are in ``tests/app/conftest.py``.

Playwright drives Debian's Chromium at /usr/bin/chromium (no browser download). Where it is
missing the tests skip with the reason, except under CI (``PIX2PIX_REQUIRE_BROWSER=1``, set by
``.ci/run``), where they fail: the browser tests must run there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from inspector.commands.app import wait_until_healthy

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
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 60  # SIGTERM: a server with a run stops it after its step, with a checkpoint


def require_or_skip(reason: str) -> None:
    if os.environ.get("PIX2PIX_REQUIRE_BROWSER") or os.environ.get("CI"):
        pytest.fail(f"browser test is required here but cannot run: {reason}")
    pytest.skip(reason)


def require_browser() -> None:
    """Skip (fail under CI) when Chromium or playwright is missing."""
    if not CHROMIUM.exists():
        require_or_skip("Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require_or_skip("the playwright package is not installed (pip install -e '.[dev]')")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(
    log: Path, env: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """``streamlit run streamlit_app.py`` on ``port`` (default: a free one), its output in ``log``;
    yields its URL once it answers, and stops it with SIGTERM (as systemd or a container runtime
    does) on the way out."""
    require_browser()
    port = port or free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_until_healthy(url, proc, START_TIMEOUT_S, poll_s=0.5):
                pytest.fail(f"streamlit did not start; see {log}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_until_idle(page, timeout_s: float = PAGE_TIMEOUT_S) -> None:  # type: ignore[no-untyped-def]
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

"""``python tools/gallery.py``: the README's gallery, one screenshot of every page in Korean.

Serves the app (``streamlit run``, a runs folder of its own) and opens each page of the registry in
Debian's Chromium through Playwright, as ``tests/app/browser.py`` does, at 1400 x 1000 and 100 %
zoom, the size the readability tests hold the figures to. A page that waits for a click to run its
network gets that click, and the view scrolls to the picture the page is about. Each PNG is reduced
to a palette of 256 colours (a screenshot has few), optimized, and written to ``docs/gallery/``.

    python tools/gallery.py [--lang ko] [--out docs/gallery] [--page feature_maps ...] [--runs DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from inspector.commands.app import wait_until_healthy  # noqa: E402
from inspector.i18n.catalog import gettext  # noqa: E402
from inspector.ui.page_registry import PAGES  # noqa: E402
from tests.app.browser import CHROMIUM, CHROMIUM_FLAGS, free_port, wait_until_idle  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
# What a page needs before its picture: a button to click (an English label, said in the page's
# language), the element to scroll to (a Playwright selector), and how far above it to stop.
RED_NODE = '[data-testid="stGraphVizChart"] svg [stroke="#d62728"]'  # the doctor's first problem
ACTIONS: dict[str, tuple[str | None, str | None, int]] = {
    "skip_connections": (None, '[data-testid="stGraphVizChart"]', 140),
    "mismatch_doctor": (None, RED_NODE, 420),
    "weight_init": (None, '[data-testid="stVegaLiteChart"]', 140),
    "conv_vs_transpose": (None, '[data-testid="stImage"]', 260),
    "receptive_field": (None, '[data-testid="stImage"]', 140),
    "lab_colour": (None, '[data-testid="stImage"]', 140),
    "feature_maps": ("Run the photo through the generator", '[data-testid="stImage"] >> nth=1', 140),
    "colorize": (None, '[data-testid="stImage"]', 420),
    "dropout_batchnorm": ("Colorize it {n} times with Dropout on", '[data-testid="stImage"] >> nth=1', 140),
}


def _serve(port: int, runs: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PIX2PIX_RUNS_DIR": str(runs)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if wait_until_healthy(f"http://127.0.0.1:{port}", proc, 120, poll_s=0.5):
        return proc
    proc.terminate()
    raise SystemExit("streamlit did not start")


def _small_png(png: bytes) -> bytes:
    """A palette PNG of at most 256 colours, optimized: a screenshot's flat colours survive."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def _button_label(lang: str, label: str) -> str:
    return gettext(lang, label, n=4) if "{n}" in label else gettext(lang, label)


def shoot(lang: str, out: Path, only: list[str], runs_dir: Path | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    written = []
    with tempfile.TemporaryDirectory() as empty:
        server = _serve(port, runs_dir or Path(empty))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
                )
                page = browser.new_page(viewport=VIEWPORT, locale="en-US")
                for entry in PAGES:
                    if only and entry.id not in only:
                        continue
                    path = "" if entry is PAGES[0] else entry.id  # the first page is the root URL
                    page.goto(f"http://127.0.0.1:{port}/{path}?lang={lang}", wait_until="domcontentloaded")
                    wait_until_idle(page)
                    button, target, above = ACTIONS.get(entry.id, (None, None, 0))
                    press = page.locator(
                        '[data-testid="stMain"] button', has_text=_button_label(lang, button or "")
                    )
                    if button is not None and press.count():  # the trained default may need no click
                        press.first.click()
                        page.wait_for_timeout(1000)
                        wait_until_idle(page, timeout_s=300)
                    if target is not None:
                        element = page.locator(target).first
                        element.wait_for(timeout=120_000)
                        top = element.evaluate("e => e.getBoundingClientRect().top")
                        page.evaluate(
                            f"() => document.querySelector('[data-testid=\"stMain\"]').scrollBy(0, {top - above})"
                        )
                    page.wait_for_timeout(1500)  # images and charts finish drawing
                    file = out / f"{entry.id}.png"
                    file.write_bytes(_small_png(page.screenshot()))
                    written.append(file)
                    print(f"{file.relative_to(ROOT)}: {file.stat().st_size // 1024} KiB", flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    parser.add_argument("--page", action="append", default=[], help="only this page id (repeatable)")
    parser.add_argument(
        "--runs", type=Path, help="a runs folder to serve (Class runs shows its runs); default: empty"
    )
    args = parser.parse_args()
    files = shoot(args.lang, args.out, args.page, args.runs)
    total = sum(f.stat().st_size for f in args.out.glob("*.png"))
    print(f"{len(files)} screenshots; the gallery holds {total / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()

"""How long does each page take? ``python bench/page_latency.py``

Streamlit's AppTest opens every page of the app (``inspector/ui/page_registry.py``) in order, in
one process (so the caches behave as on one server, shared by the sessions), with the notebook
preset at 256:

- **first**: the page's first run in a fresh session (its caches cold unless an earlier page
  filled them);
- **change**: the rerun after one widget of the page changes (the first widget with a key that
  is not the sidebar's: a slider moves, a checkbox flips, a choice moves to the next option);
- **warm**: the rerun after the widget goes back to its first value, every cache warm.

A server starts one background warm-up when its first session opens (the import that the first
meta trace would pay, ``inspector.shapes.meta.warm_up_in_background``); the bench waits for it
before timing the pages, as a learner who opens a page a few seconds after the server started
would, and prints how long it took.

Targets (issue 12): first under 2 s, a warm rerun under 0.5 s. Times are wall seconds on this
machine, whatever else runs on it: run it on a quiet machine for numbers to compare.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest  # noqa: TID251 (a bench of the app itself, like tests/app)

from inspector.ui.page_registry import PAGES

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
FIRST_S, WARM_S = 2.0, 0.5


def pages() -> list[tuple[str, str]]:
    """(English title, file) of every page of the app, in the navigation's order (the page registry)."""
    return [(page.title, page.file) for page in PAGES]


def _timed(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


KINDS = ("slider", "checkbox", "toggle", "selectbox", "number_input")


def _widget(at: AppTest) -> tuple[str, Any, Any] | None:
    """(key, its value now, another value) of the page's first own widget, or None. A selectbox's
    values are option indices."""
    for kind in KINDS:
        for w in getattr(at, kind):
            key = getattr(w, "key", None)
            if not key or key.startswith(("cfg.", "ui.")) or getattr(w, "disabled", False):
                continue
            if kind in ("checkbox", "toggle"):
                return key, w.value, not w.value
            if kind == "selectbox":
                if len(w.options) > 1 and w.index is not None:
                    return key, w.index, (w.index + 1) % len(w.options)
                continue
            value, step = w.value, w.step or 1
            if isinstance(value, tuple):  # a range slider
                continue
            top = w.max
            return key, value, value + step if top is None or value + step <= top else value - step
    return None


def _set(at: AppTest, key: str, value: Any) -> None:
    for kind in KINDS:
        for w in getattr(at, kind):
            if getattr(w, "key", None) == key:
                w.select_index(value) if kind == "selectbox" else w.set_value(value)
                return
    raise KeyError(f"{key} is gone from the page")


def measure(path: str) -> tuple[float, float | None, float | None, str]:
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.run()  # the shell and the default page: not this page's cost
    at.switch_page(path)
    first = _timed(at)
    if at.exception:
        return first, None, None, f"exception: {at.exception[0].message}"
    found = _widget(at)
    if found is None:
        return first, None, None, "no widget to change"
    key, before, after = found
    try:
        _set(at, key, after)
        change = _timed(at)
        _set(at, key, before)
        warm = _timed(at)
    except Exception as exc:  # a widget gone after the change, or one AppTest cannot set: say so
        return first, None, None, f"{key}: {type(exc).__name__}: {exc}"
    note = f"{key}: {before!r} -> {after!r} -> back"
    if at.exception:
        note += f" (exception: {at.exception[0].message})"
    return first, change, warm, note


def _warm_up_s() -> float:
    """Open the app once and wait for the server's background warm-up; its seconds."""
    start = time.perf_counter()
    AppTest.from_file(str(APP), default_timeout=600).run()
    for thread in threading.enumerate():
        if thread.name == "meta-warm-up":
            thread.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="append", help="only pages whose title contains this (repeatable)")
    args = parser.parse_args()
    chosen = [(t, p) for t, p in pages() if not args.page or any(s.lower() in t.lower() for s in args.page)]
    print(f"server start and its background warm-up: {_warm_up_s():.2f} s (once per process)")
    print(f"{'page':<24} {'first s':>8} {'change s':>9} {'warm s':>7}  ok  widget")
    for title, path in chosen:
        first, change, warm, note = measure(path)
        ok = first < FIRST_S and (warm is None or warm < WARM_S)
        fmt = lambda v: f"{v:.2f}" if v is not None else "-"  # noqa: E731
        print(
            f"{title:<24} {first:>8.2f} {fmt(change):>9} {fmt(warm):>7}  {'yes' if ok else 'NO ':<3} {note}"
        )


if __name__ == "__main__":
    main()

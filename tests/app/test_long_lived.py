"""``inspector.ui.long_lived``: the server's long-lived objects leave the collector's full passes."""

from __future__ import annotations

import subprocess
import sys


def test_the_imported_objects_are_frozen_after_the_warm_up() -> None:
    # A fresh process, as a server is (freezing the test worker's own objects would leak its cycles).
    code = (
        "import gc, threading, torch\n"
        "from inspector.shapes import meta\n"
        "from inspector.ui.long_lived import freeze_long_lived\n"
        "meta.warm_up_in_background(then=freeze_long_lived)\n"
        "[t.join(60) for t in threading.enumerate() if t.name == 'meta-warm-up']\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    frozen, tracked = map(int, out.stdout.split())
    assert frozen > 100_000  # torch's objects among them
    assert tracked < frozen / 10  # what a full pass still walks

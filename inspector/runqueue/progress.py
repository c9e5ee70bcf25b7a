"""What a run's files say of its progress, read cheaply: the last row of ``metrics.jsonl``, the
rows for the loss curves, the newest sample grid.

Pages ask for these every few seconds for every run on the server, so nothing here reads a
whole log: the last row is found by reading the file's tail, and the curves thin the rows they
return. A run being written may end in a half-written line; it is skipped.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from inspector.training.run_files import METRICS_FILE, SAMPLES_DIR

TAIL_BYTES = 8192  # a metrics row is ~250 bytes: the tail holds the last whole one


def _row(line: bytes) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
    except ValueError:
        return None
    if not isinstance(row, dict) or not isinstance(row.get("step"), int):
        return None
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for k, v in row.items() if k != "step"):
        return None
    return row


def _tail(run_dir: Path, max_bytes: int) -> bytes | None:
    """The last ``max_bytes`` of the run's ``metrics.jsonl`` (all of it when smaller), or None
    when it cannot be read (not written yet, or the folder is gone)."""
    try:
        with open(run_dir / METRICS_FILE, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - max_bytes))
            return f.read()
    except OSError:
        return None


def last_metrics(run_dir: Path) -> dict[str, Any] | None:
    """The last whole row of the run's ``metrics.jsonl`` (its newest step), or None."""
    tail = _tail(run_dir, TAIL_BYTES)
    if tail is None:
        return None
    for line in reversed(tail.splitlines()):
        row = _row(line)
        if row is not None:
            return row
    return None


def metrics_rows(run_dir: Path, max_rows: int = 600, max_bytes: int = 64 * 2**20) -> list[dict[str, Any]]:
    """The rows of ``metrics.jsonl`` (unreadable lines skipped), thinned to at most ``max_rows``
    evenly spread ones, the last always kept. A log over ``max_bytes`` is read from its tail."""
    data = _tail(run_dir, max_bytes)
    if data is None:
        return []
    rows = [r for r in (_row(line) for line in data.splitlines()) if r is not None]
    if len(rows) > max_rows:
        stride = math.ceil(len(rows) / max_rows)
        rows = rows[::stride] if (len(rows) - 1) % stride == 0 else [*rows[::stride], rows[-1]]
    return rows


def latest_sample(run_dir: Path) -> Path | None:
    """The newest sample grid (``samples/step_NNNNNN.png``), or None before the first."""
    folder = run_dir / SAMPLES_DIR
    try:
        names = [
            e.name
            for e in os.scandir(folder)
            if e.name.startswith("step_") and e.name.endswith(".png") and e.is_file(follow_symlinks=False)
        ]
    except OSError:
        return None
    return folder / max(names) if names else None

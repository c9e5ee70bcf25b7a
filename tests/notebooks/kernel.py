"""Run a notebook with a real Jupyter kernel (nbclient + ipykernel, the venv's Python) and read
what it displayed: every rich output, by cell."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

nbclient = pytest.importorskip("nbclient", reason="the test extra (nbclient, ipykernel, nbformat)")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
RICH = ("text/html", "image/png", "image/jpeg", "image/gif", "image/svg+xml")
MAX_BYTES = 2_000_000
TINY_TRAIN = "TRAIN = dict(steps=3, ngf=8, depth=5, size=32, batch=4, sample_every=2, checkpoint_every=0)"


def execute(nb: Any, workdir: Path, runs_dir: Path, timeout: int = 900) -> Any:
    """``nb`` run top to bottom by a kernel of this Python, in ``workdir``, with this checkout first on
    its path and the runs folder at ``runs_dir``; raises ``CellExecutionError`` on the first error."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PIX2PIX_RUNS_DIR": str(runs_dir),
        "MPLBACKEND": "Agg",
    }
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    # the kernelspec "python3" names "python", which jupyter_client replaces by sys.executable
    assert Path(sys.executable).exists()
    client.execute(env=env)
    return nb


def with_tiny_training(nb: Any) -> Any:
    """Inject, after the cell tagged ``parameters``, a cell that makes the training tiny (papermill's way)."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, nbformat.v4.new_code_cell(TINY_TRAIN))
            return nb
    return nb


def rich_outputs(cell: Any) -> list[dict[str, Any]]:
    """The outputs of a code cell that a front end draws as more than text."""
    return [
        o
        for o in cell.get("outputs", [])
        if o.get("output_type") in ("display_data", "execute_result")
        and any(k in o.get("data", {}) for k in RICH)
    ]


def text_only(cell: Any) -> list[dict[str, Any]]:
    """Displays of a cell that have only text/plain: a result that did not draw itself."""
    return [
        o
        for o in cell.get("outputs", [])
        if o.get("output_type") in ("display_data", "execute_result")
        and set(o.get("data", {})) == {"text/plain"}
    ]


def html_of(output: dict[str, Any]) -> str:
    html = output.get("data", {}).get("text/html", "")
    return "".join(html) if isinstance(html, list) else str(html)


def size_of(output: dict[str, Any]) -> int:
    return sum(len("".join(v) if isinstance(v, list) else str(v)) for v in output.get("data", {}).values())

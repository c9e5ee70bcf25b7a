"""bench/classroom.py at a small N, in the suite: students over Streamlit's own websocket protocol,
in both languages, open every page at the same moment while two of them train; no page may show
an exception, and every student who pressed Start sees a run of its own. The figures are the
bench's (README), not asserted here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.app.browser import ROOT

pytestmark = pytest.mark.slow


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("classroom", ROOT / "bench" / "classroom.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["classroom"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_small_class_opens_every_page_while_two_train(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    code = bench.main(["--students", "4", "--lang", "ko,en", "--rounds", "1", "--train", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    pages = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| page")]
    assert {line.split("|")[1].strip() for line in pages} >= {"follow_notes", "train", "class_runs"}
    assert all(line.rstrip().endswith("| 0 |") for line in pages)  # no exception box anywhere
    assert err.count("after Start: ") == 2  # both see their own run
    assert "failed" not in out.split("runs after the pages:")[-1]


def test_the_bench_reads_the_page_registry() -> None:
    from inspector.ui.page_registry import PAGES

    assert Path(ROOT / "bench" / "classroom.py").exists()
    assert [p.id for p in PAGES] == [p.id for p in _bench().PAGES]

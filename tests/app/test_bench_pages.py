"""bench/page_latency.py measures every page: its page list must follow streamlit_app.py."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_page_latency_finds_every_page_of_the_app() -> None:
    spec = importlib.util.spec_from_file_location("page_latency", ROOT / "bench" / "page_latency.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    declared = re.findall(r'"(inspector/ui/pages/[a-z_]+\.py)"', (ROOT / "streamlit_app.py").read_text())
    found = bench.pages()
    assert [path for _title, path in found] == declared
    assert len(declared) == len(list((ROOT / "inspector/ui/pages").glob("[a-z]*.py")))
    assert all(title and not title.startswith("_") for title, _path in found)

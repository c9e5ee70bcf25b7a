"""README's Python example runs as written, and its assertions hold (a README that lies is a bug)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "README has one Python example"
    monkeypatch.chdir(tmp_path)  # anything it writes stays out of the checkout
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})


def test_readme_keeps_the_quick_start_to_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("```", 2)[1]
    assert quick.split() == ["make", "app", "make", "test"]

"""inspector.files: what every written file is guaranteed (whole or absent, unique temporaries,
no temporary left after a failure, durable, never written through a link)."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from inspector.files import (
    TMP_SUFFIX,
    open_append,
    remove_leftover_temporaries,
    sync,
    write_bytes,
    write_file,
    write_file_at,
    write_json,
    write_text,
)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_each_variant_reads_back_and_leaves_no_temporary(tmp_path: Path) -> None:
    assert write_bytes(tmp_path / "a.bin", b"\x00\x01") == tmp_path / "a.bin"
    write_text(tmp_path / "b.txt", "한국어 text")
    write_json(tmp_path / "c.json", {"step": 3, "loss": [0.5]}, indent=2)
    write_file(tmp_path / "d.bin", lambda f: f.write(b"file object"))
    write_file_at(tmp_path / "e.bin", lambda tmp: Path(tmp).write_bytes(b"by path"))
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "한국어 text"
    assert json.loads((tmp_path / "c.json").read_text()) == {"step": 3, "loss": [0.5]}
    assert (tmp_path / "d.bin").read_bytes() == b"file object"
    assert (tmp_path / "e.bin").read_bytes() == b"by path"
    assert _names(tmp_path) == ["a.bin", "b.txt", "c.json", "d.bin", "e.bin"]


def test_the_mode_follows_the_umask_as_a_plain_open_would(tmp_path: Path) -> None:
    # mkstemp makes 0600 files; a written file must be as readable as one made with open()
    (tmp_path / "plain").write_bytes(b"x")
    write_bytes(tmp_path / "atomic", b"x")
    assert stat.S_IMODE((tmp_path / "atomic").stat().st_mode) == stat.S_IMODE(
        (tmp_path / "plain").stat().st_mode
    )


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("by_path", [False, True])
def test_a_failure_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path, failure: BaseException, by_path: bool
) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old and whole")

    def half(dest: object) -> None:
        if by_path:
            Path(str(dest)).write_bytes(b"par")
        else:
            dest.write(b"par")  # type: ignore[attr-defined]
        raise failure

    with pytest.raises(type(failure)):
        (write_file_at if by_path else write_file)(target, half)  # type: ignore[operator]
    assert target.read_bytes() == b"old and whole"
    assert _names(tmp_path) == ["out.png"]


def test_a_value_json_cannot_hold_leaves_the_old_file(tmp_path: Path) -> None:
    write_json(tmp_path / "run.json", {"ok": 1})
    with pytest.raises(TypeError):
        write_json(tmp_path / "run.json", {"bad": object()})
    assert json.loads((tmp_path / "run.json").read_text()) == {"ok": 1}
    assert _names(tmp_path) == ["run.json"]


def test_no_partial_file_is_ever_visible(tmp_path: Path) -> None:
    """While the new content is being written, a reader of the target sees the old file whole."""
    target = tmp_path / "grid.png"
    target.write_bytes(b"A" * 1000)
    seen = []

    def slow(f) -> None:  # type: ignore[no-untyped-def]
        for _ in range(10):
            f.write(b"B" * 100)
            f.flush()
            seen.append(target.read_bytes())

    write_file(target, slow)
    assert all(s == b"A" * 1000 for s in seen)
    assert target.read_bytes() == b"B" * 1000


def test_concurrent_writers_get_unique_temporaries_and_one_whole_result(tmp_path: Path) -> None:
    """Eight threads write one target at once: each has its own temporary file (all of them open
    at the same moment), the result is exactly one writer's content, and no temporary is left."""
    target = tmp_path / "run.json"
    n = 8
    barrier = threading.Barrier(n)
    temporaries: list[str] = []
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        def write(tmp: str) -> None:
            temporaries.append(tmp)
            Path(tmp).write_bytes(bytes([i]) * 4096)
            barrier.wait(timeout=10)  # every temporary exists now, side by side

        try:
            write_file_at(target, write)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(temporaries)) == n
    assert all(Path(t).parent == tmp_path and t.endswith(TMP_SUFFIX) for t in temporaries)
    data = target.read_bytes()
    assert len(data) == 4096 and len(set(data)) == 1
    assert _names(tmp_path) == ["run.json"]


def test_the_file_and_its_folder_are_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_bytes(tmp_path / "a", b"x")
    assert synced == ["file", "folder"]
    synced.clear()
    write_file_at(tmp_path / "b", lambda tmp: Path(tmp).write_bytes(b"y"))
    assert synced == ["file", "folder"]


def test_a_link_at_the_target_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    write_text(link, "new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_text() == "new"


def test_a_folder_at_the_target_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError):
        write_bytes(tmp_path / "out", b"x")
    assert _names(tmp_path) == ["out"]


def test_append_keeps_lines_syncs_and_refuses_a_link(tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    with open_append(log) as f:
        f.write('{"step": 1}\n')
        sync(f)
    with open_append(log) as f:
        f.write('{"step": 2}\n')
    assert log.read_text().splitlines() == ['{"step": 1}', '{"step": 2}']
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "linked.jsonl").symlink_to(target)
    with pytest.raises(OSError):
        open_append(tmp_path / "linked.jsonl")
    assert target.read_text() == ""


def test_leftover_temporaries_are_removed_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / ".checkpoint.safetensors.0123abcd.tmp").write_bytes(b"killed save")
    (tmp_path / "keep.png").write_bytes(b"x")
    (tmp_path / "folder.tmp").mkdir()
    outside = tmp_path / "outside"
    outside.write_bytes(b"not ours")
    (tmp_path / "link.tmp").symlink_to(outside)
    removed = remove_leftover_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == [".checkpoint.safetensors.0123abcd.tmp", "link.tmp"]
    assert _names(tmp_path) == ["folder.tmp", "keep.png", "outside"]
    assert outside.read_bytes() == b"not ours"
    assert remove_leftover_temporaries(tmp_path / "missing") == []

"""The one way the tool writes a file: whole or not at all, durable once written, never through a link.

Every file the tool writes (``run.json``, sample grids, checkpoints, generator exports, diagrams,
GIFs and PNGs of the commands, colorized photos) is written by :func:`write_file` or one of its
variants:

1. a new temporary file in the target's own folder, with a name no other writer can take
   (``.NAME.<16 random hex>.tmp``, created with ``O_EXCL``: two writers of one target, in
   threads or processes, never share a temporary file);
2. the content is written and the file ``fsync``-ed (its bytes are on the disk);
3. ``os.replace`` puts it in place of the target in one step: a reader sees the old file or the
   new one, never a part (a link at the target is replaced, never followed);
4. the folder is ``fsync``-ed, so the new name survives a power loss;
5. on any failure (an exception, Ctrl-C) the temporary file is removed and the target is untouched.

A save killed outright (``kill -9``, power loss) can still leave a ``*.tmp`` file behind:
:func:`remove_leftover_temporaries` removes them (the trainer when it opens a run, the app when
it exits). Logs that grow line by line (``metrics.jsonl``) are not replaced but appended to:
:func:`open_append` and :func:`sync` (the caller decides when a line must be durable).

Where an output may go at all (never over an input, never a device or a pipe) is decided before
anything is computed, by ``inspector.commands.common.output_file``; this module only writes.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

TMP_SUFFIX = ".tmp"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_TRIES = 100  # unique names: a clash of 64 random bits is already unheard of


def write_file(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` atomically: ``write(file)`` fills an open binary file object (Pillow's
    ``image.save(f, format=...)``, matplotlib's ``fig.savefig(f, format=...)``); returns the path."""
    target = Path(path)

    def fill(fd: int, tmp: Path) -> None:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())

    _replace(target, fill)
    return target


def write_file_at(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Write ``path`` atomically for a writer that wants a file name, not a file object
    (``safetensors.torch.save_file``): ``write(temporary_path)`` writes it there; returns the path."""
    target = Path(path)

    def fill(fd: int, tmp: Path) -> None:
        os.close(fd)
        write(str(tmp))
        fd_again = os.open(tmp, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        try:
            os.fsync(fd_again)
        finally:
            os.close(fd_again)

    _replace(target, fill)
    return target


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    return write_file(path, lambda f: f.write(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], data: Any, **dumps: Any) -> Path:
    """Write ``data`` as JSON (``json.dumps(data, **dumps)``) to ``path`` atomically; returns the path.
    The JSON is made before the file is touched: a value JSON cannot hold leaves the old file."""
    return write_text(path, json.dumps(data, **dumps))


def _replace(target: Path, fill: Callable[[int, Path], None]) -> None:
    """The five steps of the module's docstring; ``fill(fd, tmp)`` writes, syncs and closes ``fd``."""
    folder = target.parent
    fd, tmp = _temporary(folder, target.name)
    try:
        fill(fd, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def _temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty file beside the target, open for writing: its name is unique (``O_EXCL``) and
    its mode follows the umask, as the target's would (``mkstemp`` would make it 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(_TRIES):
        tmp = folder / f".{name}.{secrets.token_hex(8)}{TMP_SUFFIX}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {name} in {folder}")  # pragma: no cover


def _sync_folder(folder: Path) -> None:
    """``fsync`` a folder, so that a rename in it is durable. Some file systems cannot (a network
    share): the rename is still atomic there, only its durability is the system's."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------ logs


def open_append(path: str | os.PathLike[str]) -> IO[str]:
    """A UTF-8 text file opened for appending (created when missing), never through a link.

    Each ``write`` of a whole line followed by ``flush`` is seen whole by a reader (``O_APPEND``).
    Durability is the caller's choice: :func:`sync` when a line must survive a power loss.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o666)
    return os.fdopen(fd, "a", encoding="utf-8")


def sync(f: IO[Any]) -> None:
    """Flush ``f`` and ``fsync`` it: what was written is on the disk."""
    f.flush()
    os.fsync(f.fileno())


# --------------------------------------------------------------------------------- leftovers


def remove_leftover_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the ``*.tmp`` files of saves that were killed before they could clean up, in
    ``folder`` (not below it); returns what was removed. Call it only where no save can be
    running (the trainer holds the run's lock). A link is removed, never its target; a missing
    folder or a link to one is left alone."""
    root = Path(folder)
    if root.is_symlink() or not root.is_dir():
        return []
    removed = []
    for entry in os.scandir(root):
        if entry.name.endswith(TMP_SUFFIX) and not entry.is_dir(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed

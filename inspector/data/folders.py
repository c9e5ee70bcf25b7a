"""Walking a user's folder of images without recursion, in a fixed order, refusing what it must.

``os.walk`` recurses in Python 3.11 (a folder nested 1100 deep ends in ``RecursionError``); this
walk keeps its own stack, so depth costs only memory for the path. The order is os.walk's
top-down order with sorted names (a folder's files, then its sub-folders one by one), so that a
set, and a seeded split of it, is the same on every machine.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inspector.data.images import Limits, oversized
from models.text import Text


@dataclass(frozen=True)
class FolderEntry:
    """A file to read (``path`` set) or something passed over (``reason`` set), by relative name."""

    name: str  # relative to the root, with "/" separators
    path: Path | None = None
    reason: str | None = None


def walk_folder(root: Path, limits: Limits) -> Iterator[FolderEntry]:
    """Every file under ``root`` that may be read, and every entry passed over with its reason.

    Hidden folders (``.git``) and links to folders are not entered; links to files are followed
    only inside the folder; FIFOs, devices and files over the size limit are passed over. After
    ``limits.max_files`` files (or as many folders) one last entry says the rest were not read.
    """
    real_root = root.resolve()
    stack = [root]  # folders still to list, the next one on top
    files = folders = 0
    while stack:
        here = stack.pop()
        folders += 1
        if folders > limits.max_files:
            yield FolderEntry(
                _relative(here, root),
                reason=Text(
                    "more than {limit} folders; this one and the rest were not read",
                    limit=f"{limits.max_files:,}",
                ),
            )
            return
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:  # unreadable, or a path too long for the system
            yield FolderEntry(
                _relative(here, root),
                reason=Text("folder cannot be read: {error}", error=str(error.strerror or error)),
            )
            continue
        subfolders = []
        for entry in entries:
            if not _is_dir(entry):
                continue
            name = _relative(here / entry.name, root)
            if entry.name.startswith("."):
                yield FolderEntry(name, reason=Text("hidden folder, not read"))
            elif entry.is_symlink():
                yield FolderEntry(name, reason=Text("link to a folder, not followed"))
            else:
                subfolders.append(here / entry.name)
        for entry in entries:
            if _is_dir(entry):
                continue
            file = here / entry.name
            name = _relative(file, root)
            if files >= limits.max_files:
                yield FolderEntry(
                    name,
                    reason=Text(
                        "more than {limit} files; this one and the rest were not read",
                        limit=f"{limits.max_files:,}",
                    ),
                )
                return
            files += 1
            reason = _unreadable(file, real_root, limits)
            yield FolderEntry(name, reason=reason) if reason else FolderEntry(name, path=file)
        stack.extend(reversed(subfolders))  # the first sub-folder is listed next


def _is_dir(entry: os.DirEntry[str]) -> bool:
    # As os.walk: a link to a folder counts as a folder (and is then not entered).
    try:
        return entry.is_dir()
    except OSError:
        return False


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _unreadable(file: Path, real_root: Path, limits: Limits) -> str | None:
    """Why a file in a folder is not read (a link out of the folder, not a plain file, too big)."""
    if file.is_symlink():
        try:
            target = file.resolve(strict=True)
        except (OSError, RuntimeError):  # a loop (RuntimeError before Python 3.13) or a dangling link
            return Text("a broken or looping symbolic link")
        if not target.is_relative_to(real_root):
            return Text("link to a file outside the folder, not followed")
    try:
        info = os.stat(file)
    except OSError as error:
        return Text("cannot be read: {error}", error=str(error.strerror or error))
    if not stat.S_ISREG(info.st_mode):
        return Text("not a regular file")  # a FIFO or a device would block or never end
    return oversized(info.st_size, limits)

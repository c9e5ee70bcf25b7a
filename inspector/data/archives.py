"""Reading the members of an untrusted zip archive in memory, refusing the dangerous ones.

Nothing is ever extracted to disk, so path tricks cannot write anywhere; they are still refused,
because a member called ``../evil.png`` or ``/etc/x.png`` says the archive was made to attack
someone. Nested archives are refused (each level multiplies the size a small upload can
expand to), and every read is bounded, so a member whose header lies about its size still cannot
take more than the cap in memory. Only stored and deflate members are read: Python inflates
bzip2 and lzma members in one call, whatever size the header claims (a 20 KB member can take
1 GB), so they are refused from the central directory, before any byte is inflated.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inspector.data.images import DEFAULT_LIMITS, Limits, human_bytes
from models.text import Text

ZIP_MAGIC = b"PK\x03\x04"
ARCHIVE_TYPE = "zip"  # the one archive format read (upload widgets offer it beside the photo types)
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar")
_DRIVE = re.compile(r"^[A-Za-z]:")
# The compression methods read in bounded chunks (zlib takes a maximum output length).
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma", 9: "deflate64", 93: "zstandard"}


@dataclass(frozen=True)
class Member:
    """One entry of an archive: its bytes, or why it was refused (exactly one is set)."""

    name: str  # "archive.zip/inner/path.png"
    data: bytes | None = None
    refused: str | None = None


def is_zip(name: str, data: bytes) -> bool:
    """Whether a file is a zip archive, judged by its first bytes (or its name, for an empty zip)."""
    return data[:4] == ZIP_MAGIC or (name.lower().endswith(f".{ARCHIVE_TYPE}") and data[:4] == b"PK\x05\x06")


def is_archive_name(name: str) -> bool:
    """Whether a file name says archive (zip, tar, gz, 7z, rar, ...)."""
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


def unsafe_path(path: str) -> str | None:
    """Why a member path is refused (absolute, a drive letter, or with a ``..`` part), or None."""
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        return Text("absolute path in the archive, refused")
    if ".." in re.split(r"[\\/]", path):
        return Text("path with '..' in the archive, refused")
    return None


def read_zip(
    name: str, data: bytes, limits: Limits = DEFAULT_LIMITS, room: Callable[[], int] | None = None
) -> Iterator[Member]:
    """Yield every file member of the zip ``data`` with its bytes, or with the reason it was refused.

    Directories are left out. If the archive itself cannot be used (not a zip, too many entries)
    a single refused member named after the archive says why. ``room()``, when given, is how many
    bytes the caller can still take: a member is never inflated past it (a zip of many small
    bombs costs no more CPU than one).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except Exception as error:  # BadZipFile, but also struct/zlib errors on a mangled directory
        yield Member(
            name,
            refused=Text("not a readable zip archive: {error}", error=str(error or type(error).__name__)),
        )
        return
    if len(entries) > limits.max_files:
        yield Member(
            name,
            refused=Text(
                "the zip has {n} entries, over the limit of {limit}",
                n=f"{len(entries):,}",
                limit=f"{limits.max_files:,}",
            ),
        )
        return
    with archive:
        for info in entries:
            if info.is_dir():
                continue
            member = f"{name}/{info.filename}"
            reason = _refuse(info, limits)
            if reason is not None:
                yield Member(member, refused=reason)
                continue
            left = room() if room is not None else limits.max_file_bytes
            cap = min(limits.max_file_bytes, max(left, 0))
            if cap < limits.max_file_bytes and info.file_size > cap:
                total = human_bytes(limits.max_total_bytes)
                yield Member(
                    member, refused=Text("over the limit of {total} for all files together", total=total)
                )
                continue
            try:
                with archive.open(info) as stream:
                    # Read one byte past the cap: the header's file_size may lie (zip bombs do).
                    payload = stream.read(cap + 1)
            except Exception as error:  # bad CRC, encryption, unsupported compression, zlib errors
                yield Member(
                    member,
                    refused=Text(
                        "cannot be read from the archive: {error}", error=str(error or type(error).__name__)
                    ),
                )
                continue
            if len(payload) > cap:
                limit = (
                    Text("{size} per file", size=human_bytes(limits.max_file_bytes))
                    if cap == limits.max_file_bytes
                    else Text("{size} for all files together", size=human_bytes(limits.max_total_bytes))
                )
                yield Member(member, refused=Text("expands past the limit of {limit}", limit=limit))
            elif payload[:4] == ZIP_MAGIC:
                yield Member(member, refused=Text("nested archive, refused (upload it on its own)"))
            else:
                yield Member(member, data=payload)


def _refuse(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why a member is refused from its header alone, before reading any of its bytes."""
    path = info.filename
    reason = unsafe_path(path)
    if reason is not None:
        return reason
    if stat.S_ISLNK(info.external_attr >> 16):
        return Text("symbolic link in the archive, refused")
    if info.compress_type not in READABLE_METHODS:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        return Text(
            "compressed with {method}; only stored and deflate members are read (re-zip it with a standard tool)",
            method=method,
        )
    base = path.rsplit("/", 1)[-1]
    if path.startswith("__MACOSX/") or base.startswith("._"):
        return Text("macOS metadata, not an image")
    if is_archive_name(path):
        return Text("nested archive, refused (upload it on its own)")
    if info.file_size > limits.max_file_bytes:
        return Text(
            "{size}, over the limit of {limit} per file",
            size=human_bytes(info.file_size),
            limit=human_bytes(limits.max_file_bytes),
        )
    return None

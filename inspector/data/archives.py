"""Reading the members of an untrusted zip archive in memory, refusing the dangerous ones.

Nothing is ever extracted to disk, so path tricks cannot write anywhere; they are still refused,
because a member called ``../evil.png`` or ``/etc/x.png`` says the archive was made to attack
someone. Nested archives are refused (each level multiplies the size a small upload can
expand to).

Every member is judged from its headers before a byte of any member is read
(:func:`header_problems`): its central directory entry (path, link, method, declared size) and
its local header, which must agree with it (the same method, name and sizes, no encryption) and
whose data must lie inside the archive, apart from every other member's. Only stored and deflate
members are read: Python inflates bzip2 and lzma members in one call, whatever size the header
claims (a 20 KB member can take 1 GB). A member is then read in bounded chunks up to the size
its header declared, and refused if it inflates past it: the declared sizes, checked against
the caller's budget before reading, bound the memory.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inspector.data.images import DEFAULT_LIMITS, Limits, human_bytes, oversized
from models.text import Text

ZIP_MAGIC = b"PK\x03\x04"
ARCHIVE_TYPE = "zip"  # the one archive format read (upload widgets offer it beside the photo types)
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar")
_DRIVE = re.compile(r"^[A-Za-z]:")
# The compression methods read in bounded chunks (zlib takes a maximum output length).
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma", 9: "deflate64", 93: "zstandard"}
# A local file header: signature, version, flags, method, time, date, crc, sizes, name and extra lengths.
_LOCAL = struct.Struct("<4s5H3L2H")
_ENCRYPTED = 0x01 | 0x40  # traditional and strong encryption flags
_DESCRIPTOR = 0x08  # sizes in a data descriptor after the data (the local header holds zeros)
_UTF8 = 0x800


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
    files = [info for info in entries if not info.is_dir()]
    problems = header_problems(data, files)  # every header, before any member is read
    with archive:
        for info in files:
            member = f"{name}/{info.filename}"
            reason = _refuse(info, limits) or problems.get(id(info))
            if reason is not None:
                yield Member(member, refused=reason)
                continue
            left = room() if room is not None else limits.max_file_bytes
            if info.file_size > max(left, 0):
                total = human_bytes(limits.max_total_bytes)
                yield Member(
                    member, refused=Text("over the limit of {total} for all files together", total=total)
                )
                continue
            try:
                with archive.open(info) as stream:
                    # One byte past the declared size: a header that lies (zip bombs do) is caught,
                    # and the declared size, checked above, bounds the memory.
                    payload = stream.read(info.file_size + 1)
            except Exception as error:  # bad CRC, zlib errors
                yield Member(
                    member,
                    refused=Text(
                        "cannot be read from the archive: {error}", error=str(error or type(error).__name__)
                    ),
                )
                continue
            if len(payload) > info.file_size:
                yield Member(
                    member,
                    refused=Text(
                        "inflates past the {size} its header declares (refused as a zip bomb)",
                        size=human_bytes(info.file_size),
                    ),
                )
            elif payload[:4] == ZIP_MAGIC:
                yield Member(member, refused=Text("nested archive, refused (upload it on its own)"))
            else:
                yield Member(member, data=payload)


def header_problems(data: bytes, entries: list[zipfile.ZipInfo]) -> dict[int, str]:
    """Why each member (by ``id`` of its ZipInfo) is refused from its local header, read against its
    central directory entry; members that pass are absent. Members whose data overlap another's
    are refused too (one deflate stream shared by many entries is a known bomb)."""
    problems: dict[int, str] = {}
    spans: list[tuple[int, int, zipfile.ZipInfo]] = []
    for info in entries:
        problem, begin = _local_header(data, info)
        if problem is not None:
            problems[id(info)] = problem
        else:
            spans.append((begin, begin + info.compress_size, info))
    spans.sort(key=lambda span: (span[0], span[1]))
    end = 0
    for begin, stop, info in spans:
        if begin < end:
            problems[id(info)] = Text("its data overlaps another member's, refused")
        end = max(end, stop)
    return problems


def _local_header(data: bytes, info: zipfile.ZipInfo) -> tuple[str | None, int]:
    """(why the local header of ``info`` is refused or None, where its data begins)."""
    start = info.header_offset
    if start < 0 or start + _LOCAL.size > len(data):
        return Text("its local header lies outside the archive"), 0
    sig, _, flags, method, _, _, _, packed, size, n_name, n_extra = _LOCAL.unpack_from(data, start)
    if sig != ZIP_MAGIC:
        return Text("its local header is missing or damaged"), 0
    if method != info.compress_type:
        return Text(
            "its local header says {local} and the central directory {central}, refused",
            local=_method(method),
            central=_method(info.compress_type),
        ), 0
    if (flags | info.flag_bits) & _ENCRYPTED:
        return Text("encrypted, so it cannot be read"), 0
    raw = data[start + _LOCAL.size : start + _LOCAL.size + n_name]
    if raw.decode("utf-8" if flags & _UTF8 else "cp437", "replace") != info.orig_filename:
        return Text("its local header names another file, refused"), 0
    begin = start + _LOCAL.size + n_name + n_extra
    if begin + info.compress_size > len(data):
        return Text(
            "it claims {size} of data, past the end of the archive", size=human_bytes(info.compress_size)
        ), 0
    # Sizes are in the local header unless a data descriptor follows the data (or ZIP64 holds them).
    local_sizes = not flags & _DESCRIPTOR and 0xFFFFFFFF not in (packed, size)
    if (local_sizes and (packed, size) != (info.compress_size, info.file_size)) or (
        info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size
    ):
        return Text("its local header and the central directory disagree on its size, refused"), 0
    return None, begin


def _method(code: int) -> str:
    """A compression method's name."""
    if code in READABLE_METHODS:
        return READABLE_METHODS[code]
    return _METHOD_NAMES.get(code, f"method {code}")


def _refuse(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why a member is refused from its header alone, before reading any of its bytes."""
    path = info.filename
    reason = unsafe_path(path)
    if reason is not None:
        return reason
    if stat.S_ISLNK(info.external_attr >> 16):
        return Text("symbolic link in the archive, refused")
    if info.compress_type not in READABLE_METHODS:
        return Text(
            "compressed with {method}; only stored and deflate members are read (re-zip it with a standard tool)",
            method=_method(info.compress_type),
        )
    base = path.rsplit("/", 1)[-1]
    if path.startswith("__MACOSX/") or base.startswith("._"):
        return Text("macOS metadata, not an image")
    if is_archive_name(path):
        return Text("nested archive, refused (upload it on its own)")
    return oversized(info.file_size, limits)

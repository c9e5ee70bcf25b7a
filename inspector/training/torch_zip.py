"""A ``torch.save`` zip judged from what it declares, before ``torch.load`` allocates anything.

``torch.load`` trusts the file's own numbers: each storage is allocated at the size the pickle
declares, and each tensor is a view of a storage (offset, shape, strides). A crafted file of a
few KB can declare gigabytes. :func:`check_torch_zip` reads only structure, runs no code and
allocates no more than the file's own size:

1. every member from its headers (``data.archives.header_problems``): stored (``torch.save``
   never compresses), its local header agreeing with the central directory, its data inside the
   file and apart from every other member's, and the first member at the file's start (no bytes
   in front that another zip reader could read differently);
2. ``data.pkl`` with a restricted reader: its opcodes are first walked by ``pickletools`` (every
   counted string must be in the file, so the unpickler never allocates a claimed length), then
   unpickled with only the globals ``torch.save`` writes for tensors, each mapped to an inert
   record of ours (a storage's type, a tensor's view): nothing of the file is ever called;
3. every storage the pickle declares must be a record of exactly its declared size, and every
   tensor view must fit its storage without overlap (``tensor_views.check_views``).

Anything else is refused in one sentence. Then ``torch.load(weights_only=True)`` reads the file.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inspector.data.archives import header_problems
from inspector.errors import UserError
from inspector.training.tensor_views import TensorView, check_views
from models.text import Text

MAX_PICKLE_BYTES = 4 << 20  # a state dict's data.pkl is tens of KB: a larger one is not a state dict
_MAX_DEPTH = 16  # nesting of dicts and lists in a state dict file: two or three levels
# Bytes per element of the typed storages torch.save names for the dtypes of plain tensors.
_STORAGES = {
    "FloatStorage": 4, "DoubleStorage": 8, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
    "ByteStorage": 1, "BoolStorage": 1,
}  # fmt: skip


@dataclass(frozen=True)
class _StorageType:
    element_size: int


@dataclass(frozen=True)
class _Storage:
    key: str
    element_size: int
    numel: int


@dataclass(frozen=True)
class _View:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> _View:
    """``torch._utils._rebuild_tensor_v2``'s arguments, kept, never acted on."""
    if not (isinstance(storage, _Storage) and _count(offset) and _counts(size) and _counts(stride)):
        raise _NotPlain()
    if len(size) != len(stride):
        raise _NotPlain()
    return _View(storage, offset, tuple(size), tuple(stride))


def _rebuild_parameter(data: Any, *rest: Any) -> Any:
    """``torch._utils._rebuild_parameter``: the parameter is its tensor."""
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
} | {("torch", name): _StorageType(size) for name, size in _STORAGES.items()}


class _NotPlain(Exception):
    """The pickle is not what torch.save writes for plain tensors."""


class _Refused(Exception):
    """The pickle names a global that is not allowed."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class _DeclaredReader(pickle.Unpickler):
    """Unpickles a state dict's structure: storages and views as records, nothing called.
    ``storages``: every storage the pickle declares (torch.load would allocate each one)."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.storages: list[_Storage] = []

    def find_class(self, module: str, name: str) -> Any:
        found = _GLOBALS.get((module, name))
        if found is None:
            raise _Refused(f"{module}.{name}")
        return found

    def persistent_load(self, pid: Any) -> _Storage:
        # torch.save's id: ("storage", storage type, key, location, number of elements)
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise _NotPlain()
        _, kind, key, _, numel = pid
        if not (isinstance(kind, _StorageType) and isinstance(key, str) and _count(numel)):
            raise _NotPlain()
        storage = _Storage(key, kind.element_size, numel)
        self.storages.append(storage)
        return storage


def refuse_global(name: str, target: str) -> UserError:
    """The one sentence for a file that asks to build something other than tensors and containers."""
    return UserError(
        Text(
            "{name} was refused: it asks to build {target}, and a checkpoint may hold only tensors "
            "and plain containers (anything else could run code, so it was not opened)",
            name=name,
            target=target,
        )
    )


def not_plain(name: str) -> UserError:
    return UserError(
        Text(
            "{name} was refused: it is not a PyTorch file of plain tensors that can be read safely", name=name
        )
    )


def check_torch_zip(data: bytes, name: str) -> None:
    """Refuse a ``torch.save`` zip whose members, pickle, storages or views claim more than the file
    holds, or that asks to build anything but tensors, before anything is allocated (see the module)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    if any(info.compress_type != zipfile.ZIP_STORED for info in entries):
        raise UserError(
            Text("{name} has compressed members, which torch.save never writes: refused", name=name)
        )
    problems = header_problems(data, entries)
    for info in entries:
        if id(info) in problems:
            raise UserError(
                Text(
                    "{name} was refused: its member {member}: {reason}",
                    name=name,
                    member=info.filename,
                    reason=problems[id(info)],
                )
            )
    if min((info.header_offset for info in entries), default=0) != 0:
        raise not_plain(name)  # bytes in front of the zip: zip readers may disagree on its members
    records = {info.filename: info for info in entries}
    pickles = [info for info in entries if info.filename.rsplit("/", 1)[-1] == "data.pkl"]
    if len(pickles) != 1:
        raise not_plain(name)
    pkl = pickles[0]
    if pkl.file_size > MAX_PICKLE_BYTES:
        raise UserError(
            Text(
                "{name}: its data.pkl is {size} MiB; a state dict's is far smaller, refused",
                name=name,
                size=f"{pkl.file_size / 2**20:.1f}",
            )
        )
    obj, storages = _declared(data[pkl.header_offset :], pkl, name)
    prefix = pkl.filename[: -len("data.pkl")]
    for storage in storages:  # each one is allocated by torch.load at its declared size
        record = records.get(f"{prefix}data/{storage.key}")
        declared = storage.numel * storage.element_size
        if record is None or record.file_size != declared:
            raise UserError(
                Text(
                    "{name}: its storage {key} declares {declared} bytes, but the file holds {held}",
                    name=name,
                    key=storage.key,
                    declared=f"{declared:,}",
                    held=f"{record.file_size:,}" if record is not None else "0",
                )
            )
    views = [
        TensorView(
            key,
            view.shape,
            view.stride,
            view.offset,
            view.storage.element_size,
            view.storage.key,
            view.storage.numel * view.storage.element_size,
        )
        for key, view in _views(obj, "", 0, name)
    ]
    check_views(views, name, len(data))


def _declared(tail: bytes, pkl: zipfile.ZipInfo, name: str) -> tuple[Any, list[_Storage]]:
    """The pickle's structure with inert records, and the storages it declares; ``tail`` starts at
    its local header (checked against the central directory already)."""
    n_name, n_extra = int.from_bytes(tail[26:28], "little"), int.from_bytes(tail[28:30], "little")
    begin = 30 + n_name + n_extra
    raw = tail[begin : begin + pkl.file_size]
    try:
        for _ in pickletools.genops(raw):  # every counted argument is in the file: nothing is preallocated
            pass
        reader = _DeclaredReader(io.BytesIO(raw))
        return reader.load(), reader.storages
    except _Refused as refused:
        raise refuse_global(name, refused.target) from None
    except Exception:  # _NotPlain, and every way a pickle can be malformed
        raise not_plain(name) from None


def _views(obj: Any, key: str, depth: int, name: str) -> Iterator[tuple[str, _View]]:
    """Every tensor view in the unpickled structure, with its dotted key."""
    if depth > _MAX_DEPTH:
        raise not_plain(name)
    if isinstance(obj, _View):
        yield key, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _views(v, f"{key}.{k}" if key else str(k), depth + 1, name)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _views(v, f"{key}.{i}" if key else str(i), depth + 1, name)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _counts(values: Any) -> bool:
    return isinstance(values, (tuple, list)) and all(_count(v) for v in values)

"""The geometry of a tensor as a file describes it, checked before a single element is read.

A PyTorch file describes each tensor as a view: a storage (a run of bytes in the file), an
offset, a shape and strides. A 4-byte storage with stride 0 and a billion elements is a valid
1.6 KB file, and any elementwise check (``isfinite``) or ``copy_`` into a parameter would then
materialise 4 GB. :func:`check_views` accepts only views whose elements do not overlap (no
stride 0, no overlapping strides), that fit their storage, and whose storages together fit in
the file: every later step then costs at most the file's size.

The same check runs twice on a ``torch.save`` zip: on the sizes its pickle *declares*, read by a
restricted reader before ``torch.load`` allocates anything (``training.torch_zip``), and on the
tensors that were loaded, whatever their format (``training.checkpoint``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from inspector.errors import UserError
from models.text import Text


@dataclass(frozen=True)
class TensorView:
    """One tensor as a file describes it: ``shape`` and ``stride`` in elements, ``offset`` (elements)
    into a storage of ``storage_bytes`` bytes that ``storage`` names (the same storage, the same name)."""

    key: str
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int
    element_size: int
    storage: Hashable
    storage_bytes: int


def view_of(key: str, t: torch.Tensor) -> TensorView:
    """A loaded tensor's view of its storage (nothing is read)."""
    storage = t.untyped_storage()
    return TensorView(
        key,
        tuple(t.shape),
        tuple(t.stride()),
        int(t.storage_offset()),
        t.element_size(),
        storage.data_ptr(),
        storage.nbytes(),
    )


def check_geometry(tensors: Mapping[str, torch.Tensor], name: str, file_bytes: int) -> None:
    """Refuse loaded tensors that are not plain strided CPU tensors of a real dtype, or whose views
    claim more than their storages and the file hold (:func:`check_views`), before any is read."""
    for key, t in tensors.items():
        if type(t) not in (torch.Tensor, nn.Parameter) or t.layout != torch.strided or t.device.type != "cpu":
            raise UserError(
                Text(
                    "{name}: {key} is not a plain tensor (a sparse, meta or other special tensor)",
                    name=name,
                    key=key,
                )
            )
        if t.is_quantized or t.is_complex():
            raise UserError(
                Text(
                    "{name}: {key} has dtype {dtype}, which no model of this tool uses",
                    name=name,
                    key=key,
                    dtype=str(t.dtype),
                )
            )
    check_views((view_of(key, t) for key, t in tensors.items()), name, file_bytes)


def check_views(views: Iterable[TensorView], name: str, file_bytes: int) -> None:
    """``UserError`` for the first view whose elements overlap or pass the end of its storage, or
    when the storages together claim more bytes than the file of ``file_bytes`` has."""
    storages: dict[Hashable, int] = {}  # each storage counted once
    for v in views:
        if any(s < 0 for s in (*v.shape, *v.stride, v.offset)):
            raise UserError(Text("{name}: {key} has a negative size, stride or offset", name=name, key=v.key))
        if not _non_overlapping(v.shape, v.stride):
            raise UserError(
                Text(
                    "{name}: {key} is a view whose elements overlap (stride {stride} for shape "
                    "{shape}): it claims more values than the file holds",
                    name=name,
                    key=v.key,
                    stride=str(v.stride),
                    shape=shape_text(v.shape),
                )
            )
        needed = (v.offset + _span(v.shape, v.stride)) * v.element_size
        if needed > v.storage_bytes:
            raise UserError(
                Text(
                    "{name}: {key} needs {needed} bytes but its storage holds {held}",
                    name=name,
                    key=v.key,
                    needed=f"{needed:,}",
                    held=f"{v.storage_bytes:,}",
                )
            )
        storages[v.storage] = v.storage_bytes
    total = sum(storages.values())
    if total > file_bytes:
        raise UserError(
            Text(
                "{name}: its tensors claim {total} bytes of storage; the file has {file_bytes}",
                name=name,
                total=f"{total:,}",
                file_bytes=f"{file_bytes:,}",
            )
        )


def _non_overlapping(shape: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    """Whether no two indices of a strided tensor address the same element (gaps are allowed)."""
    if any(s == 0 for s in shape):
        return True  # an empty tensor addresses nothing
    dims = sorted((st, sz) for st, sz in zip(stride, shape) if sz > 1)
    reach = 1  # elements covered by the dims seen so far, from the smallest stride up
    for st, sz in dims:
        if st < reach:
            return False
        reach = st * sz
    return True


def _span(shape: tuple[int, ...], stride: tuple[int, ...]) -> int:
    """Elements from the first addressed one to the last, inclusive (0 for an empty tensor)."""
    if any(s == 0 for s in shape):
        return 0
    return 1 + sum((sz - 1) * st for sz, st in zip(shape, stride))


def shape_text(shape: tuple[int, ...]) -> str:
    """(64, 1, 4, 4) -> "64x1x4x4"; () -> "scalar"."""
    return "x".join(map(str, shape)) or "scalar"

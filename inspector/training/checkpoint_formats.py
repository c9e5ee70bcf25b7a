"""Turning checkpoint bytes into tensors: the format is decided by the file's structure.

A file is safetensors when it *parses* as safetensors: 8 bytes of little-endian header length N,
N bytes of a JSON object whose tensor entries have known dtypes, shapes and offsets, and then
exactly the data those offsets describe. Only a file that is not safetensors is tried as a
PyTorch zip (``torch.save`` since PyTorch 1.6), loaded with ``weights_only=True``. No first-byte
guess is ever made: a safetensors header length is any number, so its first byte can be ``0x80``
(a pickle's first byte) or ``P`` as in ``PK`` (a zip's), and such checkpoints are still ours.

Plain pickles (``pickle.dump``, and ``torch.save`` before PyTorch 1.6) are refused unread: a
pickle can run code, and the old format allocates whatever storage size it claims before
reading it.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import torch
from safetensors.torch import load as load_safetensors_bytes

from inspector.errors import UserError
from inspector.training.checkpoint_checks import check_finite, check_meta, names
from inspector.training.tensor_views import check_geometry
from inspector.training.torch_zip import check_torch_zip, not_plain, refuse_global
from models.text import Text

META_KEY = "pix2pix_inspector"  # key of our JSON inside the safetensors header metadata
TORCH_TYPES = ("pt", "pth", "bin", "ckpt")  # file suffixes of torch.save files
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit on the header
# Bytes per element of every dtype safetensors writes.
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip
_GLOBAL = re.compile(r"GLOBAL ([A-Za-z_][\w.]{0,120})")  # the refused name in torch's message


def safetensors_problem(data: bytes) -> str | None:
    """Why ``data`` is not a well-formed safetensors file, or None when it is one.

    Checks the whole structure, as the safetensors parser does: the header length, the header
    JSON, every entry's dtype, shape and offsets, and that the offsets tile the data exactly.
    """
    if len(data) < 10:
        return f"only {len(data)} bytes"
    (n,) = struct.unpack("<Q", data[:8])
    if n < 2 or n > min(len(data) - 8, MAX_HEADER_BYTES):
        return f"its header claims {n} bytes"
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "its header is not JSON"
    if not isinstance(header, dict):
        return "its header is not a JSON object"
    metadata = header.get("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        return "its __metadata__ is not an object of strings"
    spans = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict):
            return f"its entry {key!r} is not an object"
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in DTYPE_BYTES:
            return f"its entry {key!r} has an unknown dtype"
        if not (isinstance(shape, list) and all(_is_count(s) for s in shape)):
            return f"its entry {key!r} has no valid shape"
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)):
            return f"its entry {key!r} has no valid data_offsets"
        begin, end = offsets
        if end - begin != math.prod(shape) * DTYPE_BYTES[dtype]:
            return f"its entry {key!r} does not have the size its shape and dtype need"
        spans.append((begin, end))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            return "its tensors overlap or leave gaps"
        position = end
    if position != len(data) - 8 - n:
        return f"its tensors describe {position:,} bytes of data; the file holds {len(data) - 8 - n:,}"
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_safetensors(data: bytes, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and our JSON (``{}`` when the file has none) of a well-formed safetensors file."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    try:
        tensors = load_safetensors_bytes(data)  # parsed again by safetensors itself: bounds-checked, no code
    except Exception as exc:  # the Rust parser raises its own error types
        raise UserError(
            Text("{name} is not a readable safetensors file: {error}", name=name, error=str(exc))
        ) from None
    text = (header.get("__metadata__") or {}).get(META_KEY)
    meta: dict[str, Any] = {}
    if text:
        try:
            meta = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise UserError(
                Text("{name}: its pix2pix-inspector metadata is not valid JSON", name=name)
            ) from None
        meta = check_meta(meta, name)
    return tensors, meta


def is_zip(data: bytes) -> bool:
    """Whether ``data`` has a readable zip central directory (the structure, not the first bytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.infolist()
    except Exception:  # BadZipFile, and struct or value errors from a mangled directory
        return False
    return True


def is_pickle(data: bytes) -> bool:
    """Whether ``data`` starts as a pickle of protocol 2 or later does (PROTO opcode, then a version)."""
    return len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5


def refuse_pickle(name: str) -> UserError:
    """The one sentence for a pickle: ours, plain, with no advice to open it anyway."""
    return UserError(
        Text(
            "{name} was refused: it is a Python pickle, which can run code when it is opened, so only "
            "safetensors files and PyTorch zip files of plain tensors are read",
            name=name,
        )
    )


def read_torch_zip(data: bytes, name: str) -> dict[str, torch.Tensor]:
    """The tensors of a ``torch.save`` zip, unpickled with ``weights_only=True`` after its members,
    its pickle's declared storages and its tensor views were checked without running or allocating
    anything (``training.torch_zip.check_torch_zip``)."""
    check_torch_zip(data, name)
    try:
        # weights_only: the unpickler builds tensors and plain containers only; any other global
        # (os.system, a class with __reduce__) is refused before it can run.
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": our sentence says enough
            warnings.simplefilter("ignore")
            obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise _refusal(name, str(exc)) from None
    return flatten_torch(obj, name)


def _refusal(name: str, message: str) -> UserError:
    """torch.load's refusal in one plain sentence of ours.

    PyTorch's own text carries terminal escape codes and advises ``weights_only=False`` (which
    would run whatever the file holds); only the refused name is kept, and only when it is a
    plain dotted identifier.
    """
    found = _GLOBAL.search(message)
    return refuse_global(name, found.group(1)) if found else not_plain(name)


def flatten_torch(obj: Any, name: str) -> dict[str, torch.Tensor]:
    """Accept a state dict (of either network: ``checkpoint`` tells them apart by structure), one
    under ``state_dict`` or ``model_state_dict`` (a training script's dict, its other entries left
    out), or ``{"generator": sd, "discriminator": sd}`` (also G / D, net_G / net_D, netG / netD).
    A bare state dict is put under ``generator.``."""
    if not isinstance(obj, Mapping):
        raise UserError(Text("{name} holds a {kind}, not a state dict", name=name, kind=type(obj).__name__))
    for wrapper in ("state_dict", "model_state_dict"):
        if isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
            break
    aliases = {
        "generator": "generator",
        "G": "generator",
        "net_G": "generator",
        "netG": "generator",
        "discriminator": "discriminator",
        "D": "discriminator",
        "net_D": "discriminator",
        "netD": "discriminator",
    }
    nested = {aliases[k]: v for k, v in obj.items() if k in aliases and isinstance(v, Mapping)}
    out: dict[str, Any]
    if nested:
        out = {}
        for part, sd in nested.items():
            out.update({f"{part}.{k}": v for k, v in sd.items()})
    elif all(str(k).startswith(("generator.", "discriminator.")) for k in obj):
        out = {str(k): v for k, v in obj.items()}
    else:
        out = {f"generator.{k}": v for k, v in obj.items()}
    bad = [k for k, v in out.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise UserError(Text("{name}: these entries are not tensors: {keys}", name=name, keys=names(bad)))
    return out


def read_tensors(data: bytes, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and our JSON, by structure: safetensors if it parses as one, else a torch.save zip;
    every tensor's geometry checked against the file before any element is read, then finiteness."""
    problem = safetensors_problem(data)
    if problem is None:
        tensors, meta = read_safetensors(data, name)
    elif is_zip(data):
        tensors, meta = read_torch_zip(data, name), {}
    elif is_pickle(data):
        raise refuse_pickle(name)
    elif name.lower().endswith(tuple(f".{t}" for t in TORCH_TYPES)):
        raise UserError(
            Text(
                "{name} was refused: it is neither a safetensors file nor a PyTorch zip file of tensors",
                name=name,
            )
        )
    else:
        raise UserError(Text("{name} is not a safetensors file ({problem})", name=name, problem=problem))
    check_geometry(tensors, name, len(data))  # before anything reads an element: views can claim any size
    check_finite(tensors, name)
    return tensors, meta

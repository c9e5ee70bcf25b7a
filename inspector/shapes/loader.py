"""Load a user's own model from ``path/to/file.py:NAME``.

``NAME`` is an ``nn.Module`` subclass built without arguments, a function returning a module,
or a module instance. Whatever goes wrong (no file, a syntax error, an exception on import or
in the constructor, a name that is not there) becomes one ``UserError`` line: the CLI prints
it and exits 2, never a traceback.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Literal

from torch import nn

from inspector.errors import UserError
from models.text import Text


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import(path: Path) -> ModuleType:
    # A unique module name per file, so two files called model.py do not collide.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"_user_model_{digest}", path)
    if spec is None or spec.loader is None:
        raise UserError(Text("cannot import {path}: not a Python file", path=str(path)))
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # let the file import its neighbours, as `python file.py` would
    try:
        # Compiled from the source each time, never from a cached .pyc: a file edited within the
        # same second (same size) must not run its old code, and the user's folder gets no __pycache__.
        exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit, anything the file raises
        raise UserError(
            Text("{path} failed on import: {error}", path=str(path), error=_one_line(exc))
        ) from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _candidates(module: ModuleType) -> list[str]:
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if (inspect.isclass(value) and issubclass(value, nn.Module)) or inspect.isfunction(value):
            names.append(name)
    return names


def load_model(spec: str, mode: Literal["train", "eval"] | None = None) -> nn.Module:
    """The model named by ``path/to/file.py:NAME``; ``UserError`` with one clear line otherwise.

    ``mode`` puts every layer in train or eval mode (Dropout, BatchNorm); None leaves the model as
    its file built it."""
    model = _build(spec)
    if mode is not None:
        model.train(mode == "train")
    return model


FileStamp = tuple[int, int]  # (mtime in ns, size in bytes) of a model file


def file_stamp(path: str | Path) -> FileStamp:
    """What tells an edited model file from the one loaded before: its mtime (in ns) and its size.
    Raises ``OSError`` for a file that cannot be read."""
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


def _build(spec: str) -> nn.Module:
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not name.isidentifier():
        raise UserError(
            Text("expected path/to/file.py:NAME (e.g. my_unet.py:UNet), got {spec}", spec=repr(spec))
        )
    path = Path(path_text)
    if path.is_dir():
        raise UserError(
            Text(
                "{path} is a directory: name the .py file in it that defines the model, e.g. {path}/unet.py:{name}",
                path=str(path),
                name=name,
            )
        )
    if not path.is_file():
        raise UserError(Text("no such file: {path}", path=str(path)))
    if path.suffix != ".py":
        raise UserError(Text("{path} is not a .py file", path=str(path)))
    module = _import(path)
    if not hasattr(module, name):
        found = _candidates(module)
        hint = Text("; it defines: {names}", names=", ".join(found)) if found else ""
        raise UserError(Text("{path} has no {name}{hint}", path=str(path), name=repr(name), hint=hint))
    obj = getattr(module, name)
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise UserError(
            Text(
                "{path}:{name} is a {kind}, not an nn.Module class or a function",
                path=str(path),
                name=name,
                kind=type(obj).__name__,
            )
        )
    try:
        model = obj()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise UserError(
            Text(
                "{name}() failed (it must build without arguments): {error}", name=name, error=_one_line(exc)
            )
        ) from None
    if not isinstance(model, nn.Module):
        raise UserError(
            Text("{name}() returned a {kind}, not an nn.Module", name=name, kind=type(model).__name__)
        )
    return model


MODELS_ENV = "PIX2PIX_INSPECTOR_MODELS"  # the folder `pix2pix-inspector app --models DIR` names
MAX_FILES = 200  # model files listed from one folder


def model_files(folder: str | Path) -> list[tuple[str, list[str]]]:
    """The ``.py`` files of ``folder`` and the model names each defines, read WITHOUT importing:
    top-level classes whose bases mention ``Module`` or ``Sequential``, and top-level functions.

    Importing a file runs its code, so only the person who starts the app names the folder
    (``--models DIR``); the app lists it, and imports a file only when asked to.
    """
    import ast

    root = Path(folder)
    if not root.is_dir():
        raise UserError(Text("{root} is not a folder", root=str(root)))
    out = []
    for path in sorted(root.glob("*.py"))[:MAX_FILES]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue  # not readable as Python: not listed
        names = []
        for node in tree.body:
            if (
                isinstance(node, ast.ClassDef)
                and any("Module" in ast.unparse(b) or "Sequential" in ast.unparse(b) for b in node.bases)
            ) or (isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and not node.args.args):
                names.append(node.name)
        if names:
            out.append((path.name, names))
    return out


MAX_DIM = 1 << 20  # a batch, channel count or side beyond this is a typo (and overflows int64 sizes)


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``"1,3,256,256"`` (or ``1x3x256x256``) -> (1, 3, 256, 256); also B,C,L and B,C,D,H,W.
    ``UserError`` with one sentence otherwise (the CLI's ``--input`` and the app's box)."""
    parts = text.strip().replace("x", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise UserError(
            Text("expected B,C,H,W (e.g. 1,3,256,256), or B,C,L or B,C,D,H,W; got {text}", text=repr(text))
        ) from None
    if len(shape) not in (3, 4, 5):
        raise UserError(
            Text(
                "expected 4 sizes B,C,H,W (batch, channels, height, width), or 3 (B,C,L) or 5 (B,C,D,H,W), "
                "got {n} in {text}",
                n=len(shape),
                text=repr(text),
            )
        )
    if any(s > MAX_DIM for s in shape):
        raise UserError(
            Text("every size must be at most {max}, got {text}", max=f"{MAX_DIM:,}", text=repr(text))
        )
    if any(s < 1 for s in shape):
        raise UserError(Text("every size must be positive, got {text}", text=repr(text)))
    return shape

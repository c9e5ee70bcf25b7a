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
import sys
from pathlib import Path
from types import ModuleType

from torch import nn

from inspector.errors import UserError


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import(path: Path) -> ModuleType:
    # A unique module name per file, so two files called model.py do not collide.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"_user_model_{digest}", path)
    if spec is None or spec.loader is None:
        raise UserError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # let the file import its neighbours, as `python file.py` would
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit, anything the file raises
        raise UserError(f"{path} failed on import: {_one_line(exc)}") from None
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


def load_model(spec: str) -> nn.Module:
    """The model named by ``path/to/file.py:NAME``; ``UserError`` with one clear line otherwise."""
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not name.isidentifier():
        raise UserError(f"expected path/to/file.py:NAME (e.g. my_unet.py:UNet), got {spec!r}")
    path = Path(path_text)
    if path.is_dir():
        raise UserError(f"{path} is a directory: name the .py file in it that defines the model, e.g. {path}/unet.py:{name}")
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    if path.suffix != ".py":
        raise UserError(f"{path} is not a .py file")
    module = _import(path)
    if not hasattr(module, name):
        found = _candidates(module)
        hint = f"; it defines: {', '.join(found)}" if found else ""
        raise UserError(f"{path} has no {name!r}{hint}")
    obj = getattr(module, name)
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise UserError(f"{path}:{name} is a {type(obj).__name__}, not an nn.Module class or a function")
    try:
        model = obj()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise UserError(f"{name}() failed (it must build without arguments): {_one_line(exc)}") from None
    if not isinstance(model, nn.Module):
        raise UserError(f"{name}() returned a {type(model).__name__}, not an nn.Module")
    return model

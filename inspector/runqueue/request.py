"""What a queued run was asked to do: ``request.json`` (the ``RunChoices``) and its ``uploads/``.

The page that presses Start and the worker that trains are different processes (perhaps
different machines), so the choices travel as a file: every field of ``RunChoices`` as JSON, the
models' configs as their dicts, and the uploaded images as the bytes they came as, one file each
under ``uploads/`` (named by their position; the names the user gave are kept in the JSON, for
the list of skipped files). The worker decodes them with the same bounded decoders as before.
A run that starts from a checkpoint (``init_from``) keeps its path, or an uploaded file's bytes
as ``init_from.bin`` beside the request, read without unpickling like any checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.runqueue.status import write_bytes_atomic, write_json_atomic
from inspector.training.plan import RunChoices
from models import DiscriminatorConfig, GeneratorConfig
from models.text import Text

REQUEST_FILE = "request.json"
UPLOADS_DIR = "uploads"
INIT_FILE = "init_from.bin"  # an uploaded starting checkpoint's bytes
_PATHS = ("out", "resume")


def save_request(run_dir: Path, choices: RunChoices) -> None:
    """Write ``choices`` into ``run_dir`` (``request.json``, and ``uploads/`` when there are any).
    A run resumed in its own folder without new uploads keeps the uploads it was trained on."""
    data: dict[str, Any] = {}
    for f in fields(RunChoices):
        value = getattr(choices, f.name)
        if f.name == "models" and value is not None:
            value = {"generator": value[0].to_dict(), "discriminator": value[1].to_dict()}
        elif f.name == "uploads":
            value = _save_uploads(run_dir, value) if value is not None else _kept_uploads(run_dir, choices)
        elif f.name in _PATHS and value is not None:
            value = str(value)
        elif f.name == "init_from" and value is not None:
            value = _save_init(run_dir, value)
        data[f.name] = value
    write_json_atomic(run_dir / REQUEST_FILE, data)


def _save_uploads(run_dir: Path, uploads: tuple[tuple[str, bytes], ...]) -> list[str]:
    folder = run_dir / UPLOADS_DIR
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():  # a new set replaces the old one whole
        old.unlink()
    for i, (_, blob) in enumerate(uploads):
        write_bytes_atomic(folder / f"{i:04d}", blob)
    return [name for name, _ in uploads]


def _save_init(run_dir: Path, source: str | Path | tuple[str, bytes]) -> dict[str, str]:
    """``{"path": ...}`` for a file on the server, ``{"name": ...}`` for uploaded bytes (kept as
    ``INIT_FILE``: the worker may run in another process, after the page has gone)."""
    if isinstance(source, tuple):
        write_bytes_atomic(run_dir / INIT_FILE, source[1])
        return {"name": source[0]}
    return {"path": str(source)}


def _load_init(run_dir: Path, data: object) -> Path | tuple[str, bytes]:
    if isinstance(data, dict) and isinstance(data.get("path"), str):
        return Path(data["path"])
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return (data["name"], (run_dir / INIT_FILE).read_bytes())
    raise ValueError(f"init_from is {data!r}, not a path or an uploaded file")


def _kept_uploads(run_dir: Path, choices: RunChoices) -> list[str] | None:
    if choices.resume is None or Path(choices.resume).resolve() != run_dir.resolve():
        return None
    try:
        old = json.loads((run_dir / REQUEST_FILE).read_text(encoding="utf-8")).get("uploads")
    except (OSError, ValueError, AttributeError):
        return None
    return [str(n) for n in old] if isinstance(old, list) else None


def load_request(run_dir: Path) -> RunChoices:
    """The ``RunChoices`` that :func:`save_request` wrote; ``UserError`` when the file is unusable."""
    try:
        data = json.loads((run_dir / REQUEST_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        known = {f.name for f in fields(RunChoices)}
        kept = {k: v for k, v in data.items() if k in known}
        models = kept.get("models")
        if models is not None:
            kept["models"] = (
                GeneratorConfig.from_dict(models["generator"]),
                DiscriminatorConfig.from_dict(models["discriminator"]),
            )
        names = kept.get("uploads")
        if names is not None:
            kept["uploads"] = tuple(
                (str(name), (run_dir / UPLOADS_DIR / f"{i:04d}").read_bytes()) for i, name in enumerate(names)
            )
        for key in _PATHS:
            if kept.get(key) is not None:
                kept[key] = Path(kept[key])
        if kept.get("init_from") is not None:
            kept["init_from"] = _load_init(run_dir, kept["init_from"])
        return RunChoices(**kept)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(
            Text("the run's request ({file}) cannot be read: {error}", file=REQUEST_FILE, error=str(exc))
        ) from None


def resume_request(run_dir: Path, steps: int) -> RunChoices:
    """The request that continues the run in ``run_dir`` from its checkpoint up to ``steps`` (on the
    images it was trained on: its own uploads, kept in its folder, or the samples)."""
    return RunChoices(resume=run_dir, steps=steps)

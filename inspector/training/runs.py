"""The runs folder: every training run the app starts gets its own named folder there, and stays.

Where it is (:func:`default_runs_dir`): ``$PIX2PIX_RUNS_DIR`` if set (``pix2pix-inspector app
--runs DIR`` sets it), else ``$XDG_DATA_HOME/pix2pix-inspector/runs``, else
``~/.local/share/pix2pix-inspector/runs``. Each run is a run directory of the trainer
(``training.run_files``: ``metrics.jsonl``, ``samples/``, ``checkpoint.safetensors``,
``generator.safetensors``) plus ``run.json``: its name, who started it (a short session label),
when, and its settings, frozen at Start.

Runs are never replaced: a new run gets a new folder (``name``, ``name-2``, ...). The retention
policy (:meth:`RunsFolder.prune`, applied when a run starts) keeps the newest
:data:`KEEP_RUNS` runs and none older than :data:`MAX_AGE_DAYS` days; a run that a trainer holds
(its lock, ``run_files.LOCK_FILE``) or that the caller protects is never removed.
:meth:`RunsFolder.clean_temporary` removes what an interrupted save or a failed start left (the
server calls it when it exits).

Nothing here imports streamlit: the Train and Colorize pages render what these functions return.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.files import write_json
from inspector.training.checkpoint import CHECKPOINT_FILE, EXPORT_FILE, META_FILE
from inspector.training.run_files import LOCK_FILE, SAMPLES_DIR, remove_run_leftovers
from models.text import Text

RUNS_ENV = "PIX2PIX_RUNS_DIR"
TRASH_DIR = ".deleted"  # a deleted run on its way out (no run name starts with a dot: safe_name)
APP_NAME = "pix2pix-inspector"
RUN_INFO = "run.json"
KEEP_RUNS = 20  # the retention policy: at most this many runs ...
MAX_AGE_DAYS = 30.0  # ... and none older than this (days since the run was started)
MAX_NAME = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_runs_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$PIX2PIX_RUNS_DIR``, else ``$XDG_DATA_HOME/pix2pix-inspector/runs``, else ``~/.local/share/...``."""
    env = os.environ if environ is None else environ
    if env.get(RUNS_ENV):
        return Path(env[RUNS_ENV]).expanduser()
    data_home = Path(env["XDG_DATA_HOME"]).expanduser() if env.get("XDG_DATA_HOME") else None
    if data_home is None or not data_home.is_absolute():  # the XDG spec: a relative value is ignored
        data_home = Path.home() / ".local" / "share"
    return data_home / APP_NAME / "runs"


def safe_name(name: str) -> str:
    """A run name usable as one folder name: letters, digits, ``.``, ``_`` and ``-``; never empty."""
    cleaned = _UNSAFE.sub("-", name.strip()).strip(".-")[:MAX_NAME]
    return cleaned or "run"


def is_locked(run_dir: Path) -> bool:
    """True while a trainer (in any process) holds ``run_dir``'s lock."""
    path = run_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError:
        return False  # no lock file (or a link, which no trainer makes): nobody holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock we may have taken
    return False


@dataclass(frozen=True)
class RunInfo:
    """One run of the runs folder, as read from its files (nothing is loaded)."""

    name: str
    path: Path
    created: float  # time.time() at Start
    owner: str = ""  # the short label of the session that started it
    settings: dict[str, Any] = field(default_factory=dict)  # frozen at Start (models, steps, ...)
    step: int = 0  # the step of its checkpoint (0: none yet)
    total_steps: int = 0  # the steps it was asked to train
    training: bool = False  # a trainer holds it now

    @property
    def checkpoint(self) -> Path | None:
        """The full checkpoint (weights, Adam state, settings): for resuming; None before the first save."""
        path = self.path / CHECKPOINT_FILE
        return path if path.is_file() else None

    @property
    def export(self) -> Path | None:
        """The generator-only export: for colorizing; None before the first save."""
        path = self.path / EXPORT_FILE
        return path if path.is_file() else None

    @functools.cached_property
    def size_bytes(self) -> int:
        """Bytes of its regular files (checkpoints, log, sample grids)."""
        total = 0
        for folder in (self.path, self.path / SAMPLES_DIR):
            if folder.is_dir() and not folder.is_symlink():
                total += sum(
                    e.stat(follow_symlinks=False).st_size
                    for e in os.scandir(folder)
                    if e.is_file(follow_symlinks=False)
                )
        return total

    @property
    def age_days(self) -> float:
        return max(time.time() - self.created, 0.0) / 86400


class RunsFolder:
    """The runs of one folder: create, list, look up, delete, prune. ``root`` is created on first write."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_runs_dir()

    # ------------------------------------------------------------------------------ creating
    def _cannot_create(self, exc: OSError) -> UserError:
        """Why no run folder can be made (the runs folder itself, or one inside it)."""
        return UserError(
            Text(
                "cannot create a run folder in {root}: {error}", root=str(self.root), error=str(exc.strerror)
            )
        )

    def create(self, name: str, owner: str = "", settings: Mapping[str, Any] | None = None) -> Path:
        """A new, empty run folder named ``name`` (made safe; ``-2``, ``-3``... when taken), with its
        ``run.json``. Never touches another run."""
        base = safe_name(name)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._cannot_create(exc) from None
        for n in range(1, 10_000):
            path = self.root / (base if n == 1 else f"{base}-{n}")
            try:
                path.mkdir()  # atomic: two sessions starting at once get two folders
            except FileExistsError:
                continue
            except OSError as exc:
                raise self._cannot_create(exc) from None
            info = {
                "name": path.name,
                "created": time.time(),
                "owner": owner,
                "settings": dict(settings or {}),
            }
            write_json(path / RUN_INFO, info, indent=2, default=str)
            return path
        raise UserError(
            Text(
                "the runs folder {root} already holds too many runs named {base}",
                root=str(self.root),
                base=repr(base),
            )
        )

    # ------------------------------------------------------------------------------ reading
    def list_runs(self) -> list[RunInfo]:
        """Every run, newest first. Folders that are not runs (no ``run.json``, links) are ignored."""
        if not self.root.is_dir():
            return []
        runs = []
        for entry in os.scandir(self.root):
            if entry.is_dir(follow_symlinks=False) and (Path(entry.path) / RUN_INFO).is_file():
                runs.append(_read_run(Path(entry.path)))
        return sorted(runs, key=lambda r: (r.created, r.name), reverse=True)

    def get(self, name: str) -> RunInfo:
        """The run called ``name``; ``UserError`` when there is none (or the name is a path)."""
        if name != safe_name(name) or name in (".", ".."):
            raise UserError(Text("{name} is not a run name", name=repr(name)))
        path = self.root / name
        if path.is_symlink() or not (path / RUN_INFO).is_file():
            raise UserError(Text("there is no run {name} in {root}", name=repr(name), root=str(self.root)))
        return _read_run(path)

    # ------------------------------------------------------------------------------ removing
    def delete(self, name: str, protect: Iterable[Path] = ()) -> None:
        """Remove the run ``name``; ``UserError`` while it trains (or is protected)."""
        run = self.get(name)
        if run.training or _resolved(run.path) in {_resolved(p) for p in protect}:
            raise UserError(Text("run {name} is training: stop it first", name=repr(name)))
        # Out of the runs first, in one rename: a process still writing a file into the run (its
        # worker finishing, the scheduler) made a tree removal fail half-way ("directory not
        # empty") and left a broken run behind. What the removal leaves is swept next time.
        trash = self.root / TRASH_DIR
        shutil.rmtree(trash, ignore_errors=True)
        try:
            trash.mkdir(exist_ok=True)
            gone = trash / run.path.name
            os.rename(run.path, gone)
        except OSError as exc:
            raise UserError(
                Text("run {name} could not be deleted: {reason}", name=repr(name), reason=str(exc))
            ) from exc
        shutil.rmtree(gone, ignore_errors=True)

    def prune(
        self,
        keep: int = KEEP_RUNS,
        max_age_days: float = MAX_AGE_DAYS,
        protect: Iterable[Path] = (),
    ) -> list[str]:
        """Apply the retention policy: keep the newest ``keep`` runs and none older than
        ``max_age_days``; a run that trains or is in ``protect`` is always kept. Returns the names removed."""
        kept = {_resolved(p) for p in protect}
        removed = []
        for index, run in enumerate(self.list_runs()):
            if run.training or _resolved(run.path) in kept:
                continue
            if index >= keep or run.age_days > max_age_days:
                shutil.rmtree(run.path, ignore_errors=True)
                removed.append(run.name)
        return removed

    def clean_temporary(self, protect: Iterable[Path] = ()) -> list[Path]:
        """Remove the leftovers of interrupted work in runs no trainer holds: ``*.tmp`` files of a
        killed save, and run folders that never got a checkpoint (a start that failed or was
        stopped while loading images). Returns what was removed."""
        kept = {_resolved(p) for p in protect}
        removed: list[Path] = []
        for run in self.list_runs():
            if run.training or _resolved(run.path) in kept:
                continue
            if run.checkpoint is None:
                shutil.rmtree(run.path, ignore_errors=True)
                removed.append(run.path)
                continue
            removed += remove_run_leftovers(run.path)
        return removed


# ---------------------------------------------------------------------------------- files


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _read_json(path: Path) -> dict[str, Any]:
    """A small JSON object, or {} for anything unreadable (a run must list even when a file is damaged)."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(1 << 20))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: Any, default: float = 0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _read_run(path: Path) -> RunInfo:
    info = _read_json(path / RUN_INFO)
    meta = _read_json(path / META_FILE)  # written with each checkpoint: its step and train config
    settings = info.get("settings") if isinstance(info.get("settings"), dict) else {}
    train = meta.get("train_config") if isinstance(meta.get("train_config"), dict) else {}
    created = _number(info.get("created"), default=path.stat().st_mtime)
    return RunInfo(
        name=path.name,
        path=path,
        created=created,
        owner=str(info.get("owner") or ""),
        settings=dict(settings or {}),
        step=int(_number(meta.get("step"))) if (path / CHECKPOINT_FILE).is_file() else 0,
        total_steps=int(_number((train or {}).get("steps"), _number((settings or {}).get("steps")))),
        training=is_locked(path),
    )

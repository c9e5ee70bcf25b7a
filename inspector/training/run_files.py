"""The one writer of a run directory: metrics, sample grids and checkpoints, one trainer at a time.

A run directory holds ``metrics.jsonl`` (one JSON object per step), ``samples/step_NNNNNN.png``
``checkpoint.safetensors`` + ``checkpoint.json`` (written by ``training.checkpoint``) and, beside
them, ``generator.safetensors``: the generator-only export that colorizing needs (a sixth of the
size: no discriminator, no Adam moments), written with every checkpoint so that the two agree.
:meth:`RunFiles.open` prepares it for a trainer:

- it refuses run files that are symbolic links, FIFOs, devices or sockets (writing through a link
  would overwrite its target, opening a FIFO would hang): they are never followed;
- it locks the directory (``flock`` on ``.trainer.lock``, which names the holder's process id), so
  a second trainer is refused instead of interleaving the log; the kernel drops the lock of a
  process that dies, so a stale lock file is simply taken over;
- it removes the ``*.tmp`` files that an interrupted save left behind (only a lock holder can
  have been writing them; ``inspector.files.remove_leftover_temporaries``);
- on resume it repairs ``metrics.jsonl``: unreadable rows (bad UTF-8, not an object, NaN or
  infinity, cut-off JSON, steps out of order) and rows past the checkpoint's step are dropped,
  with a warning, so that the log and the weights agree. A new run starts an empty log.

Every file is replaced atomically through ``inspector.files`` (a temporary file, fsync, rename)
or, for ``metrics.jsonl``, appended to. The log's durability: each batch of rows is flushed (a
reader sees whole lines), and the log is fsync-ed before each checkpoint is written, so after a
crash it holds at least every row up to the last checkpoint's step; the rows after it, and a line
cut off by the crash, are what the repair on resume drops anyway.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import torch
from torch import nn

from inspector.errors import UserError
from inspector.files import open_append, remove_leftover_temporaries, sync, write_file, write_text
from inspector.training.checkpoint import (
    CHECKPOINT_FILE,
    EXPORT_FILE,
    META_FILE,
    save_checkpoint,
    save_generator_export,
)
from models.text import Text

METRICS_FILE = "metrics.jsonl"
SAMPLES_DIR = "samples"
LOCK_FILE = ".trainer.lock"
RUN_FILES = (METRICS_FILE, CHECKPOINT_FILE, EXPORT_FILE, META_FILE, LOCK_FILE)  # regular files when present
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SHOWN = 3  # bad metrics lines named in a warning before "and N more"


def _kind(mode: int) -> Text | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return Text("a symbolic link")
    if stat.S_ISFIFO(mode):
        return Text("a FIFO (named pipe)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Text("a device")
    if stat.S_ISSOCK(mode):
        return Text("a socket")
    if stat.S_ISDIR(mode):
        return Text("a folder")
    return Text("not a regular file")


def check_run_dir(run_dir: Path) -> None:
    """Refuse ``run_dir`` when it is not a folder, or when one of its run files (or ``samples``) is
    a link, FIFO, device or socket. A missing folder or file is fine: the run creates it."""
    try:
        info = os.stat(run_dir)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(
            Text("{run_dir} is not a folder: a run directory holds several files", run_dir=str(run_dir))
        )
    for name in RUN_FILES:
        try:
            mode = os.lstat(run_dir / name).st_mode
        except FileNotFoundError:
            continue
        kind = _kind(mode)
        if kind is not None:
            raise UserError(
                Text(
                    "{path} is {kind}, not a regular file; the trainer never writes through links or "
                    "into special files: remove it or choose another run directory",
                    path=str(run_dir / name),
                    kind=kind,
                )
            )
    samples = run_dir / SAMPLES_DIR
    if samples.is_symlink() or (samples.exists() and not samples.is_dir()):
        raise UserError(
            Text(
                "{samples} must be a plain folder (not a link or a file): remove it or choose another run directory",
                samples=str(samples),
            )
        )


def remove_run_leftovers(run_dir: Path) -> list[Path]:
    """Remove the ``*.tmp`` files that killed saves left in ``run_dir`` and its ``samples``; returns
    them. Only where no trainer holds the run (its lock): a trainer's own saves are in flight."""
    return [p for folder in (run_dir, run_dir / SAMPLES_DIR) for p in remove_leftover_temporaries(folder)]


class RunFiles:
    """The files of one run directory while one trainer writes it. Use :meth:`open` (or ``with
    RunFiles.open(...)``) and :meth:`close`; ``warnings`` says what opening repaired."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.warnings: list[str] = []
        self._lock_fd: int | None = None
        self._metrics: IO[str] | None = None

    # ------------------------------------------------------------------------------ opening
    @classmethod
    def open(cls, run_dir: str | Path, resume_step: int | None = None) -> RunFiles:
        """Check and lock ``run_dir``, remove stale temporary files and ready ``metrics.jsonl``:
        repaired up to ``resume_step`` when resuming, emptied for a new run (``None``)."""
        files = cls(Path(run_dir))
        check_run_dir(files.run_dir)
        try:
            files.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                Text(
                    "cannot create the run directory {run_dir}: {error}",
                    run_dir=str(run_dir),
                    error=str(exc.strerror),
                )
            ) from None
        files._acquire_lock()
        try:
            check_run_dir(files.run_dir)  # again under the lock: nothing can have changed since
            # Only a lock holder writes temporary files, and we hold the lock: any left are from a
            # save that was killed (kill -9, power loss) and can be up to the checkpoint's size.
            remove_run_leftovers(files.run_dir)
            files._open_metrics(resume_step)
        except BaseException:
            files.close()
            raise
        return files

    def __enter__(self) -> RunFiles:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _acquire_lock(self) -> None:
        path = self.run_dir / LOCK_FILE
        for _ in range(3):  # a holder may unlink the file between our open and our flock: retry
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:  # ELOOP: a symbolic link appeared after the check
                raise UserError(
                    Text("cannot lock {path}: {error}", path=str(path), error=str(exc.strerror))
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise UserError(
                    Text(
                        "{run_dir} is being written by another trainer (process {holder}); wait for it to end "
                        "or stop it, or choose another run directory",
                        run_dir=str(self.run_dir),
                        holder=holder,
                    )
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.lstat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._lock_fd = fd
            return
        raise UserError(Text("cannot lock {path}: another trainer keeps replacing it", path=str(path)))

    def _open_metrics(self, resume_step: int | None) -> None:
        path = self.run_dir / METRICS_FILE
        if resume_step is None:  # a new run: a log left by an earlier attempt starts afresh
            write_text(path, "")
        else:
            kept, warning = repair_metrics(path, resume_step)
            if warning is not None:
                self.warnings.append(warning)
                write_text(path, "".join(f"{line}\n" for line in kept))
        self._metrics = open_append(path)

    # ------------------------------------------------------------------------------ writing
    def write_metrics(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append one JSON line per row, then flush (a reader sees whole lines; the log is made
        durable before each checkpoint, see the module's docstring)."""
        if self._metrics is None:
            raise RuntimeError("the run files are closed")
        for row in rows:
            self._metrics.write(json.dumps(dict(row)) + "\n")
        self._metrics.flush()

    def save_sample(self, step: int, grid: np.ndarray) -> Path:
        """Write a (H, W, 3) uint8 grid as ``samples/step_NNNNNN.png``; returns its path."""
        from PIL import Image

        path = self.run_dir / SAMPLES_DIR / f"step_{step:06d}.png"
        path.parent.mkdir(exist_ok=True)
        return write_file(path, lambda f: Image.fromarray(grid).save(f, format="PNG"))

    def save_checkpoint(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        step: int,
        optimizers: Mapping[str, torch.optim.Optimizer],
        rng: Mapping[str, torch.Tensor],
        metrics: Mapping[str, Any],
        train_config: Mapping[str, Any],
    ) -> Path:
        """The checkpoint of ``step`` (``training.checkpoint.save_checkpoint``), then the generator-only
        export of the same weights (``generator.safetensors``); returns the checkpoint's path.
        The metrics log is made durable first: it then holds every row up to this step."""
        if self._metrics is not None:
            sync(self._metrics)
        path = save_checkpoint(
            self.run_dir,
            generator,
            discriminator,
            step,
            optimizers=optimizers,
            rng=rng,
            metrics=metrics,
            train_config=train_config,
        )
        # Written second: a kill between the two leaves the full checkpoint (the one resuming needs)
        # newer than the export, never the other way round.
        save_generator_export(self.run_dir / EXPORT_FILE, generator, step=step, metrics=metrics)
        return path

    def close(self) -> None:
        """Close the log and release the lock (removing its file). Safe to call twice."""
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        if self._lock_fd is not None:
            path = self.run_dir / LOCK_FILE
            try:
                if os.lstat(path).st_ino == os.fstat(self._lock_fd).st_ino:
                    path.unlink()  # while still locked, so no one can lock this file in between
            except FileNotFoundError:
                pass
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


# ---------------------------------------------------------------------------------- metrics


def repair_metrics(path: Path, keep_through: int) -> tuple[list[str], str | None]:
    """The readable lines of ``path`` for steps 1..``keep_through``, in order, and a warning when
    anything was dropped (None when the file is already consistent or absent)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        raise UserError(
            Text("cannot read {path}: {error}", path=str(path), error=str(exc.strerror))
        ) from None
    with os.fdopen(fd, "rb") as f:
        kind = _kind(os.fstat(f.fileno()).st_mode)
        if kind is not None:
            raise UserError(
                Text(
                    "{path} is {kind}, not a regular file: remove it or choose another run directory",
                    path=str(path),
                    kind=kind,
                )
            )
        data = f.read()
    kept: list[str] = []
    bad: list[str] = []
    past = 0
    last = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        row, reason = _parse_row(raw)
        if row is None:
            bad.append(f"line {number}: {reason}")
        elif row["step"] <= last:
            bad.append(f"line {number}: step {row['step']} after step {last}")
        elif row["step"] > keep_through:
            past += 1
        else:
            last = row["step"]
            kept.append(raw.decode("utf-8").strip())
    if not bad and not past:
        return kept, None
    parts = []
    if bad:
        more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        parts.append(f"dropped {len(bad)} unreadable row(s) ({'; '.join(bad[:_SHOWN])}{more})")
    if past:
        parts.append(f"dropped {past} row(s) past the checkpoint's step {keep_through}")
    return kept, f"{path.name}: {' and '.join(parts)}, so that the log and the weights agree"


def _parse_row(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """A metrics row, or None and why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    try:
        row = json.loads(text, parse_constant=_refuse_constant)
    except _NonFinite:
        return None, "NaN or infinity"
    except ValueError:  # JSONDecodeError
        return None, "not complete JSON (cut off?)"
    if not isinstance(row, dict):
        return None, f"a JSON {type(row).__name__}, not an object"
    step = row.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        return None, "no step number"
    if any(isinstance(v, float) and not math.isfinite(v) for v in row.values()):
        return None, "NaN or infinity"  # 1e999 parses as inf
    return row, ""


class _NonFinite(Exception):
    """json's NaN, Infinity or -Infinity in a metrics row."""


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)

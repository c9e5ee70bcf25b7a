"""A queued run's state, in its folder: ``status.json``, and the two requests others leave there.

A run of the queue moves through::

    queued -> starting -> running (-> stopping) -> finished | stopped | failed
       \\-> stopped (a Stop, or its tab closed, before it started)

``status.json`` says where it is, who asked for it (the session's token and the label others
see), when, on which backend and process, and why it ended (a ``Text``, kept translatable with
``models.text.to_data``). Every change of it is made under the runs folder's queue lock
(:func:`queue_lock`) by :func:`update_status`, so that the scheduler, the worker and the pages
never undo each other's change; readers need no lock (the file is replaced atomically).

Two requests are files that anyone may write without the lock: ``.stop`` (stop after the current
step, or do not start) and ``.heartbeat`` (touched every few seconds by the page of the session
that owns the run: a run whose page has gone quiet was left by a closed tab).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from models.text import Text, from_data, to_data

State = Literal["queued", "starting", "running", "stopping", "finished", "stopped", "failed"]
STATES: tuple[State, ...] = ("queued", "starting", "running", "stopping", "finished", "stopped", "failed")
ACTIVE: tuple[State, ...] = ("queued", "starting", "running", "stopping")  # not yet ended
STARTED: tuple[State, ...] = ("starting", "running", "stopping")  # a worker was launched

STATUS_FILE = "status.json"
STOP_FILE = ".stop"
HEARTBEAT_FILE = ".heartbeat"
QUEUE_LOCK = ".queue.lock"  # in the runs folder: one writer of any status at a time


def write_bytes_atomic(path: Path, data: bytes) -> None:  # MERGE: the atomic-write owner's
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:  # MERGE: the atomic-write owner's
    write_bytes_atomic(path, json.dumps(data, indent=1, default=str).encode())


@dataclass(frozen=True)
class RunStatus:
    """What ``status.json`` holds. ``reason`` is a ``Text`` (or plain str) for the reader."""

    state: State = "queued"
    owner: str = ""  # the token of the session that asked for the run (never shown)
    label: str = ""  # what other sessions see: a short digest of the token
    submitted: float = 0.0  # time.time() of each event
    started: float | None = None
    ended: float | None = None
    backend: str = "local"  # "local" (a process of this machine) or "ray"
    pid: int | None = None  # the worker's process (local backend)
    host: str = ""
    boot_id: str = ""  # the worker's machine's boot: a different one means the machine restarted
    device: str = "cpu"
    threads: int = 1  # CPU threads the run may use
    device_bytes: int = 0  # estimated accelerator memory (0 on a CPU)
    steps: int = 0  # the step it is asked to reach, and the one it started from
    start_step: int = 0
    size: int = 0  # image side and batch: what its speed, and so its waiting time, depend on
    batch: int = 0
    attempts: int = 0  # how many times a worker was launched for it
    not_before: float = 0.0  # a queued run waits until then (it found too little GPU memory)
    outcome: str | None = None  # the trainer's end: completed, stopped, diverged, out_of_memory
    reason: object = None  # why it stopped or failed, or a note (resumed after a restart)
    notes: tuple[object, ...] = ()  # what the worker said on the way: the files it skipped and why

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reason"] = to_data(self.reason)
        data["notes"] = [to_data(n) for n in self.notes]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunStatus:
        """Read leniently: unknown keys are dropped, wrong types fall back to the defaults, so that a
        damaged file still lists (as failed, when its state is unreadable)."""
        default = cls()
        kept: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, wanted = data[f.name], getattr(default, f.name)
            if f.name == "reason":
                kept["reason"] = from_data(value)
            elif f.name == "notes":
                kept["notes"] = tuple(from_data(v) for v in value) if isinstance(value, list) else ()
            elif f.name in ("started", "ended", "pid", "outcome"):
                kept[f.name] = (
                    value if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
                )
            elif isinstance(wanted, bool) or not isinstance(value, type(wanted)):
                if isinstance(wanted, float) and isinstance(value, int) and not isinstance(value, bool):
                    kept[f.name] = float(value)
            else:
                kept[f.name] = value
        if kept.get("state", "queued") not in STATES:
            kept["state"] = "failed"
            kept["reason"] = Text("its status file names an unknown state")
        return cls(**kept)


def read_status(run_dir: Path) -> RunStatus | None:
    """The run's status, or None when it has none (a run of the CLI, or of an older version)."""
    try:
        with open(run_dir / STATUS_FILE, "rb") as f:
            data = json.loads(f.read(1 << 20))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return RunStatus(state="failed", reason=Text("its status file cannot be read"))
    if not isinstance(data, dict):
        return RunStatus(state="failed", reason=Text("its status file cannot be read"))
    return RunStatus.from_json(data)


def write_status(run_dir: Path, status: RunStatus) -> None:
    """Replace ``status.json`` (atomically). Callers hold the queue lock: use :func:`update_status`."""
    write_json_atomic(run_dir / STATUS_FILE, status.to_json())


@contextlib.contextmanager
def queue_lock(root: Path) -> Iterator[None]:
    """The runs folder's lock for status changes (``flock``: released if the holder dies)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(
        root / QUEUE_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644
    )
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update_status(
    run_dir: Path, change: Callable[[RunStatus], RunStatus | None], root: Path | None = None
) -> RunStatus | None:
    """Read, change and write the status under the queue lock; ``change`` returns the new status, or
    None to leave it as it is. Returns the status as it is afterwards (None: the run has none)."""
    with queue_lock(root or run_dir.parent):
        current = read_status(run_dir)
        if current is None:
            return None
        new = change(current)
        if new is None or new == current:
            return current
        write_status(run_dir, new)
        return new


def ended(status: RunStatus, state: State, reason: object = None, outcome: str | None = None) -> RunStatus:
    """``status`` moved to a final state now."""
    return replace(status, state=state, ended=time.time(), reason=reason, outcome=outcome)


# ----------------------------------------------------------------------------- the two requests


def request_stop(run_dir: Path, reason: Text) -> None:
    """Ask the run to stop after its current step (or not to start): leaves ``.stop``, with the reason."""
    write_json_atomic(run_dir / STOP_FILE, {"reason": to_data(reason), "at": time.time()})


def stop_requested(run_dir: Path) -> object:
    """The reason of a stop request (a ``Text``), or None when nobody asked."""
    try:
        with open(run_dir / STOP_FILE, "rb") as f:
            data = json.loads(f.read(1 << 16))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Text("stopped by its session")
    return from_data(data.get("reason")) if isinstance(data, dict) else Text("stopped by its session")


def clear_stop(run_dir: Path) -> None:
    (run_dir / STOP_FILE).unlink(missing_ok=True)


def heartbeat(run_dir: Path) -> None:
    """The owner's page is open: touch ``.heartbeat`` (made on the first beat)."""
    path = run_dir / HEARTBEAT_FILE
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def last_heartbeat(run_dir: Path) -> float | None:
    """When the owner's page last said it is open (time.time()), or None if it never did."""
    try:
        return os.stat(run_dir / HEARTBEAT_FILE).st_mtime
    except OSError:
        return None

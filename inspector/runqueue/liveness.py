"""Who is alive: a run's worker, the app processes, the machine's boot.

- A worker holds ``.worker.lock`` in its run folder for its whole life (``flock``: the kernel
  drops it when the process dies, however it dies) and touches the file every
  :data:`BEAT_S` seconds, so that a worker on another machine (Ray, a shared folder where
  ``flock`` may not reach) is seen alive by its fresh mtime.
- Every app process touches its own file under ``RUNS/.apps/`` while it runs; a worker stops a
  run whose page went quiet only while some app is up and has been for a while (after a server
  restart the students' tabs need a few seconds to come back).
- The boot id tells a worker that died with its machine (resume it) from one that died alone
  (out of memory, killed: the run failed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path

WORKER_LOCK = ".worker.lock"
APPS_DIR = ".apps"
BEAT_S = 2.0  # how often a worker and an app touch their files
STALE_S = 30.0  # a worker whose file is older than this (and whose lock is free) is gone
APP_STALE_S = 6.0  # an app file older than this belongs to an app that is gone
# After a server (re)starts, the browsers reconnect on their own, with a back-off that reached
# 15-20 s in tests: until an app has been up this long, a quiet page is not taken for a closed tab.
RECONNECT_GRACE_S = 45.0
GRACE_ENV = "PIX2PIX_RECONNECT_GRACE_S"  # another grace, in seconds (a slow network; the tests)


def boot_id() -> str:
    """This machine's boot (Linux); "" where there is none to read."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def host() -> str:
    return socket.gethostname()


def pid_alive(pid: int | None) -> bool:
    """True while process ``pid`` runs on this machine (a zombie, ended but not yet reaped, does not)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: the state letter follows the command name in parentheses
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class WorkerLock:
    """Held by a worker from its start to its end: ``with WorkerLock(run_dir) as held: ...``;
    ``held`` is False when another live worker has the run."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / WORKER_LOCK
        self._fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": host()}).encode())
        self._fd = fd
        self._thread = threading.Thread(target=self._beat, daemon=True, name="pix2pix-worker-beat")
        self._thread.start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_S):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def worker_alive(run_dir: Path, here: bool = True, stale_s: float = STALE_S) -> bool:
    """True while a worker holds the run's lock. For a worker on another machine (``here`` False:
    Ray, a shared folder where ``flock`` may not reach across machines) a file touched within
    ``stale_s`` seconds counts too."""
    path = run_dir / WORKER_LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return not here and time.time() - os.fstat(fd).st_mtime < stale_s
    finally:
        os.close(fd)


class AppBeacon:
    """This app process's file under ``RUNS/.apps``, touched every :data:`BEAT_S` s while it runs."""

    def __init__(self, root: Path) -> None:
        self.folder = root / APPS_DIR
        self.path = self.folder / f"{host()}-{os.getpid()}.json"
        self.started = time.time()

    def beat(self) -> None:
        try:
            os.utime(self.path)
        except FileNotFoundError:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"started": self.started, "pid": os.getpid()}))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def tabs_had_time(root: Path, quiet_s: float, now: float) -> bool:
    """True when an app has been up long enough (``quiet_s`` and the reconnect grace) that a page
    quiet for ``quiet_s`` seconds was closed, rather than still reconnecting after a restart."""
    up = apps_up_since(root, now)
    return up is not None and now - up >= max(quiet_s, reconnect_grace_s())


def reconnect_grace_s() -> float:
    """:data:`RECONNECT_GRACE_S`, or ``$PIX2PIX_RECONNECT_GRACE_S`` when it is a number."""
    try:
        return float(os.environ.get(GRACE_ENV, RECONNECT_GRACE_S))
    except ValueError:
        return RECONNECT_GRACE_S


def apps_up_since(root: Path, now: float | None = None) -> float | None:
    """Since when some app process has been up without a break (the oldest start among the apps
    alive now), or None when no app is alive."""
    now = time.time() if now is None else now
    folder = root / APPS_DIR
    oldest: float | None = None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > APP_STALE_S:
                continue
            with open(entry.path, "rb") as f:
                started = json.loads(f.read(4096)).get("started")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(started, (int, float)):
            oldest = started if oldest is None else min(oldest, started)
    return oldest

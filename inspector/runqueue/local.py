"""The local backend: each run is a worker process of this machine.

A worker is started in a session of its own (``start_new_session``): a Ctrl-C or SIGTERM of the
web server does not reach it, and it goes on writing its run folder while the server restarts.
Its output goes to ``worker.log`` in the run folder. The budget is this machine's: CPU threads,
or on CUDA the GPU's memory (read once, in a short child process, so that the web server never
holds a CUDA context of its own).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from inspector.runqueue.budget import Budget, ClassLimits, device_budget
from inspector.runqueue.liveness import boot_id, host, pid_alive, worker_alive
from inspector.runqueue.status import RunStatus
from models.text import Text, join

LOG_FILE = "worker.log"
LOG_LINES = 3  # lines of the worker's log quoted when it died without a word


def log_tail(run_dir: Path, lines: int = LOG_LINES, max_bytes: int = 4096) -> str:
    """The last ``lines`` lines of the run's ``worker.log`` ("" when it has none)."""
    try:
        with open(run_dir / LOG_FILE, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - max_bytes))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in tail.strip().splitlines()[-lines:])


class LocalBackend:
    """Worker processes on this machine, within its CPU threads or GPU memory."""

    name = "local"
    thread_safe = True

    def __init__(self, limits: ClassLimits, device: str | None = None) -> None:
        self.limits = limits
        self._device = device
        self._children: dict[Path, subprocess.Popen[bytes]] = {}
        self._exits: dict[Path, tuple[int, int]] = {}  # run -> (pid, exit code) of workers that ended

    @cached_property
    def device(self) -> str:
        if self._device is not None:
            return self._device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @cached_property
    def gpu_bytes(self) -> int:
        """The first GPU's memory, asked of a child process (0 without CUDA)."""
        if self.device != "cuda":
            return 0
        code = "import torch; print(torch.cuda.get_device_properties(0).total_memory)"
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
            return int(out.stdout.strip() or 0)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return 0

    def budget(self) -> Budget:
        return device_budget(self.limits, self.device, gpu_bytes=self.gpu_bytes)

    def launch(self, run_dir: Path, status: RunStatus, budget: Budget) -> RunStatus:
        """Start the worker of ``run_dir``; the status it returns is the run's ``starting`` one."""
        env = dict(os.environ)
        threads = str(budget.threads_per_run)
        env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, PYTHONUNBUFFERED="1")
        with open(run_dir / LOG_FILE, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "inspector.runqueue.worker", str(run_dir), "--threads", threads],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # the server's Ctrl-C / SIGTERM does not reach it
                close_fds=True,
            )
        self._children[run_dir] = proc
        return replace(
            status,
            state="starting",
            backend=self.name,
            pid=proc.pid,
            host=host(),
            boot_id=boot_id(),
            threads=budget.threads_per_run,
            device=budget.device,
            attempts=status.attempts + 1,
            reason=None,
        )

    def reap(self) -> None:
        """Collect the exit codes of the workers that ended (no zombies are left behind)."""
        for run_dir, proc in list(self._children.items()):
            if proc.poll() is not None:
                self._exits[run_dir] = (proc.pid, proc.returncode)
                del self._children[run_dir]

    def alive(self, run_dir: Path, status: RunStatus) -> bool:
        self.reap()
        if run_dir in self._children and self._children[run_dir].pid == status.pid:
            return True
        if self._exits.get(run_dir, (None,))[0] == status.pid:
            return False
        if status.host and status.host != host():
            return worker_alive(run_dir, here=False)
        return pid_alive(status.pid) or worker_alive(run_dir)

    def machine_restarted(self, status: RunStatus) -> bool:
        """True when the run's worker ran on this machine before its last restart."""
        return bool(status.boot_id) and status.host == host() and status.boot_id != boot_id()

    def death(self, run_dir: Path, status: RunStatus) -> Text:
        """Why the worker is gone, in words (its exit when this process started it, and its log)."""
        pid, code = self._exits.pop(run_dir, (None, None))
        code = code if pid == status.pid else None
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            said = (
                Text(
                    "its worker was killed by {signal} (the machine may have run out of memory)", signal=name
                )
                if -code == signal.SIGKILL
                else Text("its worker was killed by {signal}", signal=name)
            )
        elif code is not None:
            said = Text("its worker exited with code {code} before saying how the run ended", code=code)
        else:
            said = Text("its worker stopped before saying how the run ended")
        tail = log_tail(run_dir)
        return join([said, Text("the end of its log: {log}", log=tail) if tail else ""], "; ")

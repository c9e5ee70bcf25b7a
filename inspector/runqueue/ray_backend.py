"""The Ray backend: each run is a detached Ray actor, so that a class can train on a cluster.

The queue stays the runs folder's (on storage every node mounts at the same path): the scheduler
hands each queued run to Ray as an actor asking for the run's CPU threads and, on GPUs, the
share of a GPU its memory estimate needs (``num_gpus=0.25`` for a run that needs a quarter), and
Ray starts it where those resources are free, or keeps it pending until they are. The actor runs
the same worker as the local backend (``worker.run_worker``) and exits when the run ends.

Actors are *detached* and named after their run: they outlive the app process that asked for
them (a restart of the web server loses no run), and any app process finds them by name. A run
whose actor is gone without a word (its node failed, it was killed) is failed by the scheduler.

``pix2pix-inspector app --ray ADDRESS`` (or ``PIX2PIX_RAY``) picks it: ``auto`` joins the cluster
of this machine (``ray start --head``), ``ray://host:10001`` a remote one, ``local`` starts a Ray
instance inside the app (what the tests do, with ``num_cpus=2``). Ray is an optional extra:
``pip install 'pix2pix-inspector[cluster]'`` on the app's machine and on every node.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.runqueue.budget import Budget, ClassLimits, gpu_fraction
from inspector.runqueue.local import LOG_FILE, log_tail
from inspector.runqueue.status import RunStatus
from models.text import Text, join

NAMESPACE = "pix2pix-inspector"
PENDING_SLOTS = 1000  # Ray queues actors it cannot place: hand it every queued run


def actor_name(run_dir: Path) -> str:
    """One name per run folder (its full path: two runs folders may hold the same run name)."""
    digest = hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:16]
    return f"run-{run_dir.name}-{digest}"


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(
            Text("training on Ray needs the cluster extra: pip install 'pix2pix-inspector[cluster]'")
        ) from None
    return ray


def train_in_actor(run_dir: str, threads: int) -> int:
    """The body of a run's actor: the worker, its output appended to the run's ``worker.log``."""
    from inspector.runqueue.worker import run_worker

    with (
        open(Path(run_dir) / LOG_FILE, "a", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        return run_worker(Path(run_dir), threads, nice=False)


class RayBackend:
    """Runs as detached Ray actors on the cluster at ``address`` (``init`` passes more to ``ray.init``)."""

    name = "ray"
    thread_safe = False  # Ray's driver keeps state in the thread that started it: the scheduler's

    def __init__(self, limits: ClassLimits, address: str | None = None, **init: Any) -> None:
        self.limits, self.address, self.init = limits, address, init
        self.ray = _import_ray()  # only the import here: ray.init happens in the scheduler's thread

    @cached_property
    def _actor_class(self) -> Any:
        """Ray, started (or joined) on first use, and the runs' actor class."""
        if not self.ray.is_initialized():
            kwargs: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False, **self.init}
            if self.address not in (None, "", "local"):
                kwargs["address"] = self.address
            self.ray.init(**kwargs)
        return self.ray.remote(max_restarts=0, max_task_retries=0)(_RunActor)

    @cached_property
    def device(self) -> str:
        self._actor_class  # noqa: B018 (Ray started)
        return "cuda" if self.ray.cluster_resources().get("GPU", 0) > 0 else "cpu"

    @cached_property
    def gpu_bytes(self) -> int:
        """One GPU's memory, asked of a tiny task on a GPU node (0 without GPUs)."""
        if self.device != "cuda":
            return 0

        def total() -> int:
            import torch

            return int(torch.cuda.get_device_properties(0).total_memory)

        return int(self.ray.get(self.ray.remote(num_gpus=0.01)(total).remote(), timeout=300))

    def budget(self) -> Budget:
        slots = self.limits.max_runs or PENDING_SLOTS
        return Budget(self.device, slots, self.limits.threads_per_run, 0)  # Ray places them

    def launch(self, run_dir: Path, status: RunStatus, budget: Budget) -> RunStatus:
        options: dict[str, Any] = {
            "name": actor_name(run_dir),
            "namespace": NAMESPACE,
            "lifetime": "detached",  # outlives the app process that asked for it
            "num_cpus": budget.threads_per_run,
        }
        if budget.device == "cuda":
            options["num_gpus"] = gpu_fraction(status.device_bytes, self.gpu_bytes)
        actor = self._actor_class.options(**options).remote()
        actor.train.remote(str(run_dir), budget.threads_per_run)
        return replace(
            status,
            state="starting",
            backend=self.name,
            pid=None,
            host="",
            threads=budget.threads_per_run,
            device=budget.device,
            attempts=status.attempts + 1,
            reason=None,
        )

    def alive(self, run_dir: Path, status: RunStatus) -> bool:
        self._actor_class  # noqa: B018 (Ray started)
        try:
            self.ray.get_actor(actor_name(run_dir), namespace=NAMESPACE)
        except ValueError:  # no actor of that name: it ended or died
            return False
        return True

    def machine_restarted(self, status: RunStatus) -> bool:
        return False  # a node that failed took the actor with it: the run failed

    def death(self, run_dir: Path, status: RunStatus) -> Text:
        said = Text("its Ray actor is gone before saying how the run ended (its node may have failed)")
        tail = log_tail(run_dir)
        return join([said, Text("the end of its log: {log}", log=tail) if tail else ""], "; ")


class _RunActor:
    """One run's Ray actor (made remote by :class:`RayBackend`): trains, then exits."""

    def train(self, run_dir: str, threads: int) -> int:
        code = train_in_actor(run_dir, threads)
        import ray

        ray.actor.exit_actor()  # frees the name and the resources at once
        return code

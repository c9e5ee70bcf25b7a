"""One training run at a time per server, in a background thread, watched by polling.

The app's page must not block while the trainer works, and several browser sessions share one
server process (and one GPU). :data:`RUNNER` is that process's only trainer slot: a session
``start``s a run under its own owner id (and a short label that others see, with the time it
started), everyone else is told who holds the slot, and every page of the owner polls
:meth:`TrainingRunner.snapshot` to draw a progress line. The run keeps the settings it was started
with (``settings``, frozen at Start): browsing other pages or changing the sidebar does not touch
it. Stopping is cooperative (the trainer checks ``should_stop`` between steps and saves a
checkpoint); a run whose session stops sending ``heartbeat``s for ``heartbeat_timeout_s`` (8 s;
every open page of the owner sends one every 2 s) is stopped too: its tab was closed. When the
server process exits, the run is stopped and its checkpoint saved (:func:`stop_at_exit`).

Nothing here imports streamlit; the page renders what ``snapshot`` returns.
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from inspector.errors import UserError
from inspector.training.plan import RunChoices, plan_run
from inspector.training.reports import Sample, StepMetrics, TrainResult
from inspector.training.trainer import Trainer
from models.text import Text, message_of

State = Literal["idle", "preparing", "running", "stopping", "finished"]
HEARTBEAT_TIMEOUT_S = 8.0  # a closed tab's run stops this long after its last heartbeat (+ one step)
EXIT_WAIT_S = 30.0  # at server exit, how long the run may take to finish its step and save


@dataclass(frozen=True)
class RunSnapshot:
    """A consistent copy of the slot's state for one poll."""

    state: State = "idle"
    owner: str | None = None
    run_id: int = 0
    total_steps: int = 0
    start_step: int = 0
    metrics: tuple[dict, ...] = ()  # StepMetrics.to_dict() per step
    sample: Sample | None = None  # the latest grid
    result: TrainResult | None = None
    error: str | None = None  # a failure before or outside training (bad data, bad settings)
    run_dir: Path | None = None
    notes: tuple[str, ...] = ()  # e.g. skipped files
    label: str = ""  # the owner's short session label, shown to the others
    started_at: float = 0.0  # time.time() at Start
    settings: dict[str, Any] | None = None  # what the run was started with (frozen at Start)

    @property
    def run_name(self) -> str:
        return self.run_dir.name if self.run_dir is not None else ""

    @property
    def active(self) -> bool:
        return self.state in ("preparing", "running", "stopping")

    @property
    def step(self) -> int:
        return int(self.metrics[-1]["step"]) if self.metrics else self.start_step


class TrainingRunner:
    """The process's single training slot. Thread-safe; every method returns promptly unless asked to wait."""

    def __init__(self, heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S) -> None:
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self._lock = threading.Lock()
        self._snap = RunSnapshot()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_seen = time.monotonic()

    # ------------------------------------------------------------------ for the page
    def snapshot(self) -> RunSnapshot:
        with self._lock:
            return self._snap

    def busy_for(self, owner: str) -> bool:
        """True when someone else's run holds the slot."""
        snap = self.snapshot()
        return snap.active and snap.owner != owner

    def heartbeat(self, owner: str) -> None:
        with self._lock:
            if self._snap.owner == owner:
                self._last_seen = time.monotonic()

    def start(
        self,
        owner: str,
        prepare: Callable[[Callable[[], bool]], tuple[Trainer, list[str]]],
        run_dir: Path | None = None,
        label: str = "",
        settings: dict[str, Any] | None = None,
    ) -> bool:
        """Start a run for ``owner`` (shown to others as ``label``); False if another run holds the slot.

        ``prepare(should_stop)`` runs in the background thread (loading images can take a while)
        and returns the trainer and notes for the user (skipped files). ``settings`` are kept in the
        snapshot as the run's own, whatever the page's widgets say later.
        """
        with self._lock:
            if self._snap.active:
                return False
            self._stop.clear()
            self._last_seen = time.monotonic()
            self._snap = RunSnapshot(
                state="preparing",
                owner=owner,
                run_id=self._snap.run_id + 1,
                run_dir=run_dir,
                label=label,
                started_at=time.time(),
                settings=dict(settings or {}),
            )
            run_id = self._snap.run_id
            self._thread = threading.Thread(
                target=self._work, args=(run_id, prepare), daemon=True, name=f"pix2pix-train-{run_id}"
            )
            self._thread.start()
        return True

    def stop(self, owner: str | None = None, wait: bool = True, timeout_s: float = 60.0) -> RunSnapshot:
        """Ask the run to stop after its current step (and save); ``owner`` None stops anyone's."""
        with self._lock:
            snap, thread = self._snap, self._thread
            if not snap.active or (owner is not None and snap.owner != owner):
                return snap
            self._stop.set()
            if snap.state != "preparing":
                self._snap = replace(snap, state="stopping")
        if wait and thread is not None:
            thread.join(timeout_s)
        return self.snapshot()

    def wait(self, timeout_s: float = 60.0) -> RunSnapshot:
        """Block until the current run ends (tests, scripts)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return self.snapshot()

    # ------------------------------------------------------------------ the thread
    def _should_stop(self) -> bool:
        with self._lock:
            abandoned = time.monotonic() - self._last_seen > self.heartbeat_timeout_s
        return self._stop.is_set() or abandoned

    def _update(self, run_id: int, **changes: Any) -> None:
        with self._lock:
            if self._snap.run_id == run_id:
                self._snap = replace(self._snap, **changes)

    def _work(self, run_id: int, prepare: Callable[[Callable[[], bool]], tuple[Trainer, list[str]]]) -> None:
        try:
            trainer, notes = prepare(self._should_stop)
            trainer.should_stop = self._should_stop
            state: State = "stopping" if self._stop.is_set() else "running"
            self._update(
                run_id,
                state=state,
                total_steps=trainer.config.steps,
                start_step=trainer.step,
                notes=tuple(notes),
            )

            def on_step(m: StepMetrics) -> None:
                with self._lock:
                    if self._snap.run_id == run_id:
                        self._snap = replace(self._snap, metrics=(*self._snap.metrics, m.to_dict()))

            trainer.add_callback("on_step_end", on_step)
            trainer.add_callback("on_sample", lambda s: self._update(run_id, sample=s))
            result = trainer.fit()
            self._update(run_id, state="finished", result=result)
        except UserError as exc:
            self._update(
                run_id, state="finished", error=message_of(exc)
            )  # a Text: the page says it in its language
        except Exception as exc:  # shown to the user; the server keeps running
            traceback.print_exc()
            self._update(
                run_id,
                state="finished",
                error=Text(
                    "training failed: {kind}: {error}", kind=type(exc).__name__, error=message_of(exc)
                ),
            )


_RUNNER: TrainingRunner | None = None
_RUNNER_LOCK = threading.Lock()


def get_runner() -> TrainingRunner:
    """The process-wide training slot (created on first use)."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = TrainingRunner()
            atexit.register(stop_at_exit, _RUNNER)
        return _RUNNER


def stop_at_exit(runner: TrainingRunner, timeout_s: float = EXIT_WAIT_S) -> None:
    """At server exit (Ctrl-C, SIGTERM): stop the run after its current step, with a checkpoint.
    The training thread is a daemon, so without this the process would end mid-step, unsaved."""
    runner.stop(wait=True, timeout_s=timeout_s)


def prepare_run(choices: RunChoices) -> Callable[[Callable[[], bool]], tuple[Trainer, list[str]]]:
    """The ``prepare`` for :meth:`TrainingRunner.start`: plan the run (``training.plan.plan_run``:
    models, settings, the sample photos or the uploaded images / zips, the train/val split) in the
    background thread, and build its trainer. The notes are the skipped files."""

    def prepare(should_stop: Callable[[], bool]) -> tuple[Trainer, list[str]]:
        plan = plan_run(choices)
        return Trainer.from_plan(plan, should_stop=should_stop), plan.notes()

    return prepare

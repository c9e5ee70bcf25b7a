"""The pix2pix trainer: one loop that the CLI, the app, torchrun and the benchmark all drive.

Each step is the paper's (Isola et al. 2017, eq. 4; ``training.gan_step``): a D update on real
and generated pairs with its loss halved, then a G update on ``GAN + lambda * L1`` through a
frozen D (L1 alone during ``l1_warmup_steps``); Adam 2e-4, betas (0.5, 0.999); N(0, 0.02) init.

The trainer knows nothing of who watches it (minGPT's pattern): ``add_callback("on_step_end",
fn)`` receives a :class:`StepMetrics` per step, ``"on_sample"`` a :class:`Sample` grid,
``"on_checkpoint"`` the checkpoint path, ``"on_warning"`` a sentence about a repaired run file,
``"on_end"`` the :class:`TrainResult`. ``should_stop()`` is polled before every step for a
cooperative stop (Ctrl-C, SIGTERM, the app's Stop button).

Its state is created in one place, ``training.state.build_state``, when ``fit`` starts; its files
are written by ``training.run_files.RunFiles`` (rank 0 alone under torchrun). The images stay
uint8 on the device; each step crops, flips and converts a batch to Lab there. Under torchrun
both networks are wrapped in DistributedDataParallel and each rank trains on its own share.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from inspector.data.image_set import ImageSet
from inspector.errors import UserError
from inspector.training import distributed
from inspector.training.checkpoint import Checkpoint
from inspector.training.config import TrainConfig
from inspector.training.device import autocast, free_on_exit, is_out_of_memory, memory_mb, pick_device
from inspector.training.gan_step import train_step
from inspector.training.plan import RunPlan, check_trainable
from inspector.training.reports import (
    EVENTS,
    LOSS_NAMES,
    Sample,
    Status,
    StepMetrics,
    TrainResult,
    sample_grid,
)
from inspector.training.run_files import RunFiles
from inspector.training.state import TrainState, build_state
from models import DiscriminatorConfig, GeneratorConfig
from models.text import Text


@dataclass
class Progress:
    """How far a run has come; lives from ``Trainer.__init__`` on, so it is there before and after ``fit``."""

    step: int  # the last step whose losses were reported (the resumed step before the first)
    checkpoint: Path | None = None  # the last checkpoint written, and its step
    checkpoint_step: int | None = None
    last_metrics: dict[str, Any] = field(default_factory=dict)
    last_sample_step: int | None = None
    t0: float = 0.0  # perf_counter at the loop's start, and at the last loss fetch (images/s)
    t_last: float = 0.0


class Trainer:
    """Train ``generator_config`` against ``discriminator_config`` on ``train`` images.

    ``run_dir`` (optional; rank 0 writes there): a path, opened with :meth:`RunFiles.open` when
    ``fit`` starts and closed when it ends, or a ``RunFiles`` that the caller opened (and closes).
    ``init`` (a new run) starts from a checkpoint's weights at step 0 (a network it lacks is
    initialized as usual); ``resume`` continues a loaded checkpoint at its step, with its weights, optimizer state and
    random generator states.
    """

    def __init__(
        self,
        generator_config: GeneratorConfig,
        discriminator_config: DiscriminatorConfig,
        config: TrainConfig,
        train: ImageSet,
        val: ImageSet | None = None,
        run_dir: str | Path | RunFiles | None = None,
        resume: Checkpoint | None = None,
        should_stop: Callable[[], bool] | None = None,
        device: torch.device | None = None,
        init: Checkpoint | None = None,
    ) -> None:
        check_trainable(generator_config, discriminator_config)
        if len(train.images) == 0:
            raise UserError(
                Text("no training images: every file was skipped (see the list of skipped files)")
            )
        size = generator_config.input_size
        if min(train.images.shape[-2:]) < size:
            raise UserError(
                Text(
                    "the images are {shape} pixels but the model needs {size}x{size}; load them at size {size} or more",
                    shape=str(tuple(train.images.shape[-2:])),
                    size=size,
                )
            )
        self.g_cfg, self.d_cfg, self.config = generator_config, discriminator_config, config
        self.train_set, self.val_set = train, val if val is not None and len(val.images) else train
        self.run_files = run_dir if isinstance(run_dir, RunFiles) else None
        self.run_dir = (
            run_dir.run_dir if isinstance(run_dir, RunFiles) else None if run_dir is None else Path(run_dir)
        )
        self.resume, self.init = resume, init
        self.should_stop = should_stop or (lambda: False)
        self.device = device or pick_device(config.device)
        self.dist = distributed.current()
        self.callbacks: dict[str, list[Callable[[Any], None]]] = defaultdict(list)
        self.progress = Progress(step=resume.step if resume is not None else 0)
        self.state: TrainState | None = None  # built by fit()
        self._files: RunFiles | None = None  # the run files while fit() writes them

    @classmethod
    def from_plan(
        cls,
        plan: RunPlan,
        should_stop: Callable[[], bool] | None = None,
        run_files: RunFiles | None = None,
    ) -> Trainer:
        """The trainer of a planned run (``training.plan.plan_run``), writing to ``run_files`` if
        given, else to the plan's run directory."""
        return cls(
            plan.generator_config,
            plan.discriminator_config,
            plan.config,
            plan.train,
            plan.val,
            run_dir=run_files if run_files is not None else plan.run_dir,
            resume=plan.resume,
            should_stop=should_stop,
            device=plan.device,
            init=plan.init,
        )

    # ------------------------------------------------------------------------------ callbacks
    def add_callback(self, event: str, fn: Callable[[Any], None]) -> None:
        if event not in EVENTS:
            raise ValueError(f"event must be one of {', '.join(EVENTS)}; got {event!r}")
        self.callbacks[event].append(fn)

    def _trigger(self, event: str, payload: Any) -> None:
        for fn in self.callbacks.get(event, []):
            fn(payload)

    # ------------------------------------------------------------------------------ state
    @property
    def writes_files(self) -> bool:
        return self.run_dir is not None and self.dist.is_main

    @property
    def step(self) -> int:
        return self.progress.step

    @property
    def G(self) -> nn.Module:
        return self._require_state().G

    @property
    def D(self) -> nn.Module:
        return self._require_state().D

    @property
    def opt_G(self) -> torch.optim.Adam:
        return self._require_state().opt_G

    @property
    def opt_D(self) -> torch.optim.Adam:
        return self._require_state().opt_D

    def _require_state(self) -> TrainState:
        if self.state is None:
            raise RuntimeError("the models exist once fit() has started")
        return self.state

    # ------------------------------------------------------------------------------ one step
    def _train_step(self, step: int) -> torch.Tensor:
        """One D update and one G update; returns the detached stats (6,) on the device."""
        return train_step(self._require_state(), self.config, self.g_cfg.input_size, step)

    # ------------------------------------------------------------------------------ the loop
    def fit(self) -> TrainResult:
        """Train from the current step to ``config.steps``; returns how it ended. Never raises for
        NaN losses or (single-process) out-of-memory: the result says what happened."""
        with free_on_exit(self.device):
            try:
                result = self._fit()
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                message = Text(
                    "out of memory on {device} at batch {batch}, size {size}, "
                    "ngf {ngf}: try a smaller batch or image size (or a smaller ngf)",
                    device=str(self.device),
                    batch=self.config.batch,
                    size=self.g_cfg.input_size,
                    ngf=self.g_cfg.ngf,
                )
                if self.dist.distributed:  # the other ranks wait in a collective: end the job
                    raise UserError(message) from None
                result = self._result("out_of_memory", message)
        self._trigger("on_end", result)
        return result

    def _fit(self) -> TrainResult:
        start = self.progress.step
        if start >= self.config.steps:
            return self._result(
                "completed",
                Text(
                    "already at step {step} of {steps}: nothing to train", step=start, steps=self.config.steps
                ),
            )
        self.state = build_state(
            self.g_cfg,
            self.d_cfg,
            self.config,
            self.train_set.images,
            self.val_set.images,
            self.device,
            self.dist,
            self.resume,
            self.init,
        )
        opened = None
        if self.writes_files and self.run_files is None:
            assert self.run_dir is not None
            opened = RunFiles.open(self.run_dir, resume_step=start if self.resume is not None else None)
        self._files = (self.run_files or opened) if self.writes_files else None
        try:
            if self._files is not None:
                for warning in self._files.warnings:
                    self._trigger("on_warning", warning)
            return self._loop(start)
        finally:
            self._files = None
            if opened is not None:
                opened.close()

    def _loop(self, start: int) -> TrainResult:
        cfg, s, p = self.config, self._require_state(), self.progress
        self._sample(start)
        s.G_train.train()
        s.D_train.train()
        pending: list[tuple[int, torch.Tensor]] = []
        p.t0 = p.t_last = time.perf_counter()
        status: Status = "completed"
        for step in range(start + 1, cfg.steps + 1):
            if self._stop_requested(step):
                status = "stopped"
                break
            pending.append((step, self._train_step(step)))
            last = step == cfg.steps
            sample_now = cfg.sample_every and step % cfg.sample_every == 0
            ckpt_now = cfg.checkpoint_every and step % cfg.checkpoint_every == 0
            if last or sample_now or ckpt_now or len(pending) >= cfg.log_every:
                bad = self._flush(pending)
                pending = []
                if bad is not None:
                    return self._diverged(*bad)
            if sample_now and not last:
                self._sample(step)
            if ckpt_now and not last:
                self._save()
            if (sample_now or ckpt_now) and not last:
                p.t_last = time.perf_counter()  # images/s measures training, not writing files
        bad = self._flush(pending)
        if bad is not None:
            return self._diverged(*bad)
        if p.step > start or p.checkpoint is None:
            self._save()
        if p.step != p.last_sample_step:
            self._sample(p.step)
        in_sync = self._replicas_agree()
        said = (
            Text("training finished at step {step} of {steps}", step=p.step, steps=cfg.steps)
            if status == "completed"
            else Text("training stopped at step {step} of {steps}", step=p.step, steps=cfg.steps)
        )
        result = self._result(status, said)
        result.replicas_in_sync = in_sync
        return result

    def _stop_requested(self, step: int) -> bool:
        if not self.dist.distributed:
            return bool(self.should_stop())
        # Every rank must stop at the same step, or the others would wait in a collective forever;
        # agreeing costs a collective (and a GPU sync), so ranks only ask every log_every steps.
        if (step - 1) % self.config.log_every:
            return False
        flag = bool(self.should_stop())
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def _flush(self, pending: list[tuple[int, torch.Tensor]]) -> tuple[int, dict[str, float]] | None:
        """Fetch pending stats (one device sync), report each step; returns (step, losses) of the
        first non-finite step, if any."""
        if not pending:
            return None
        p = self.progress
        stats = torch.stack([s for _, s in pending])  # (n, 6)
        if self.dist.distributed:
            dist.all_reduce(stats, op=dist.ReduceOp.SUM)
            stats = stats / self.dist.world_size
        rows = stats.cpu().tolist()
        now = time.perf_counter()
        images = len(pending) * self.config.batch * self.dist.world_size
        rate = images / max(now - p.t_last, 1e-9)
        p.t_last = now
        mem = memory_mb(self.device)
        written: list[dict[str, Any]] = []
        try:
            for (step, _), row in zip(pending, rows):
                if not all(math.isfinite(v) for v in row):
                    return step, dict(zip(LOSS_NAMES, row))
                g_gan, g_l1, d_real, d_fake, p_real, p_fake = row  # LOSS_NAMES order
                m = StepMetrics(
                    step,
                    self.config.steps,
                    g_gan,
                    g_l1,
                    d_real,
                    d_fake,
                    p_real,
                    p_fake,
                    images_per_s=rate,
                    memory_mb=mem,
                    elapsed_s=now - p.t0,
                )
                p.step = step
                p.last_metrics = m.to_dict()
                written.append(p.last_metrics)
                self._trigger("on_step_end", m)
        finally:
            if self._files is not None and written:
                self._files.write_metrics(written)
        return None

    def _diverged(self, step: int, losses: dict[str, float]) -> TrainResult:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
        p = self.progress
        keep = (
            Text(
                "the last good checkpoint is step {step}: {path}",
                step=p.checkpoint_step,
                path=str(p.checkpoint),
            )
            if p.checkpoint is not None
            else Text("no checkpoint had been written yet")
        )
        return self._result(
            "diverged",
            Text(
                "a loss became NaN or inf at step {step} ({losses}); training stopped and {keep}. "
                "Try a smaller learning rate or lambda, or label smoothing.",
                step=step,
                losses=shown,
                keep=keep,
            ),
        )

    def _result(self, status: Status, message: str) -> TrainResult:
        p = self.progress
        return TrainResult(
            status,
            p.step,
            message,
            p.checkpoint,
            p.checkpoint_step,
            dict(p.last_metrics),
            self.dist.world_size,
        )

    # ------------------------------------------------------------------------------ outputs
    def _sample(self, step: int) -> None:
        if not self.dist.is_main:
            return
        s = self._require_state()
        self.progress.last_sample_step = step
        was_training = s.G.training
        s.G.eval()  # BatchNorm's running statistics and no dropout: the model as it will be used
        with torch.no_grad(), autocast(self.device):
            fake = s.G(s.val_L.contiguous(memory_format=s.memory_format))
        s.G.train(was_training)
        grid = sample_grid(s.val_L, fake, s.val_ab)
        path = self._files.save_sample(step, grid) if self._files is not None else None
        self._trigger("on_sample", Sample(step, grid, path))

    def _save(self) -> None:
        if self._files is None:
            return
        s, p = self._require_state(), self.progress
        p.checkpoint = self._files.save_checkpoint(
            s.G,
            s.D,
            p.step,
            optimizers={"G": s.opt_G, "D": s.opt_D},
            rng=s.rng_state(),
            metrics=p.last_metrics,
            train_config=self.config.to_dict(),
        )
        p.checkpoint_step = p.step
        self._trigger("on_checkpoint", p.checkpoint)

    def _replicas_agree(self) -> bool | None:
        """Under torchrun: do all ranks hold the same weights (DDP's promise)? One all_gather."""
        if not self.dist.distributed:
            return None
        s = self._require_state()
        with torch.no_grad():
            params = [p.double() for m in (s.G, s.D) for p in m.parameters()]
            sums = torch.stack([p.sum() for p in params]).sum()
            squares = torch.stack([(p * p).sum() for p in params]).sum()
            mine = torch.stack([sums, squares])
        everyone = [torch.zeros_like(mine) for _ in range(self.dist.world_size)]
        dist.all_gather(everyone, mine)
        return all(torch.equal(everyone[0], other) for other in everyone[1:])

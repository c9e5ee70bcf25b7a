"""The pix2pix trainer: one loop that the CLI, the app, torchrun and the benchmark all drive.

The objective is the paper's (Isola et al. 2017, eq. 4) with the reference code's details:

- D sees cat(L, ab) and predicts a patch map of logits; ``BCEWithLogitsLoss`` against 1 for real
  pairs (``1 - label_smoothing`` with one-sided smoothing) and 0 for generated ones; D's loss is
  halved "to slow down the rate at which D learns relative to G" (paper, section 3.3).
- G's loss is ``GAN + lambda_l1 * L1`` (lambda 100), with the GAN term computed through a frozen
  D. During ``l1_warmup_steps`` G learns from L1 alone (D still trains), a common trick to give
  G a sensible start before the adversarial signal.
- Adam, lr 2e-4, betas (0.5, 0.999) for both; weights initialized N(0, 0.02).

The trainer knows nothing of who watches it (minGPT's pattern): ``add_callback("on_step_end",
fn)`` receives a :class:`StepMetrics` per step, ``"on_sample"`` a :class:`Sample` grid,
``"on_checkpoint"`` the checkpoint path, ``"on_end"`` the :class:`TrainResult`. ``should_stop()``
is polled before every step for a cooperative stop (Ctrl-C, the app's Stop button).

The data stay uint8 on the training device; each step draws a random batch of crops and flips
and converts it to Lab there (``inspector.data.image_set.make_batch``). Under torchrun both networks are
wrapped in DistributedDataParallel, each rank draws from its own share of the images with its
own random stream, and rank 0 alone writes files.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from inspector.colour.lab import denormalize_lab, lab_to_rgb
from inspector.data.image_set import ImageSet, lab_batch, make_batch
from inspector.errors import UserError
from inspector.training import distributed
from inspector.training.checkpoint import Checkpoint, save_checkpoint
from inspector.training.device import (
    autocast,
    free_on_exit,
    is_out_of_memory,
    memory_mb,
    pick_device,
    reset_peak_memory,
    uses_channels_last,
)
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator, init_weights

Status = Literal["completed", "stopped", "diverged", "out_of_memory"]
EVENTS = ("on_step_end", "on_sample", "on_checkpoint", "on_end")
METRICS_FILE = "metrics.jsonl"
SAMPLES_DIR = "samples"
MAX_SEED = 2**31 - 1  # seeds are combined with ranks and steps: keep them well inside int64
LOSS_NAMES = ("G_GAN", "G_L1", "D_real", "D_fake", "D(real)", "D(fake)")


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the models' shapes are in their own configs). Defaults are the paper's."""

    steps: int = 300  # total optimizer steps; a resumed run trains up to this number
    batch: int = 8  # images per step (per process under torchrun)
    lambda_l1: float = 100.0  # weight of the L1 term in G's loss
    lr: float = 2e-4  # Adam learning rate, both networks
    beta1: float = 0.5  # Adam beta1: the paper's 0.5 damps momentum, which GANs dislike
    beta2: float = 0.999
    l1_warmup_steps: int = 0  # first steps where G learns from L1 only
    label_smoothing: float = 0.0  # one-sided: D's real target is 1 - this
    seed: int = 0  # weights, dropout and batch sampling
    init: str = "normal"  # weight init scheme (models.init_weights)
    flip: bool = True  # random horizontal flips
    crop: bool = True  # random crops (when the stored images are larger than the model's size)
    sample_every: int = 50  # steps between sample grids; 0 = only at the start and the end
    checkpoint_every: int = 100  # steps between checkpoints; 0 = only at the end
    log_every: int = 1  # steps between fetching losses from the device (GPU: more = fewer syncs)
    num_samples: int = 4  # validation images in the sample grid
    device: str = "auto"  # auto, cuda, mps, cpu
    data: str = "samples"  # where the images came from (recorded for resuming): samples, a folder, upload
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "num_samples", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("l1_warmup_steps", "sample_every", "checkpoint_every", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if self.seed > MAX_SEED:
            raise ValueError(f"seed must be at most {MAX_SEED}, got {self.seed}")
        for name in ("init", "device", "data"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {getattr(self, name)!r}")
        for name in ("flip", "crop"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("lambda_l1", "lr", "beta1", "beta2", "label_smoothing", "val_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
        if not (math.isfinite(self.lambda_l1) and self.lambda_l1 >= 0):
            raise ValueError(f"lambda_l1 must be a finite number >= 0, got {self.lambda_l1!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        return TrainConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """From a checkpoint's JSON; keys this version does not know are dropped."""
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:  # a stored value of the wrong type (the JSON may be hand-edited)
            raise ValueError(f"the stored train config is invalid: {exc}") from None


@dataclass(frozen=True)
class StepMetrics:
    """What one step reports. Losses are means over the batch (and over ranks under torchrun)."""

    step: int
    total_steps: int
    g_gan: float  # G's adversarial loss: BCE(D(L, G(L)), real)
    g_l1: float  # mean |G(L) - ab| in normalized units (G's loss adds lambda times this)
    d_real: float  # BCE(D(L, ab), real)
    d_fake: float  # BCE(D(L, G(L)), fake)
    p_real: float  # mean sigmoid(D(L, ab)): D's confidence that real pairs are real
    p_fake: float  # mean sigmoid(D(L, G(L))): near 0.5 when G fools D half the time
    images_per_s: float  # all ranks together
    memory_mb: float
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "G_GAN": self.g_gan,
            "G_L1": self.g_l1,
            "D_real": self.d_real,
            "D_fake": self.d_fake,
            "D(real)": self.p_real,
            "D(fake)": self.p_fake,
            "images_per_s": round(self.images_per_s, 2),
            "memory_mb": round(self.memory_mb, 1),
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass(frozen=True)
class Sample:
    """A grid for fixed validation images: one row each, columns L input | generated | ground truth."""

    step: int
    grid: np.ndarray  # (rows * S, 3 * S, 3) uint8
    path: Path | None  # the PNG under RUN_DIR/samples, if written


@dataclass
class TrainResult:
    status: Status
    # The last step known good. After a divergence or out-of-memory with log_every > 1, up to
    # log_every - 1 later updates may already be in the live model; the checkpoint never has them.
    step: int
    message: str
    checkpoint: Path | None = None  # the last good checkpoint
    checkpoint_step: int | None = None
    last_metrics: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    replicas_in_sync: bool | None = None  # under torchrun: did all ranks end with the same weights


def load_size(size: int) -> int:
    """Side at which to store images for a model of side ``size``: one eighth more, so that random
    crops jitter the framing (the pix2pix reference loads 286 for 256 crops)."""
    return size + size // 8


def shard_images(images: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s share of (N, 3, S, S) images: every ``world_size``-th from ``rank`` on. With
    fewer images than ranks every rank keeps them all (their random streams still differ)."""
    if world_size <= 1 or len(images) < world_size:
        return images
    return images[rank::world_size]


def check_trainable(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig) -> None:
    """Refuse, with the reason, model pairs that cannot train as a colorization GAN."""
    if d_cfg.notebook_bug:
        raise UserError(
            "the 'notebook-as-written' discriminator cannot train: its second conv is Conv2d(3, 64) but receives "
            "the 64 channels of the first conv, so the first forward pass fails. Use the 'notebook' preset (the "
            "same models with the typo fixed); the Mismatch doctor explains the error."
        )
    if (g_cfg.in_channels, g_cfg.out_channels) != (1, 2):
        raise UserError(
            f"colorization needs a generator from L (1 channel) to ab (2 channels); this one maps "
            f"{g_cfg.in_channels} -> {g_cfg.out_channels} channels"
        )
    if d_cfg.in_channels != 3:
        raise UserError(f"the discriminator must take cat(L, ab) = 3 channels, not {d_cfg.in_channels}")
    if g_cfg.input_size != d_cfg.input_size:
        raise UserError(
            f"generator and discriminator sizes differ ({g_cfg.input_size} vs {d_cfg.input_size}); use one size"
        )


def sample_grid(L: torch.Tensor, fake_ab: torch.Tensor, real_ab: torch.Tensor) -> np.ndarray:
    """Normalized L (B, 1, S, S), predicted and true ab (B, 2, S, S) -> uint8 (B * S, 3 * S, 3):
    each row is the grey input, the colorization and the original."""
    L, fake_ab, real_ab = L.float(), fake_ab.float(), real_ab.float()
    columns = [
        lab_to_rgb(denormalize_lab(L, torch.zeros_like(real_ab))),  # L alone: what G starts from
        lab_to_rgb(denormalize_lab(L, fake_ab)),
        lab_to_rgb(denormalize_lab(L, real_ab)),
    ]
    rows = torch.cat(columns, dim=3)  # (B, 3, S, 3S)
    grid = torch.cat(list(rows), dim=1)  # (3, B*S, 3S)
    return (grid.permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def save_png(image: np.ndarray, path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(image).save(tmp, format="PNG")
    tmp.replace(path)
    return path


def _set_requires_grad(model: nn.Module, flag: bool) -> None:
    for p in model.parameters():
        p.requires_grad_(flag)


class Trainer:
    """Train ``generator_config`` against ``discriminator_config`` on ``train`` images.

    ``run_dir`` (optional; rank 0 writes there): ``metrics.jsonl``, ``samples/step_NNNNNN.png``
    and the checkpoint. ``resume`` continues a loaded checkpoint at its step, with its weights,
    optimizer state and random generator states.
    """

    def __init__(
        self,
        generator_config: GeneratorConfig,
        discriminator_config: DiscriminatorConfig,
        config: TrainConfig,
        train: ImageSet,
        val: ImageSet | None = None,
        run_dir: str | Path | None = None,
        resume: Checkpoint | None = None,
        should_stop: Callable[[], bool] | None = None,
        device: torch.device | None = None,
    ) -> None:
        check_trainable(generator_config, discriminator_config)
        if len(train.images) == 0:
            raise UserError("no training images: every file was skipped (see the list of skipped files)")
        size = generator_config.input_size
        if min(train.images.shape[-2:]) < size:
            raise UserError(
                f"the images are {tuple(train.images.shape[-2:])} pixels but the model needs {size}x{size}; "
                f"load them at size {size} or more"
            )
        self.g_cfg, self.d_cfg, self.config = generator_config, discriminator_config, config
        self.train_set, self.val_set = train, val if val is not None and len(val.images) else train
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.resume = resume
        self.should_stop = should_stop or (lambda: False)
        self.device = device or pick_device(config.device)
        self.dist = distributed.current()
        self.callbacks: dict[str, list[Callable[[Any], None]]] = defaultdict(list)
        self.step = resume.step if resume is not None else 0
        self.checkpoint: Path | None = None
        self.checkpoint_step: int | None = None
        self.last_metrics: dict[str, Any] = {}
        self.last_sample_step: int | None = None

    # ------------------------------------------------------------------------------ callbacks
    def add_callback(self, event: str, fn: Callable[[Any], None]) -> None:
        if event not in EVENTS:
            raise ValueError(f"event must be one of {', '.join(EVENTS)}; got {event!r}")
        self.callbacks[event].append(fn)

    def _trigger(self, event: str, payload: Any) -> None:
        for fn in self.callbacks.get(event, []):
            fn(payload)

    @property
    def writes_files(self) -> bool:
        return self.run_dir is not None and self.dist.is_main

    # ------------------------------------------------------------------------------ setup
    def _build(self) -> None:
        cfg, dev = self.config, self.device
        rank = self.dist.rank
        # Dropout draws from the global generator; each rank its own stream.
        torch.manual_seed(cfg.seed + 1_000_003 * rank)
        self.G = build_generator(self.g_cfg)
        self.D = build_discriminator(self.d_cfg)
        if self.resume is not None:
            self.G.load_state_dict(self.resume.generator)
            if not self.resume.discriminator:
                raise UserError("this checkpoint has no discriminator weights, so its training cannot resume")
            self.D.load_state_dict(self.resume.discriminator)
        else:
            init_weights(self.G, cfg.init, seed=cfg.seed)
            init_weights(self.D, cfg.init, seed=cfg.seed + 1)
        reset_peak_memory(dev)
        if dev.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes every step: let cuDNN pick its fastest kernels
        memory_format = torch.channels_last if uses_channels_last(dev) else torch.contiguous_format
        self.memory_format = memory_format
        self.G.to(dev, memory_format=memory_format)
        self.D.to(dev, memory_format=memory_format)
        betas = (cfg.beta1, cfg.beta2)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas)
        if self.resume is not None and self.resume.optimizers:
            try:
                self.opt_G.load_state_dict(self.resume.optimizers["G"])
                self.opt_D.load_state_dict(self.resume.optimizers["D"])
            except (KeyError, TypeError, ValueError, RuntimeError) as exc:
                raise UserError(f"the checkpoint's optimizer state does not fit the models: {exc}") from None
            # Checkpoints hold NCHW moments; give them the parameters' layout (channels_last on CUDA)
            # so that Adam's grouped foreach update is not split into one kernel per tensor.
            for opt in (self.opt_G, self.opt_D):
                for p, state in opt.state.items():
                    for key, value in state.items():
                        if isinstance(value, torch.Tensor) and value.shape == p.shape:
                            state[key] = torch.empty_like(p).copy_(value)
        # Each rank: its own share of the images and its own sampling stream.
        images = shard_images(self.train_set.images, rank, self.dist.world_size)
        self.images = images.to(dev)  # (N, 3, S, S) uint8, converted to Lab per batch on the device
        # A CPU generator: make_batch draws on it and moves the indices, so a seed gives the same
        # batches on every device, and its state is small and portable for checkpoints.
        self.sampler = torch.Generator()
        self.sampler.manual_seed(cfg.seed * 7919 + rank + 1)
        if self.resume is not None:
            try:
                self._restore_rng(self.resume.rng)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise UserError(f"the checkpoint's random state cannot be restored: {exc}") from None
        if self.dist.distributed:
            ids = [dev.index] if dev.type == "cuda" else None
            self.G_train: nn.Module = DDP(self.G, device_ids=ids)
            self.D_train: nn.Module = DDP(self.D, device_ids=ids)
        else:
            self.G_train, self.D_train = self.G, self.D
        n = min(cfg.num_samples, len(self.val_set.images))
        val_L, val_ab = lab_batch(self.val_set.images[:n].to(dev))
        size = self.g_cfg.input_size
        if val_L.shape[-1] != size:  # validation images stored larger than the model: centre crop
            top = (val_L.shape[-2] - size) // 2
            left = (val_L.shape[-1] - size) // 2
            val_L = val_L[..., top : top + size, left : left + size]
            val_ab = val_ab[..., top : top + size, left : left + size]
        self.val_L, self.val_ab = val_L.contiguous(), val_ab.contiguous()

    def _rng_state(self) -> dict[str, torch.Tensor]:
        state = {"cpu": torch.get_rng_state(), "sampler": self.sampler.get_state()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def _restore_rng(self, rng: dict[str, torch.Tensor]) -> None:
        # Rank 0's streams are in the checkpoint; other ranks start fresh, distinct streams.
        if not self.dist.is_main or not rng:
            self.sampler.manual_seed(self.config.seed * 7919 + self.dist.rank + 1 + 104_729 * self.step)
            return
        if "cpu" in rng:
            torch.set_rng_state(rng["cpu"])
        if "sampler" in rng:
            self.sampler.set_state(rng["sampler"].to(torch.uint8))
        if "cuda" in rng and self.device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], self.device)

    # ------------------------------------------------------------------------------ one step
    def _train_step(self, step: int) -> torch.Tensor:
        """One D update and one G update; returns the detached stats (6,) on the device."""
        cfg = self.config
        L, ab = make_batch(self.images, cfg.batch, self.g_cfg.input_size, self.sampler, flip=cfg.flip, crop=cfg.crop)
        L = L.contiguous(memory_format=self.memory_format)  # (B, 1, S, S) in [-1, 1]
        ab = ab.contiguous(memory_format=self.memory_format)  # (B, 2, S, S) in about [-1, 1]
        with autocast(self.device):
            fake = self.G_train(L)  # (B, 2, S, S)

        # D: real pairs towards 1 (or 1 - smoothing), generated pairs towards 0; loss halved.
        _set_requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        # Two backward passes, the first without DDP's gradient sync: DDP expects one forward
        # per backward, and the summed gradients are the same as for the summed loss.
        no_sync = self.D_train.no_sync() if isinstance(self.D_train, DDP) else contextlib.nullcontext()
        with no_sync:
            with autocast(self.device):
                real_logits = self.D_train(torch.cat([L, ab], dim=1))  # (B, 1, h, w)
            d_real = F.binary_cross_entropy_with_logits(
                real_logits.float(), torch.full_like(real_logits, 1.0 - cfg.label_smoothing, dtype=torch.float32)
            )
            (0.5 * d_real).backward()
        with autocast(self.device):
            fake_logits = self.D_train(torch.cat([L, fake.detach()], dim=1))
        d_fake = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits.float()))
        (0.5 * d_fake).backward()
        self.opt_D.step()

        # G: fool D (through the plain module: D's weights are frozen, nothing of D to sync) and
        # stay close to the truth in L1.
        _set_requires_grad(self.D, False)
        self.opt_G.zero_grad(set_to_none=True)
        warmup = step <= cfg.l1_warmup_steps
        with autocast(self.device), torch.set_grad_enabled(not warmup):
            g_logits = self.D(torch.cat([L, fake], dim=1))
        g_gan = F.binary_cross_entropy_with_logits(g_logits.float(), torch.ones_like(g_logits.float()))
        g_l1 = F.l1_loss(fake.float(), ab.float())
        g_loss = cfg.lambda_l1 * g_l1 if warmup else g_gan + cfg.lambda_l1 * g_l1
        g_loss.backward()
        self.opt_G.step()
        _set_requires_grad(self.D, True)

        with torch.no_grad():
            return torch.stack(
                [g_gan, g_l1, d_real, d_fake, torch.sigmoid(real_logits.float()).mean(),
                 torch.sigmoid(fake_logits.float()).mean()]
            ).detach().float()

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
                message = (
                    f"out of memory on {self.device} at batch {self.config.batch}, size {self.g_cfg.input_size}, "
                    f"ngf {self.g_cfg.ngf}: try a smaller batch or image size (or a smaller ngf)"
                )
                if self.dist.distributed:  # the other ranks wait in a collective: end the job
                    raise UserError(message) from None
                result = self._result("out_of_memory", message)
        self._trigger("on_end", result)
        return result

    def _fit(self) -> TrainResult:
        cfg = self.config
        start = self.step
        if start >= cfg.steps:
            return self._result("completed", f"already at step {start} of {cfg.steps}: nothing to train")
        self._build()
        self._open_metrics()
        self._sample(start)
        self.G_train.train()
        self.D_train.train()
        pending: list[tuple[int, torch.Tensor]] = []
        self.t0 = self.t_last = time.perf_counter()
        status: Status = "completed"
        try:
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
                    self.t_last = time.perf_counter()  # images/s measures training, not writing files
            bad = self._flush(pending)
            if bad is not None:
                return self._diverged(*bad)
        finally:
            self._close_metrics()
        if self.step > start or self.checkpoint is None:
            self._save()
        if self.step != self.last_sample_step:
            self._sample(self.step)
        in_sync = self._replicas_agree()
        word = "finished" if status == "completed" else "stopped"
        result = self._result(status, f"training {word} at step {self.step} of {cfg.steps}")
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
        stats = torch.stack([s for _, s in pending])  # (n, 6)
        if self.dist.distributed:
            dist.all_reduce(stats, op=dist.ReduceOp.SUM)
            stats = stats / self.dist.world_size
        rows = stats.cpu().tolist()
        now = time.perf_counter()
        images = len(pending) * self.config.batch * self.dist.world_size
        rate = images / max(now - self.t_last, 1e-9)
        self.t_last = now
        mem = memory_mb(self.device)
        for (step, _), row in zip(pending, rows):
            if not all(math.isfinite(v) for v in row):
                return step, dict(zip(LOSS_NAMES, row))
            m = StepMetrics(step, self.config.steps, *row, images_per_s=rate, memory_mb=mem, elapsed_s=now - self.t0)
            self.step = step
            self.last_metrics = m.to_dict()
            if self._metrics_file is not None:
                self._metrics_file.write(json.dumps(self.last_metrics) + "\n")
            self._trigger("on_step_end", m)
        if self._metrics_file is not None:
            self._metrics_file.flush()
        return None

    def _diverged(self, step: int, losses: dict[str, float]) -> TrainResult:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
        keep = (
            f"the last good checkpoint is step {self.checkpoint_step}: {self.checkpoint}"
            if self.checkpoint is not None
            else "no checkpoint had been written yet"
        )
        return self._result(
            "diverged",
            f"a loss became NaN or inf at step {step} ({shown}); training stopped and {keep}. "
            "Try a smaller learning rate or lambda, or label smoothing.",
        )

    def _result(self, status: Status, message: str) -> TrainResult:
        return TrainResult(status, self.step, message, self.checkpoint, self.checkpoint_step,
                           dict(self.last_metrics), self.dist.world_size)

    # ------------------------------------------------------------------------------ outputs
    def _open_metrics(self) -> None:
        self._metrics_file = None
        if not self.writes_files:
            return
        assert self.run_dir is not None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / METRICS_FILE
        kept: list[str] = []
        if self.resume is not None and path.exists():
            # Steps after the checkpoint were trained but their weights are lost: drop their lines.
            for line in path.read_text().splitlines():
                with contextlib.suppress(json.JSONDecodeError, TypeError, KeyError):
                    if int(json.loads(line)["step"]) <= self.step:
                        kept.append(line)
        path.write_text("".join(f"{line}\n" for line in kept))
        self._metrics_file = path.open("a")

    def _close_metrics(self) -> None:
        if self._metrics_file is not None:
            self._metrics_file.close()
            self._metrics_file = None

    def _sample(self, step: int) -> None:
        if not self.dist.is_main:
            return
        self.last_sample_step = step
        was_training = self.G.training
        self.G.eval()  # BatchNorm's running statistics and no dropout: the model as it will be used
        with torch.no_grad(), autocast(self.device):
            fake = self.G(self.val_L.contiguous(memory_format=self.memory_format))
        self.G.train(was_training)
        grid = sample_grid(self.val_L, fake, self.val_ab)
        path = None
        if self.writes_files:
            assert self.run_dir is not None
            path = save_png(grid, self.run_dir / SAMPLES_DIR / f"step_{step:06d}.png")
        self._trigger("on_sample", Sample(step, grid, path))

    def _save(self) -> None:
        if not self.writes_files:
            return
        assert self.run_dir is not None
        self.checkpoint = save_checkpoint(
            self.run_dir, self.G, self.D, self.step,
            optimizers={"G": self.opt_G, "D": self.opt_D},
            rng=self._rng_state(),
            metrics=self.last_metrics,
            train_config=self.config.to_dict(),
        )
        self.checkpoint_step = self.step
        self._trigger("on_checkpoint", self.checkpoint)

    def _replicas_agree(self) -> bool | None:
        """Under torchrun: do all ranks hold the same weights (DDP's promise)? One all_gather."""
        if not self.dist.distributed:
            return None
        with torch.no_grad():
            params = [p.double() for m in (self.G, self.D) for p in m.parameters()]
            mine = torch.stack([sum(p.sum() for p in params), sum((p * p).sum() for p in params)])
        everyone = [torch.zeros_like(mine) for _ in range(self.dist.world_size)]
        dist.all_gather(everyone, mine)
        return all(torch.equal(everyone[0], other) for other in everyone[1:])

"""The trainer's state, born in one place: :func:`build_state` returns a :class:`TrainState`.

Models, optimizers, their DDP wrappers, the batch sampler, the images on the device and the fixed
validation batch are created together, from a fresh start (initialized weights, seeded streams) or
from a checkpoint (its weights, Adam moments and random states), so that nothing a training step
touches is created anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from inspector.data.image_set import lab_batch
from inspector.errors import UserError
from inspector.training.checkpoint import Checkpoint
from inspector.training.config import TrainConfig
from inspector.training.device import reset_peak_memory, uses_channels_last
from inspector.training.distributed import DistInfo, shard_images
from inspector.training.seeds import seed_for
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator, init_weights
from models.text import Text


@dataclass
class TrainState:
    """What the training loop works on. ``G`` and ``D`` are the plain modules (checkpoints, samples);
    ``G_train`` and ``D_train`` are what the step calls: DDP wrappers under torchrun, else the same."""

    G: nn.Module
    D: nn.Module
    G_train: nn.Module
    D_train: nn.Module
    opt_G: torch.optim.Adam
    opt_D: torch.optim.Adam
    sampler: torch.Generator  # CPU generator of batches: crops, flips and which images
    images: torch.Tensor  # (N, 3, S', S') uint8 on the device, this rank's share; S' >= S
    val_L: torch.Tensor  # (n, 1, S, S) normalized L of the fixed validation images
    val_ab: torch.Tensor  # (n, 2, S, S) their true ab
    memory_format: torch.memory_format  # channels_last on CUDA, else contiguous
    device: torch.device

    def rng_state(self) -> dict[str, torch.Tensor]:
        """The random states a checkpoint stores: PyTorch's global CPU generator (dropout on the
        CPU), the batch sampler, and the device's generator on CUDA."""
        state = {"cpu": torch.get_rng_state(), "sampler": self.sampler.get_state()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state


def build_state(
    generator_config: GeneratorConfig,
    discriminator_config: DiscriminatorConfig,
    config: TrainConfig,
    train_images: torch.Tensor,
    val_images: torch.Tensor,
    device: torch.device,
    dist_info: DistInfo,
    resume: Checkpoint | None = None,
    init: Checkpoint | None = None,
) -> TrainState:
    """Set up a run on ``device``: (N, 3, S', S') uint8 ``train_images`` and ``val_images`` (the
    first ``config.num_samples`` of the latter are the sample grid's rows), models and Adam for
    ``config``, continued from ``resume`` when given, or started from ``init``'s weights (a new
    run: fresh Adam; a network ``init`` lacks is initialized as usual). Raises ``UserError`` when
    the checkpoint's state does not fit."""
    rank = dist_info.rank
    step = resume.step if resume is not None else 0
    # Dropout draws from the global generator; each rank its own stream.
    torch.manual_seed(seed_for(config.seed, "dropout", rank))
    G = build_generator(generator_config)
    D = build_discriminator(discriminator_config)
    if resume is not None:
        if not resume.discriminator:
            raise UserError(
                Text("this checkpoint has no discriminator weights, so its training cannot resume")
            )
        G.load_state_dict(resume.generator)
        D.load_state_dict(resume.discriminator)
    else:
        init_weights(G, config.init, seed=seed_for(config.seed, "generator_init"))
        init_weights(D, config.init, seed=seed_for(config.seed, "discriminator_init"))
        if init is not None:  # checked against these configs by the planner (plan_run)
            G.load_state_dict(init.generator)
            if init.discriminator:
                D.load_state_dict(init.discriminator)
    reset_peak_memory(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes every step: let cuDNN pick its fastest kernels
    memory_format = torch.channels_last if uses_channels_last(device) else torch.contiguous_format
    for model in (G, D):
        model.to(device)
        model.to(memory_format=memory_format)  # type stubs know the two calls, not one with both
    betas = (config.beta1, config.beta2)
    opt_G = torch.optim.Adam(G.parameters(), lr=config.lr, betas=betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=config.lr, betas=betas)
    if resume is not None and resume.optimizers:
        _load_optimizers(opt_G, opt_D, resume)
    # A CPU generator: make_batch draws on it and moves the indices, so a seed gives the same
    # batches on every device, and its state is small and portable for checkpoints.
    sampler = torch.Generator()
    sampler.manual_seed(seed_for(config.seed, "batches", rank))
    if resume is not None:
        try:
            _restore_rng(resume.rng, sampler, device, dist_info, config.seed, step)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise UserError(
                Text("the checkpoint's random state cannot be restored: {error}", error=str(exc))
            ) from None
    if dist_info.distributed:
        ids = [device.index] if device.type == "cuda" else None
        G_train: nn.Module = DDP(G, device_ids=ids)
        D_train: nn.Module = DDP(D, device_ids=ids)
    else:
        G_train, D_train = G, D
    # Each rank: its own share of the images, converted to Lab per batch on the device.
    images = shard_images(train_images, rank, dist_info.world_size).to(device)
    val_L, val_ab = _validation_batch(
        val_images[: config.num_samples].to(device), generator_config.input_size
    )
    return TrainState(
        G, D, G_train, D_train, opt_G, opt_D, sampler, images, val_L, val_ab, memory_format, device
    )


def _load_optimizers(opt_G: torch.optim.Adam, opt_D: torch.optim.Adam, resume: Checkpoint) -> None:
    try:
        opt_G.load_state_dict(resume.optimizers["G"])
        opt_D.load_state_dict(resume.optimizers["D"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserError(
            Text("the checkpoint's optimizer state does not fit the models: {error}", error=str(exc))
        ) from None
    # Checkpoints hold NCHW moments; give them the parameters' layout (channels_last on CUDA)
    # so that Adam's grouped foreach update is not split into one kernel per tensor.
    for opt in (opt_G, opt_D):
        for p, state in opt.state.items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.shape == p.shape:
                    state[key] = torch.empty_like(p).copy_(value)


def _restore_rng(
    rng: dict[str, torch.Tensor],
    sampler: torch.Generator,
    device: torch.device,
    dist_info: DistInfo,
    seed: int,
    step: int,
) -> None:
    # Rank 0's streams are in the checkpoint; other ranks start fresh, distinct streams.
    if not dist_info.is_main or not rng:
        sampler.manual_seed(seed_for(seed, "batches", dist_info.rank, step))
        return
    if "cpu" in rng:
        torch.set_rng_state(rng["cpu"])
    if "sampler" in rng:
        sampler.set_state(rng["sampler"].to(torch.uint8))
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], device)


def _validation_batch(images_u8: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 3, S', S') uint8 -> normalized L (n, 1, S, S) and ab (n, 2, S, S), centre-cropped to the
    model's side ``S`` when the images are stored larger (for random crops)."""
    val_L, val_ab = lab_batch(images_u8)
    if val_L.shape[-1] != size:
        top = (val_L.shape[-2] - size) // 2
        left = (val_L.shape[-1] - size) // 2
        val_L = val_L[..., top : top + size, left : left + size]
        val_ab = val_ab[..., top : top + size, left : left + size]
    return val_L.contiguous(), val_ab.contiguous()

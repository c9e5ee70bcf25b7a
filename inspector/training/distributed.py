"""``torchrun`` support: join the process group that torchrun describes in the environment.

Under ``torchrun --nproc_per_node=N`` every process runs the same command with ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK`` set. The trainer then wraps both networks in
DistributedDataParallel (gloo on the CPU, NCCL on GPUs), gives each rank its own share of the
images and lets rank 0 alone write files.
"""

from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from inspector.training.device import pick_device


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job (rank 0 of 1 when not under torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def current() -> DistInfo:
    """The process group's view if one is initialized, else a single process."""
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    return DistInfo()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def setup(device_name: str = "auto") -> tuple[DistInfo, torch.device]:
    """Join torchrun's process group (if launched by it) and pick this rank's device.

    On CUDA each rank takes GPU ``LOCAL_RANK`` and NCCL; otherwise every rank uses ``device_name``
    with gloo (NCCL cannot move CPU tensors).
    """
    device = pick_device(device_name)
    if not launched_by_torchrun():
        return DistInfo(), device
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, device_id=device if device.type == "cuda" else None)
    return current(), device


def teardown(wait: bool = True) -> None:
    """Leave the process group cleanly: every rank together, nothing of it left for exit.

    Rank 0 writes the last checkpoint while the others are done: without the barrier a rank could
    destroy its gloo pairs while the other still talks to it, and DDP's reducers freed only at
    interpreter exit can hold gloo work whose threads then abort the process (SIGABRT,
    "terminate called without an active exception"). ``wait=False`` after an error: a failed
    rank must not wait in a barrier its peers, still training, would never join.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if wait:
        with contextlib.suppress(RuntimeError):  # a peer already gone: nothing to wait for
            dist.barrier()
    gc.collect()  # free the trainer's DDP wrappers (reference cycles) while the group still exists
    dist.destroy_process_group()


def shard_images(images: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s share of (N, 3, S, S) images: every ``world_size``-th from ``rank`` on. With
    fewer images than ranks every rank keeps them all (their random streams still differ)."""
    if world_size <= 1 or len(images) < world_size:
        return images
    return images[rank::world_size]

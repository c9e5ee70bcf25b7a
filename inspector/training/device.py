"""Where training runs: pick the device, and the speed settings that suit it.

CUDA gets bf16 autocast and channels_last (tensor cores want NHWC and 16-bit inputs); MPS and
the CPU train in fp32 with the default memory format, where both would only slow things down.
"""

from __future__ import annotations

import contextlib
import resource
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from models.text import Text

DEVICES: tuple[str, ...] = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class TrainSizes:
    """Defaults that make a first run show progress within a minute on the device."""

    ngf: int
    depth: int
    size: int
    batch: int
    steps: int


def pick_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA, then MPS, then the CPU. A named device that is absent is a ``ValueError``."""
    if name not in DEVICES and not name.startswith("cuda:"):
        raise ValueError(
            Text(
                "device must be one of {devices} (or cuda:N); got {name}",
                devices=", ".join(DEVICES),
                name=repr(name),
            )
        )
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            Text(
                "device {name} was asked for, but PyTorch sees no CUDA GPU here; use --device cpu",
                name=repr(name),
            )
        )
    if name.startswith("cuda:"):
        index, count = name[len("cuda:") :], torch.cuda.device_count()
        if not (index.isdigit() and int(index) < count):
            raise ValueError(
                Text(
                    "device {name}: this machine has GPUs cuda:0 to cuda:{last}",
                    name=repr(name),
                    last=count - 1,
                )
            )
    if name == "mps" and not _mps_available():
        raise ValueError(
            Text("device 'mps' was asked for, but PyTorch sees no Apple GPU here; use --device cpu")
        )
    return torch.device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def default_sizes(device: torch.device) -> TrainSizes:
    """A GPU trains the paper's 256x256 unet_256; elsewhere a small U-Net at 64x64 (~0.1 s a step on
    two CPU cores) so that a learner sees the losses move within the first minute."""
    if device.type == "cuda":
        return TrainSizes(ngf=64, depth=8, size=256, batch=16, steps=2000)
    if device.type == "mps":
        return TrainSizes(ngf=32, depth=7, size=128, batch=8, steps=500)
    return TrainSizes(ngf=32, depth=6, size=64, batch=8, steps=300)


def uses_channels_last(device: torch.device) -> bool:
    return device.type == "cuda"


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA (no loss scaling needed: bf16 has fp32's exponent range); a no-op elsewhere."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def reset_peak_memory(device: torch.device) -> None:
    """Start ``memory_mb``'s CUDA peak afresh (a server runs many trainings in one process)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def memory_mb(device: torch.device) -> float:
    """Memory in MiB: the peak of allocated tensors on CUDA (since ``reset_peak_memory``), the
    current allocation on MPS (it keeps no peak), the process's peak RSS on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    if device.type == "mps":
        return torch.mps.current_allocated_memory() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels, so that a wall-clock time measures the work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA / MPS out-of-memory error (PyTorch raises several types for it)."""
    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    text = str(exc).lower()
    # cuDNN and cuBLAS report their own allocation failures without the words "out of memory".
    return isinstance(exc, RuntimeError) and any(
        key in text
        for key in ("out of memory", "cudnn_status_not_enough_memory", "cublas_status_alloc_failed")
    )


@contextlib.contextmanager
def free_on_exit(device: torch.device) -> Iterator[None]:
    """Give cached GPU memory back when a run ends, so the next run (or another app) can use it."""
    try:
        yield
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        elif device.type == "mps":
            torch.mps.empty_cache()

"""How many runs the device takes at once, and the teacher's limits on what a run may ask.

**The teacher's limits** (:class:`ClassLimits`): the most steps and the largest image side a
run of the app may ask for, the most runs at once, the CPU threads of a run, and a Ray cluster
to run them on. ``pix2pix-inspector app --max-steps ... --max-size ... --max-runs ... --ray ...``
sets them; the app reads them from the environment (``PIX2PIX_MAX_STEPS`` ...), so that every
process of the app, and the tests, agree.

**The device's budget** (:func:`device_budget`):

- CPU: the cores are shared by the runs, each with :attr:`ClassLimits.threads_per_run` threads
  (1 by default: small models gain little from more, and many small runs share the cores best);
  a worker lowers its own priority (``nice``), so that the web server answers first.
- CUDA: a run's memory is estimated before it starts (weights, gradients, Adam's two moments,
  the activations of a step at its batch and size, the CUDA context) against the GPU's memory,
  so one GPU holds several small class runs; the worker checks the real free memory before it
  builds anything and, when it is short, hands the run back to the queue.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from inspector.errors import UserError
from models import DiscriminatorConfig, GeneratorConfig
from models.text import Text

ENV = {
    "max_steps": "PIX2PIX_MAX_STEPS",
    "max_size": "PIX2PIX_MAX_SIZE",
    "max_runs": "PIX2PIX_MAX_RUNS",
    "threads_per_run": "PIX2PIX_THREADS_PER_RUN",
    "ray_address": "PIX2PIX_RAY",
}
CUDA_CONTEXT_BYTES = 600 * 2**20  # a process's CUDA context and cuDNN/cuBLAS workspaces
GPU_SHARE = 0.9  # of the GPU's memory, the part the runs may plan on


@dataclass(frozen=True)
class ClassLimits:
    """What the teacher allows. ``None`` for ``max_runs``: as many as the device's budget takes."""

    max_steps: int = 20_000
    max_size: int = 512
    max_runs: int | None = None
    threads_per_run: int = 1
    ray_address: str | None = None  # "auto", "ray://host:10001", an address; None: this machine

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_size", "threads_per_run"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UserError(Text("{name} must be a whole number of at least 1, got {value}", name=name,
                                     value=repr(value)))  # fmt: skip
        if self.max_runs is not None and (not isinstance(self.max_runs, int) or self.max_runs < 1):
            raise UserError(Text("{name} must be a whole number of at least 1, got {value}", name="max_runs",
                                 value=repr(self.max_runs)))  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClassLimits:
        """The limits the app was started with (``UserError`` for a value that is not a number)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field, key in ENV.items():
            raw = env.get(key, "").strip()
            if not raw:
                continue
            if field == "ray_address":
                values[field] = raw
                continue
            try:
                values[field] = int(raw)
            except ValueError:
                raise UserError(
                    Text("{key} must be a whole number, got {value}", key=key, value=repr(raw))
                ) from None
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment variables that :meth:`from_env` reads back as these limits."""
        out = {}
        for field, key in ENV.items():
            value = getattr(self, field)
            if value is not None:
                out[key] = str(value)
        return out

    def check(self, steps: int, size: int) -> None:
        """Refuse a run over the teacher's limits, saying which and how far."""
        if steps > self.max_steps:
            raise UserError(Text("{steps} steps is more than this class allows ({limit}); ask for fewer",
                                 steps=steps, limit=self.max_steps))  # fmt: skip
        if size > self.max_size:
            raise UserError(Text("images of {size}x{size} are larger than this class allows ({limit}x{limit})",
                                 size=size, limit=self.max_size))  # fmt: skip


@dataclass(frozen=True)
class Budget:
    """What the runs of this machine share: run slots, threads each, and accelerator memory."""

    device: str  # "cpu" or "cuda"
    slots: int  # runs at once
    threads_per_run: int
    device_bytes: int = 0  # memory the runs may plan on (CUDA); 0 on a CPU


def device_budget(limits: ClassLimits, device: str, cores: int | None = None, gpu_bytes: int = 0) -> Budget:
    """The budget of ``device`` ("cpu" or "cuda", with ``gpu_bytes`` of memory) on ``cores`` cores."""
    cores = cores or os.cpu_count() or 1
    threads = min(limits.threads_per_run, cores)
    if device == "cuda":
        # Memory decides (see ``fits``); slots only keep the CPU side of the runs from crowding.
        slots = max(1, cores // max(threads, 1))
        budget = Budget("cuda", slots, threads, int(gpu_bytes * GPU_SHARE))
    else:
        budget = Budget("cpu", max(1, cores // threads), threads)
    if limits.max_runs is not None:
        budget = Budget(budget.device, min(budget.slots, limits.max_runs), threads, budget.device_bytes)
    return budget


def fits(budget: Budget, running_bytes: list[int], new_bytes: int) -> bool:
    """May a run needing ``new_bytes`` start beside runs needing ``running_bytes``?"""
    if len(running_bytes) >= budget.slots:
        return False
    if budget.device != "cuda":
        return True
    # The first run always may: an estimate above the whole GPU is the worker's to refuse.
    return not running_bytes or sum(running_bytes) + new_bytes <= budget.device_bytes


def run_device_bytes(g: GeneratorConfig, d: DiscriminatorConfig, batch: int, bf16: bool = True) -> int:
    """Estimated accelerator memory of training ``g`` against ``d`` at ``batch``: fp32 weights,
    gradients and Adam's two moments (16 bytes a weight), the activations that one step keeps for
    backward (G once, D three times: real, fake for D, fake for G), and the CUDA context."""
    from inspector.shapes.memory import activation_elements  # torch work: imported when asked

    g_params, g_acts = activation_elements(g, batch)
    d_params, d_acts = activation_elements(d, batch)
    act_bytes = 2 if bf16 else 4
    # Each recorded output is kept once for backward, plus about as much again in the layers'
    # own saved tensors (BatchNorm's normalized input, LeakyReLU's mask, cat's copies).
    activations = 2 * act_bytes * (g_acts + 3 * d_acts)
    return 16 * (g_params + d_params) + activations + CUDA_CONTEXT_BYTES


def gpu_fraction(device_bytes: int, total_bytes: int) -> float:
    """The share of one GPU that a run needs, for Ray's ``num_gpus`` (a hundredth at the least)."""
    if total_bytes <= 0:
        return 1.0
    return min(1.0, max(0.01, math.ceil(100 * device_bytes / total_bytes) / 100))

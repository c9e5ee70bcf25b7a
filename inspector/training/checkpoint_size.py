"""How large a checkpoint can get, computed from the configs alone (no weights are allocated).

Upload limits are derived from this: a server that lets users train a model must accept back
every checkpoint it offers for download. The figure is an upper bound: the exact tensor bytes
(weights, BatchNorm buffers, Adam's two moments and step per parameter, random states) plus a
header built as safetensors builds it, with room for the metrics and the train config.
"""

from __future__ import annotations

import functools
import json
import math

import torch

from inspector.training.checkpoint_checks import FORMAT, FORMAT_VERSION, build_meta
from inspector.training.checkpoint_formats import META_KEY
from models import DiscriminatorConfig, GeneratorConfig

# Room in the header JSON for what the configs do not decide: the metrics, the train config and
# the digits of floats. Both are small dicts of numbers and short strings; 64 KiB is far above them.
METADATA_ALLOWANCE = 64 * 1024
# Random states the trainer stores: torch's CPU generator and the sampler's (Mersenne Twister,
# 5056 bytes each) and a CUDA generator (seed and offset, 16 bytes), stored whatever the device.
_RNG_BYTES = {"cpu": 5056, "sampler": 5056, "cuda": 16}
_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.uint8: "U8"}
_ALIGN = 8  # safetensors pads its header to a multiple of 8 bytes


@functools.lru_cache(maxsize=64)
def max_checkpoint_bytes(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig) -> int:
    """The largest ``checkpoint.safetensors`` the trainer writes for these configs, in bytes.

    A pure function of the (frozen, hashable) configs, cached: the Train page asks it on every
    view, for every student, about the same few configs.

    Weights, buffers and Adam state (``exp_avg``, ``exp_avg_sq``, ``step``) of both networks, the
    random states, and the header JSON with the configs, the optimizers' param groups and
    :data:`METADATA_ALLOWANCE` for the metrics and train config.
    """
    entries: dict[str, tuple[str, list[int], int]] = {}  # key -> (dtype, shape, bytes)
    groups = {}
    for part, which, cfg in (("generator", "G", g_cfg), ("discriminator", "D", d_cfg)):
        model = build_meta(cfg)  # meta device: shapes without memory
        for key, t in model.state_dict().items():
            entries[f"{part}.{key}"] = _entry(t.dtype, list(t.shape))
        params = list(model.parameters())
        for index, p in enumerate(params):
            for moment in ("exp_avg", "exp_avg_sq"):
                entries[f"optim.{which}.{index}.{moment}"] = _entry(torch.float32, list(p.shape))
            entries[f"optim.{which}.{index}.step"] = _entry(torch.float32, [])
        # The optimizer's real param_groups (every key PyTorch writes), built on the meta parameters.
        optimizer = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
        groups[which] = {"param_groups": optimizer.state_dict()["param_groups"], "scalars": {}}
    for name, n in _RNG_BYTES.items():
        entries[f"rng.{name}"] = ("U8", [n], n)
    data_bytes = sum(size for _, _, size in entries.values())
    meta = {
        "format": FORMAT, "version": FORMAT_VERSION, "kind": "checkpoint", "step": 10**9,
        "generator_config": g_cfg.to_dict(), "discriminator_config": d_cfg.to_dict(),
        "train_config": {}, "metrics": {}, "optimizers": groups,
    }  # fmt: skip
    text = json.dumps(meta, sort_keys=True) + " " * METADATA_ALLOWANCE
    header: dict[str, object] = {"__metadata__": {META_KEY: text}}
    for key, (dtype, shape, _) in entries.items():
        # Every offset written with as many digits as the largest one: an upper bound on the text.
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [data_bytes, data_bytes]}
    header_bytes = len(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    return 8 + header_bytes + _ALIGN + data_bytes


def _entry(dtype: torch.dtype, shape: list[int]) -> tuple[str, list[int], int]:
    """(safetensors dtype, shape, bytes) of one tensor."""
    return _SAFETENSORS_DTYPES[dtype], shape, math.prod(shape) * torch.empty((), dtype=dtype).element_size()

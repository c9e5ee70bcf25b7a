"""Checkpoints: tensors in safetensors, everything else in JSON; loading never unpickles.

One run keeps one checkpoint, overwritten as training goes on (after a NaN it is simply not
overwritten again, so it stays the last good one)::

    RUN_DIR/checkpoint.safetensors   every tensor, and the JSON below in its header metadata
    RUN_DIR/checkpoint.json          the same JSON, for people and tools

Tensor keys: ``generator.<param>``, ``discriminator.<param>`` (the state dicts),
``optim.G.<index>.<name>`` / ``optim.D.<index>.<name>`` (Adam's ``exp_avg``, ``exp_avg_sq``,
``step`` per parameter index) and ``rng.<name>`` (random generator states, uint8). The JSON holds
the configs (``to_dict``), the step, the metrics, the train config, the optimizers'
``param_groups`` and the format version. The safetensors file is self-contained (one file to
download and upload back); the JSON beside it is a convenience and never read back.

Both files are written atomically (``inspector.files``: a temporary file in the same folder,
fsync, ``os.replace``), so a crash mid-write leaves the previous checkpoint intact.

A generator-only export (:func:`save_generator_export`, what ``colorize`` needs, optionally in
half precision) is the same format with only ``generator.*`` tensors and ``"kind": "generator"``.

Loading accepts any file that parses as safetensors (ours, or any with ``generator.*`` keys),
whatever its name, and otherwise a PyTorch zip of plain tensors (``torch.load(weights_only=True)``;
pickles are refused unread): see :mod:`inspector.training.checkpoint_formats`. Tensors must fit
their storage and the file (checked before any is read), be finite, and fit the architecture
(the checkpoint's own, or one the caller chooses): :mod:`inspector.training.checkpoint_checks`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import save_file
from torch import nn

from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.files import write_file_at, write_text
from inspector.training.checkpoint_checks import (
    FORMAT,
    FORMAT_VERSION,
    build_meta,
    check_optimizer,
    check_rng,
    check_state_dict,
    optimizer_states,
)
from inspector.training.checkpoint_formats import META_KEY, TORCH_TYPES, read_tensors
from inspector.training.recognize import Recognized, no_generator, recognize_parts, stored_configs
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator
from models.config import PARTS
from models.text import Text, message_of

CHECKPOINT_FILE = "checkpoint.safetensors"
EXPORT_FILE = "generator.safetensors"
META_FILE = "checkpoint.json"
MAX_CHECKPOINT_BYTES = 1 << 30  # 1 GiB: the full 256x256 model with Adam state is ~0.7 GiB
CHECKPOINT_TYPES = ("safetensors", *TORCH_TYPES)  # what upload widgets offer; the bytes decide the format
_Config = TypeVar("_Config", GeneratorConfig, DiscriminatorConfig)
# meta["kind"]: a full checkpoint (resumable), a generator export, or networks without optimizer state
KIND_FULL, KIND_GENERATOR, KIND_NETWORKS = "checkpoint", "generator", "networks"


@dataclass
class Checkpoint(RichDisplay):
    """A loaded, validated checkpoint. State dicts are CPU tensors keyed as in the models."""

    generator_config: GeneratorConfig
    discriminator_config: DiscriminatorConfig | None
    generator: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor]
    step: int = 0
    meta: dict[str, Any] = field(default_factory=dict)  # the JSON: metrics, train config, ...
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)  # "G"/"D" -> Adam state_dict
    rng: dict[str, torch.Tensor] = field(default_factory=dict)
    recognized: dict[str, Recognized] = field(default_factory=dict)  # each network: family, notes

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.meta.get("metrics") or {})

    @property
    def train_config(self) -> dict[str, Any]:
        return dict(self.meta.get("train_config") or {})

    @property
    def is_export(self) -> bool:
        """Weights without a run's state (a generator export, an exported or foreign file): enough to
        colorize or to start a new run from, not to resume one."""
        return self.meta.get("kind") in (KIND_GENERATOR, KIND_NETWORKS) or not self.meta


# ----------------------------------------------------------------------------------- saving


def save_checkpoint(
    run_dir: str | Path,
    generator: nn.Module,
    discriminator: nn.Module,
    step: int,
    optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
    rng: Mapping[str, torch.Tensor] | None = None,
    metrics: Mapping[str, Any] | None = None,
    train_config: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``RUN_DIR/checkpoint.safetensors`` and ``checkpoint.json`` atomically; returns the former.

    ``generator`` and ``discriminator`` are the plain models (not DDP wrappers); their
    ``.config`` is stored. ``optimizers`` maps "G" / "D" to their Adam optimizers.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for part, model in zip(PARTS, (generator, discriminator)):
        for key, value in model.state_dict().items():
            tensors[f"{part}.{key}"] = _plain(value)
    optim_meta: dict[str, Any] = {}
    for name, opt in (optimizers or {}).items():
        state = opt.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, values in state["state"].items():
            for key, value in values.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optim.{name}.{index}.{key}"] = _plain(value)
                else:  # e.g. a float step in old PyTorch versions
                    scalars.setdefault(str(index), {})[key] = value
        optim_meta[name] = {"param_groups": state["param_groups"], "scalars": scalars}
    for name, value in (rng or {}).items():
        tensors[f"rng.{name}"] = _plain(value)
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": KIND_FULL,
        "step": int(step),
        "generator_config": _config_of(generator, GeneratorConfig).to_dict(),
        "discriminator_config": _config_of(discriminator, DiscriminatorConfig).to_dict(),
        "train_config": dict(train_config or {}),
        "metrics": dict(metrics or {}),
        "optimizers": optim_meta,
    }
    text = json.dumps(meta, sort_keys=True, default=_json_default)
    path = write_file_at(
        run_dir / CHECKPOINT_FILE, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: text})
    )
    write_text(run_dir / META_FILE, json.dumps(json.loads(text), indent=2))
    return path


def _config_of(model: nn.Module, cls: type[_Config]) -> _Config:
    """The config a model of ``models`` carries in ``.config`` (a wrapper or a stranger has none)."""
    cfg = getattr(model, "config", None)
    if not isinstance(cfg, cls):
        raise TypeError(f"{type(model).__name__} has no {cls.__name__} in .config: build it with models")
    return cfg


def _plain(t: torch.Tensor) -> torch.Tensor:
    # safetensors wants dense, contiguous CPU tensors; channels_last weights are made NCHW again.
    return t.detach().to("cpu").contiguous().clone()


def _json_default(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint's JSON")


def save_generator_export(
    path: str | Path,
    generator: nn.Module | None,
    g_cfg: GeneratorConfig | None = None,
    half: bool = False,
    step: int = 0,
    metrics: Mapping[str, Any] | None = None,
    discriminator: nn.Module | None = None,
    source: Mapping[str, Any] | None = None,
) -> Path:
    """Write the networks' weights and configs without a run's state, atomically.

    Without ``discriminator``: only what colorizing needs (``"kind": "generator"``). With it, both
    networks (``"kind": "networks"``: a start for a new run, not a run to resume); ``generator``
    None writes a discriminator alone. ``path`` is a file, or a folder that gets
    ``generator.safetensors``. ``g_cfg`` defaults to ``generator.config``. With ``half=True``
    floating tensors are stored as float16 (half the size; loading turns them back into float32);
    a weight beyond float16's range is refused rather than stored as inf. ``source`` (JSON) says
    where foreign weights came from. Returns the path written; :func:`load_checkpoint` reads it back.
    """
    target = Path(path)
    if target.is_dir():
        target = target / EXPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION}
    for part, model in (("generator", generator), ("discriminator", discriminator)):
        if model is None:
            continue
        if part == "generator":
            meta["generator_config"] = (g_cfg or _config_of(model, GeneratorConfig)).to_dict()
        else:
            meta["discriminator_config"] = _config_of(model, DiscriminatorConfig).to_dict()
        for key, value in model.state_dict().items():
            plain = _plain(value)
            if half and plain.is_floating_point():
                if plain.numel() and float(plain.abs().max()) > torch.finfo(torch.float16).max:
                    raise UserError(
                        Text(
                            "{part}.{key} has values beyond float16's range: export it without half",
                            part=part,
                            key=key,
                        )
                    )
                plain = plain.half()
            tensors[f"{part}.{key}"] = plain
    kind = KIND_NETWORKS if discriminator is not None else KIND_GENERATOR
    meta |= {
        "kind": kind,
        "dtype": "float16" if half else "float32",
        "step": int(step),
        "metrics": dict(metrics or {}),
    }
    if source:
        meta["source"] = dict(source)
    text = json.dumps(meta, sort_keys=True, default=_json_default)
    return write_file_at(target, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: text}))


# ---------------------------------------------------------------------------------- loading


def checkpoint_path(source: str | Path) -> Path:
    """A run directory means its ``checkpoint.safetensors``; a file is itself."""
    path = Path(source)
    if path.is_dir():
        path = path / CHECKPOINT_FILE
        if not path.exists():
            raise UserError(
                Text(
                    "{source} holds no {file}: is it a run directory of `train`?",
                    source=str(source),
                    file=CHECKPOINT_FILE,
                )
            )
    elif not path.exists():
        raise UserError(Text("checkpoint {source} does not exist", source=str(source)))
    if not path.is_file():  # a FIFO would block forever, /dev/zero would never end
        raise UserError(Text("checkpoint {source} is not a regular file", source=str(source)))
    return path


def read_checkpoint(
    source: str | Path | bytes, name: str | None = None, max_bytes: int = MAX_CHECKPOINT_BYTES
) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
    """(tensors, our header JSON or {}, name) of a run directory, a file or bytes: read within
    ``max_bytes``, by structure (``checkpoint_formats.read_tensors``: geometry and finiteness
    checked). Nothing is assumed about which networks the tensors are."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "upload"
    else:
        path = checkpoint_path(source)
        size = path.stat().st_size
        if size > max_bytes:
            raise UserError(_too_big(path.name, size, max_bytes))
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)  # bounded: the file may grow while it is read
        name = name or path.name
    if len(data) > max_bytes:
        raise UserError(_too_big(name, len(data), max_bytes))
    try:
        tensors, meta = read_tensors(data, name)
    except UserError:
        raise
    except Exception as exc:  # a crafted file can reach corners no check foresaw: still one clear message
        raise _unreadable(name, exc) from None
    return tensors, meta, name


def load_checkpoint(
    source: str | Path | bytes,
    name: str | None = None,
    generator_config: GeneratorConfig | None = None,
    discriminator_config: DiscriminatorConfig | None = None,
    max_bytes: int = MAX_CHECKPOINT_BYTES,
) -> Checkpoint:
    """Read and validate a checkpoint (or a generator export) from a run directory, a file, or bytes.

    ``name`` (the file name, for uploads) is used in messages; the format is decided by the
    bytes. A file without this project's header (the reference code's, the notebook's, a
    DataParallel or compiled model's) is recognized by its structure
    (:mod:`inspector.training.recognize`). The configs, when given, are the architecture to load
    into instead of the stored or recognized one. Raises ``UserError`` for anything that is not a
    finite, matching set of tensors.
    """
    tensors, meta, name = read_checkpoint(source, name, max_bytes)
    try:
        return _load(tensors, meta, name, generator_config, discriminator_config)
    except UserError:
        raise
    except Exception as exc:  # as in read_checkpoint: one clear message, never a traceback
        raise _unreadable(name, exc) from None


def _unreadable(name: str, exc: Exception) -> UserError:
    return UserError(
        Text(
            "{name} could not be read as a checkpoint ({kind}: {error})",
            name=name,
            kind=type(exc).__name__,
            error=message_of(exc),
        )
    )


def _too_big(name: str, size: int, max_bytes: int) -> Text:
    return Text(
        "{name} is {size} MiB; checkpoints are capped at {limit} MiB",
        name=name,
        size=f"{size / 2**20:.0f}",
        limit=f"{max_bytes / 2**20:.0f}",
    )


def _load(
    tensors: dict[str, torch.Tensor],
    meta: dict[str, Any],
    name: str,
    generator_config: GeneratorConfig | None,
    discriminator_config: DiscriminatorConfig | None,
) -> Checkpoint:
    parts, optim, rng = split_parts(tensors)
    found = recognize_parts(parts, stored_configs(meta, name), name)
    g_found, d_found = found.get("generator"), found.get("discriminator")
    g_cfg = generator_config or (g_found.config if g_found is not None else None)
    if not isinstance(g_cfg, GeneratorConfig):
        raise UserError(no_generator(name, g_found, d_found))
    found_d = d_found.config if d_found is not None else None
    d_cfg = discriminator_config or (found_d if isinstance(found_d, DiscriminatorConfig) else None)
    g_state = g_found.state if g_found is not None else {}
    d_state = d_found.state if d_found is not None and d_cfg is not None else {}
    g_meta = build_meta(g_cfg)
    check_state_dict(g_state, g_meta, "generator", g_cfg)
    d_meta = None
    if d_state and d_cfg is not None:
        d_meta = build_meta(d_cfg)
        check_state_dict(d_state, d_meta, "discriminator", d_cfg)
    optimizers = optimizer_states(optim, meta.get("optimizers") or {}, name)
    if optimizers:
        # Adam's moments must fit the parameters they belong to, or resuming fails mid-step.
        for which, model in (("G", g_meta), ("D", d_meta)):
            if model is not None and which in optimizers:
                check_optimizer(optimizers[which], model, which, name)
    check_rng(rng, name)
    return Checkpoint(
        generator_config=g_cfg,
        discriminator_config=d_cfg,
        generator=_full_precision(g_state),
        discriminator=_full_precision(d_state),
        step=meta.get("step", 0),
        meta=meta,
        optimizers=optimizers,
        rng=rng,
        recognized=dict(found),
    )


def _full_precision(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # A half-precision export trains and runs as float32 models: give every consumer float32.
    return {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in state.items()}


def split_parts(
    tensors: Mapping[str, torch.Tensor],
) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    """Group the flat keys: model parts, optimizer tensors per optimizer, random states."""
    parts: dict[str, dict[str, torch.Tensor]] = {p: {} for p in PARTS}
    optim: dict[str, dict[str, torch.Tensor]] = {}
    rng: dict[str, torch.Tensor] = {}
    for key, value in tensors.items():
        head, _, rest = key.partition(".")
        if head in parts:
            parts[head][rest] = value
        elif head == "optim":
            which, _, rest = rest.partition(".")
            optim.setdefault(which, {})[rest] = value
        elif head == "rng":
            rng[rest] = value
    return parts, optim, rng


# -------------------------------------------------------------------------------- restoring


def restore_models(
    ckpt: Checkpoint, device: torch.device | str = "cpu"
) -> tuple[nn.Module, nn.Module | None]:
    """Build the generator (and the discriminator, if stored) and load the checkpoint's weights."""
    g = build_generator(ckpt.generator_config)
    g.load_state_dict(ckpt.generator)
    d = None
    if ckpt.discriminator and ckpt.discriminator_config is not None:
        d = build_discriminator(ckpt.discriminator_config)
        d.load_state_dict(ckpt.discriminator)
        d = d.to(device)
    return g.to(device), d

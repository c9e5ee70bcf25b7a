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

Both files are written atomically: a temporary file in the same directory, then ``os.replace``,
so a crash mid-write leaves the previous checkpoint intact.

Loading accepts a ``.safetensors`` file (ours, or any with ``generator.*`` keys) or a PyTorch
file of plain tensors (``torch.load(weights_only=True)``: a pickle that asks to run code is
refused). Every floating tensor must be finite, and the state dicts must fit the architecture
(the checkpoint's own, or one the caller chooses): missing, unexpected and mis-shaped keys are
listed in the ``UserError``.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file
from torch import nn

from inspector.errors import UserError
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator

CHECKPOINT_FILE = "checkpoint.safetensors"
META_FILE = "checkpoint.json"
FORMAT = "pix2pix-inspector-checkpoint"
FORMAT_VERSION = 1
META_KEY = "pix2pix_inspector"  # key of our JSON inside the safetensors header metadata
MAX_CHECKPOINT_BYTES = 1 << 30  # 1 GiB: the full 256x256 model with Adam state is ~0.7 GiB
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
PARTS = ("generator", "discriminator")
_LIST_LIMIT = 8  # keys named in an error before "and N more"
MAX_STEP = 10**9  # a step count beyond this is not a training run of this tool


@dataclass
class Checkpoint:
    """A loaded, validated checkpoint. State dicts are CPU tensors keyed as in the models."""

    generator_config: GeneratorConfig
    discriminator_config: DiscriminatorConfig | None
    generator: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor]
    step: int = 0
    meta: dict[str, Any] = field(default_factory=dict)  # the JSON: metrics, train config, ...
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)  # "G"/"D" -> Adam state_dict
    rng: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.meta.get("metrics") or {})

    @property
    def train_config(self) -> dict[str, Any]:
        return dict(self.meta.get("train_config") or {})


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
        "step": int(step),
        "generator_config": generator.config.to_dict(),
        "discriminator_config": discriminator.config.to_dict(),
        "train_config": dict(train_config or {}),
        "metrics": dict(metrics or {}),
        "optimizers": optim_meta,
    }
    text = json.dumps(meta, sort_keys=True, default=_json_default)
    path = run_dir / CHECKPOINT_FILE
    _atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: text}))
    _atomic_write(run_dir / META_FILE, lambda tmp: Path(tmp).write_text(json.dumps(json.loads(text), indent=2)))
    return path


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


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, fsync it, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------- loading


def checkpoint_path(source: str | Path) -> Path:
    """A run directory means its ``checkpoint.safetensors``; a file is itself."""
    path = Path(source)
    if path.is_dir():
        path = path / CHECKPOINT_FILE
        if not path.exists():
            raise UserError(f"{source} holds no {CHECKPOINT_FILE}: is it a run directory of `train`?")
    elif not path.exists():
        raise UserError(f"checkpoint {source} does not exist")
    if not path.is_file():  # a FIFO would block forever, /dev/zero would never end
        raise UserError(f"checkpoint {source} is not a regular file")
    return path


def load_checkpoint(
    source: str | Path | bytes,
    name: str | None = None,
    generator_config: GeneratorConfig | None = None,
    discriminator_config: DiscriminatorConfig | None = None,
    max_bytes: int = MAX_CHECKPOINT_BYTES,
) -> Checkpoint:
    """Read and validate a checkpoint from a run directory, a file, or uploaded bytes.

    ``name`` (the file name, for uploads) decides the format by its suffix. The configs, when
    given, are the architecture to load into instead of the one stored in the checkpoint.
    Raises ``UserError`` for anything that is not a finite, matching set of tensors.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "upload"
    else:
        path = checkpoint_path(source)
        size = path.stat().st_size
        if size > max_bytes:
            raise UserError(f"{path.name} is {size / 2**20:.0f} MiB; checkpoints are capped at {max_bytes / 2**20:.0f} MiB")
        data = path.read_bytes()
        name = name or path.name
    if len(data) > max_bytes:
        raise UserError(f"{name} is {len(data) / 2**20:.0f} MiB; checkpoints are capped at {max_bytes / 2**20:.0f} MiB")
    try:
        return _load(data, name, generator_config, discriminator_config, max_bytes)
    except UserError:
        raise
    except Exception as exc:  # a crafted file can reach corners no check foresaw: still one clear message
        raise UserError(f"{name} could not be read as a checkpoint ({type(exc).__name__}: {exc})") from None


def _load(
    data: bytes,
    name: str,
    generator_config: GeneratorConfig | None,
    discriminator_config: DiscriminatorConfig | None,
    max_bytes: int = MAX_CHECKPOINT_BYTES,
) -> Checkpoint:
    if name.lower().endswith(TORCH_SUFFIXES) or data[:2] == b"PK" or data[:1] == b"\x80":
        tensors, meta = _read_torch(data, name, max_bytes), {}
    else:
        tensors, meta = _read_safetensors(data, name)
    _check_finite(tensors, name)
    parts, optim, rng = _split(tensors)
    g_cfg = generator_config or _config(GeneratorConfig, meta.get("generator_config"), name)
    if g_cfg is None:
        raise UserError(
            f"{name} holds bare weights without a model configuration: choose the architecture it was "
            "trained with (a preset and its settings) and load it again"
        )
    d_cfg = discriminator_config or _config(DiscriminatorConfig, meta.get("discriminator_config"), name)
    g_meta = build_meta(g_cfg)
    check_state_dict(parts["generator"], g_meta, "generator", g_cfg)
    d_meta = None
    if parts["discriminator"] and d_cfg is not None:
        d_meta = build_meta(d_cfg)
        check_state_dict(parts["discriminator"], d_meta, "discriminator", d_cfg)
    optimizers = _optimizer_states(optim, meta.get("optimizers") or {}, name)
    if optimizers:
        # Adam's moments must fit the parameters they belong to, or resuming fails mid-step.
        for which, model in (("G", g_meta), ("D", d_meta)):
            if model is not None and which in optimizers:
                _check_optimizer(optimizers[which], model, which, name)
    _check_rng(rng, name)
    return Checkpoint(
        generator_config=g_cfg,
        discriminator_config=d_cfg,
        generator=parts["generator"],
        discriminator=parts["discriminator"],
        step=meta.get("step", 0),
        meta=meta,
        optimizers=optimizers,
        rng=rng,
    )


def _read_safetensors(data: bytes, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    # Header: 8 bytes little-endian length, then that much JSON. Parsed here only for the metadata;
    # the tensors are parsed by safetensors itself (bounds-checked, no code).
    if len(data) < 8:
        raise UserError(f"{name} is not a safetensors file (only {len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise UserError(f"{name} is not a safetensors file (its header claims {n} bytes)")
    try:
        header = json.loads(data[8 : 8 + n])
        tensors = load_safetensors_bytes(data)
    except Exception as exc:  # the Rust parser raises its own error types
        raise UserError(f"{name} is not a readable safetensors file: {exc}") from None
    text = (header.get("__metadata__") or {}).get(META_KEY) if isinstance(header, dict) else None
    meta: dict[str, Any] = {}
    if text:
        try:
            meta = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise UserError(f"{name}: its pix2pix-inspector metadata is not valid JSON") from None
        meta = _check_meta(meta, name)
    return tensors, meta


def _check_meta(meta: Any, name: str) -> dict[str, Any]:
    """The header JSON's types, checked before anything trusts them (the file may be crafted)."""
    if not isinstance(meta, dict):
        raise UserError(f"{name}: its pix2pix-inspector metadata is a JSON {type(meta).__name__}, not an object")
    version = meta.get("version", 0)
    if meta.get("format") != FORMAT or not _is_count(version) or version > FORMAT_VERSION:
        raise UserError(f"{name} is checkpoint format {version!r}; this version reads {FORMAT_VERSION}")
    if not _is_count(meta.get("step", 0)) or meta.get("step", 0) > MAX_STEP:
        raise UserError(f"{name}: its step must be an integer from 0 to {MAX_STEP:,}, got {meta.get('step')!r}")
    for key in ("generator_config", "discriminator_config", "train_config", "metrics", "optimizers"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise UserError(f"{name}: its {key} must be a JSON object, got {type(meta[key]).__name__}")
    return meta


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_torch(data: bytes, name: str, max_bytes: int = MAX_CHECKPOINT_BYTES) -> dict[str, torch.Tensor]:
    if data[:2] == b"PK":  # torch.save's zip: its members may be compressed (a bomb), so sum what they hold
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
            held = sum(info.file_size for info in entries)
            packed = sum(info.compress_type != zipfile.ZIP_STORED for info in entries)
        except (zipfile.BadZipFile, ValueError, OSError):
            held, packed = 0, 0  # torch.load below says what is wrong with it
        if held > max_bytes:
            raise UserError(
                f"{name} expands to {held / 2**20:.0f} MiB; checkpoints are capped at {max_bytes / 2**20:.0f} MiB"
            )
        if packed:  # torch.save never compresses: a header that claims a small size may lie
            raise UserError(f"{name} has compressed members, which torch.save never writes: refused")
    try:
        # weights_only: the unpickler builds tensors and plain containers only; any other global
        # (os.system, a class with __reduce__) is refused before it can run.
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": the error below says enough
            warnings.simplefilter("ignore")
            obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UserError(
            f"{name} was refused: it is not a file of plain tensors (it may contain code, which is never run). "
            f"Details: {' '.join(str(exc).split())[:300]}"
        ) from None
    return _flatten_torch(obj, name)


def _flatten_torch(obj: Any, name: str) -> dict[str, torch.Tensor]:
    """Accept a generator state dict, or ``{"generator": sd, "discriminator": sd}`` (also G / D)."""
    if not isinstance(obj, Mapping):
        raise UserError(f"{name} holds a {type(obj).__name__}, not a state dict")
    aliases = {"generator": "generator", "G": "generator", "net_G": "generator",
               "discriminator": "discriminator", "D": "discriminator", "net_D": "discriminator"}
    nested = {aliases[k]: v for k, v in obj.items() if k in aliases and isinstance(v, Mapping)}
    if nested:
        out = {}
        for part, sd in nested.items():
            out.update({f"{part}.{k}": v for k, v in sd.items()})
    elif all(str(k).startswith(("generator.", "discriminator.")) for k in obj):
        out = dict(obj)
    else:
        out = {f"generator.{k}": v for k, v in obj.items()}
    bad = [k for k, v in out.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise UserError(f"{name}: these entries are not tensors: {_names(bad)}")
    return out


def _check_finite(tensors: Mapping[str, torch.Tensor], name: str) -> None:
    bad = sorted(k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all()))
    if bad:
        raise UserError(f"{name} has non-finite values (NaN or inf) in {len(bad)} tensor(s): {_names(bad)}")


def _split(tensors: Mapping[str, torch.Tensor]) -> tuple[dict[str, dict], dict[str, dict], dict[str, torch.Tensor]]:
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


def _config(cls: type, data: Any, name: str) -> Any:
    if data is None:
        return None
    try:
        return cls.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{name}: its stored {cls.__name__} is invalid: {exc}") from None


def _optimizer_states(
    tensors: dict[str, dict[str, torch.Tensor]], meta: Mapping[str, Any], name: str
) -> dict[str, dict]:
    """Rebuild ``optimizer.state_dict()`` for "G" and "D" from the key scheme and the JSON."""
    if not meta:
        if tensors:
            raise UserError(f"{name} holds optimizer tensors ({_names(sorted(tensors))}) but no optimizer metadata")
        return {}
    if set(meta) != {"G", "D"}:
        raise UserError(f"{name}: its optimizers must be exactly G and D, got {_names(sorted(map(str, meta)))}")
    stray = sorted(set(tensors) - set(meta))
    if stray:
        raise UserError(f"{name} holds tensors of unknown optimizers: {_names(stray)}")
    out = {}
    for which, info in meta.items():
        groups = info.get("param_groups") if isinstance(info, dict) else None
        if not (isinstance(groups, list) and groups and all(_is_group(g) for g in groups)):
            raise UserError(f"{name}: optimizer {which} has no valid param_groups (a list of objects with a list "
                            "of integer params, numbers for lr, betas, eps and weight_decay, and true/false flags)")
        scalars = info.get("scalars") or {}
        if not isinstance(scalars, dict) or not all(
            isinstance(v, dict) and all(_is_number(x) for x in v.values()) for v in scalars.values()
        ):
            raise UserError(f"{name}: optimizer {which}'s scalars must map parameter indices to objects")
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.get(which, {}).items():
            index, _, attr = key.partition(".")
            state.setdefault(_index(index, which, name), {})[attr] = value
        for index, values in scalars.items():
            state.setdefault(_index(index, which, name), {}).update(values)
        # JSON turned tuples (Adam's betas) into lists; give them back as PyTorch made them.
        groups = [{k: tuple(v) if k == "betas" and isinstance(v, list) else v for k, v in g.items()} for g in groups]
        out[which] = {"state": state, "param_groups": groups}
    return out


def _is_group(group: Any) -> bool:
    """An Adam param group as PyTorch writes it: params, the hyper-parameters as numbers, flags."""
    params = group.get("params") if isinstance(group, dict) else None
    if not (isinstance(params, list) and all(_is_count(i) for i in params)):
        return False
    for key in ("lr", "eps", "weight_decay"):
        if key in group and not (_is_number(group[key]) and group[key] >= 0):
            return False
    betas = group.get("betas", (0.9, 0.999))
    if not (isinstance(betas, (list, tuple)) and len(betas) == 2 and all(_is_number(b) and 0 <= b < 1 for b in betas)):
        return False
    flags = ("amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay")
    return all(group.get(key) is None or isinstance(group[key], bool) for key in flags)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _index(text: str, which: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise UserError(f"{name}: optimizer {which} has a state for parameter {text!r}, which is not an index")
    return int(text)


def _check_optimizer(state_dict: Mapping[str, Any], model: nn.Module, which: str, name: str) -> None:
    """Adam's param_groups must list each parameter once; its moments must have the parameters' shapes."""
    shapes = [tuple(p.shape) for p in model.parameters()]
    listed = [i for g in state_dict["param_groups"] for i in g["params"]]
    if sorted(listed) != list(range(len(shapes))):
        raise UserError(f"{name}: optimizer {which} lists {len(listed)} parameters; the model has {len(shapes)}")
    for index, values in state_dict["state"].items():
        if index >= len(shapes):
            raise UserError(f"{name}: optimizer {which} has a state for parameter {index}; the model has {len(shapes)}")
        for attr, value in values.items():
            if attr in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") and (
                not isinstance(value, torch.Tensor) or tuple(value.shape) != shapes[index]
            ):
                got = _shape(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__
                raise UserError(f"{name}: optimizer {which}'s {attr} of parameter {index} is {got}; "
                                f"the parameter is {_shape(shapes[index])}")


def _check_rng(rng: Mapping[str, torch.Tensor], name: str) -> None:
    """Random states are byte tensors of the size the generators expect (set_rng_state checks little)."""
    sizes = {"cpu": torch.get_rng_state().numel(), "sampler": torch.Generator().get_state().numel()}
    for key, value in rng.items():
        expected = sizes.get(key)
        if value.dtype != torch.uint8 or value.dim() != 1 or (expected is not None and value.numel() != expected):
            raise UserError(f"{name}: its random state rng.{key} is not a valid generator state")


def build_meta(cfg: GeneratorConfig | DiscriminatorConfig) -> nn.Module:
    """The network on the meta device: its state dict's keys and shapes, no memory."""
    with torch.device("meta"):
        return build_generator(cfg) if isinstance(cfg, GeneratorConfig) else build_discriminator(cfg)


def check_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module, part: str, cfg: Any = None) -> None:
    """Raise ``UserError`` listing missing, unexpected and mis-shaped keys of ``state`` against ``model``."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing = [k for k in expected if k not in got]
    unexpected = sorted(k for k in got if k not in expected)  # file order is not stable: sort
    misshaped = [
        f"{k} (checkpoint {_shape(got[k])}, model {_shape(expected[k])})"
        for k in expected
        if k in got and got[k] != expected[k]
    ]
    if not (missing or unexpected or misshaped):
        return
    problems = []
    if missing:
        problems.append(f"missing keys: {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_names(unexpected)}")
    if misshaped:
        problems.append(f"mis-shaped keys: {_names(misshaped)}")
    where = ""
    if isinstance(cfg, GeneratorConfig):
        where = f" (ngf {cfg.ngf}, depth {cfg.depth}, outer_skip {cfg.outer_skip})"
    elif isinstance(cfg, DiscriminatorConfig):
        where = f" (ndf {cfg.ndf}, n_layers {cfg.n_layers}, end_bias {cfg.end_bias})"
    raise UserError(
        f"the checkpoint does not fit the chosen {part}{where}: " + "; ".join(problems)
        + ". It was trained with another architecture: pick the preset and settings it was trained with."
    )


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _names(keys: list[str]) -> str:
    head = ", ".join(keys[:_LIST_LIMIT])
    return head + (f" and {len(keys) - _LIST_LIMIT} more" if len(keys) > _LIST_LIMIT else "")


# -------------------------------------------------------------------------------- restoring


def restore_models(ckpt: Checkpoint, device: torch.device | str = "cpu") -> tuple[nn.Module, nn.Module | None]:
    """Build the generator (and the discriminator, if stored) and load the checkpoint's weights."""
    g = build_generator(ckpt.generator_config)
    g.load_state_dict(ckpt.generator)
    d = None
    if ckpt.discriminator and ckpt.discriminator_config is not None:
        d = build_discriminator(ckpt.discriminator_config)
        d.load_state_dict(ckpt.discriminator)
        d = d.to(device)
    return g.to(device), d

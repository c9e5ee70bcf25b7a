"""Validation of a parsed checkpoint: everything a crafted file could lie about, checked before use.

:mod:`inspector.training.checkpoint_formats` turns bytes into tensors and a header JSON; this
module decides whether they can be trusted (the tensors' geometry is
:mod:`inspector.training.tensor_views`'s): finiteness, the JSON's types, Adam's state against the
parameters it belongs to, random generator states, and the state dicts against an architecture.
Every refusal is a ``UserError`` that names the file and the offending key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from inspector.errors import UserError
from inspector.training.tensor_views import shape_text
from models import DiscriminatorConfig, GeneratorConfig, build
from models.text import Text, compose, join

FORMAT = "pix2pix-inspector-checkpoint"
FORMAT_VERSION = 1
MAX_STEP = 10**9  # a step count beyond this is not a training run of this tool
_LIST_LIMIT = 8  # keys named in an error before "and N more"
_ADAM_MOMENTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


# ------------------------------------------------------------------------------- the tensors


def check_finite(tensors: Mapping[str, torch.Tensor], name: str) -> None:
    """Refuse NaN and inf in floating tensors. Call after ``tensor_views.check_geometry``: each check
    then allocates at most one tensor's worth of booleans."""
    bad = sorted(k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all()))
    if bad:
        raise UserError(
            Text(
                "{name} has non-finite values (NaN or inf) in {n} tensor(s): {keys}",
                name=name,
                n=len(bad),
                keys=names(bad),
            )
        )


# --------------------------------------------------------------------------------- the JSON


def check_meta(meta: Any, name: str) -> dict[str, Any]:
    """The header JSON's types, checked before anything trusts them (the file may be crafted)."""
    if not isinstance(meta, dict):
        raise UserError(
            Text(
                "{name}: its pix2pix-inspector metadata is a JSON {kind}, not an object",
                name=name,
                kind=type(meta).__name__,
            )
        )
    version = meta.get("version", 0)
    if meta.get("format") != FORMAT or not is_count(version) or version > FORMAT_VERSION:
        raise UserError(
            Text(
                "{name} is checkpoint format {version}; this version reads {supported}",
                name=name,
                version=repr(version),
                supported=FORMAT_VERSION,
            )
        )
    if not is_count(meta.get("step", 0)) or meta.get("step", 0) > MAX_STEP:
        raise UserError(
            Text(
                "{name}: its step must be an integer from 0 to {max_step}, got {step}",
                name=name,
                max_step=f"{MAX_STEP:,}",
                step=repr(meta.get("step")),
            )
        )
    for key in ("generator_config", "discriminator_config", "train_config", "metrics", "optimizers"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise UserError(
                Text(
                    "{name}: its {key} must be a JSON object, got {kind}",
                    name=name,
                    key=key,
                    kind=type(meta[key]).__name__,
                )
            )
    if meta.get("kind") is not None and not isinstance(meta["kind"], str):
        raise UserError(
            Text(
                "{name}: its kind must be a JSON string, got {kind}",
                name=name,
                kind=type(meta["kind"]).__name__,
            )
        )
    return meta


def is_count(value: Any) -> bool:
    """A non-negative JSON integer (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_number(value: Any) -> bool:
    """A finite JSON number (``True`` is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ------------------------------------------------------------------------------ optimizers


def optimizer_states(
    tensors: dict[str, dict[str, torch.Tensor]], meta: Mapping[str, Any], name: str
) -> dict[str, dict[str, Any]]:
    """Rebuild ``optimizer.state_dict()`` for "G" and "D" from the key scheme and the JSON."""
    if not meta:
        if tensors:
            raise UserError(
                Text(
                    "{name} holds optimizer tensors ({keys}) but no optimizer metadata",
                    name=name,
                    keys=names(sorted(tensors)),
                )
            )
        return {}
    if set(meta) != {"G", "D"}:
        raise UserError(
            Text(
                "{name}: its optimizers must be exactly G and D, got {keys}",
                name=name,
                keys=names(sorted(map(str, meta))),
            )
        )
    stray = sorted(set(tensors) - set(meta))
    if stray:
        raise UserError(
            Text("{name} holds tensors of unknown optimizers: {keys}", name=name, keys=names(stray))
        )
    out = {}
    for which, info in meta.items():
        groups = info.get("param_groups") if isinstance(info, dict) else None
        if not (isinstance(groups, list) and groups and all(_is_group(g) for g in groups)):
            raise UserError(
                Text(
                    "{name}: optimizer {which} has no valid param_groups (a list of objects with a list "
                    "of integer params, numbers for lr, betas, eps and weight_decay, and true/false flags)",
                    name=name,
                    which=which,
                )
            )
        scalars = info.get("scalars") or {}
        if not isinstance(scalars, dict) or not all(
            isinstance(v, dict) and all(is_number(x) for x in v.values()) for v in scalars.values()
        ):
            raise UserError(
                Text(
                    "{name}: optimizer {which}'s scalars must map parameter indices to objects",
                    name=name,
                    which=which,
                )
            )
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.get(which, {}).items():
            index, _, attr = key.partition(".")
            state.setdefault(_index(index, which, name), {})[attr] = value
        for index, values in scalars.items():
            state.setdefault(_index(index, which, name), {}).update(values)
        # JSON turned tuples (Adam's betas) into lists; give them back as PyTorch made them.
        groups = [
            {k: tuple(v) if k == "betas" and isinstance(v, list) else v for k, v in g.items()} for g in groups
        ]
        out[which] = {"state": state, "param_groups": groups}
    return out


def _is_group(group: Any) -> bool:
    """An Adam param group as PyTorch writes it: params, the hyper-parameters as numbers, flags."""
    params = group.get("params") if isinstance(group, dict) else None
    if not (isinstance(params, list) and all(is_count(i) for i in params)):
        return False
    for key in ("lr", "eps", "weight_decay"):
        if key in group and not (is_number(group[key]) and group[key] >= 0):
            return False
    betas = group.get("betas", (0.9, 0.999))
    if not (
        isinstance(betas, (list, tuple))
        and len(betas) == 2
        and all(is_number(b) and 0 <= b < 1 for b in betas)
    ):
        return False
    flags = (
        "amsgrad",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
        "fused",
        "decoupled_weight_decay",
    )
    return all(group.get(key) is None or isinstance(group[key], bool) for key in flags)


def _index(text: str, which: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise UserError(
            Text(
                "{name}: optimizer {which} has a state for parameter {index}, which is not an index",
                name=name,
                which=which,
                index=repr(text),
            )
        )
    return int(text)


def check_optimizer(state_dict: Mapping[str, Any], model: nn.Module, which: str, name: str) -> None:
    """Adam's param_groups must list each parameter once; its moments must have the parameters' shapes."""
    shapes = [tuple(p.shape) for p in model.parameters()]
    listed = [i for g in state_dict["param_groups"] for i in g["params"]]
    if sorted(listed) != list(range(len(shapes))):
        raise UserError(
            Text(
                "{name}: optimizer {which} lists {listed} parameters; the model has {count}",
                name=name,
                which=which,
                listed=len(listed),
                count=len(shapes),
            )
        )
    for index, values in state_dict["state"].items():
        if index >= len(shapes):
            raise UserError(
                Text(
                    "{name}: optimizer {which} has a state for parameter {index}; the model has {count}",
                    name=name,
                    which=which,
                    index=index,
                    count=len(shapes),
                )
            )
        for attr, value in values.items():
            if attr in _ADAM_MOMENTS and (
                not isinstance(value, torch.Tensor) or tuple(value.shape) != shapes[index]
            ):
                got = (
                    shape_text(tuple(value.shape))
                    if isinstance(value, torch.Tensor)
                    else type(value).__name__
                )
                raise UserError(
                    Text(
                        "{name}: optimizer {which}'s {attr} of parameter {index} is {got}; the parameter is {shape}",
                        name=name,
                        which=which,
                        attr=attr,
                        index=index,
                        got=got,
                        shape=shape_text(shapes[index]),
                    )
                )


def check_rng(rng: Mapping[str, torch.Tensor], name: str) -> None:
    """Random states are byte tensors of the size the generators expect (set_rng_state checks little)."""
    sizes = {"cpu": torch.get_rng_state().numel(), "sampler": torch.Generator().get_state().numel()}
    for key, value in rng.items():
        expected = sizes.get(key)
        if (
            value.dtype != torch.uint8
            or value.dim() != 1
            or (expected is not None and value.numel() != expected)
        ):
            raise UserError(
                Text("{name}: its random state rng.{key} is not a valid generator state", name=name, key=key)
            )


# ---------------------------------------------------------------------------- architecture


def build_meta(cfg: GeneratorConfig | DiscriminatorConfig) -> nn.Module:
    """The network on the meta device: its state dict's keys and shapes, no memory."""
    return build(cfg, device="meta")


def check_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module, part: str, cfg: Any = None) -> None:
    """Raise ``UserError`` listing missing, unexpected and mis-shaped keys of ``state`` against ``model``."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing = [k for k in expected if k not in got]
    unexpected = sorted(k for k in got if k not in expected)  # file order is not stable: sort
    misshaped = [
        Text(
            "{key} (checkpoint {got}, model {expected})",
            key=k,
            got=shape_text(got[k]),
            expected=shape_text(expected[k]),
        )
        for k in expected
        if k in got and got[k] != expected[k]
    ]
    if not (missing or unexpected or misshaped):
        return
    problems = [
        Text("missing keys: {keys}", keys=names(missing)) if missing else "",
        Text("unexpected keys: {keys}", keys=names(unexpected)) if unexpected else "",
        Text("mis-shaped keys: {keys}", keys=names(misshaped)) if misshaped else "",
    ]
    where = ""  # the settings by their code names: no words to translate
    if isinstance(cfg, GeneratorConfig):
        where = f" (ngf {cfg.ngf}, depth {cfg.depth}, outer_skip {cfg.outer_skip})"
    elif isinstance(cfg, DiscriminatorConfig):
        where = f" (ndf {cfg.ndf}, n_layers {cfg.n_layers}, end_bias {cfg.end_bias})"
    raise UserError(
        Text(
            "the checkpoint does not fit the chosen {part}{where}: {problems}. It was trained with another "
            "architecture: pick the preset and settings it was trained with.",
            part=_PARTS.get(part, part),
            where=where,
            problems=join(problems, "; "),
        )
    )


_PARTS = {"generator": Text("generator"), "discriminator": Text("discriminator")}


def names(keys: Sequence[str]) -> Text:
    """The first few keys, comma-separated, and how many more there are (each key may be a ``Text``)."""
    head = join(keys[:_LIST_LIMIT], ", ")
    more = Text(" and {n} more", n=len(keys) - _LIST_LIMIT) if len(keys) > _LIST_LIMIT else ""
    return compose("{head}{more}", head=head, more=more)

"""Which networks a checkpoint's tensors are, judged by their structure, in this project's names.

A file without this project's header (a ``.pth`` of the reference code, the notebook's
``torch.save(model.state_dict())``, a DataParallel or ``torch.compile`` model's) is read by its
keys and shapes, never by its file name:

* prefixes that wrappers add to every key are removed: ``module.`` (DataParallel,
  DistributedDataParallel) and ``_orig_mod.`` (``torch.compile``), in any order;
* the layout: the reference's nested ``model.model.1.model.3...`` blocks (``UnetGenerator``,
  mapped by :mod:`models.reference_layout`), this project's and the notebook's named blocks
  (``input_layer``, ``encoder_k``, ``middle``, ``decoder_k``, ``output_layer``), or one
  ``model.0`` .. ``model.N`` sequence (``NLayerDiscriminator``, ``Pix2Pix_Discriminator``);
* the settings from the shapes in order (channels, depth, the channel cap), the norm from what a
  norm layer stores (BatchNorm: weight, bias and running statistics; InstanceNorm(affine=False):
  nothing, and then the convs carry biases), the discriminator's end biases (the reference has
  them, the notebook not).

What leaves no trace in the weights is said, and taken from the family: dropout (the
reference's three innermost decoders, the notebook's every decoder), the discriminator's last
strides (1 in the reference, 2 in the notebook) and the training size (``2**depth``: 256 for
``unet_256``, 128 for ``unet_128``). Old reference checkpoints of InstanceNorm models hold running
statistics that today's reference code drops when it loads them; so does this module.

Every guess is checked: the config is built on the meta device and its state dict must have
exactly the keys and shapes found, or the part is reported with the reason (``problem``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import torch

from inspector.errors import UserError
from inspector.training.checkpoint_checks import build_meta, check_state_dict, names
from models import DiscriminatorConfig, GeneratorConfig, NetworkConfig
from models.config import Dropout, Norm, Part, patch_side
from models.reference_layout import after_cat, generator_modules, level_count, swap_cat_halves
from models.text import Text, compose, message_of

Family = Literal["pix2pix-inspector", "notebook", "reference", "unknown"]
FAMILIES: dict[tuple[str, str], Text] = {  # (family, part) -> what it is, in words
    ("pix2pix-inspector", "generator"): Text("this project's checkpoint"),
    ("pix2pix-inspector", "discriminator"): Text("this project's checkpoint"),
    ("notebook", "generator"): Text("the notebook's Pix2Pix_Generator (this project's names)"),
    ("notebook", "discriminator"): Text("the notebook's Pix2Pix_Discriminator (this project's names)"),
    ("reference", "generator"): Text("the pix2pix reference code's UnetGenerator"),
    ("reference", "discriminator"): Text("the pix2pix reference code's NLayerDiscriminator"),
    ("unknown", "generator"): Text("not recognized"),
    ("unknown", "discriminator"): Text("not recognized"),
}
SOURCES: dict[str, Text] = {
    "notebook": Text("as in the notebook"),
    "reference": Text("as in the reference code"),
}
WRAPPERS = (
    ("module.", Text("DataParallel's module. prefix removed")),
    ("_orig_mod.", Text("torch.compile's _orig_mod. prefix removed")),
)
_D_KEY = re.compile(r"model\.(\d+)\.\w+")
_STATS = ("running_mean", "running_var", "num_batches_tracked")
_Config = TypeVar("_Config", GeneratorConfig, DiscriminatorConfig)
UNSEEN_SIZE = 256  # the notebook and the reference train at 256: the discriminator's size when none is known


@dataclass(frozen=True, eq=False)
class Recognized:
    """One network of a file: its ``state`` in this project's keys, the ``config`` that builds a model
    with exactly those keys and shapes (None when ``problem`` says why there is none), where it
    comes from, and ``notes`` on what was assumed or changed."""

    part: Part
    family: Family
    state: dict[str, torch.Tensor]
    config: NetworkConfig | None
    notes: tuple[Text, ...] = field(default=())
    problem: Text | None = None


def recognize_parts(
    parts: Mapping[str, Mapping[str, torch.Tensor]],
    stored: Mapping[str, NetworkConfig | None] | None,
    name: str,
) -> dict[str, Recognized]:
    """The networks of a file whose tensors were grouped by ``checkpoint._split`` (a bare state dict
    is under ``generator``). ``stored``: the configs of this project's header, or None when the file
    has none (then every part is recognized by its structure and may turn out to be the other part:
    a bare ``latest_net_D.pth`` is a discriminator). ``UserError`` when two parts are the same network."""
    found: dict[str, Recognized] = {}
    for group, state in parts.items():
        if not state:
            continue
        if stored is not None:
            part: Part = "generator" if group == "generator" else "discriminator"
            found[part] = Recognized(part, "pix2pix-inspector", dict(state), stored.get(part))
            continue
        one = recognize(state)
        if one.part in found:
            raise UserError(
                Text(
                    "{name} holds two {part} state dicts; give one file per network", name=name, part=one.part
                )
            )
        found[one.part] = one
    if stored is None and "generator" in found and "discriminator" in found:
        found["discriminator"] = _sized_like(found["discriminator"], found["generator"])
    return found


def recognize(state: Mapping[str, torch.Tensor]) -> Recognized:
    """One state dict, read by its structure (see the module's docstring)."""
    notes: list[Text] = []
    state = _unwrapped(dict(state), notes)
    keys = list(state)
    if keys and all(k.startswith("model.model.") for k in keys):
        state = _from_reference(state)
        return _generator(state, "reference", notes)
    if "input_layer.0.weight" in state:
        return _generator(state, "notebook", notes)
    if keys and all(_D_KEY.fullmatch(k) for k in keys):
        family: Family = "reference" if "model.0.bias" in state else "notebook"
        return _discriminator(state, family, notes)
    shown = names(keys)
    problem = Text(
        "its keys are neither this project's or the notebook's (input_layer.0.weight ..., model.0.weight ...) "
        "nor the reference code's (model.model.0.weight ...): {keys}",
        keys=shown,
    )
    return Recognized("generator", "unknown", state, None, tuple(notes), problem)


def _unwrapped(state: dict[str, torch.Tensor], notes: list[Text]) -> dict[str, torch.Tensor]:
    """Without the prefixes that DataParallel and torch.compile put in front of every key."""
    changed = True
    while changed and state:
        changed = False
        for prefix, note in WRAPPERS:
            if all(k.startswith(prefix) for k in state):
                state = {k[len(prefix) :]: v for k, v in state.items()}
                notes.append(note)
                changed = True
    return state


def _from_reference(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The reference's nested keys as this project's; a concatenation's halves in this project's order.
    Keys the map does not know are kept as they are (the check against the config then names them)."""
    depth = level_count(list(state))
    out: dict[str, torch.Tensor] = {}
    taken: set[str] = set()
    if depth >= 2:
        for ours, theirs in generator_modules(depth).items():
            for key, value in state.items():
                if key.startswith(theirs + ".") and "." not in key[len(theirs) + 1 :]:
                    attr = key[len(theirs) + 1 :]
                    swap = (
                        attr == "weight" and after_cat(ours) and value.dim() == 4 and value.shape[0] % 2 == 0
                    )
                    out[f"{ours}.{attr}"] = swap_cat_halves(value) if swap else value
                    taken.add(key)
    out.update({k: v for k, v in state.items() if k not in taken})
    return out


def _norm_stats(state: dict[str, torch.Tensor], notes: list[Text]) -> dict[str, torch.Tensor]:
    """The norms' statistics as PyTorch loads them today. Running statistics of a norm without a
    weight are InstanceNorm2d(affine=False)'s of older reference code, which tracked them: the
    reference drops them on loading, and so do we. A BatchNorm saved before PyTorch 0.4.1 has no
    ``num_batches_tracked``: ``load_state_dict`` adds 0 for it, and so do we."""
    modules = {k.rsplit(".", 1)[0] for k in state if k.endswith(".running_mean")}
    old = sorted(m for m in modules if f"{m}.weight" in state and f"{m}.num_batches_tracked" not in state)
    if old:
        state = {**state, **{f"{m}.num_batches_tracked": torch.tensor(0) for m in old}}
        notes.append(
            Text(
                "num_batches_tracked added as 0 to {n} BatchNorm layers, as PyTorch does for files saved before 0.4.1",
                n=len(old),
            )
        )
    stale = {m for m in modules if f"{m}.weight" not in state}
    if not stale:
        return state
    notes.append(
        Text(
            "running statistics of InstanceNorm layers dropped ({modules}): older reference code tracked them, "
            "its current code drops them on loading and normalizes each image by its own statistics",
            modules=names(sorted(stale)),
        )
    )
    return {
        k: v
        for k, v in state.items()
        if k.rsplit(".", 1)[0] not in stale or k.rsplit(".", 1)[1] not in _STATS
    }


def _max_mult(channels: list[int], base: int) -> int | None:
    """The channel cap (a multiple of ``base``) that gives ``channels``: the plateau's, or 8 (the
    default) when the channels never stop doubling below it."""
    if base < 1 or any(c % base for c in channels):
        return None
    ratios = [c // base for c in channels]
    top = max(ratios)
    return top if ratios.count(top) >= 2 else max(8, top)


def _generator(state: dict[str, torch.Tensor], family: Family, notes: list[Text]) -> Recognized:
    state = _norm_stats(state, notes)
    try:
        first, last = state["input_layer.0.weight"], state["output_layer.1.weight"]
        ngf, n_enc = first.shape[0], 0
        while f"encoder_{n_enc + 1}.1.weight" in state:
            n_enc += 1
        depth = n_enc + 2
        probe = "encoder_1.2" if n_enc else "middle.4"
        if f"{probe}.running_mean" in state and f"{probe}.weight" in state:
            norm: Norm = "batch"
        elif "input_layer.0.bias" in state:
            norm = "instance"
            notes.append(
                Text(
                    "no norm weights and biased convs: instance norm (no norm at all leaves the same weights)"
                )
            )
        else:
            return _unknown("generator", family, state, notes, Text(
                "its convs have no bias and no norm stores weights: a layout this project does not build "
                "(the reference's norm 'none')"))  # fmt: skip
        channels = [ngf] + [state[f"encoder_{k}.1.weight"].shape[0] for k in range(1, n_enc + 1)]
        channels.append(state["middle.1.weight"].shape[0])
        max_mult = _max_mult(channels, ngf)
        if max_mult is None:
            raise ValueError(
                Text("its channels {channels} are not multiples of ngf {ngf}", channels=channels, ngf=ngf)
            )
        dropout: Dropout = "all" if family == "notebook" else "reference"
        cfg = GeneratorConfig(
            in_channels=first.shape[1],
            out_channels=last.shape[1],
            ngf=ngf,
            depth=depth,
            max_mult=max_mult,
            norm=norm,
            dropout=dropout,
            outer_skip=last.shape[0] == 2 * ngf,
            input_size=2**depth if depth >= 6 else 64,
        )
    except (KeyError, IndexError, ValueError) as exc:
        why = message_of(exc) if isinstance(exc, ValueError) else Text("{key} is missing", key=str(exc))
        return _unknown("generator", family, state, notes, why)
    notes.append(
        Text(
            "dropout leaves no trace in the weights: {dropout} assumed, {source}",
            dropout=cfg.dropout,
            source=SOURCES[family],
        )
    )
    notes.append(
        Text("the training size is not in the weights: {size} assumed (2**depth)", size=cfg.input_size)
        if cfg.input_size == 2**depth
        else Text("the training size is not in the weights: {size} assumed", size=cfg.input_size)
    )
    return _checked("generator", family, state, cfg, notes)


def _discriminator(state: dict[str, torch.Tensor], family: Family, notes: list[Text]) -> Recognized:
    state = _norm_stats(state, notes)
    convs = sorted(
        int(m.group(1))
        for k, v in state.items()
        if (m := _D_KEY.fullmatch(k)) and k.endswith(".weight") and v.dim() == 4
    )
    if len(convs) < 3:
        return _unknown("discriminator", family, state, notes, Text(
            "it has {n} convolutions; a PatchGAN has at least 3", n=len(convs)))  # fmt: skip
    first, second = state[f"model.{convs[0]}.weight"], state[f"model.{convs[1]}.weight"]
    after = convs[1] + 1
    if f"model.{after}.weight" in state and f"model.{after}.running_mean" in state:
        norm: Norm = "batch"
    elif convs[2] - convs[1] == 3 and f"model.{convs[1]}.bias" in state:
        norm = "instance"
    elif convs[2] - convs[1] == 2:
        norm = "none"
    else:
        return _unknown("discriminator", family, state, notes, Text(
            "its middle convs have no bias and no norm stores weights: a layout this project does not build "
            "(the reference's norm 'none')"))  # fmt: skip
    ndf, in_channels = first.shape[0], first.shape[1]
    # A level's channels are what the next conv takes: right also for the notebook's typo.
    channels = [ndf] + [state[f"model.{c}.weight"].shape[1] for c in convs[2:]]
    bug = norm == "batch" and second.shape[1] == in_channels != ndf and second.shape[0] == ndf
    bug = bug and state[f"model.{after}.weight"].shape[0] == 2 * ndf
    max_mult = _max_mult(channels, ndf)
    last_stride = 1 if family == "reference" else 2
    try:
        if max_mult is None:
            raise ValueError(
                Text("its channels {channels} are not multiples of ndf {ndf}", channels=channels, ndf=ndf)
            )
        cfg = DiscriminatorConfig(
            in_channels=in_channels,
            ndf=ndf,
            n_layers=len(convs) - 2,
            max_mult=max_mult,
            norm=norm,
            last_stride=last_stride,
            end_bias=f"model.{convs[0]}.bias" in state,
            input_size=_d_size(len(convs) - 2, last_stride, UNSEEN_SIZE),
            notebook_bug=bug,
        )
    except ValueError as exc:
        return _unknown("discriminator", family, state, notes, message_of(exc))
    notes.append(
        Text(
            "strides leave no trace in the weights: last_stride {stride} assumed, {source}",
            stride=last_stride,
            source=SOURCES[family],
        )
    )
    return _checked("discriminator", family, state, cfg, notes)


def _d_size(n_layers: int, last_stride: int, wanted: int) -> int:
    """``wanted``, or the smallest power-of-two multiple of it at which the patch map does not vanish."""
    size = wanted
    while patch_side(n_layers, last_stride, size) < 1:
        size *= 2
    return size


def _sized_like(d: Recognized, g: Recognized) -> Recognized:
    """The discriminator of a file that also holds a generator judges the generator's size."""
    if not isinstance(d.config, DiscriminatorConfig) or not isinstance(g.config, GeneratorConfig):
        return d
    size = _d_size(d.config.n_layers, d.config.last_stride, g.config.input_size)
    return Recognized(d.part, d.family, d.state, d.config.replace(input_size=size), d.notes, d.problem)


def _checked(
    part: Part, family: Family, state: dict[str, torch.Tensor], cfg: NetworkConfig, notes: list[Text]
) -> Recognized:
    """The guess, kept only when its model has exactly these keys and shapes."""
    try:
        check_state_dict(state, build_meta(cfg), part, cfg)
    except UserError as exc:
        return _unknown(part, family, state, notes, message_of(exc))
    return Recognized(part, family, state, cfg, tuple(notes))


def _unknown(
    part: Part, family: Family, state: dict[str, torch.Tensor], notes: list[Text], why: object
) -> Recognized:
    return Recognized(
        part, family, state, None, tuple(notes), why if isinstance(why, Text) else compose("{why}", why=why)
    )


def stored_configs(meta: Mapping[str, Any], name: str) -> dict[str, NetworkConfig | None] | None:
    """The configs of this project's header, or None for a file that has none (to be recognized)."""
    if meta.get("generator_config") is None and meta.get("discriminator_config") is None:
        return None
    return {
        "generator": _config(GeneratorConfig, meta.get("generator_config"), name),
        "discriminator": _config(DiscriminatorConfig, meta.get("discriminator_config"), name),
    }


def _config(cls: type[_Config], data: Any, name: str) -> _Config | None:
    if data is None:
        return None
    try:
        return cls.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise UserError(
            Text(
                "{name}: its stored {config} is invalid: {error}",
                name=name,
                config=cls.__name__,
                error=message_of(exc),
            )
        ) from None


def no_generator(name: str, g: Recognized | None, d: Recognized | None) -> Text:
    """Why a file gives no generator: its structure was not recognized, or it holds a discriminator."""
    if g is not None and g.problem is not None:
        return Text(
            "{name} holds weights this tool does not recognize ({problem}): choose the architecture it was "
            "trained with (a preset and its settings) and load it again",
            name=name,
            problem=g.problem,
        )
    if d is not None:
        return Text(
            "{name} holds a discriminator only; colorizing and the generator's pages need a generator",
            name=name,
        )
    return Text("{name} holds no generator weights", name=name)

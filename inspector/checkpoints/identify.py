"""What a checkpoint file holds, each network proven: built from its config, loaded with
``strict=True`` and run.

The file is read by the one safe reader (``training.checkpoint.read_checkpoint``: safetensors or
a ``torch.save`` zip of plain tensors judged by what it declares, pickles refused, every view
within the file, every value finite) and its networks recognized by their structure
(``training.recognize``). A network is *proven* once the model its config builds took its weights
with ``strict=True`` and ran a forward pass to the shape it should give. Before anything is
built, a generator's run at the side used is counted from its config (``run_bounds``), and every
weight must already be in the file: a header cannot make a large model out of a small file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.training.checkpoint import MAX_CHECKPOINT_BYTES, read_checkpoint, split_parts
from inspector.training.recognize import Family, Recognized, recognize_parts, stored_configs
from inspector.training.run_bounds import check_run_memory, smallest_side
from models import DiscriminatorConfig, GeneratorConfig, NetworkConfig, build
from models.config import PARTS, Part
from models.text import Text, compose, message_of

PROOF_SEED = 0  # the input of a proof run: seeded, so a report reads the same every time
D_PROOF_SIDE = 32  # a discriminator is proven at this side (or the smallest that gives a map)


@dataclass(frozen=True, eq=False)
class Network:
    """One network of a file: as recognized, and whether it is proven (loaded strictly and run)."""

    part: Part
    family: Family
    config: NetworkConfig | None
    state: dict[str, torch.Tensor]  # this project's keys, the file's values
    notes: tuple[Text, ...]
    problem: Text | None  # why it is not proven: not recognized, refused, or it failed to run
    proven: bool
    ran: str = ""  # the proof's shapes, "(1, 1, 128, 128) -> (1, 2, 128, 128)"

    @property
    def parameters(self) -> int:
        return sum(
            int(t.numel()) for k, t in self.state.items() if t.is_floating_point() and "running_" not in k
        )


@dataclass(frozen=True, eq=False)
class Identification(RichDisplay):
    """A file's networks (generator first), its step and header."""

    name: str
    networks: dict[str, Network]
    step: int = 0
    meta: Mapping[str, Any] | None = None

    @property
    def part(self) -> str:
        """``generator``, ``discriminator``, ``both`` or ``none``."""
        found = [p for p in PARTS if p in self.networks]
        return "both" if len(found) == 2 else found[0] if found else "none"

    @property
    def proven(self) -> bool:
        return bool(self.networks) and all(n.proven for n in self.networks.values())

    @property
    def problems(self) -> list[Text]:
        return [n.problem for n in self.networks.values() if n.problem is not None]

    def get(self, part: str) -> Network | None:
        return self.networks.get(part)

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json``: ``part``, ``config`` (one network's fields, or ``{"generator": {...},
        "discriminator": {...}}``), ``source`` (the family, likewise), ``proven``, ``problems``, and
        ``notes``, ``step``, ``file``."""

        def each(value: Any) -> Any:
            return value[next(iter(value))] if len(value) == 1 else value

        nets = self.networks
        return {
            "file": self.name,
            "part": self.part,
            "config": each({p: n.config.to_dict() if n.config else None for p, n in nets.items()}),
            "source": each({p: n.family for p, n in nets.items()}) if nets else "unknown",
            "proven": self.proven,
            "problems": [str(p) for p in self.problems],
            "notes": {p: [str(t) for t in n.notes] for p, n in nets.items()},
            "step": self.step,
        }


def identify(
    source: str | Path | bytes, name: str | None = None, max_bytes: int = MAX_CHECKPOINT_BYTES
) -> Identification:
    """Every network of a run directory, a checkpoint file or uploaded bytes, each proven.

    ``UserError`` (one sentence) for a file that cannot be read safely; a network that is read but
    not recognized, or fails its proof, is in the answer with its ``problem``."""
    tensors, meta, name = read_checkpoint(source, name, max_bytes)
    parts, _, _ = split_parts(tensors)
    found = recognize_parts(parts, stored_configs(meta, name), name)
    if not found:
        raise UserError(Text("{name} holds no network weights", name=name))
    networks: dict[str, Network] = {p: prove(found[p]) for p in PARTS if p in found}
    step = meta.get("step", 0)
    return Identification(name, networks, step if isinstance(step, int) else 0, meta)


def prove(found: Recognized) -> Network:
    """``found`` built from its config, loaded with ``strict=True`` and run once (eval mode, a seeded
    input at a small side); refused before building when its run would be too large."""
    cfg = found.config
    if cfg is None:
        return _network(found, False, found.problem)
    try:
        model, x = _model_and_input(cfg, found.state)
        with torch.no_grad():
            y = model(x)
    except UserError as exc:
        why = message_of(exc)
        return _network(found, False, why if isinstance(why, Text) else compose("{why}", why=why))
    except (RuntimeError, ValueError) as exc:  # the notebook's typo fails here, as in the notebook
        return _network(found, False, Text("it does not run: {error}", error=_first_line(exc)))
    expected = _expected_output(cfg, x)
    if tuple(y.shape) != expected or not bool(torch.isfinite(y).all()):
        why = Text("it ran to {shape} instead of {expected}", shape=tuple(y.shape), expected=expected)
        return _network(found, False, why)
    return _network(found, True, None, f"{tuple(x.shape)} -> {tuple(y.shape)}")


def build_loaded(cfg: NetworkConfig, state: Mapping[str, torch.Tensor]) -> nn.Module:
    """The model of ``cfg`` with ``state`` loaded strictly, float32, in eval mode. A generator's run
    is bounded first (``run_bounds.check_run_memory``); ``UserError`` when it is too large."""
    if isinstance(cfg, GeneratorConfig):
        check_run_memory(cfg, smallest_side(cfg))
    model = build(cfg)
    try:
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True
        )
    except RuntimeError as exc:
        raise UserError(Text("its weights do not load: {error}", error=_first_line(exc))) from None
    return model.eval()


def _model_and_input(cfg: NetworkConfig, state: Mapping[str, torch.Tensor]) -> tuple[nn.Module, torch.Tensor]:
    model = build_loaded(cfg, state)
    side = smallest_side(cfg) if isinstance(cfg, GeneratorConfig) else max(D_PROOF_SIDE, cfg.min_input_size())
    g = torch.Generator().manual_seed(PROOF_SEED)
    return model, torch.rand(1, cfg.in_channels, side, side, generator=g) * 2 - 1


def _expected_output(cfg: NetworkConfig, x: torch.Tensor) -> tuple[int, ...]:
    side = x.shape[-1]
    if isinstance(cfg, GeneratorConfig):
        return (1, cfg.out_channels, side, side)
    assert isinstance(cfg, DiscriminatorConfig)
    out = cfg.replace(input_size=max(side, cfg.min_input_size())).output_size
    return (1, 1, out, out)


def _network(found: Recognized, proven: bool, problem: Text | None, ran: str = "") -> Network:
    return Network(found.part, found.family, found.config, found.state, found.notes, problem, proven, ran)


def _first_line(exc: BaseException) -> str:
    text = str(message_of(exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__

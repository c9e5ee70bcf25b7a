"""Two checkpoints of one architecture side by side: how far each block's weights moved, and what
that does to one photo.

The change of a block is ``||W_b - W_a|| / ||W_a||`` over its learned weights (the parameters,
not BatchNorm's running statistics): 0 for an untouched block, about 1.4 between two unrelated
random initialisations of the same scale. The outputs are both generators' colorizations of one
photo (eval mode: dropout off, running statistics) and the distance of their ab per pixel, in
Lab units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inspector.checkpoints.fit import differences_between
from inspector.checkpoints.identify import Identification, Network, build_loaded, identify
from inspector.colour.lab import AB_SCALE, denormalize_lab, lab_to_rgb, rgb_to_uint8
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.inside.inputs import photo_lab
from inspector.training.checkpoint_checks import build_meta
from models import GeneratorConfig, NetworkConfig
from models.config import PARTS, Part
from models.text import Text, join


@dataclass(frozen=True)
class BlockChange:
    """One block (a generator's ``encoder_3``, a discriminator's ``model.5``): its learned weights'
    count, ``||W_b - W_a||`` and ``||W_a||``."""

    block: str
    parameters: int
    difference: float
    norm: float

    @property
    def relative_change(self) -> float:
        return _ratio(self.difference, self.norm)


@dataclass(frozen=True, eq=False)
class OutputDifference:
    """Both generators on one photo: (S, S, 3) uint8 colorizations and the (S, S) distance of their ab."""

    a: np.ndarray
    b: np.ndarray
    difference: np.ndarray  # Lab units

    @property
    def mean(self) -> float:
        return float(self.difference.mean())

    @property
    def max(self) -> float:
        return float(self.difference.max())


@dataclass(frozen=True, eq=False)
class Comparison(RichDisplay):
    """One network of two files: their config (the same), each block's change, and (generators) the
    outputs on one photo."""

    part: Part
    config: NetworkConfig
    blocks: tuple[BlockChange, ...]
    outputs: OutputDifference | None = None

    @property
    def overall(self) -> float:
        """The relative change of all the learned weights together."""
        diff = math.sqrt(sum(b.difference**2 for b in self.blocks))
        return _ratio(diff, math.sqrt(sum(b.norm**2 for b in self.blocks)))

    def to_json(self) -> dict[str, object]:
        return {
            "part": self.part,
            "blocks": {b.block: round(b.relative_change, 6) for b in self.blocks},
            "overall": round(self.overall, 6),
            "outputs": None
            if self.outputs is None
            else {
                "mean_difference": round(self.outputs.mean, 4),
                "max_difference": round(self.outputs.max, 4),
            },
        }


class CheckpointComparison(dict[str, Comparison], RichDisplay):
    """Every network two files share (``"generator"``, ``"discriminator"``), compared; shown as
    tables and pictures in a notebook."""


def compare(a: Identification, b: Identification, rgb: np.ndarray | None = None) -> CheckpointComparison:
    """Every network the two files both hold, compared; ``rgb`` (3, S, S) uint8 is the photo the
    generators colorize. ``UserError`` when they share no network, or one is of another architecture
    (said as settings) or not proven."""
    shared = [p for p in PARTS if p in a.networks and p in b.networks]
    if not shared:
        raise UserError(
            Text(
                "{a} and {b} hold no network of the same kind ({x} and {y})",
                a=a.name,
                b=b.name,
                x=a.part,
                y=b.part,
            )
        )
    return CheckpointComparison({p: compare_networks(a.networks[p], b.networks[p], rgb) for p in shared})


def compare_checkpoints(
    a: str | Path | Identification, b: str | Path | Identification, rgb: np.ndarray | None = None
) -> CheckpointComparison:
    """:func:`compare` of two files (run folders, checkpoints of any family) or identifications;
    ``rgb`` (3, S, S) uint8 is the photo both generators colorize (None: no photo)."""
    found_a = a if isinstance(a, Identification) else identify(a)
    found_b = b if isinstance(b, Identification) else identify(b)
    return compare(found_a, found_b, rgb)


def compare_networks(a: Network, b: Network, rgb: np.ndarray | None = None) -> Comparison:
    """Two networks of one architecture: per-block change and, for generators with ``rgb``, the outputs."""
    for net in (a, b):
        if net.config is None or not net.proven:
            raise UserError(Text("cannot compare: {problem}", problem=net.problem or Text("not proven")))
    assert a.config is not None and b.config is not None
    differ = differences_between(a.config, b.config)
    if differ:
        raise UserError(
            Text(
                "the two checkpoints have different architectures: {differences}",
                differences=join(differ, "; "),
            )
        )
    blocks = block_changes(a.config, a.state, b.state)
    outputs = None
    if isinstance(a.config, GeneratorConfig) and isinstance(b.config, GeneratorConfig) and rgb is not None:
        outputs = compare_outputs(build_loaded(a.config, a.state), build_loaded(b.config, b.state), rgb)
    return Comparison(a.part, a.config, blocks, outputs)


def block_changes(
    cfg: NetworkConfig, a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]
) -> tuple[BlockChange, ...]:
    """Per block of ``cfg``'s model, in its order: ``||b - a|| / ||a||`` over the learned weights."""
    generator = isinstance(cfg, GeneratorConfig)
    sums: dict[str, list[float]] = {}  # block -> [sum (b - a)^2, sum a^2, count]
    for key, _ in build_meta(cfg).named_parameters():
        block = key.split(".")[0] if generator else ".".join(key.split(".")[:2])
        wa, wb = a[key].double(), b[key].double()
        acc = sums.setdefault(block, [0.0, 0.0, 0.0])
        acc[0] += float((wb - wa).square().sum())
        acc[1] += float(wa.square().sum())
        acc[2] += wa.numel()
    return tuple(BlockChange(k, int(n), math.sqrt(d), math.sqrt(s)) for k, (d, s, n) in sums.items())


def _ratio(difference: float, norm: float) -> float:
    if norm == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / norm


@torch.no_grad()
def compare_outputs(g_a: torch.nn.Module, g_b: torch.nn.Module, rgb: np.ndarray) -> OutputDifference:
    """Both generators (eval mode) on the photo ``rgb`` (3, S, S) uint8: their colorizations and
    the per-pixel distance of their ab, in Lab units."""
    L, _ = photo_lab(rgb)
    ab_a, ab_b = g_a.eval()(L).float(), g_b.eval()(L).float()

    def picture(ab: torch.Tensor) -> np.ndarray:
        return rgb_to_uint8(lab_to_rgb(denormalize_lab(L, ab))[0])

    distance = (ab_a - ab_b).mul(AB_SCALE).square().sum(dim=1).sqrt()[0]  # (S, S)
    return OutputDifference(picture(ab_a), picture(ab_b), distance.numpy())

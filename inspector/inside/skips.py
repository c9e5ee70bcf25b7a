"""What a skip connection carries: the generator's colorization with one skip (or all) zeroed.

A U-Net decoder gets ``cat(decoder path, encoder_k)``. Replacing the skip's channels by zeros
keeps every shape, so the network still runs, and what changes in the picture is what that
skip was handing over: at the shallow levels fine detail and edges, at the deep ones layout.
The zeros are put in by a ``CatTap`` at the very ``torch.cat`` (nothing in the model changes),
so every other value of the pass is the model's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from inspector.colour.lab import AB_SCALE
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.inside.tap import (
    CatLayout,
    CatTap,
    Mode,
    as_batch,
    cat_layouts,
    checked_forward,
    lab_rgb,
    model_device,
    run_mode,
)
from models.text import Text

ALL = "all"


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class SkipAblation(RichDisplay):
    """The intact colorization beside the one with ``zeroed`` skips, for the first image."""

    skip: str | None  # what was asked: None (nothing zeroed), a skip's name, or "all"
    zeroed: tuple[str, ...]  # the skips whose channels were replaced by zeros
    grey: np.ndarray  # (H, W, 3) uint8: the L the generator saw, without colour
    intact: np.ndarray  # (H, W, 3) uint8: L with the generator's ab
    ablated: np.ndarray  # (H, W, 3) uint8: L with the ab made without the zeroed skips
    intact_ab: np.ndarray  # (2, H, W) float32, the network's units (ab / 110)
    ablated_ab: np.ndarray  # (2, H, W) float32
    difference: np.ndarray  # (H, W) float32: |ab_intact - ab_ablated| in Lab units (L is the same)

    @property
    def mean_difference(self) -> float:
        """The mean colour change in Lab units (about 2.3 is a just noticeable difference)."""
        return float(self.difference.mean())


def skip_names(layouts: tuple[CatLayout, ...]) -> tuple[str, ...]:
    """Every skip of the forward, in the order the decoder takes them (deepest first in a U-Net)."""
    return tuple(name for layout in layouts for name in layout.skips())


def available_skips(generator: nn.Module, shape: tuple[int, ...]) -> tuple[str, ...]:
    """The skips ``ablate_skip`` accepts for an input of ``shape``, e.g. ("encoder_6", ..., "encoder_1")."""
    return skip_names(cat_layouts(generator, torch.zeros(shape, device=model_device(generator)))[1])


def _zero_plan(
    layouts: tuple[CatLayout, ...], skip: str | None
) -> tuple[dict[int, list[int]], tuple[str, ...]]:
    """cat index -> input positions to zero, and the names zeroed."""
    names = skip_names(layouts)
    if skip is not None and skip != ALL and skip not in names:
        choices = ", ".join(names) if names else Text("none: this model concatenates no skip")
        raise UserError(
            Text(
                "no skip named {skip}; skips of this model: {choices} (or {all})",
                skip=repr(skip),
                choices=choices,
                all=repr(ALL),
            )
        )
    plan: dict[int, list[int]] = {}
    zeroed: list[str] = []
    if skip is None:
        return plan, ()
    for index, layout in enumerate(layouts):
        for pos, part in enumerate(layout.parts):
            if part.role == "skip" and skip in (ALL, part.producer):
                plan.setdefault(index, []).append(pos)
                zeroed.append(part.producer)
    return plan, tuple(zeroed)


def ablate_skip(
    generator: nn.Module, L: Tensor, skip: str | None = None, mode: Mode = "eval", seed: int | None = 0
) -> SkipAblation:
    """Colorize ``L`` (B, 1, H, W), in [-1, 1], intact and with ``skip`` zeroed (first image).

    ``skip`` is a skip's producer (``"encoder_3"``; ``available_skips`` lists them), ``"all"``,
    or None (nothing zeroed: ``ablated`` equals ``intact``, the plain forward). Both passes run in
    ``mode`` with the same ``seed``, so in a dropout mode they share their masks too.
    """
    return ablate_skips(generator, L, (skip,), mode, seed)[0]


def ablate_skips(
    generator: nn.Module,
    L: Tensor,
    skips: Sequence[str | None] | None = None,
    mode: Mode = "eval",
    seed: int | None = 0,
) -> tuple[SkipAblation, ...]:
    """``ablate_skip`` for several skips with one trace and one intact pass; ``skips`` defaults to
    every skip one by one, then ``"all"``."""
    L = as_batch(L, channels=1, what="L").to(model_device(generator))
    _, layouts = cat_layouts(generator, L)
    asked = (*skip_names(layouts), ALL) if skips is None else tuple(skips)
    plans = [_zero_plan(layouts, skip) for skip in asked]  # refuses an unknown name before any pass
    with run_mode(generator, mode, seed):
        intact = checked_forward(generator, L)[:1]
    if intact.shape[1] != 2 or intact.shape[2:] != L.shape[2:]:
        raise UserError(
            Text(
                "the generator must map L (B, 1, H, W) to ab (B, 2, H, W); it returned {shape}",
                shape=str(tuple(intact.shape)),
            )
        )
    L1 = L[:1]
    grey, colour, intact_ab = (
        lab_rgb(L1, torch.zeros_like(intact)),
        lab_rgb(L1, intact),
        intact[0].float().cpu(),
    )
    results = []
    for skip, (plan, zeroed) in zip(asked, plans):
        if plan:
            with run_mode(generator, mode, seed), CatTap(zero=plan):
                ablated = checked_forward(generator, L)[:1]
        else:
            ablated = intact
        difference = ((intact - ablated).float() * AB_SCALE).norm(dim=1)[0]  # (H, W)
        results.append(
            SkipAblation(
                skip=skip,
                zeroed=zeroed,
                grey=grey,
                intact=colour,
                ablated=lab_rgb(L1, ablated),
                intact_ab=intact_ab.numpy().copy(),
                ablated_ab=ablated[0].float().cpu().numpy().copy(),
                difference=difference.cpu().numpy(),
            )
        )
    return tuple(results)

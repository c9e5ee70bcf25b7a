"""Feature maps: what every top-level block and every ``torch.cat`` hands on, for one real photo.

CNN Explainer shows a real image at every layer of a fixed toy model; here it is the learner's
own U-Net (untrained or trained). One real forward pass on the model's device (``no_grad``,
eval mode unless asked), forward hooks on the top-level blocks (the tracer's notion:
``input_layer``, ``encoder_1`` ... ``output_layer``) and a ``CatTap`` on ``torch.cat``. Values
are copied the moment they are made: in the notebook ``encoder_{k+1}.0`` is
``LeakyReLU(0.2, True)``, which rewrites ``encoder_k``'s output in place, and ``decoder_k.0``
(``ReLU(True)``) rewrites the cat's result, so a reference kept for later would show other numbers.

Channels are ranked by activation energy, the mean of squares over the map: a channel that is
zero everywhere (a dead ReLU) ranks last, a strong edge detector first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from torch import Tensor, nn

from inspector.display import RichDisplay
from inspector.inside.tap import (
    CatPart,
    CatTap,
    Mode,
    as_batch,
    cat_layouts,
    checked_forward,
    first_image,
    model_device,
    run_mode,
)
from inspector.shapes.blocks import top_level_blocks
from inspector.shapes.records import Shape

Kind = Literal["block", "cat"]


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to one bool
class FeatureMap(RichDisplay):
    """One block's output, or one concatenation's result, for the first image of the batch."""

    name: str  # block name ("encoder_3") or the cat's label ("torch.cat#0")
    kind: Kind
    shape: Shape  # the whole tensor as PyTorch made it, e.g. (1, 256, 32, 32)
    values: np.ndarray  # (C, H, W) float32: the first image
    energy: np.ndarray  # (C,) float32: mean of squares of each channel
    order: np.ndarray  # (C,) int64: channel indices, strongest first
    parts: tuple[CatPart, ...] = ()  # a cat's inputs as channel ranges: decoder path and skip
    consumer: str | None = None  # a cat's taker, e.g. "decoder_6"
    modified_in_place: tuple[tuple[str, ...], ...] = ()  # a cat's inputs rewritten in place before it

    @property
    def channels(self) -> int:
        return int(self.values.shape[0])

    def strongest(self, n: int, part: CatPart | None = None) -> np.ndarray:
        """The ``n`` strongest channels (indices into ``values``), of one part of a cat if given."""
        order = self.order
        if part is not None:
            order = order[(order >= part.start) & (order < part.stop)]
        return order[: max(0, n)]

    def part(self, role: str) -> CatPart | None:
        """The first part of a cat with ``role`` ("decoder" or "skip"), or None."""
        return next((p for p in self.parts if p.role == role), None)


@dataclass(frozen=True, eq=False)
class FeatureMaps(RichDisplay):
    """Every map of one forward pass, in call order (for a U-Net: down the U, then up)."""

    maps: tuple[FeatureMap, ...]
    input_shape: Shape
    output_shape: Shape
    mode: Mode

    def __getitem__(self, name: str) -> FeatureMap:
        for m in self.maps:
            if m.name == name:
                return m
        raise KeyError(f"no feature map named {name!r}; maps: {', '.join(self.names)}")

    def __iter__(self) -> Iterator[FeatureMap]:
        return iter(self.maps)

    def __len__(self) -> int:
        return len(self.maps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.maps)


def channel_energy(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C, H, W) -> the mean of squares per channel (C,) and the channels by it, strongest first
    (a stable sort: equal energies keep channel order)."""
    energy = np.square(values.astype(np.float64)).reshape(values.shape[0], -1).mean(axis=1)
    return energy.astype(np.float32), np.argsort(-energy, kind="stable")


def _map(name: str, kind: Kind, t: Tensor, **extra: Any) -> FeatureMap:
    values = first_image(t)
    energy, order = channel_energy(values)
    return FeatureMap(name, kind, tuple(t.shape), values, energy, order, **extra)


def feature_maps(model: nn.Module, x: Tensor, mode: Mode = "eval", seed: int | None = 0) -> FeatureMaps:
    """Run ``model`` on ``x`` (B, C, H, W) and return every top-level block's output and every
    ``torch.cat``'s result for the first image, in call order.

    Each map equals what a forward hook on that block receives as output (copied at once), in
    ``mode`` (``eval``; ``train``, ``dropout`` or ``batch-stats``, see ``run_mode``; ``seed`` fixes
    the dropout masks). The model's modes, buffers and the random state are unchanged afterwards.
    """
    x = as_batch(x).to(model_device(model))
    _, layouts = cat_layouts(model, x)
    _, blocks = top_level_blocks(model)
    maps: list[FeatureMap] = []

    def keep_block(name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if isinstance(output, Tensor):
                maps.append(_map(name, "block", output))

        return hook

    def keep_cat(index: int, result: Tensor) -> None:
        layout = layouts[index] if index < len(layouts) else None
        if layout is None:  # the tracer saw fewer cats (a data-dependent forward): no parts to name
            maps.append(_map(f"torch.cat#{index}", "cat", result))
            return
        maps.append(
            _map(
                layout.label,
                "cat",
                result,
                parts=layout.parts,
                consumer=layout.consumer,
                modified_in_place=layout.modified_in_place,
            )
        )

    handles = [module.register_forward_hook(keep_block(name)) for name, module in blocks]
    try:
        with run_mode(model, mode, seed), CatTap(on_result=keep_cat):
            out = checked_forward(model, x)
    finally:
        for h in handles:
            h.remove()
    return FeatureMaps(tuple(maps), tuple(x.shape), tuple(out.shape), mode)

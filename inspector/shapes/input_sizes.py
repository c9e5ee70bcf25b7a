"""Which input sizes a model accepts, per spatial side, and the nearest ones to a size that fails.

A U-Net halves its input ``depth`` times and doubles it back; every skip connection must meet
a decoder output of the same size, so H and W must be multiples of ``2**depth`` (256 for
``unet_256``). A PatchGAN only needs its kernels to fit: any size from a minimum.

For our configs this is a formula. For any other ``nn.Module`` it is found by running it on the
meta device at trial sizes (``inspector.shapes.size_search``): each side on its own, so that a
model whose height and width follow different rules (a stride of (2, 4), a fixed width, a patch
of 16x32, a 3-d volume) gets one rule per side. The search has a time budget
(``SEARCH_BUDGET_S``, 5 s): an answer it could not finish says so (``complete=False``), and
None means that it found no size that works: it cannot know. The rules and their words are in
``inspector.shapes.size_rules``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from inspector.i18n.catalog import N_
from inspector.shapes.size_rules import InputSizes, SideSizes
from inspector.shapes.size_search import SEARCH_BUDGET_S, USUAL_SIZES, runs_at, search_sizes, size_hints
from models import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator

__all__ = [
    "SEARCH_BUDGET_S",
    "USUAL_SIZES",
    "InputSizes",
    "SideSizes",
    "search_sizes",
    "size_hints",
    "valid_input_sizes",
]

GENERATOR_WHY = N_(
    "the U-Net halves the image {depth} times and each skip must meet a decoder output of the same "
    "size, so H and W must be multiples of 2**{depth} = {step}"
)
DISCRIMINATOR_WHY = N_(
    "every 4x4 kernel must fit its (padded) input; below {minimum} the patch map would be empty"
)


def _generator_sizes(cfg: GeneratorConfig) -> InputSizes:
    step = 2**cfg.depth
    return InputSizes.same(SideSizes(step, step), 2, GENERATOR_WHY, depth=cfg.depth, step=step)


def _discriminator_sizes(cfg: DiscriminatorConfig) -> InputSizes:
    low = cfg.min_input_size()
    return InputSizes.same(SideSizes(1, low), 2, DISCRIMINATOR_WHY, minimum=low)


def valid_input_sizes(
    model: nn.Module | GeneratorConfig | DiscriminatorConfig,
    input_shape: Sequence[int] | None = None,
) -> InputSizes | None:
    """The input sizes ``model`` accepts, one rule per spatial side; None if the search found none.

    ``input_shape`` (B, C, H, W), or (B, C, L) / (B, C, D, H, W), gives batch, channels and the
    number of spatial sides for a plain ``nn.Module`` (default: batch 1 and the first conv's
    ``in_channels`` and kernel rank); its own sizes are tried too, after the powers of two.
    """
    if isinstance(model, GeneratorConfig):
        return _generator_sizes(model)
    if isinstance(model, DiscriminatorConfig):
        return _discriminator_sizes(model)
    cfg = getattr(model, "config", None)
    if isinstance(model, UNetGenerator) and isinstance(cfg, GeneratorConfig):
        return _generator_sizes(cfg)
    if isinstance(model, PatchDiscriminator) and isinstance(cfg, DiscriminatorConfig):
        return _discriminator_sizes(cfg)
    runs, dims = runs_at(model, input_shape)
    asked = (
        (tuple(int(s) for s in input_shape[2:]),) if input_shape is not None and len(input_shape) > 2 else ()
    )
    return search_sizes(runs, dims, hints=(*size_hints(model), *asked))

"""``build(cfg)``: the network of either config, in one call.

``build_generator`` and ``build_discriminator`` stay the typed builders; ``build`` picks one by
the config's type, so code that holds "a config" (the app's caches, the CLI's ``--part``, the
checkpoint loader) does not repeat the ``isinstance`` test. ``device="meta"`` builds a model
with shapes and parameter counts but no memory and no init (PyTorch's ``torch.device`` context).
"""

from __future__ import annotations

import contextlib
from typing import overload

import torch

from models.config import DiscriminatorConfig, GeneratorConfig
from models.discriminator import PatchDiscriminator, build_discriminator
from models.generator import Plan, UNetGenerator, build_generator

NetworkConfig = GeneratorConfig | DiscriminatorConfig


@overload
def build(
    cfg: GeneratorConfig, *, plan: Plan | None = None, device: str | torch.device | None = None
) -> UNetGenerator: ...


@overload
def build(cfg: DiscriminatorConfig, *, device: str | torch.device | None = None) -> PatchDiscriminator: ...


def build(
    cfg: NetworkConfig, *, plan: Plan | None = None, device: str | torch.device | None = None
) -> UNetGenerator | PatchDiscriminator:
    """The network ``cfg`` describes, with PyTorch's default init (``init_weights`` is separate).

    ``plan``: an edited generator plan (the mismatch doctor breaks a U-Net on purpose).
    ``device``: where the parameters are created; ``"meta"`` allocates nothing.
    Raises ``TypeError`` for anything but the two configs, or a plan given with a discriminator.
    """
    with torch.device(device) if device is not None else contextlib.nullcontext():
        if isinstance(cfg, GeneratorConfig):
            return build_generator(cfg, plan)
        if isinstance(cfg, DiscriminatorConfig):
            if plan is not None:
                raise TypeError("a plan describes a generator's blocks; a DiscriminatorConfig takes none")
            return build_discriminator(cfg)
    raise TypeError(f"expected a GeneratorConfig or a DiscriminatorConfig, got {type(cfg).__name__}")

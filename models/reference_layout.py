"""How the pix2pix reference code names this project's layers: the key map of its checkpoints.

The reference (pytorch-CycleGAN-and-pix2pix, ``models/networks.py``) builds ``UnetGenerator`` as
nested ``UnetSkipConnectionBlock``s, each holding its layers in ``self.model`` (an
``nn.Sequential``) with the next block inside it. Its state dict therefore reads::

    model.model.0                         outermost downconv             = input_layer.0
    model.model.1.model.1 / .2            level 1 downconv, downnorm     = encoder_1.1 / .2
    model.model.1.model.3.model.1 / .2    level 2                        = encoder_2.1 / .2
    ...                       .5 / .6     a level's upconv, upnorm        = decoder_k.1 / .2
    <innermost>.1 / .3 / .4               downconv, upconv, upnorm       = middle.1 / .3 / .4
    model.model.3                         outermost upconv               = output_layer.1

Level 0 is the outermost block, level ``k`` (1 .. depth - 2) the block of ``encoder_k`` and
``decoder_k``, and level ``depth - 1`` the innermost (``middle``); a level's submodule sits at
index 1 of the outermost block and at index 3 of the others. The layers themselves are this
project's, value for value, but for one thing: the reference's forward returns
``torch.cat([x, block(x)], 1)``, the skip *first*, where the notebook (and this project) write
``torch.cat((up, skip), 1)``. A ConvTranspose2d after a concatenation therefore holds the same
numbers with the two halves of its input channels (dim 0 of its weight) in the other order:
:func:`swap_cat_halves` turns one into the other (its own inverse).

``NLayerDiscriminator`` keeps its layers in one ``self.model``: ``model.0`` .. ``model.N``, as
this project's ``PatchDiscriminator`` does, so its keys need no map.
"""

from __future__ import annotations

import torch

OUTERMOST = "model.model"


def level_prefix(level: int) -> str:
    """The reference module path of the block at ``level`` (0 = outermost)."""
    if level < 0:
        raise ValueError(f"level must be >= 0, got {level}")
    prefix = OUTERMOST
    for k in range(1, level + 1):
        prefix += ".1.model" if k == 1 else ".3.model"
    return prefix


def generator_modules(depth: int) -> dict[str, str]:
    """This project's module path -> the reference's, for every layer with weights of a U-Net of
    ``depth`` downsamplings (``depth - 2`` encoder/decoder levels between the outermost block and
    the innermost)."""
    if depth < 2:
        raise ValueError(f"depth must be >= 2, got {depth}")
    names = {"input_layer.0": f"{OUTERMOST}.0", "output_layer.1": f"{OUTERMOST}.3"}
    for k in range(1, depth - 1):
        p = level_prefix(k)
        names |= {
            f"encoder_{k}.1": f"{p}.1",
            f"encoder_{k}.2": f"{p}.2",
            f"decoder_{k}.1": f"{p}.5",
            f"decoder_{k}.2": f"{p}.6",
        }
    inner = level_prefix(depth - 1)
    names |= {"middle.1": f"{inner}.1", "middle.3": f"{inner}.3", "middle.4": f"{inner}.4"}
    return names


def after_cat(module: str) -> bool:
    """Whether this project's module ``module`` takes a ``torch.cat`` of (up, skip): every decoder's
    ConvTranspose2d and the output layer's (with the outermost skip; the reference always has it)."""
    return module == "output_layer.1" or (module.startswith("decoder_") and module.endswith(".1"))


def swap_cat_halves(weight: torch.Tensor) -> torch.Tensor:
    """A ConvTranspose2d weight (in_channels, out_channels, kH, kW) with the two halves of its input
    channels exchanged: the reference's cat(skip, up) order <-> this project's cat(up, skip). Its own
    inverse; the halves of a U-Net's concatenation are equal (the skip and the path have the same
    channels)."""
    half = weight.shape[0] // 2
    if weight.shape[0] != 2 * half:
        raise ValueError(
            f"a concatenation of two equal halves has an even channel count, got {weight.shape[0]}"
        )
    return torch.cat((weight[half:], weight[:half]), dim=0)


def level_count(keys: list[str]) -> int:
    """How many nested blocks the reference keys ``keys`` describe (the U-Net's depth), 0 when none
    starts with ``model.model.``."""
    count = 0
    while any(k.startswith(level_prefix(count) + ".") for k in keys):
        count += 1
    return count

"""The U-Net generator with the notebook's flat, named blocks.

The channel plan is computed once (``generator_plan``) as a tuple of ``BlockSpec``; the module
is built from it. Skips are explicit in ``forward`` (keep each encoder output, concatenate it on
the way up), so a shape tracer sees every ``torch.cat`` and a learner reads the U top to bottom::

    input_layer ─────────────────────────────────────────────(outer_skip)──► output_layer
      encoder_1 ───────────────────────────────────────────────► decoder_1
        ...                                                      ...
          encoder_{d-2} ─────────────────────────────► decoder_{d-2}
                          middle (down to the bottleneck and back up)

For ``depth=8`` the names are exactly the notebook's: ``input_layer``, ``encoder_1`` ..
``encoder_6``, ``middle``, ``decoder_6`` .. ``decoder_1``, ``output_layer``.

A plan may be edited (the mismatch doctor does) and built as is: ``UNetGenerator`` never checks
that the channels agree, so that a broken model can be built and diagnosed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import nn

from models.config import GeneratorConfig
from models.layers import norm_layer

Role = Literal["input", "encoder", "middle", "decoder", "output"]


@dataclass(frozen=True)
class BlockSpec:
    """One named block of the U-Net.

    ``in_channels`` is what the block's first conv expects (for a decoder: the concatenation
    of the previous output and the skip). ``skip`` names the encoder block whose output is
    concatenated to the incoming tensor *before* this block, or ``None``.
    """

    name: str
    role: Role
    in_channels: int
    out_channels: int
    mid_channels: int | None = None  # middle only: channels at the bottleneck
    skip: str | None = None
    dropout: bool = False

    def with_channels(self, in_channels: int | None = None, out_channels: int | None = None) -> BlockSpec:
        """A copy with other channel counts (used to break or mend a model on purpose)."""
        return replace(
            self,
            in_channels=self.in_channels if in_channels is None else in_channels,
            out_channels=self.out_channels if out_channels is None else out_channels,
        )


Plan = tuple[BlockSpec, ...]


def generator_plan(cfg: GeneratorConfig) -> Plan:
    """The block-by-block channel plan of ``cfg``.

    Encoder ``k`` outputs ``cfg.channels(k)``; decoder ``k`` takes ``2 * channels(k)`` (its
    input plus the skip from encoder ``k``) and outputs ``channels(k - 1)``, so that it matches
    the next skip.
    """
    n_enc = cfg.depth - 2
    blocks: list[BlockSpec] = [BlockSpec("input_layer", "input", cfg.in_channels, cfg.channels(0))]
    for k in range(1, n_enc + 1):
        blocks.append(BlockSpec(f"encoder_{k}", "encoder", cfg.channels(k - 1), cfg.channels(k)))
    top = cfg.channels(n_enc)
    blocks.append(BlockSpec("middle", "middle", top, top, mid_channels=cfg.channels(n_enc + 1)))
    n_dropout = {"none": 0, "all": n_enc, "reference": max(0, cfg.depth - 5)}[cfg.dropout]
    for k in range(n_enc, 0, -1):
        blocks.append(
            BlockSpec(
                f"decoder_{k}",
                "decoder",
                2 * cfg.channels(k),
                cfg.channels(k - 1),
                skip=f"encoder_{k}",
                dropout=(n_enc - k) < n_dropout,
            )
        )
    out_in = 2 * cfg.channels(0) if cfg.outer_skip else cfg.channels(0)
    blocks.append(
        BlockSpec(
            "output_layer",
            "output",
            out_in,
            cfg.out_channels,
            skip="input_layer" if cfg.outer_skip else None,
        )
    )
    return tuple(blocks)


def _conv(cin: int, cout: int, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=4, stride=2, padding=1, bias=bias)


def _up(cin: int, cout: int, bias: bool) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, kernel_size=4, stride=2, padding=1, bias=bias)


def build_block(spec: BlockSpec, cfg: GeneratorConfig) -> nn.Sequential:
    """The layers of one block, in the notebook's order (activation first)."""
    # A conv followed by BatchNorm needs no bias (the norm's shift replaces it); the reference
    # keeps it for instance norm, which has no affine shift there, and so do we for no norm.
    bias = cfg.norm != "batch"
    cin, cout = spec.in_channels, spec.out_channels
    if spec.role == "input":
        return nn.Sequential(_conv(cin, cout, bias))
    if spec.role == "encoder":
        return nn.Sequential(nn.LeakyReLU(0.2, True), _conv(cin, cout, bias), norm_layer(cfg.norm, cout))
    if spec.role == "middle":
        mid = spec.mid_channels or cout
        return nn.Sequential(
            nn.LeakyReLU(0.2, True),
            _conv(cin, mid, bias),
            nn.ReLU(True),
            _up(mid, cout, bias),
            norm_layer(cfg.norm, cout),
        )
    if spec.role == "decoder":
        layers: list[nn.Module] = [nn.ReLU(True), _up(cin, cout, bias), norm_layer(cfg.norm, cout)]
        if spec.dropout:
            layers.append(nn.Dropout(cfg.dropout_p))
        return nn.Sequential(*layers)
    if spec.role == "output":
        return nn.Sequential(nn.ReLU(True), _up(cin, cout, True), nn.Tanh())
    raise ValueError(f"unknown block role {spec.role!r}")


class UNetGenerator(nn.Module):
    """U-Net: (B, in_channels, H, W) -> (B, out_channels, H, W), values in [-1, 1].

    H and W must be multiples of ``2**depth``. Blocks are attributes named as in the plan.
    """

    def __init__(self, cfg: GeneratorConfig, plan: Plan | None = None) -> None:
        super().__init__()
        self.config = cfg
        self.plan: Plan = generator_plan(cfg) if plan is None else tuple(plan)
        for spec in self.plan:
            self.add_module(spec.name, build_block(spec, cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features: dict[str, torch.Tensor] = {}
        for spec in self.plan:
            if spec.skip is not None:
                # The skip connection: (B, C_prev, h, w) + (B, C_skip, h, w) -> (B, C_prev + C_skip, h, w)
                x = torch.cat((x, features[spec.skip]), dim=1)
            x = getattr(self, spec.name)(x)
            if spec.role in ("input", "encoder"):
                features[spec.name] = x
        return x


def build_generator(cfg: GeneratorConfig, plan: Plan | None = None) -> UNetGenerator:
    """Build the generator of ``cfg`` with PyTorch's default init (``init_weights`` is separate)."""
    return UNetGenerator(cfg, plan)

"""Arguments and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from torch import nn

from models import (
    DiscriminatorConfig,
    GeneratorConfig,
    build_discriminator,
    build_generator,
    list_presets,
    preset,
)

PARTS = ("generator", "discriminator")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


MAX_SEED = 2**31 - 1


def seed_int(text: str) -> int:
    """A seed: an integer from 0 to 2**31 - 1 (it is combined with ranks and steps)."""
    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED}, got {value}")
    return value


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text!r}")
    return value


def add_preset_args(
    parser: argparse.ArgumentParser, part: bool = True, default: str | None = "notebook"
) -> None:
    parser.add_argument(
        "--preset",
        default=default,
        choices=list_presets(),
        metavar="NAME",
        # default None lets a command tell "not given" from the preset (train's --resume refuses it)
        help=f"model preset: {', '.join(list_presets())} (default: {default or 'notebook'})",
    )
    if part:
        parser.add_argument(
            "--part", choices=PARTS, default="generator", help="which network (default: generator)"
        )


def preset_configs(
    name: str, input_size: int | None = None, part: str | None = None
) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The preset's configs, with ``input_size`` applied (validated) when given: to ``part`` only
    when named (a discriminator takes 64 where the U-Net needs a multiple of 2**depth)."""
    g, d = preset(name)
    if input_size is not None:
        if part in (None, "generator"):
            g = g.replace(input_size=input_size)
        if part in (None, "discriminator"):
            d = d.replace(input_size=input_size)
    return g, d


def build_part(g: GeneratorConfig, d: DiscriminatorConfig, part: str) -> tuple[nn.Module, tuple[int, int]]:
    """The chosen network and its (channels, size) input."""
    if part == "generator":
        return build_generator(g), (g.in_channels, g.input_size)
    return build_discriminator(d), (d.in_channels, d.input_size)

"""Arguments and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from torch import nn

from inspector.errors import UserError
from models import DiscriminatorConfig, GeneratorConfig, build, list_presets, preset
from models.config import PARTS
from models.presets import DEFAULT_PRESET


def _int_in(text: str, low: int, high: int | None, expected: str) -> int:
    """``text`` as an integer in [low, high] (no upper bound when high is None), or argparse's error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_in(text, 1, None, "a positive integer")


def non_negative_int(text: str) -> int:
    return _int_in(text, 0, None, "an integer >= 0")


def seed_int(text: str) -> int:
    """A seed: an integer from 0 to 2**31 - 1 (it is combined with ranks and steps)."""
    from inspector.training.config import MAX_SEED  # the trainer's bound; imported here, not at CLI start-up

    non_negative_int(text)  # a negative seed says "expected an integer >= 0"
    return _int_in(text, 0, MAX_SEED, f"a seed from 0 to {MAX_SEED}")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for an integer in [low, high]."""

    def parse(text: str) -> int:
        return _int_in(text, low, high, f"an integer from {low} to {high}")

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
    parser: argparse.ArgumentParser, part: bool = True, default: str | None = DEFAULT_PRESET
) -> None:
    parser.add_argument(
        "--preset",
        default=default,
        choices=list_presets(),
        metavar="NAME",
        # default None lets a command tell "not given" from the preset (train's --resume refuses it)
        help=f"model preset: {', '.join(list_presets())} (default: {default or DEFAULT_PRESET})",
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
    cfg = g if part == "generator" else d
    return build(cfg), (cfg.in_channels, cfg.input_size)


# ------------------------------------------------------------------------- ports and paths

MAX_PORT = 65535


def port_number(text: str) -> int:
    """A TCP port: an integer from 1 to 65535 (argparse type)."""
    return _int_in(text, 1, MAX_PORT, f"a port from 1 to {MAX_PORT}")


def output_file(
    path: str | os.PathLike[str], default_name: str, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Where to write one output file, or a ``UserError`` before anything is written.

    A folder (existing, or written with a trailing ``/``) means ``default_name`` inside it, so
    ``--plot figures`` writes ``figures/weights.png``. Refused: an existing path that is not a
    regular file (``/dev/null``, a FIFO: writing there destroys nothing but loses the output, or
    blocks), and the very file of an input (the same path, or the same file through a link).
    """
    out = Path(path)
    if out.is_dir() or str(path).endswith(("/", "\\")):
        out = out / default_name
    if out.exists() and not out.is_file():
        raise UserError(f"{out} is not a regular file (a device, a pipe or a folder): give a file to write")
    refuse_overwriting_inputs(out, inputs)
    return out


def output_folder(path: str | os.PathLike[str]) -> Path:
    """A folder to write files into: created later, but an existing non-folder is refused now."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder: give a folder for the output files")
    return out


def refuse_overwriting_inputs(out: Path, inputs: Iterable[str | os.PathLike[str]]) -> None:
    """``UserError`` when ``out`` is one of ``inputs``: by path, or by ``os.path.samefile`` (links)."""
    for source in inputs:
        src = Path(source)
        same = os.path.abspath(out) == os.path.abspath(src)
        if not same and out.exists() and src.exists():
            try:
                same = os.path.samefile(out, src)
            except OSError:
                same = False
        if same:
            raise UserError(
                f"the output {out} is the input {src}: writing it would destroy the input; give another --out"
            )

"""The model a ``trace`` or ``doctor`` command looks at: a preset's network or a user's file."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from torch import nn

from inspector.commands.common import build_part
from inspector.errors import UserError
from models import list_presets, preset
from models.config import PARTS
from models.presets import DEFAULT_PRESET


def input_shape(text: str) -> tuple[int, ...]:
    """``"1,3,256,256"`` (or ``1x3x256x256``) -> (1, 3, 256, 256); also B,C,L and B,C,D,H,W."""
    from inspector.shapes.loader import parse_input_shape

    try:
        return parse_input_shape(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_target_args(p: argparse.ArgumentParser, json: bool = True) -> None:
    """The model to look at: a preset (``--preset``, ``--part``) or ``FILE.py:NAME``, and ``--input``."""
    p.add_argument(
        "model",
        nargs="?",
        metavar="FILE.py:NAME",
        help="your own model: an nn.Module subclass built without arguments, or a function returning one",
    )
    p.add_argument(
        "--preset",
        choices=list_presets(),
        metavar="NAME",
        help=f"a preset instead of a file: {', '.join(list_presets())} (default: notebook)",
    )
    p.add_argument("--part", choices=PARTS, default="generator", help="which network (default: generator)")
    p.add_argument(
        "--input",
        type=input_shape,
        metavar="B,C,H,W",
        help="input shape: B,C,H,W, or B,C,L for a 1-d model and B,C,D,H,W for a 3-d one (default: the "
        "preset's, e.g. 1,1,256,256; for a file: 1,C and 256 per spatial dim of its first conv)",
    )
    if json:
        p.add_argument("--json", action="store_true", help="machine-readable output")


@dataclass(frozen=True)
class Target:
    model: nn.Module
    input_shape: tuple[int, ...]
    label: str  # e.g. "notebook generator" or "my_unet.py:UNet"


def resolve(args: argparse.Namespace) -> Target:
    """The model and input shape the arguments name; ``UserError`` when they do not add up."""
    if args.model and args.preset:
        raise UserError("give either FILE.py:NAME or --preset, not both")
    if args.model:
        from inspector.shapes.loader import load_model

        model = load_model(args.model)
        shape = args.input or _guess_input(model)
        return Target(model, shape, args.model)
    name = args.preset or DEFAULT_PRESET
    g, d = preset(name)
    model, (channels, size) = build_part(g, d, args.part)
    if args.input is not None and len(args.input) != 4:  # a preset is 2-d: no reading 3 numbers as C,H,W
        raise UserError(
            f"--input: the {name} {args.part} takes 4 numbers B,C,H,W (e.g. 1,{channels},{size},{size}), "
            f"got {len(args.input)}: {','.join(map(str, args.input))}"
        )
    return Target(model, args.input or (1, channels, size, size), f"{name} {args.part}")


def _guess_input(model: nn.Module) -> tuple[int, ...]:
    for m in model.modules():
        channels = getattr(m, "in_channels", None)
        if isinstance(channels, int):
            kernel = getattr(m, "kernel_size", (1, 1))
            n = len(kernel) if isinstance(kernel, tuple) else 2  # Conv1d: 1 spatial dim, Conv3d: 3
            side = 256 if n <= 2 else 64  # a 64^3 volume, not 256^3
            return (1, channels, *(side,) * n)
    raise UserError("cannot guess the input shape (the model has no conv): give --input B,C,H,W")

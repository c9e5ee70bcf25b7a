"""``pix2pix-inspector summary``: the torchinfo summary of a preset's network."""

from __future__ import annotations

import argparse

from inspector.commands.common import add_preset_args, build_part, positive_int, preset_configs
from inspector.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "summary",
        help="print the torchinfo summary of a preset's network",
        description="Print the torchinfo summary (every layer's shapes and parameters), "
        "computed on the meta device: no memory, no real forward pass.",
    )
    add_preset_args(p)
    p.add_argument(
        "--input-size",
        type=positive_int,
        default=None,
        metavar="N",
        help="image height = width (default: the preset's, 256)",
    )
    p.add_argument("--batch", type=positive_int, default=1, metavar="B", help="batch size (default: 1)")
    p.add_argument("--depth", type=positive_int, default=4, help="nesting depth of the table (default: 4)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.shapes.summary import summary

    g, d = preset_configs(args.preset, args.input_size, args.part)
    model, (channels, size) = build_part(g, d, args.part)
    try:
        result = summary(model, (args.batch, channels, size, size), depth=args.depth)
    except RuntimeError as exc:
        raise UserError(
            f"the {args.part} of preset {args.preset!r} fails at input {(args.batch, channels, size, size)}; "
            f"run `pix2pix-inspector doctor --preset {args.preset} --part {args.part}` to see why"
        ) from exc
    print(result.text)
    return 0

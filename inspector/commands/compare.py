"""``pix2pix-inspector compare``: how a preset differs from the pix2pix reference."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from inspector.commands.common import add_preset_args, positive_int, preset_configs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="list how a preset differs from the pix2pix reference",
        description="Compare a preset with the pix2pix reference (unet_256 + 70x70 PatchGAN), point by point.",
    )
    add_preset_args(p, part=False)
    p.add_argument(
        "--input-size", type=positive_int, default=None, metavar="N", help="image size (default: 256)"
    )
    p.add_argument("--all", action="store_true", help="show the points that agree too")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.shapes.compare import compare_to_reference

    g, d = preset_configs(args.preset, args.input_size)
    rows = [r for r in compare_to_reference(g, d) if args.all or r.differs]
    if args.json:
        print(json.dumps([{**asdict(r), "differs": r.differs} for r in rows], indent=2))
        return 0
    if not rows:
        print(f"{args.preset}: identical to the pix2pix reference")
        return 0
    width = max(len(f"{r.network} {r.point}") for r in rows)
    print(f"{'':{width}}  {args.preset:<40}  pix2pix reference")
    for r in rows:
        mark = "*" if r.differs else " "
        print(f"{r.network + ' ' + r.point:{width}}  {r.chosen:<40}  {r.reference} {mark}")
    return 0

"""``pix2pix-inspector diagram``: the U diagram or the discriminator chain as a file for slides."""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.commands.common import output_file
from inspector.commands.target import add_target_args
from inspector.errors import UserError

FILE_FORMATS = ("svg", "pdf", "png", "dot")  # dot: the graphviz source text itself


def register(sub: argparse._SubParsersAction) -> None:
    from inspector.i18n.catalog import LANGUAGES

    p = sub.add_parser(
        "diagram",
        help="draw a network as a diagram for slides (SVG, PDF, PNG or DOT)",
        description="Trace a network on the meta device and draw it: the U-Net as a U with every skip "
        "connection, a network without skips as a chain. Options for slides: the direction, runs of "
        "identical blocks folded into one node, norm and activation layers shown or hidden, the "
        "language of the labels. Problems (the notebook's typo) are painted red.",
    )
    add_target_args(p, json=False)
    p.add_argument("--direction", choices=("TB", "LR"), default="TB", help="top-to-bottom or left-to-right")
    p.add_argument("--collapse", action="store_true", help="fold runs of identical blocks into one node (×n)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--hide-norm-act",
        dest="norm_act",
        action="store_const",
        const="hide",
        default="auto",
        help="leave out norm and activation layers (a chain's BatchNorm2d and LeakyReLU boxes)",
    )
    shown.add_argument(
        "--show-norm-act",
        dest="norm_act",
        action="store_const",
        const="show",
        help="list every layer of each block, norm and activation included",
    )
    p.add_argument(
        "--lang", choices=tuple(LANGUAGES), default="en", help="language of the labels (default: en)"
    )
    p.add_argument(
        "--format",
        choices=FILE_FORMATS,
        default=None,
        help="file format (default: the suffix of --out, else svg)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="the file to write, or a folder to write it into (default: print the DOT source)",
    )
    p.set_defaults(func=run)


def _format(args: argparse.Namespace) -> str:
    suffix = args.out.suffix.lower().lstrip(".") if args.out is not None and not args.out.is_dir() else ""
    if suffix and suffix not in FILE_FORMATS:
        raise UserError(f"--out must end in .svg, .pdf, .png or .dot, got {args.out}")
    if args.format and suffix and args.format != suffix:
        raise UserError(f"--format {args.format} does not match the suffix of --out {args.out}")
    return str(args.format or suffix or ("svg" if args.out is not None else "dot"))


def _out_path(args: argparse.Namespace, fmt: str) -> Path:
    """Where to write: ``--out`` itself, or a file named after the model inside the folder ``--out``;
    never the model file itself, a device or a pipe (``output_file``)."""
    out: Path = args.out
    if not out.is_dir() and not out.suffix:
        out = out.with_suffix(f".{fmt}")
    stem = Path(args.model.split(":")[0]).stem if args.model else f"{args.preset or 'notebook'}"
    model_file = [Path(args.model.rsplit(":", 1)[0])] if args.model else []
    out = output_file(out, f"{stem}_{args.part}.{fmt}", inputs=model_file)
    if not out.parent.is_dir():
        raise UserError(f"the folder of --out does not exist: {out.parent}")
    return out


def run(args: argparse.Namespace) -> int:
    from inspector.commands.target import resolve
    from inspector.doctor.diagnose import diagnose
    from inspector.files import write_bytes
    from inspector.i18n.catalog import translator
    from inspector.i18n.fonts import graphviz_font
    from inspector.shapes.diagram import DiagramStyle, diagram_dot, render

    fmt = _format(args)
    out = _out_path(args, fmt) if args.out is not None else None
    target = resolve(args)
    result = diagnose(target.model, target.input_shape)
    style = DiagramStyle(
        direction=args.direction,
        collapse=args.collapse,
        norm_act=args.norm_act,
        fontname=graphviz_font(args.lang),
    )
    source = diagram_dot(result.trace, result.problems, style=style, tr=translator(args.lang))
    if out is None:
        print(source, end="" if source.endswith("\n") else "\n")
        return 0
    data = source.encode("utf-8") if fmt == "dot" else render(source, fmt)
    write_bytes(out, data)
    problems = f", {len(result.problems)} problem(s) in red" if result.problems else ""
    print(f"wrote {out} ({fmt}, {len(data):,} bytes, {target.label}{problems})")
    return 0

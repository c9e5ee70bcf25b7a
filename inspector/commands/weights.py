"""``pix2pix-inspector weights``: weight histograms before and after init, and activations at init."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from inspector.commands.common import (
    add_preset_args,
    build_part,
    output_file,
    positive_float,
    positive_int,
    preset_configs,
    seed_int,
)
from models.init import DRAWN_SCHEMES

PLOT_FILE = "weights.png"  # the figure's name inside a folder given to --plot


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "weights",
        help="weight statistics as built vs after init, and activation std through depth",
        description="Per-kind weight statistics (mean, std, min, max and theory) of a preset's network as "
        "built (PyTorch's default init) and after init_weights with each scheme; with --activations, each "
        "conv's output std for a small N(0, 1) batch (eval mode: BatchNorm at its initial running stats).",
    )
    add_preset_args(p)
    p.add_argument(
        "--scheme",
        action="append",
        choices=DRAWN_SCHEMES,
        default=None,
        help="init scheme to compare with the model as built; repeat for several "
        f"(default: {', '.join(DRAWN_SCHEMES)})",
    )
    p.add_argument(
        "--gain", type=positive_float, default=0.02, help="std of normal, gain of xavier (default: 0.02)"
    )
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the init draw (default: 0)")
    p.add_argument("--bins", type=positive_int, default=60, help="histogram bins (default: 60)")
    p.add_argument("--layers", action="store_true", help="also list every parameter tensor")
    p.add_argument(
        "--activations", action="store_true", help="also push a small batch and report each conv's output"
    )
    p.add_argument(
        "--mode",
        choices=("eval", "train"),
        default="eval",
        help="eval (default): BatchNorm at its initial running stats, so the init alone shows; "
        "train: batch statistics, as the first training step sees them",
    )
    p.add_argument("--json", action="store_true", help="print everything as JSON (with histograms)")
    p.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="PNG",
        help=f"save a figure of all conv weights, as built next to each scheme (a folder gets {PLOT_FILE}; "
        "no suffix means .png)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.files import write_file
    from inspector.init_study.activations import activation_comparison, probe_shape
    from inspector.init_study.theory import AS_BUILT
    from inspector.init_study.weights import init_comparison

    if not args.gain > 0:
        raise ValueError(f"--gain must be positive, got {args.gain}")
    plot = None
    if args.plot is not None:  # checked before the work: a bad path fails in a second, not after it
        plot = output_file(args.plot, PLOT_FILE)
        if not plot.suffix:  # matplotlib would add ".png" itself; name the file we write
            plot = output_file(plot.with_name(plot.name + ".png"), PLOT_FILE)
    schemes = args.scheme or list(DRAWN_SCHEMES)
    g, d = preset_configs(args.preset)
    model, _ = build_part(g, d, args.part)
    stats = init_comparison(model, schemes, gain=args.gain, seed=args.seed, bins=args.bins)
    acts = None
    if args.activations:
        cfg = g if args.part == "generator" else d
        try:
            acts = activation_comparison(
                model, probe_shape(cfg, batch=1), schemes, mode=args.mode, gain=args.gain, seed=args.seed
            )
        except (RuntimeError, ValueError) as exc:
            raise ValueError(
                f"the {args.part} of preset {args.preset!r} cannot run a forward pass: "
                f"{str(exc).splitlines()[0]}"
            ) from exc
    if plot is not None:
        from inspector.init_study.figure import histogram_figure  # matplotlib only for --plot

        groups = [s.groups["all_conv"] for s in stats.values()]
        fig = histogram_figure(groups, [f"{k}: all conv weights" for k in stats])
        fig_format = plot.suffix.lstrip(".").lower()
        write_file(plot, lambda f: fig.savefig(f, format=fig_format, dpi=110))
    if args.json:
        out: dict = {
            "preset": args.preset,
            "part": args.part,
            "weights": {k: v.to_dict() for k, v in stats.items()},
        }
        if acts:
            out["activations"] = {
                k: {
                    "mode": a.mode,
                    "input_shape": list(a.input_shape),
                    "rows": [r.__dict__ | {"shape": list(r.shape)} for r in a.rows],
                }
                for k, a in acts.items()
            }
        print(json.dumps(out))
        return 0
    print(f"{args.preset} {args.part}: {sum(t.numel for t in stats[AS_BUILT].tensors):,} parameters")
    header = f"{'init':<10} {'group':<15} {'numel':>11} {'mean':>10} {'std':>10} {'min':>9} {'max':>9}  theory (std)"
    print(header)
    for key, st in stats.items():
        for name, t in st.groups.items():
            th = f"{t.theory.label} ({t.theory.std:.4g})" if t.theory else "-"
            print(
                f"{key:<10} {name:<15} {t.numel:>11,} {t.mean:>10.3g} {t.std:>10.4g} {t.min:>9.3g} {t.max:>9.3g}  {th}"
            )
    if args.layers:
        for key, st in stats.items():
            print(f"\n{key}: every tensor")
            for t in st.tensors:
                th = f"{t.theory.label}" if t.theory else "-"
                print(f"  {t.name:<28} {t.module_type:<16} {t.numel:>10,} std {t.std:<10.4g} theory {th}")
    if acts:
        names = list(acts)
        convs = {k: a.of_type("Conv2d", "ConvTranspose2d") for k, a in acts.items()}
        shape = acts[names[0]].input_shape
        print(f"\noutput std of each conv, N(0, 1) input {tuple(shape)}, {args.mode} mode")
        print(f"{'layer':<22}" + "".join(f"{n:>12}" for n in names))
        for i, row in enumerate(convs[names[0]]):
            print(f"{row.name:<22}" + "".join(f"{convs[n][i].std:>12.3g}" for n in names))
    if plot is not None:
        print(f"wrote {plot}")
    return 0

"""``pix2pix-inspector doctor``: every shape mismatch of a network, each with its fix."""

from __future__ import annotations

import argparse
import json

from inspector.commands.target import add_target_args, resolve


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="find every channel / size mismatch of a network and say how to fix it",
        description="Check every layer's input on the meta device and carry on past each mismatch, so "
        "that all problems are found in one pass. Exit 0 when the network is healthy, 1 when problems "
        "were found, 2 for bad arguments or a file that cannot be loaded.",
    )
    add_target_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.doctor.diagnose import diagnose
    from inspector.doctor.proof import fix_text
    from inspector.shapes.input_sizes import SEARCH_BUDGET_S, valid_input_sizes
    from inspector.shapes.labels import fmt_shape, fmt_value

    target = resolve(args)
    result = diagnose(target.model, target.input_shape)
    if args.json:
        data = {"model": target.label, **result.to_dict(), "output_shape": result.trace.output_shape}
        print(json.dumps(data, indent=2))
        return 0 if result.ok else 1
    head = f"{target.label}, input {fmt_shape(result.input_shape)}"
    if result.device != "meta":
        head += (
            f" (run on a {result.device} copy: the forward needs values, which the meta device does not have)"
        )
    if result.ok:
        print(f"{head}: healthy, output {fmt_shape(result.trace.output_shape)}")
        sizes = valid_input_sizes(target.model, result.input_shape)
        if sizes is not None:  # one rule per side when the sides differ; an unfinished search says so
            print(f"valid input sizes: {sizes.describe()}")
        else:
            print(
                f"valid input sizes: unknown (a search on the meta device found no size that "
                f"works within its {SEARCH_BUDGET_S:g} s budget)"
            )
        _print_notes(result.notes)
        return 0
    n = len(result.problems)
    print(f"{head}: {n} problem{'s' if n > 1 else ''}")
    for i, p in enumerate(result.problems, 1):
        print(f"\n{i}. {p.module} [{p.kind}] expected {fmt_value(p.expected)}, got {fmt_value(p.actual)}")
        print(f"   {p.message}")
        print(f"   fix: {p.fix}")
        print(f"   {fix_text(p)}")
    _print_notes(result.notes)
    return 1


def _print_notes(notes: tuple[str, ...]) -> None:
    """Not problems: things worth knowing (a skip rewritten in place, an output of another size)."""
    if notes:
        print("\nnotes (not problems):")
        for note in notes:
            print(f"  - {note}")

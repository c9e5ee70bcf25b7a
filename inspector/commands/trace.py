"""``pix2pix-inspector trace``: every layer's shapes and every concatenation, on the meta device."""

from __future__ import annotations

import argparse
import json

from inspector.commands.target import add_target_args, resolve


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "trace",
        help="every layer's shapes and every torch.cat (skip connection) of a network",
        description="Run the network on the meta device (no memory, milliseconds) and list every leaf "
        "layer with its shapes and every torch.cat / torch.stack / + with the modules that produced its "
        "inputs. Exit 0 when it runs, 1 when it cannot (the doctor's findings are printed), 2 for bad "
        "arguments.",
    )
    add_target_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.doctor.diagnose import diagnose
    from inspector.doctor.notes import unbatched_input_note
    from inspector.doctor.proof import fix_text
    from inspector.shapes.labels import fmt_shape

    target = resolve(args)
    result = diagnose(target.model, target.input_shape)
    t = result.trace
    unbatched = unbatched_input_note(target.model, t.input_shape)
    if args.json:
        data = {"model": target.label, "ok": result.ok, **t.to_dict()}
        if not result.ok:
            data["problems"] = result.to_dict()["problems"]
        if unbatched:
            data["notes"] = [unbatched]
        print(json.dumps(data, indent=2))
        return 0 if result.ok else 1
    if unbatched:
        print(f"note: {unbatched}")
    head = f"{target.label}: input {fmt_shape(t.input_shape)}"
    if not result.ok:
        print(f"{head}: the model does not run at this shape ({len(result.problems)} problem(s)):")
        for p in result.problems:
            print(f"  {p.module}: {p.message}\n    fix: {p.fix}\n    {fix_text(p)}")
        print("(shapes below carry on past each problem, as `pix2pix-inspector doctor` does)")
    else:
        print(f"{head} -> output {fmt_shape(t.output_shape)}")
    rows = [("#", "layer", "type", "input", "output", "params")] + [
        (
            str(r.index),
            r.name,
            r.kind,
            fmt_shape(r.input_shapes[0] if r.input_shapes else None),
            fmt_shape(r.output_shape),
            f"{r.params:,}",
        )
        for r in t.layers
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.rjust(w) if i in (0, 5) else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths))
            )
        )
    print(f"\n{len(t.concats)} concatenation(s) and other combinations:")
    for c in t.concats:
        where = f" before {c.consumer}" if c.consumer else ""
        ins = " + ".join(f"{r.producer} {fmt_shape(r.shape)}" for r in c.inputs)
        print(f"  {c.label}{where}: {ins} -> {fmt_shape(c.output_shape)}  ({c.arithmetic()})")
    print(f"\ntotal params: {sum(r.params for r in t.layers):,}")
    return 0 if result.ok else 1

"""``pix2pix-inspector checkpoint FILE``: what a checkpoint holds, proven; does it fit; export; compare.

FILE is a run directory of ``train``, this project's ``.safetensors``, or a ``.pth``/``.pt`` of
plain tensors from anywhere: the notebook's classes, the pix2pix reference code
(``latest_net_G.pth``, ``latest_net_D.pth``), DataParallel (``module.``) or ``torch.compile``
(``_orig_mod.``) models. Each network is identified by its structure and proven (built, loaded
with ``strict=True``, run).

* ``--preset NAME`` (and ``--ngf``, ``--depth``, ``--size``, ``--norm``, ``--in-channels``,
  ``--n-layers``): does FILE fit that architecture? If not: the settings that differ, the blocks,
  a proposal proven by loading and running it (exit 1).
* ``--export OUT.safetensors``: this project's format, the same tensors.
* ``--compare OTHER``: per block, the relative change of the weights; both generators on one photo
  (``--image``, default the astronaut) with their difference (``--out PNG`` writes the picture).

Exit codes: 0 identified and proven (or fits), 1 not identified, not proven, does not fit, or of
another architecture than OTHER; 2 unreadable or refused (one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.commands.common import add_preset_args, output_file, positive_int
from inspector.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from inspector.checkpoints.compare import Comparison
    from inspector.checkpoints.fit import Fit
    from inspector.checkpoints.identify import Identification
    from models import NetworkConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "checkpoint",
        help="identify a checkpoint from anywhere (proven), fit it to an architecture, export or compare it",
        description="Identify the networks in FILE by their structure (this project's, the notebook's classes, "
        "the pix2pix reference code's; DataParallel and torch.compile prefixes) and prove each: built from its "
        "settings, loaded with strict=True and run. With --preset: whether it fits, and if not, which settings "
        "differ. Exit 0 identified or fits, 1 not identified or does not fit, 2 unreadable or refused.",
    )
    p.add_argument("file", metavar="FILE", help="run directory or checkpoint file (.safetensors, .pth, .pt)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--export", metavar="OUT", help="write this project's .safetensors (the same tensors)")
    p.add_argument("--compare", metavar="OTHER", help="a second checkpoint of the same architecture")
    p.add_argument("--image", metavar="PHOTO", help="with --compare: the photo (default: the astronaut)")
    p.add_argument(
        "--out", metavar="PNG", help="with --compare: write both colorizations and their difference"
    )
    add_preset_args(p, part=False, default=None)
    p.add_argument("--ngf", type=positive_int, help="with --preset: generator width (and discriminator ndf)")
    p.add_argument("--depth", type=positive_int, help="with --preset: U-Net downsamplings")
    p.add_argument("--size", type=positive_int, help="with --preset: image size")
    p.add_argument(
        "--norm", choices=("batch", "instance", "none"), help="with --preset: norm of both networks"
    )
    p.add_argument(
        "--in-channels", type=positive_int, dest="in_channels", help="with --preset: generator input"
    )
    p.add_argument(
        "--n-layers", type=positive_int, dest="n_layers", help="with --preset: discriminator layers"
    )
    p.set_defaults(func=run)


def chosen_configs(args: argparse.Namespace) -> dict[str, NetworkConfig] | None:
    """The architecture given by --preset and the model flags, or None when none was given."""
    from models import preset

    flags = {k: getattr(args, k) for k in ("ngf", "depth", "size", "norm", "in_channels", "n_layers")}
    if not args.preset:
        if any(v is not None for v in flags.values()):
            raise UserError("--ngf, --depth, --size, --norm, --in-channels and --n-layers need --preset")
        return None
    g, d = preset(args.preset)
    g_changes = {"ngf": flags["ngf"], "depth": flags["depth"], "input_size": flags["size"]}
    g_changes |= {"norm": flags["norm"], "in_channels": flags["in_channels"]}
    d_changes = {
        "ndf": flags["ngf"],
        "input_size": flags["size"],
        "norm": flags["norm"],
        "n_layers": flags["n_layers"],
    }
    try:
        g = g.replace(**{k: v for k, v in g_changes.items() if v is not None})
        d = d.replace(**{k: v for k, v in d_changes.items() if v is not None})
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return {"generator": g, "discriminator": d}


def run(args: argparse.Namespace) -> int:
    from inspector.checkpoints.fit import fit
    from inspector.checkpoints.identify import identify

    chosen = chosen_configs(args)
    if (args.image or args.out) and not args.compare:
        raise UserError("--image and --out go with --compare")
    out_png = _png_target(args) if args.compare else None
    export_to = (
        output_file(args.export, "checkpoint-export.safetensors", [args.file]) if args.export else None
    )
    found = identify(args.file, Path(args.file).name)
    fits = fit(found, chosen) if chosen is not None else {}
    comparisons: dict[str, Comparison] = {}
    compare_problem = None
    if args.compare:
        comparisons, compare_problem = _compare(found, args)
    written = None
    if export_to is not None:
        from inspector.checkpoints.export import export

        written = export(found, export_to)
    code = 0 if found.proven else 1
    if fits and not all(f.fits for f in fits.values()):
        code = 1
    if compare_problem is not None:
        code = 1
    if args.json:
        data = found.to_json()
        if chosen is not None:
            data["fit"] = {p: f.to_json() for p, f in fits.items()}
        if args.compare:
            data["compare"] = {p: c.to_json() for p, c in comparisons.items()}
            data["compare_problem"] = None if compare_problem is None else str(compare_problem)
        if written is not None:
            data["exported"] = str(written)
        print(json.dumps(data, indent=2))
    else:
        _print_identification(found)
        for f in fits.values():
            _print_fit(f, args.preset)
        for c in comparisons.values():
            _print_comparison(c, Path(args.file).name, Path(args.compare).name)
        if compare_problem is not None:
            print(f"compare: {compare_problem}")
        if written is not None:
            print(f"exported {found.part if found.part != 'both' else 'both networks'} to {written}")
    if out_png is not None and "generator" in comparisons:
        _write_png(out_png, comparisons["generator"], Path(args.file).name, Path(args.compare).name)
    return code


def _png_target(args: argparse.Namespace) -> Path | None:
    if not args.out:
        return None
    from inspector.training.colorize import writable_image_path

    path, _ = writable_image_path(output_file(args.out, "compare.png"))
    return output_file(path, "compare.png", [args.file, args.compare, *([args.image] if args.image else [])])


def _compare(found: Identification, args: argparse.Namespace) -> tuple[dict[str, Comparison], str | None]:
    from inspector.checkpoints.compare import compare
    from inspector.checkpoints.identify import identify

    other = identify(args.compare, Path(args.compare).name)
    g = found.get("generator")
    rgb = _photo(args, g.config.input_size) if g is not None and g.config is not None else None
    try:
        return compare(found, other, rgb), None
    except UserError as exc:
        return {}, str(exc)


def _photo(args: argparse.Namespace, size: int) -> np.ndarray:
    """(3, S, S) uint8 at the generator's side (its training size, at most 512)."""
    from inspector.data.images import fit_square, image_to_tensor, load_image
    from inspector.data.samples import DEFAULT_SAMPLE, sample_photo
    from inspector.training.run_bounds import MAX_MODEL_SIDE

    side = min(size, MAX_MODEL_SIDE)
    if args.image:
        from inspector.training.colorize import read_image_file

        image = fit_square(
            load_image(read_image_file(args.image), Path(args.image).name, draft_size=side), side
        )
    else:
        image = sample_photo(DEFAULT_SAMPLE, side)
    return image_to_tensor(image).numpy()


def _config_line(cfg: NetworkConfig) -> str:
    return ", ".join(f"{k} {v}" for k, v in cfg.to_dict().items())


def _print_identification(found: Identification) -> None:
    from inspector.training.recognize import FAMILIES

    print(f"{found.name}: {found.part if found.part != 'both' else 'generator and discriminator'}")
    for part, net in found.networks.items():
        status = f"proven (loaded with strict=True, ran {net.ran})" if net.proven else "NOT proven"
        print(f"{part}: {FAMILIES[net.family, part]}; {status}")
        if net.config is not None:
            print(f"  {_config_line(net.config)}")
            print(f"  {net.parameters:,} parameters")
        if net.problem is not None:
            print(f"  problem: {net.problem}")
        for note in net.notes:
            print(f"  note: {note}")


def _print_fit(f: Fit, preset_name: str) -> None:
    if f.fits:
        print(f"{f.part} fits preset {preset_name} ({_config_line(f.chosen)})")
        return
    print(f"{f.part} does not fit preset {preset_name}:")
    for sentence in f.differences:
        print(f"  {sentence}")
    if f.blocks:
        print(f"  blocks that do not fit: {', '.join(b.block for b in f.blocks)}")
    if f.proposal is not None:
        changed = [k for k, v in f.proposal.to_dict().items() if f.chosen.to_dict()[k] != v]
        settings = ", ".join(f"{k} {getattr(f.proposal, k)}" for k in changed)
        proof = "proven: loaded with strict=True and ran" if f.proposal_proven else "NOT proven"
        print(f"  proposal: preset {preset_name} with {settings} ({proof})")
    if f.detail is not None:
        print(f"  detail: {f.detail}")


def _print_comparison(c: Comparison, a: str, b: str) -> None:
    print(f"{c.part}: {a} -> {b}, relative change ||B - A|| / ||A|| per block")
    width = max(len(x.block) for x in c.blocks)
    for x in c.blocks:
        print(f"  {x.block:<{width}}  {x.relative_change:8.4f}  ({x.parameters:,} weights)")
    print(f"  {'all':<{width}}  {c.overall:8.4f}")
    if c.outputs is not None:
        print(
            f"  outputs on one photo: |ab_A - ab_B| mean {c.outputs.mean:.2f}, max {c.outputs.max:.2f} Lab units"
        )


def _write_png(path: Path, c: Comparison, a: str, b: str) -> None:
    from PIL import Image

    from inspector.files import write_file
    from inspector.inside.pictures import heatmap, side_by_side

    assert c.outputs is not None
    pictures = [
        Image.fromarray(c.outputs.a),
        Image.fromarray(c.outputs.b),
        Image.fromarray(heatmap(c.outputs.difference)),
    ]
    sheet = side_by_side(pictures)
    write_file(path, lambda f: sheet.save(f, format="PNG"))
    print(f"wrote {path} ({a} | {b} | |ab difference|)", file=sys.stderr)

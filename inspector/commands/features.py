"""``pix2pix-inspector features --out DIR``: a photo through the generator, seen from inside.

Writes PNGs into DIR: ``features.png`` (the strongest channels of every block and every
``torch.cat``, in U order; a cat's decoder channels framed blue, its skip's orange),
``features/NN_<name>.png`` (one grid per map), ``skips.png`` (the colorization with each skip,
then all, zeroed, and the difference) and ``verdict.png`` (the discriminator's per-patch verdict
on the real photo and on the colorization, with one cell's receptive field).

The models are untrained (seeded, ``N(0, 0.02)`` as in the notebook) unless ``--checkpoint``
names a run directory or checkpoint file; the photo is ``--image`` or scikit-image's
astronaut. Nothing in DIR may be one of the inputs: an output that would overwrite the photo or
the checkpoint is refused before anything is written.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.commands.common import add_preset_args, bounded_int, positive_int, seed_int
from inspector.errors import UserError

if TYPE_CHECKING:  # the CLI starts fast: torch and the models load only when the command runs
    import torch
    from torch import nn

    from models import DiscriminatorConfig, GeneratorConfig

OUTPUTS = ("features.png", "skips.png", "verdict.png")
FEATURES_DIR = "features"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="a photo through every block: feature-map grids, skip ablation, patch verdict (PNGs)",
        description="Run one photo through the generator and write what every block and every skip "
        "concatenation hands on (strongest channels), the colorization with each skip zeroed, and the "
        "discriminator's verdict per patch, as PNGs in --out.",
    )
    add_preset_args(p, part=False, default=None)
    p.add_argument("--image", metavar="PHOTO", help="the photo (default: scikit-image's astronaut)")
    p.add_argument("--checkpoint", metavar="RUN_DIR", help="a run directory of `train` or a checkpoint file")
    p.add_argument("--ngf", type=positive_int, help="with --preset: the generator width")
    p.add_argument("--depth", type=positive_int, help="with --preset: the U-Net depth")
    p.add_argument(
        "--size", type=positive_int, help="with --preset: the image size (generator and discriminator)"
    )
    p.add_argument(
        "--channels", type=bounded_int(1, 64), default=8, help="channels shown per map (default: 8)"
    )
    p.add_argument("--mode", choices=("eval", "train"), default="eval", help="eval (default) or train mode")
    p.add_argument(
        "--seed", type=seed_int, default=0, help="seed of the untrained weights and dropout (default: 0)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNGs (created if missing)")
    p.set_defaults(func=run)


def _configs(args: argparse.Namespace) -> tuple[GeneratorConfig, DiscriminatorConfig] | None:
    """The (generator, discriminator) configs asked for, or None when the checkpoint decides."""
    from models import preset
    from models.presets import DEFAULT_PRESET

    changes = {k: v for k, v in (("ngf", args.ngf), ("depth", args.depth), ("input_size", args.size)) if v}
    if args.checkpoint and not args.preset:
        if changes:
            raise UserError("--ngf, --depth and --size describe the architecture and need --preset")
        return None
    g, d = preset(args.preset or DEFAULT_PRESET)
    g = g.replace(**changes)
    return g, d.replace(input_size=g.input_size)


def _refuse_overwriting_inputs(out: Path, inputs: list[Path]) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out must be a folder, and {out} is a file")
    targets = [out / name for name in OUTPUTS]
    if (out / FEATURES_DIR).is_dir():
        targets += list((out / FEATURES_DIR).iterdir())
    for target in targets:
        for source in inputs:
            if target.exists() and source.exists() and os.path.samefile(target, source):
                raise UserError(f"--out {out} would overwrite the input {source}: choose another folder")


def _models(args: argparse.Namespace) -> tuple[nn.Module, nn.Module, int, str, list[Path]]:
    """(generator, discriminator, image size, what they are, input files) for the arguments."""
    from inspector.training.checkpoint import checkpoint_path
    from inspector.training.colorize import load_generator
    from models import build_discriminator, build_generator, init_weights, preset

    configs = _configs(args)
    g_cfg, d_cfg = configs if configs is not None else (None, None)
    if not args.checkpoint and g_cfg is not None and d_cfg is not None:
        g = init_weights(build_generator(g_cfg), seed=args.seed)
        d = init_weights(build_discriminator(d_cfg), seed=args.seed + 1)
        return g, d, g_cfg.input_size, f"untrained (N(0, 0.02), seed {args.seed})", []
    generator, ckpt = load_generator(args.checkpoint, generator_config=g_cfg, discriminator_config=d_cfg)
    # Bare weights come with --preset (d_cfg); our checkpoints store both configs.
    d = build_discriminator(d_cfg or ckpt.discriminator_config or preset("notebook")[1])
    trained = "untrained discriminator"
    if ckpt.discriminator and ckpt.discriminator_config is not None:
        d.load_state_dict(ckpt.discriminator)
        trained = "its discriminator"
    else:
        init_weights(d, seed=args.seed + 1)
    size = ckpt.generator_config.input_size
    return (
        generator,
        d,
        size,
        f"checkpoint at step {ckpt.step} ({trained})",
        [checkpoint_path(args.checkpoint)],
    )


def _photo(args: argparse.Namespace, size: int) -> tuple[torch.Tensor, str]:
    """(1, 3, size, size) float RGB in [0, 1], and its name."""
    import torch

    if args.image:
        from inspector.data.images import fit_square, image_to_tensor, load_image
        from inspector.training.colorize import read_image_file

        path = Path(args.image)
        image = load_image(read_image_file(path), path.name, draft_size=size)
        return image_to_tensor(fit_square(image, size))[None].to(torch.float32) / 255, path.name
    import importlib.resources

    from inspector.data.image_set import SAMPLE_FILES
    from inspector.data.images import load_square

    # The first of scikit-image's bundled colour photos, read from the package (never downloaded);
    # only this one is decoded, not the whole sample set.
    name = next(iter(SAMPLE_FILES))
    resource = importlib.resources.files("skimage") / "data" / SAMPLE_FILES[name]
    if not resource.is_file():
        raise UserError(f"this scikit-image ships no {SAMPLE_FILES[name]}: give a photo with --image")
    return load_square(resource.read_bytes(), name, size)[None].to(torch.float32) / 255, name


def run(args: argparse.Namespace) -> int:
    import torch

    from inspector.colour.lab import normalize_lab, rgb_to_lab
    from inspector.inside.features import feature_maps
    from inspector.inside.pictures import ablation_sheet, feature_grid, side_by_side, verdict_overlay
    from inspector.inside.skips import ablate_skips
    from inspector.inside.verdict import patch_verdict
    from models.presets import DEFAULT_PRESET

    out = Path(args.out)
    inputs = [Path(args.image)] if args.image else []
    _refuse_overwriting_inputs(out, inputs)  # before the slow part: a bad --out fails at once
    generator, discriminator, size, what, files = _models(args)
    inputs += files
    _refuse_overwriting_inputs(out, inputs)
    rgb, name = _photo(args, size)
    L, ab = normalize_lab(rgb_to_lab(rgb))  # (1, 1, S, S), (1, 2, S, S)

    maps = feature_maps(generator, L, mode=args.mode, seed=args.seed)
    skips = [p.producer for m in maps for p in m.parts if p.role == "skip"]
    # One row per skip, then all of them (with no skip at all, "all" zeroes nothing).
    ablations = ablate_skips(generator, L, mode=args.mode, seed=args.seed)
    colorized = ablations[-1]
    real = patch_verdict(discriminator, L, ab, mode=args.mode)
    fake = patch_verdict(discriminator, L, torch.from_numpy(colorized.intact_ab)[None], mode=args.mode)

    out.mkdir(parents=True, exist_ok=True)
    (out / FEATURES_DIR).mkdir(exist_ok=True)
    feature_grid(maps, args.channels).save(out / "features.png")
    for k, fmap in enumerate(maps):
        safe = fmap.name.replace("#", "_")
        feature_grid([fmap], args.channels, tile=96).save(out / FEATURES_DIR / f"{k:02d}_{safe}.png")
    ablation_sheet(ablations).save(out / "skips.png")
    photo = (rgb[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()  # (S, S, 3)
    side_by_side(
        [
            verdict_overlay(photo, real, title=f"real photo ({name})"),
            verdict_overlay(colorized.intact, fake, title="the generator's colorization"),
        ]
    ).save(out / "verdict.png")

    label = args.preset or ("the checkpoint" if args.checkpoint else DEFAULT_PRESET)
    print(f"{label} generator, {what}, {args.mode} mode; photo {name} at {size}x{size}")
    print(f"feature maps: {len(maps)} ({sum(m.kind == 'cat' for m in maps)} concatenations)")
    print(f"skips zeroed one by one: {', '.join(skips) or 'none (this generator has no skip)'}")
    print(
        f"D's mean p(real): real photo {real.mean_probability:.3f}, colorization {fake.mean_probability:.3f} "
        f"({real.grid[0]}x{real.grid[1]} patches of {real.field_size}x{real.field_size} px)"
    )
    print(f"wrote {', '.join(str(out / n) for n in OUTPUTS)} and {len(maps)} grids in {out / FEATURES_DIR}/")
    return 0

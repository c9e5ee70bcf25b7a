"""``pix2pix-inspector colorize CKPT IMAGE --out OUT``: colorize a photo with a trained generator.

CKPT is a run directory of ``train`` (its ``checkpoint.safetensors`` is used) or a checkpoint
file: our ``.safetensors``, or a PyTorch ``.pt``/``.pth`` of plain tensors (loaded with
``weights_only=True``; bare weights need ``--preset`` and the settings they were trained with).
The photo is made grey first: only its lightness is used, the colours are the model's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspector.commands.common import add_preset_args, output_file, positive_int
from inspector.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "colorize",
        help="colorize a photo with a checkpoint (run directory or file)",
        description="Colorize IMAGE (made grey first) with the generator in CKPT: a run "
        "directory of `train` or a checkpoint file.",
    )
    p.add_argument("checkpoint", metavar="CKPT", help="run directory or checkpoint file (.safetensors, .pt)")
    p.add_argument("image", metavar="IMAGE", help="the photo to colorize")
    p.add_argument(
        "--out",
        metavar="OUT",
        help="output image, or a folder to write it in (default: IMAGE's "
        "name + -colorized.png, here); never one of the inputs",
    )
    add_preset_args(p, part=False, default=None)
    p.add_argument("--ngf", type=positive_int, help="with --preset: the generator width it was trained with")
    p.add_argument("--depth", type=positive_int, help="with --preset: the U-Net depth")
    p.add_argument("--size", type=positive_int, help="with --preset: the training image size")
    p.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.training.colorize import colorize_file
    from models import preset

    g_cfg = None
    if args.preset:
        g_cfg, _ = preset(args.preset)
        changes = {
            k: v for k, v in (("ngf", args.ngf), ("depth", args.depth), ("input_size", args.size)) if v
        }
        g_cfg = g_cfg.replace(**changes)
    elif args.ngf or args.depth or args.size:
        raise UserError("--ngf, --depth and --size describe bare weights and need --preset")
    image = Path(args.image)
    out = colorize_output(args.out, image, Path(args.checkpoint))
    written, result = colorize_file(
        args.checkpoint, image, out, generator_config=g_cfg, device_name=args.device
    )
    h, w = result.colour.shape[:2]
    print(
        f"wrote {written} ({w}x{h}; the model ran at {result.model_size}x{result.model_size})",
        file=sys.stderr,
    )
    return 0


def colorize_output(out: str | None, image: Path, checkpoint: Path) -> Path:
    """The exact file ``colorize`` writes, checked before the model loads.

    A folder gets ``IMAGE-colorized.png``; a suffix Pillow cannot write becomes ``.png`` *before*
    the check, so that ``--out photo.xyz`` cannot turn into the input ``photo.png``. The photo and
    the checkpoint (a run directory's ``checkpoint.safetensors`` too) are never overwritten.
    """
    from inspector.training.checkpoint import CHECKPOINT_FILE
    from inspector.training.colorize import writable_image_path

    default = f"{image.stem}-colorized.png"
    path, _ = writable_image_path(output_file(out if out else default, default))
    inputs = [image, checkpoint, checkpoint / CHECKPOINT_FILE]
    return output_file(path, default, inputs=inputs)

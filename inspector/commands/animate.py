"""``pix2pix-inspector animate``: a Conv2d or ConvTranspose2d step by step, as a GIF or PNG frames."""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.commands.common import (
    bounded_int,
    non_negative_int,
    output_file,
    output_folder,
    positive_int,
    seed_int,
)
from inspector.conv.animation import MAX_IN_SIZE, MAX_KERNEL, MAX_OUT_SIZE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "animate",
        help="animate a Conv2d / ConvTranspose2d on small integers (GIF or PNG frames)",
        description="Draw one square, single-channel convolution step by step, with PyTorch's numbers: "
        "Conv2d as the kernel sliding over the padded input; ConvTranspose2d as each input cell scattering "
        "the kernel into the output (--view scatter) or as the equivalent stride-1 convolution over the "
        f"zero-stuffed input (--view equivalent). Sizes are capped: input <= {MAX_IN_SIZE}, kernel <= "
        f"{MAX_KERNEL}, output <= {MAX_OUT_SIZE}.",
    )
    p.add_argument(
        "--in-size", type=positive_int, default=4, metavar="N", help="input height = width (default: 4)"
    )
    p.add_argument("--kernel", type=non_negative_int, default=4, metavar="K", help="kernel size (default: 4)")
    p.add_argument("--stride", type=positive_int, default=2, metavar="S", help="stride (default: 2)")
    p.add_argument("--padding", type=non_negative_int, default=1, metavar="P", help="padding (default: 1)")
    p.add_argument("--dilation", type=positive_int, default=1, metavar="D", help="dilation (default: 1)")
    p.add_argument(
        "--output-padding",
        type=non_negative_int,
        default=0,
        metavar="OP",
        help="ConvTranspose2d only: extra rows/columns at the bottom and right (default: 0)",
    )
    p.add_argument("--transposed", action="store_true", help="ConvTranspose2d instead of Conv2d")
    p.add_argument(
        "--view",
        choices=("gather", "scatter", "equivalent"),
        default=None,
        help="which drawing (default: gather for Conv2d, scatter for ConvTranspose2d)",
    )
    p.add_argument(
        "--seed", type=seed_int, default=0, help="seed of the input and kernel integers (default: 0)"
    )
    p.add_argument(
        "--duration",
        type=bounded_int(10, 60_000),
        default=600,
        metavar="MS",
        help="ms per GIF frame (default: 600)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="write PATH.gif (an animated GIF) or, for a directory or no suffix, one PNG per frame",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.conv.animation import conv_animation
    from inspector.conv.frame_files import save_gif, save_pngs

    if (
        args.out is not None
        and args.out.suffix.lower() != ".gif"
        and args.out.suffix
        and not args.out.is_dir()
    ):
        raise ValueError(
            f"--out must end in .gif (an animation) or name a directory (PNG frames), got {args.out}"
        )
    # Checked before drawing: an existing folder means PNG frames, whatever its name; a .gif path
    # must be a regular file (or new), a frames folder must not be a file or a device.
    gif = args.out is not None and args.out.suffix.lower() == ".gif" and not args.out.is_dir()
    if args.out is not None:
        args.out = output_file(args.out, "animation.gif") if gif else output_folder(args.out)
    anim = conv_animation(
        args.in_size,
        args.kernel,
        args.stride,
        args.padding,
        args.dilation,
        args.output_padding,
        args.transposed,
        args.seed,
    )
    view = anim.view(args.view) if args.view else anim.views[0]
    kind = "ConvTranspose2d" if args.transposed else "Conv2d"
    print(f"{kind}: {anim.formula}")
    print(f"  {anim.formula_filled}")
    if args.transposed:
        print(f"  as a conv: {anim.settings.equivalent_text}")
    print(f"input ({args.in_size}x{args.in_size}):\n{anim.input}")
    print(f"kernel ({args.kernel}x{args.kernel}):\n{anim.kernel}")
    print(f"output ({anim.out_size}x{anim.out_size}, torch.nn.functional):\n{anim.output}")
    if args.out is None:
        print(f"{view.name}: {len(view.frames)} frames (pass --out anim.gif to draw them)")
        return 0
    if gif:
        path = save_gif(anim, args.out, view=view.name, duration_ms=args.duration)
        print(f"wrote {path} ({view.name}, {len(view.frames)} frames)")
    else:
        paths = save_pngs(anim, args.out, view=view.name)
        print(f"wrote {len(paths)} PNG frames to {args.out}/ ({view.name})")
    return 0

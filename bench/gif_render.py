"""How long does an animated GIF take? ``python bench/gif_render.py``

Prints, measured in this run: the median time to compute a 7x7, k3 Conv2d animation (25 frames),
to render its frames with Pillow, and to write the GIF, plus the same for the ConvTranspose2d
of the same settings (scatter, 49 frames) and the notebook's k4 s2 p1 decoder drawn as the
equivalent conv over the zero-stuffed input (64 frames).
"""

from __future__ import annotations

import argparse
import io

from PIL import Image
from timing import median_seconds  # bench/timing.py

from inspector.conv.animation import conv_animation
from inspector.conv.frame_files import gif_bytes
from inspector.conv.render import render_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls of each step (default: 5)")
    args = parser.parse_args()

    cases = [
        ("Conv2d 7x7, k3 (gather)", dict(in_size=7, kernel=3), None),
        ("ConvTranspose2d 7x7, k3 (scatter)", dict(in_size=7, kernel=3, transposed=True), "scatter"),
        (
            "ConvTranspose2d 4x4, k4 s2 p1 (equivalent conv)",
            dict(in_size=4, kernel=4, stride=2, padding=1, transposed=True),
            "equivalent",
        ),
    ]
    for label, kwargs, view in cases:
        anim = conv_animation(**kwargs)
        v = anim.view(view) if view else anim.views[0]
        t_data = median_seconds(lambda kw=kwargs: conv_animation(**kw), args.repeats)
        t_frames = median_seconds(lambda a=anim, vn=view: render_frames(a, vn), args.repeats)
        t_gif = median_seconds(lambda a=anim, vn=view: gif_bytes(a, vn), args.repeats)
        data = gif_bytes(anim, view)
        with Image.open(io.BytesIO(data)) as im:
            frames, size = im.n_frames, im.size
        assert frames == len(v.frames), (frames, len(v.frames))
        print(f"{label}: {frames} frames of {size[0]}x{size[1]}, {len(data) / 1024:.0f} KiB")
        print(
            f"  engine {t_data * 1e3:.1f} ms, frames {t_frames * 1e3:.0f} ms "
            f"({t_frames / frames * 1e3:.1f} ms each), whole GIF {t_gif * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()

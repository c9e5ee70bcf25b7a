"""How long does ``feature_maps`` take for one photo? ``python bench/inside_speed.py``

Prints, measured in this run on the CPU: the time of ``inspector.inside.feature_maps`` for one
256x256 photo (scikit-image's astronaut) through the notebook generator (untrained, N(0, 0.02)),
median of 3 after one warm-up call; the first call on its own (it includes the meta-device
tracer's one-off warm-up in a fresh process); and, for scale, a plain ``no_grad`` forward and
the tracer alone, each median of 3.
"""

from __future__ import annotations

import argparse
import time

import torch
from timing import median_seconds  # bench/timing.py

from inspector.colour.lab import normalize_lab, rgb_to_lab
from inspector.data.images import image_to_tensor
from inspector.data.samples import sample_photo
from inspector.inside.features import feature_maps
from inspector.shapes.trace import trace
from models import build_generator, init_weights, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of each (default: 3)")
    args = parser.parse_args()

    model = init_weights(build_generator(preset("notebook")[0]), seed=0).eval()
    photo = image_to_tensor(sample_photo("astronaut", 256))[None].float() / 255  # (1, 3, 256, 256)
    L, _ = normalize_lab(rgb_to_lab(photo))  # (1, 1, 256, 256)

    start = time.perf_counter()
    maps = feature_maps(model, L)
    first = time.perf_counter() - start
    t_maps = median_seconds(lambda: feature_maps(model, L), args.repeats)

    def forward() -> None:
        with torch.no_grad():
            model(L)

    t_forward = median_seconds(forward, args.repeats)
    t_trace = median_seconds(lambda: trace(model, tuple(L.shape)), args.repeats)
    megabytes = sum(m.values.nbytes for m in maps) / 2**20

    print(
        f"notebook generator, 1x1x256x256, torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
    )
    print(
        f"feature_maps      {t_maps * 1e3:9.1f} ms (median of {args.repeats}; {len(maps)} maps, {megabytes:.1f} MiB)"
    )
    print(f"  first call      {first * 1e3:9.1f} ms (includes the tracer's one-off warm-up)")
    print(f"plain forward     {t_forward * 1e3:9.1f} ms (median of {args.repeats}, no_grad)")
    print(f"trace (meta)      {t_trace * 1e3:9.1f} ms (median of {args.repeats})")


if __name__ == "__main__":
    main()

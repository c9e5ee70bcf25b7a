"""How fast is the meta-device tracer? ``python bench/trace_speed.py``

Prints, measured in this run: the median time of ``inspector.shapes.trace`` and of
``torchinfo.summary`` (a real forward pass on CPU) for the notebook generator at batch 16 and
256x256, their ratio, and the time of ``trace`` at batch 64 and 1024x1024.
Targets: trace at least 10x faster than torchinfo, and under 0.1 s at 1024x1024.
"""

from __future__ import annotations

import argparse

import torch
import torchinfo
from timing import median_seconds  # bench/timing.py

from inspector.shapes.trace import trace
from models import build_generator, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed calls of trace (default: 9)")
    parser.add_argument("--torchinfo-repeats", type=int, default=3, help="timed torchinfo calls (default: 3)")
    args = parser.parse_args()

    model = build_generator(preset("notebook")[0])
    small, big = (16, 1, 256, 256), (64, 1, 1024, 1024)
    t_trace = median_seconds(lambda: trace(model, small), args.repeats)
    t_info = median_seconds(
        lambda: torchinfo.summary(model, input_size=small, device="cpu", verbose=0), args.torchinfo_repeats
    )
    t_big = median_seconds(lambda: trace(model, big), args.repeats)

    print(f"notebook generator, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"trace             batch 16, 256x256:   {t_trace * 1e3:9.1f} ms (median of {args.repeats})")
    print(
        f"torchinfo (CPU)   batch 16, 256x256:   {t_info * 1e3:9.1f} ms (median of {args.torchinfo_repeats})"
    )
    print(f"ratio             torchinfo / trace:   {t_info / t_trace:9.1f} x   (target >= 10)")
    print(f"trace             batch 64, 1024x1024: {t_big * 1e3:9.1f} ms   (target < 100 ms)")


if __name__ == "__main__":
    main()

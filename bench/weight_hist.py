"""How fast are the weight histograms? ``python bench/weight_hist.py``

Prints, measured in this run: the median time of ``weight_stats`` (a histogram, mean, std, min
and max per tensor and per kind) on the notebook's 54M-parameter generator, of
``init_comparison`` with one scheme (copy, ``init_weights`` and the statistics of both), and of
``activation_comparison`` (four forward passes of one 256x256 image on the CPU, eval mode).
Target: ``weight_stats`` well under a second.
"""

from __future__ import annotations

import argparse

import torch
from timing import median_seconds  # bench/timing.py

from inspector.init_study.activations import activation_comparison, probe_shape
from inspector.init_study.weights import init_comparison, weight_stats
from models import build_generator, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls of weight_stats (default: 5)")
    args = parser.parse_args()

    cfg = preset("notebook")[0]
    model = build_generator(cfg)
    n = sum(p.numel() for p in model.parameters())
    print(f"notebook generator: {n:,} parameters, torch threads: {torch.get_num_threads()}")
    t = median_seconds(lambda: weight_stats(model), args.repeats)
    print(f"weight_stats: {t:.3f} s ({n / t / 1e6:.0f} M weights/s)")
    t = median_seconds(lambda: init_comparison(model, ("normal",)), 1)
    print(f"init_comparison (as built + normal): {t:.2f} s")
    shape = probe_shape(cfg, batch=1)
    t = median_seconds(lambda: activation_comparison(model, shape), 1)
    print(f"activation_comparison, 4 inits at {tuple(shape)}: {t:.2f} s")


if __name__ == "__main__":
    main()

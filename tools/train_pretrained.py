"""Train the generator and discriminator that ship with the package (``inspector/pretrained/``).

    python tools/train_pretrained.py            # the recipe: 1,500 steps, writes the shipped file
    python tools/train_pretrained.py --steps 2 --out /tmp/x.safetensors   # a quick check

The recipe (``inspector.pretrained.RECIPE``): the notebook's networks at ngf 16, depth 7, channels
capped at 64, 128x128, batch 8, Adam 2e-4 (0.5, 0.999), lambda 100, seed 0, on the seven
scikit-image photographs whose licences allow it (``inspector.pretrained.PHOTOS``), stored at
144x144 so that random 128x128 crops and flips vary them. It runs on the CPU in one thread with
PyTorch's deterministic algorithms, so the same machine and PyTorch give the same bytes; it takes
about 10 minutes on one quiet core (the trainer's own loop: ``inspector.training.trainer``).
The file is written in half precision with both configs and the recipe in its header.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import torch

from inspector.data.image_set import ImageSet
from inspector.data.images import image_to_tensor
from inspector.data.samples import sample_photo
from inspector.pretrained import PHOTOS, RECIPE, pretrained_path
from inspector.training.checkpoint import save_generator_export
from inspector.training.config import TrainConfig
from inspector.training.plan import load_size
from inspector.training.trainer import Trainer


def photos(size: int) -> ImageSet:
    """The recipe's photos at ``size`` (the trainer crops the model's size out of them)."""
    images = torch.stack([image_to_tensor(sample_photo(name, size)) for name in PHOTOS])
    return ImageSet(images, list(PHOTOS))


def train(steps: int, out: Path) -> Path:
    torch.set_num_threads(1)  # one thread: the same sums in the same order every run
    torch.use_deterministic_algorithms(True)
    g_cfg, d_cfg = RECIPE.configs()
    config = TrainConfig(
        steps=steps,
        batch=RECIPE.batch,
        lr=RECIPE.lr,
        lambda_l1=RECIPE.lambda_l1,
        seed=RECIPE.seed,
        sample_every=0,
        checkpoint_every=0,
        device="cpu",
    )
    images = photos(load_size(RECIPE.size))
    trainer = Trainer(g_cfg, d_cfg, config, images, images, device=torch.device("cpu"))
    start = time.perf_counter()
    result = trainer.fit()
    if result.status != "completed":
        raise SystemExit(f"training did not complete: {result.message}")
    timing = ("images_per_s", "memory_mb", "elapsed_s")  # they vary from run to run: kept out of the bytes
    metrics = {k: round(float(v), 5) for k, v in result.last_metrics.items() if k not in timing}
    written = save_generator_export(
        out,
        trainer.G,
        half=True,
        step=result.step,
        metrics=metrics,
        discriminator=trainer.D,
        source={"recipe": {**RECIPE.to_dict(), "steps": steps}, "photos": list(PHOTOS)},
    )
    seconds = time.perf_counter() - start
    digest = hashlib.sha256(written.read_bytes()).hexdigest()[:16]
    print(
        f"wrote {written}: {written.stat().st_size / 1e6:.2f} MB, {steps} steps in {seconds:.0f} s, sha256 {digest}",
        file=sys.stderr,
    )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=RECIPE.steps, help=f"default: the recipe's {RECIPE.steps}"
    )
    parser.add_argument("--out", type=Path, default=pretrained_path(), help="default: the shipped file")
    args = parser.parse_args(argv)
    train(args.steps, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

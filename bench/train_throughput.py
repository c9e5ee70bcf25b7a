"""Training throughput: the project's trainer vs a faithful re-creation of the notebook's loop.

Both run in this process, on the same device, with the same model, batch and image size:

- **notebook**: its ``ColorizationDataset`` (PIL open + bicubic ``Resize`` + ``RandomHorizontalFlip``
  + ``skimage.color.rgb2lab`` + ``ToTensor`` per item), ``DataLoader(batch_size, num_workers=0)``, fp32,
  and the training step of the colorization tutorial the notebook follows (D on fake.detach() and
  real, loss halved; G through a frozen D, GAN + lambda * L1; a ``loss.item()`` per step).
- **project**: ``inspector.training.trainer.Trainer``: images decoded once, kept as uint8 on the device, crops,
  flips and Lab batched there; bf16 autocast and channels_last on CUDA.

Prints images/s for each and the ratio; on a GPU also the model FLOPs utilization (FLOPs of one
training step counted by ``torch.utils.flop_counter``, over the device's dense bf16 peak).

    .venv/bin/python bench/train_throughput.py                 # device defaults (CPU: 64x64, batch 8)
    .venv/bin/python bench/train_throughput.py --size 256 --batch 16 --ngf 64 --depth 8   # the notebook's
"""

from __future__ import annotations

import argparse
import importlib.resources
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage.color import rgb2lab
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspector.data.image_set import sample_images, split_train_val
from inspector.data.samples import SAMPLE_FILES
from inspector.training.config import TrainConfig
from inspector.training.device import default_sizes, pick_device, synchronize
from inspector.training.plan import load_size, log_every_for
from inspector.training.trainer import Trainer
from models import build_discriminator, build_generator, init_weights, preset

# Dense bf16 tensor-core peaks (FLOP/s) for the MFU line; other GPUs: pass --peak-tflops.
# Dense bf16 peaks, most specific name first (an "H100 PCIe" must not match "H100").
PEAKS = [
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H200", 989e12),
    ("H100", 989e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("RTX 4090", 165e12),
]


class ColorizationDataset(Dataset):
    """The notebook's Dataset, line for line (its size is a parameter here instead of 256)."""

    def __init__(self, paths: list[str], size: int, mode: str = "train") -> None:
        self.mode = mode
        self.paths = paths
        if mode == "train":
            self.transforms = transforms.Compose(
                [
                    transforms.Resize((size, size), Image.BICUBIC),
                    transforms.RandomHorizontalFlip(),
                ]
            )
        elif mode == "val":
            self.transforms = transforms.Resize((size, size), Image.BICUBIC)
        else:
            raise Exception("mode error")

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        img = Image.open(self.paths[index]).convert("RGB")
        img = np.array(self.transforms(img))
        img = rgb2lab(img).astype("float32")
        img = transforms.ToTensor()(img)
        L = img[[0], ...]
        ab = img[[1, 2], ...]
        L = L / 50.0 - 1
        ab = ab / 110.0
        return {"L": L, "ab": ab}

    def __len__(self) -> int:
        return len(self.paths)


def _set_requires_grad(model: nn.Module, flag: bool) -> None:
    for p in model.parameters():
        p.requires_grad = flag


def notebook_step(G, D, opt_G, opt_D, L, ab, lambda_l1: float = 100.0) -> float:
    """The tutorial's ``MainModel.optimize``: one D update, one G update, fp32."""
    crit = nn.BCEWithLogitsLoss()
    fake_color = G(L)
    D.train()
    _set_requires_grad(D, True)
    opt_D.zero_grad()
    fake_image = torch.cat([L, fake_color], dim=1)
    fake_preds = D(fake_image.detach())
    loss_D_fake = crit(fake_preds, torch.tensor(0.0, device=L.device).expand_as(fake_preds))
    real_image = torch.cat([L, ab], dim=1)
    real_preds = D(real_image)
    loss_D_real = crit(real_preds, torch.tensor(1.0, device=L.device).expand_as(real_preds))
    loss_D = (loss_D_fake + loss_D_real) * 0.5
    loss_D.backward()
    opt_D.step()
    G.train()
    _set_requires_grad(D, False)
    opt_G.zero_grad()
    fake_preds = D(fake_image)
    loss_G_GAN = crit(fake_preds, torch.tensor(1.0, device=L.device).expand_as(fake_preds))
    loss_G_L1 = F.l1_loss(fake_color, ab) * lambda_l1
    loss_G = loss_G_GAN + loss_G_L1
    loss_G.backward()
    opt_G.step()
    return loss_G.item()  # the tutorial's loss meters read every step


def sample_paths() -> list[str]:
    root = importlib.resources.files("skimage") / "data"
    return [str(root / f) for f in SAMPLE_FILES.values() if (root / f).is_file()]


def bench_notebook(g_cfg, d_cfg, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    paths = sample_paths()
    # As many paths as the run needs, cycling through the photos (the notebook has 15,000 files).
    need = (steps + warmup) * batch
    dataset = ColorizationDataset(list(itertools.islice(itertools.cycle(paths), need)), g_cfg.input_size)
    loader = DataLoader(dataset, batch_size=batch, num_workers=0, pin_memory=device.type == "cuda")
    G = init_weights(build_generator(g_cfg), "normal", seed=0).to(device)
    D = init_weights(build_discriminator(d_cfg), "normal", seed=1).to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    t0 = None
    for i, data in enumerate(loader):
        if i == warmup:
            synchronize(device)
            t0 = time.perf_counter()
        notebook_step(G, D, opt_G, opt_D, data["L"].to(device), data["ab"].to(device))
    synchronize(device)
    return steps * batch / (time.perf_counter() - t0)


def bench_project(g_cfg, d_cfg, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    train, val = split_train_val(sample_images(load_size(g_cfg.input_size)), 0.2, seed=0)
    log_every = log_every_for(device)
    config = TrainConfig(
        steps=steps + warmup,
        batch=batch,
        sample_every=0,
        checkpoint_every=0,
        log_every=log_every,
        device=device.type,
    )
    trainer = Trainer(g_cfg, d_cfg, config, train, val, device=device)
    marks: dict[int, float] = {}
    trainer.add_callback("on_step_end", lambda m: marks.__setitem__(m.step, m.elapsed_s))
    result = trainer.fit()
    if result.status != "completed":
        raise SystemExit(f"the project's trainer did not complete: {result.message}")
    # elapsed_s is taken when losses are fetched (a device sync): on CUDA every 10 steps, so time
    # from the first fetched step after the warm-up, whose clock matches its step count.
    first = min(s for s in marks if s >= warmup and s % log_every == 0)
    return (steps + warmup - first) * batch / (marks[steps + warmup] - marks[first])


def step_flops(g_cfg, d_cfg, batch: int, device: torch.device) -> float:
    """FLOPs of one training step (the same math in both loops), counted on real tensors."""
    from torch.utils.flop_counter import FlopCounterMode

    G = build_generator(g_cfg).to(device)
    D = build_discriminator(d_cfg).to(device)
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    size = g_cfg.input_size
    L = torch.rand(batch, 1, size, size, device=device) * 2 - 1
    ab = torch.rand(batch, 2, size, size, device=device) * 2 - 1
    with FlopCounterMode(display=False) as counter:
        notebook_step(G, D, opt_G, opt_D, L, ab)
    return float(counter.get_total_flops())


def main() -> int:
    device = pick_device("auto")
    sizes = default_sizes(device)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="notebook")
    p.add_argument("--size", type=int, default=sizes.size)
    p.add_argument("--batch", type=int, default=sizes.batch)
    p.add_argument("--ngf", type=int, default=sizes.ngf)
    p.add_argument("--depth", type=int, default=sizes.depth)
    p.add_argument(
        "--steps", type=int, default=20 if device.type == "cpu" else 100, help="timed steps per round"
    )
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are compared")
    p.add_argument("--warmup", type=int, default=3 if device.type == "cpu" else 10)
    p.add_argument("--peak-tflops", type=float, help="dense bf16 peak of this GPU, for MFU")
    args = p.parse_args()
    if device.type == "cuda":
        # The trainer turns cuDNN's autotuner on for itself; on for both loops from the start, so the
        # notebook's loop is not timed once without it and then with it.
        torch.backends.cudnn.benchmark = True

    g, d = preset(args.preset)
    g = g.replace(ngf=args.ngf, depth=args.depth, input_size=args.size)
    d = d.replace(ndf=args.ngf, input_size=args.size)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(
        f"device {name}; preset {args.preset}, ngf {args.ngf}, depth {args.depth}, {args.size}x{args.size}, "
        f"batch {args.batch}; {args.rounds} rounds of {args.steps} timed steps after {args.warmup} warm-up; torch threads "
        f"{torch.get_num_threads()}"
    )
    # Rounds alternate between the two loops and the medians are compared, so that a burst of load
    # from other processes on a shared machine cannot land on one side only.
    nbs, ourss = [], []
    for r in range(args.rounds):
        nbs.append(bench_notebook(g, d, args.batch, args.steps, args.warmup, device))
        ourss.append(bench_project(g, d, args.batch, args.steps, args.warmup, device))
        print(f"round {r + 1}: notebook {nbs[-1]:.1f}, project {ourss[-1]:.1f} images/s")
    nb, ours = statistics.median(nbs), statistics.median(ourss)
    print(
        f"notebook loop (per-item PIL + skimage, DataLoader num_workers=0, fp32): {nb:8.1f} images/s (median)"
    )
    extras = " + bf16 autocast + channels_last" if device.type == "cuda" else ", fp32"
    print(f"project trainer (uint8 on device, batched Lab{extras}):  {ours:8.1f} images/s (median)")
    print(f"ratio project / notebook: {ours / nb:.2f}x")
    if device.type == "cuda":
        flops = step_flops(g, d, args.batch, device)
        peak = args.peak_tflops * 1e12 if args.peak_tflops else next((v for k, v in PEAKS if k in name), None)
        per_image = flops / args.batch
        for label, rate in (("notebook", nb), ("project", ours)):
            achieved = per_image * rate
            mfu = f", MFU {achieved / peak:.1%} of {peak / 1e12:.0f} TFLOP/s bf16 dense" if peak else ""
            print(f"{label}: {achieved / 1e12:.1f} TFLOP/s achieved ({flops / 1e9:.1f} GFLOP per step){mfu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``pix2pix-inspector train``: train the colorization GAN, with a progress bar, under RUN_DIR.

RUN_DIR gets ``metrics.jsonl`` (one JSON object per step), ``samples/step_NNNNNN.png`` (L input |
generated | ground truth for fixed validation images) and ``checkpoint.safetensors`` + ``.json``.
``--steps`` is the total: ``--resume RUN_DIR --steps 30`` after a 20-step run trains 10 more.
The same command under ``torchrun --nproc_per_node=N`` trains with DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from inspector.commands.common import add_preset_args, non_negative_int, positive_int, seed_int
from inspector.errors import UserError
from inspector.training import distributed
from inspector.training.checkpoint import CHECKPOINT_FILE, load_checkpoint

EXIT_CODES = {"completed": 0, "diverged": 1, "out_of_memory": 2, "stopped": 130}
MODEL_FLAGS = ("preset", "ngf", "depth", "size")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the GAN on sample photos or a folder, with checkpoints and sample grids",
        description="Train pix2pix (GAN + lambda * L1) on the scikit-image sample photos or --data DIR. "
        "Without a GPU the defaults are small (ngf 32, depth 6, size 64, batch 8) so progress shows within "
        "a minute; on CUDA they are the preset's (256x256, batch 16). Ctrl-C stops cleanly with a checkpoint. "
        "Under `torchrun --nproc_per_node=N` it trains with DistributedDataParallel (--batch is per process).",
    )
    add_preset_args(p, part=False, default=None)
    p.add_argument("--ngf", type=positive_int, help="generator (and discriminator) width (CPU default 32)")
    p.add_argument("--depth", type=positive_int, help="U-Net downsamplings (CPU default 6)")
    p.add_argument("--size", type=positive_int, help="image side, a multiple of 2**depth (CPU default 64)")
    p.add_argument("--data", metavar="DIR", help="folder of images (default: scikit-image's sample photos)")
    p.add_argument("--steps", type=positive_int, help="total steps, counting those of a resumed run")
    p.add_argument("--batch", type=positive_int, help="images per step (per process under torchrun)")
    p.add_argument(
        "--lambda-l1", type=_number, dest="lambda_l1", help="weight of L1 in G's loss (default 100)"
    )
    p.add_argument("--lr", type=_number, help="Adam learning rate (default 2e-4)")
    p.add_argument(
        "--l1-warmup",
        type=non_negative_int,
        dest="l1_warmup_steps",
        help="first steps where G learns from L1 alone (default 0)",
    )
    p.add_argument(
        "--label-smoothing",
        type=_number,
        dest="label_smoothing",
        help="one-sided: D's target for real pairs is 1 - this (default 0)",
    )
    p.add_argument(
        "--sample-every",
        type=non_negative_int,
        dest="sample_every",
        help="steps between sample grids (default 50)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=non_negative_int,
        dest="checkpoint_every",
        help="steps between checkpoints (default 100; one is always written at the end)",
    )
    p.add_argument("--seed", type=seed_int, help="seed for weights, dropout and batches (default 0)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cuda, mps or cpu")
    p.add_argument(
        "--out",
        metavar="RUN_DIR",
        help="where to write (default: runs/<preset>-<time>; with --resume, the resumed directory)",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info, device = distributed.setup(args.device)
    try:
        code = _run(args, info, device)
    except BaseException:
        distributed.teardown(wait=False)
        raise
    distributed.teardown()
    if info.distributed:
        # A torchrun worker is done once its group is gone: skip the interpreter's teardown, where
        # gloo's C++ threads can still abort a finished, successful rank (SIGABRT at exit).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(args: argparse.Namespace, info: distributed.DistInfo, device) -> int:
    from inspector.data.image_set import load_folder, sample_images, split_train_val
    from inspector.training.device import default_sizes
    from inspector.training.trainer import TrainConfig, Trainer, check_trainable, load_size
    from models import preset

    overrides = {
        k: getattr(args, k)
        for k in (
            "steps",
            "batch",
            "lambda_l1",
            "lr",
            "l1_warmup_steps",
            "label_smoothing",
            "sample_every",
            "checkpoint_every",
            "seed",
        )
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    resume = None
    if args.resume:
        given = [f"--{k}" for k in MODEL_FLAGS if getattr(args, k) is not None]
        if given:
            raise UserError(
                f"{', '.join(given)} cannot change a resumed run: its model comes from the checkpoint"
            )
        resume = load_checkpoint(args.resume)
        g_cfg, d_cfg = resume.generator_config, resume.discriminator_config
        if d_cfg is None:
            raise UserError(f"{args.resume} has no discriminator: it cannot resume training")
        stored = TrainConfig.from_dict(resume.train_config)
        if stored.data == "upload" and not args.data:
            raise UserError(
                f"{args.resume} was trained on images uploaded to the app: give them again with --data DIR"
            )
        config = stored.replace(**overrides, data=args.data or stored.data, device=args.device)
        run_dir = Path(args.out or args.resume)
    else:
        sizes = default_sizes(device)
        name = args.preset or "notebook"
        g_cfg, d_cfg = preset(name)
        gpu = device.type == "cuda"
        ngf = args.ngf or (g_cfg.ngf if gpu else sizes.ngf)
        depth = args.depth or (g_cfg.depth if gpu else sizes.depth)
        size = args.size or (g_cfg.input_size if gpu else sizes.size)
        try:
            g_cfg = g_cfg.replace(ngf=ngf, depth=depth, input_size=size)
            d_cfg = d_cfg.replace(ndf=ngf, input_size=size)
        except ValueError as exc:
            raise UserError(f"--size {size} does not fit preset {name!r} at depth {depth}: {exc}") from None
        check_trainable(g_cfg, d_cfg)
        # On a GPU, fetch the losses every 10 steps: a fetch waits for the GPU, and waiting every step
        # leaves it idle while Python queues the next one. metrics.jsonl still gets every step.
        defaults = {"steps": sizes.steps, "batch": sizes.batch, "log_every": 10 if gpu else 1}
        config = TrainConfig(
            **{**defaults, **overrides, "data": args.data or "samples", "device": args.device}
        )
        run_dir = Path(args.out or Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")
        if (run_dir / CHECKPOINT_FILE).exists():
            raise UserError(
                f"{run_dir} already holds a run: continue it with --resume {run_dir}, or choose another --out"
            )

    size = g_cfg.input_size
    stored = load_size(size)  # a little larger than the model: random crops jitter the framing
    images = sample_images(stored) if config.data == "samples" else load_folder(config.data, stored)
    train_set, val_set = split_train_val(images, config.val_fraction, seed=config.seed)
    main = info.is_main
    if main:
        where = f"{device}" + (f" x {info.world_size} processes" if info.distributed else "")
        print(
            f"training ngf {g_cfg.ngf}, depth {g_cfg.depth}, size {size}, batch {config.batch} on {where}; "
            f"{len(train_set)} train / {len(val_set)} val images from {config.data}; writing {run_dir}",
            file=sys.stderr,
        )
        if images.skipped:
            shown = "; ".join(f"{s.name}: {s.reason}" for s in images.skipped[:5])
            more = f" (and {len(images.skipped) - 5} more)" if len(images.skipped) > 5 else ""
            print(f"skipped {len(images.skipped)} file(s): {shown}{more}", file=sys.stderr)

    with _graceful_interrupt() as stop:
        trainer = Trainer(
            g_cfg,
            d_cfg,
            config,
            train_set,
            val_set,
            run_dir=run_dir,
            resume=resume,
            should_stop=stop.is_set,
            device=device,
        )
        if main:
            bar = ProgressBar(config.steps, trainer.step, sys.stderr)
            trainer.add_callback("on_step_end", bar.update)
        result = trainer.fit()
    if main:
        if result.step > (resume.step if resume else 0):
            print(file=sys.stderr)
        print(result.message, file=sys.stderr)
        if result.checkpoint is not None:
            print(
                f"checkpoint (step {result.checkpoint_step}): {result.checkpoint}; metrics: "
                f"{run_dir / 'metrics.jsonl'}; sample grids: {run_dir / 'samples'}",
                file=sys.stderr,
            )
        if result.replicas_in_sync is not None:
            print(
                f"{info.world_size} replicas hold the same weights: {'yes' if result.replicas_in_sync else 'NO'}",
                file=sys.stderr,
            )
    return EXIT_CODES[result.status]


class _StopFlag:
    def __init__(self) -> None:
        self.flag = False

    def is_set(self) -> bool:
        return self.flag


@contextmanager
def _graceful_interrupt() -> Iterator[_StopFlag]:
    """First Ctrl-C: finish the step, save a checkpoint, exit. A second one: stop at once."""
    stop = _StopFlag()

    def handler(signum: int, frame: object) -> None:
        if stop.flag:
            raise KeyboardInterrupt
        stop.flag = True
        print("\nstopping after this step (Ctrl-C again to abort without a checkpoint)", file=sys.stderr)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: no signal handling there
        yield stop
        return
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class ProgressBar:
    """A text progress bar on stderr: redrawn in place on a terminal, a line every 5% otherwise."""

    def __init__(self, total: int, start: int, stream: TextIO, width: int = 24) -> None:
        self.total, self.start, self.stream, self.width = total, start, stream, width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = max(1, (total - start) // 20)

    def update(self, m) -> None:
        done = m.step / self.total
        filled = int(done * self.width)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {m.step}/{self.total}  "
            f"G_GAN {m.g_gan:.3f}  G_L1 {m.g_l1:.4f}  D_real {m.d_real:.3f}  D_fake {m.d_fake:.3f}  "
            f"D(real) {m.p_real:.2f}  D(fake) {m.p_fake:.2f}  {m.images_per_s:.1f} img/s  {m.memory_mb:.0f} MiB"
        )
        if self.tty:
            self.stream.write("\r" + line)
        elif (m.step - self.start) % self.every == 0 or m.step == self.total or m.step == self.start + 1:
            self.stream.write(line + "\n")
        self.stream.flush()

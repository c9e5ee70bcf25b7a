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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from inspector.commands.common import add_preset_args, non_negative_int, positive_int, seed_int
from inspector.training import distributed

if TYPE_CHECKING:  # the training modules load torch: imported when `train` runs, not at CLI start-up
    import torch

    from inspector.training.plan import RunChoices, RunPlan
    from inspector.training.reports import StepMetrics
    from inspector.training.run_files import RunFiles

EXIT_CODES = {"completed": 0, "diverged": 1, "out_of_memory": 2, "stopped": 130}
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SIGNAL_EXIT_CODES: dict[int, int] = {
    signal.SIGINT: 130,
    signal.SIGTERM: 143,
}  # 128 + the signal's number, as shells report


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
        "a minute; on CUDA they are the preset's (256x256, batch 16). Ctrl-C (exit 130) or SIGTERM (exit 143) stops "
        "after the current step with a checkpoint; a run directory is locked while a trainer writes it. "
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
    p.add_argument(
        "--init-from",
        metavar="FILE",
        dest="init_from",
        help="start a new run (step 0) from a checkpoint's weights: a run, an export, or any file "
        "`checkpoint` identifies (the reference code's, the notebook's); its networks decide the models",
    )
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


def choices_from_args(args: argparse.Namespace) -> RunChoices:
    """The flags as the planner's choices (flags not given are None: the planner's defaults)."""
    from inspector.training.plan import TRAIN_CHOICES, RunChoices

    return RunChoices(
        preset=args.preset,
        ngf=args.ngf,
        depth=args.depth,
        size=args.size,
        device=args.device,
        data=args.data,
        out=args.out,
        resume=args.resume,
        init_from=args.init_from,
        **{name: getattr(args, name) for name in TRAIN_CHOICES},
    )


def _run(args: argparse.Namespace, info: distributed.DistInfo, device: torch.device) -> int:
    from inspector.training.plan import plan_run
    from inspector.training.run_files import RunFiles

    plan = plan_run(choices_from_args(args), device)
    if not info.is_main:  # rank 0 alone writes files and reports
        return _train(plan, None, info)
    # Locked before anything is printed: a second trainer on this directory gets one line.
    with RunFiles.open(
        plan.run_dir, resume_step=plan.start_step if plan.resume is not None else None
    ) as files:
        _describe(plan, info)
        for warning in files.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return _train(plan, files, info)


def _describe(plan: RunPlan, info: distributed.DistInfo) -> None:
    g, config = plan.generator_config, plan.config
    where = f"{plan.device}" + (f" x {info.world_size} processes" if info.distributed else "")
    if plan.init is not None:
        parts = (
            "generator and discriminator" if plan.init.discriminator else "generator (a new discriminator)"
        )
        print(f"starting at step 0 from the {parts} weights of --init-from", file=sys.stderr)
    print(
        f"training ngf {g.ngf}, depth {g.depth}, size {g.input_size}, batch {config.batch} on {where}; "
        f"{len(plan.train)} train / {len(plan.val)} val images from {config.data}; writing {plan.run_dir}",
        file=sys.stderr,
    )
    if plan.skipped:
        shown = "; ".join(f"{s.name}: {s.reason}" for s in plan.skipped[:5])
        more = f" (and {len(plan.skipped) - 5} more)" if len(plan.skipped) > 5 else ""
        print(f"skipped {len(plan.skipped)} file(s): {shown}{more}", file=sys.stderr)


def _train(plan: RunPlan, files: RunFiles | None, info: distributed.DistInfo) -> int:
    from inspector.training.run_files import METRICS_FILE, SAMPLES_DIR
    from inspector.training.trainer import Trainer

    with _graceful_stop() as stop:
        trainer = Trainer.from_plan(plan, should_stop=stop.is_set, run_files=files)  # ranks > 0 write nothing
        if info.is_main:
            bar = ProgressBar(plan.config.steps, trainer.step, sys.stderr)
            trainer.add_callback("on_step_end", bar.update)
        result = trainer.fit()
    if info.is_main:
        if result.step > plan.start_step:
            print(file=sys.stderr)
        print(result.message, file=sys.stderr)
        if result.checkpoint is not None:
            print(
                f"checkpoint (step {result.checkpoint_step}): {result.checkpoint}; metrics: "
                f"{plan.run_dir / METRICS_FILE}; sample grids: {plan.run_dir / SAMPLES_DIR}",
                file=sys.stderr,
            )
        if result.replicas_in_sync is not None:
            print(
                f"{info.world_size} replicas hold the same weights: {'yes' if result.replicas_in_sync else 'NO'}",
                file=sys.stderr,
            )
    if result.status == "stopped" and stop.signum is not None:
        return SIGNAL_EXIT_CODES.get(stop.signum, EXIT_CODES["stopped"])
    return EXIT_CODES[result.status]


class _StopFlag:
    """Set by the first SIGINT or SIGTERM; remembers which, for the exit code."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def is_set(self) -> bool:
        return self.signum is not None


@contextmanager
def _graceful_stop() -> Iterator[_StopFlag]:
    """First Ctrl-C or SIGTERM (kill, systemd, container runtimes): finish the step, save a
    checkpoint, exit 130 or 143. A second one: stop at once, without a checkpoint."""
    stop = _StopFlag()

    def handler(signum: int, frame: object) -> None:
        if stop.signum is not None:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(SIGNAL_EXIT_CODES.get(signum, 1))
        stop.signum = signum
        how = "Ctrl-C" if signum == signal.SIGINT else f"{signal.Signals(signum).name}"
        print(f"\n{how}: stopping after this step (again to abort without a checkpoint)", file=sys.stderr)

    try:
        previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    except ValueError:  # not the main thread: no signal handling there
        yield stop
        return
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class ProgressBar:
    """A text progress bar on stderr: redrawn in place on a terminal, a line every 5% otherwise."""

    def __init__(self, total: int, start: int, stream: TextIO, width: int = 24) -> None:
        self.total, self.start, self.stream, self.width = total, start, stream, width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = max(1, (total - start) // 20)

    def update(self, m: StepMetrics) -> None:
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

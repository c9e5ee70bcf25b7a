"""One way to plan a training run, for the CLI and the app: :func:`plan_run` turns choices into a run.

The user's :class:`RunChoices` (a preset or the sidebar's models, sizes, device, data source,
steps, batch, ..., a run directory or a run to resume) become a :class:`RunPlan`: the models'
configs, the :class:`TrainConfig`, the device, and the images split into train and validation
sets. The defaults live here once: without a GPU a small U-Net (``default_sizes``: ngf 32, depth 6,
64x64, batch 8 on the CPU) so that progress shows within a minute; on CUDA the preset's own models.

``plan_models`` and ``plan_config`` are the two halves that need no images; the Train page calls
them to check its settings before Start, ``plan_run`` calls them too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch

from inspector.data.image_set import (
    ImageSet,
    SkippedFile,
    load_folder,
    load_uploads,
    sample_images,
    split_train_val,
)
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.training.checkpoint import CHECKPOINT_FILE, Checkpoint, load_checkpoint
from inspector.training.checkpoint_checks import build_meta, check_state_dict
from inspector.training.colorize import check_l_to_ab
from inspector.training.config import TrainConfig
from inspector.training.device import default_sizes, pick_device
from inspector.training.run_files import check_run_dir
from models import DiscriminatorConfig, GeneratorConfig, preset
from models.presets import DEFAULT_PRESET
from models.text import Text, join, message_of

RUNS_DIR = Path("runs")  # where the CLI puts a new run without --out: runs/<preset>-<time>
SAMPLES = "samples"  # TrainConfig.data of scikit-image's sample photos
UPLOAD = "upload"  # TrainConfig.data of images uploaded to the app
# TrainConfig fields a user may choose; None in RunChoices keeps the default (or the resumed run's).
TRAIN_CHOICES = (
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


@dataclass(frozen=True, eq=False)
class RunChoices:
    """What the user chose, from CLI flags or the Train page's widgets; ``None`` means the default."""

    preset: str | None = None  # a preset's models (default "notebook") ...
    models: tuple[GeneratorConfig, DiscriminatorConfig] | None = None  # ... or these (the app's sidebar)
    device_sized: bool | None = None  # ngf, depth, size from default_sizes(device); None: yes except on CUDA
    ngf: int | None = None  # G's width (and D's ndf), overriding the sizing above
    depth: int | None = None
    size: int | None = None
    device: str = "auto"  # auto, cuda, cuda:N, mps, cpu
    data: str | None = None  # "samples" or a folder; None: the samples (resuming: the run's own)
    uploads: tuple[tuple[str, bytes], ...] | None = None  # (name, bytes) of images / zips sent to the app
    steps: int | None = None
    batch: int | None = None
    lambda_l1: float | None = None
    lr: float | None = None
    l1_warmup_steps: int | None = None
    label_smoothing: float | None = None
    sample_every: int | None = None
    checkpoint_every: int | None = None
    seed: int | None = None
    out: str | Path | None = None  # run directory; None: RUNS_DIR/<preset>-<time>, or the resumed one
    resume: str | Path | None = None  # a run directory (or checkpoint file) to continue
    # A new run from a checkpoint's weights (any file `checkpoint` identifies: this project's run or
    # export, the reference code's, the notebook's), as a path or an upload's (name, bytes). Its
    # networks decide the models; the sidebar's (models) or a preset must fit them; size may change.
    init_from: str | Path | tuple[str, bytes] | None = None


@dataclass(frozen=True, eq=False)
class RunPlan(RichDisplay):
    """Everything a trainer needs: ``Trainer.from_plan(plan)`` starts it."""

    generator_config: GeneratorConfig
    discriminator_config: DiscriminatorConfig
    config: TrainConfig
    device: torch.device
    train: ImageSet  # (N, 3, S', S') uint8, S' = load_size(S)
    val: ImageSet  # held out: the sample grids show these
    skipped: tuple[SkippedFile, ...]  # files that were not used, and why
    run_dir: Path
    resume: Checkpoint | None = None
    init: Checkpoint | None = None  # a new run's starting weights (choices.init_from)

    @property
    def start_step(self) -> int:
        return self.resume.step if self.resume is not None else 0

    def notes(self) -> list[str]:
        """One line per skipped file, for the user."""
        return [Text("skipped {name}: {reason}", name=s.name, reason=s.reason) for s in self.skipped]


def load_size(size: int) -> int:
    """Side at which to store images for a model of side ``size``: one eighth more, so that random
    crops jitter the framing (the pix2pix reference loads 286 for 256 crops)."""
    return size + size // 8


def log_every_for(device: torch.device) -> int:
    """Steps between fetching losses: on a GPU every 10, since a fetch waits for the GPU and waiting
    every step leaves it idle while Python queues the next one (metrics.jsonl still gets every step)."""
    return 10 if device.type == "cuda" else 1


def default_config(device: torch.device) -> TrainConfig:
    """The TrainConfig of a new run on ``device`` when the user changes nothing."""
    sizes = default_sizes(device)
    return TrainConfig(steps=sizes.steps, batch=sizes.batch, log_every=log_every_for(device))


def check_trainable(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig) -> None:
    """Refuse, with the reason, model pairs that cannot train as a colorization GAN."""
    if d_cfg.notebook_bug:
        raise UserError(
            Text(
                "the 'notebook-as-written' discriminator cannot train: its second conv is Conv2d(3, 64) but "
                "receives the 64 channels of the first conv, so the first forward pass fails. Use the 'notebook' "
                "preset (the same models with the typo fixed); the Mismatch doctor explains the error."
            )
        )
    check_l_to_ab(g_cfg)
    if d_cfg.in_channels != 3:
        raise UserError(
            Text(
                "the discriminator must take cat(L, ab) = 3 channels, not {channels}",
                channels=d_cfg.in_channels,
            )
        )
    if g_cfg.input_size != d_cfg.input_size:
        raise UserError(
            Text(
                "generator and discriminator sizes differ ({g} vs {d}); use one size",
                g=g_cfg.input_size,
                d=d_cfg.input_size,
            )
        )


def size_models(choices: RunChoices, device: torch.device) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The chosen models at the chosen (or the device's) ngf, depth and size; ``UserError`` when the
    size does not fit. Does not check that they can train (``plan_models`` does)."""
    try:
        g, d = choices.models or preset(choices.preset or DEFAULT_PRESET)
    except ValueError as exc:
        raise UserError(message_of(exc)) from None
    sized = choices.device_sized if choices.device_sized is not None else device.type != "cuda"
    sizes = default_sizes(device)
    ngf = choices.ngf or (sizes.ngf if sized else None)
    depth = choices.depth or (sizes.depth if sized else None)
    size = choices.size or (sizes.size if sized else None)
    g_changes = {k: v for k, v in (("ngf", ngf), ("depth", depth), ("input_size", size)) if v is not None}
    d_changes = {k: v for k, v in (("ndf", ngf), ("input_size", size)) if v is not None}
    try:
        return g.replace(**g_changes), d.replace(**d_changes)
    except ValueError as exc:
        what = (
            Text("preset {name}", name=repr(choices.preset or DEFAULT_PRESET))
            if choices.models is None
            else Text("these settings")
        )
        raise UserError(
            Text(
                "size {size} does not fit {what} at depth {depth}: {reason}",
                size=size or g.input_size,
                what=what,
                depth=depth or g.depth,
                reason=message_of(exc),
            )
        ) from None


def plan_models(choices: RunChoices, device: torch.device) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The models of a new run: :func:`size_models`, refused with the reason if they cannot train."""
    g, d = size_models(choices, device)
    check_trainable(g, d)
    return g, d


def plan_config(choices: RunChoices, device: torch.device, stored: TrainConfig | None = None) -> TrainConfig:
    """The TrainConfig: the defaults for ``device`` (or a resumed run's ``stored`` config) with the
    user's choices on top. ``UserError`` names an impossible value."""
    changes: dict[str, Any] = {
        k: getattr(choices, k) for k in TRAIN_CHOICES if getattr(choices, k) is not None
    }
    if choices.uploads:
        changes["data"] = UPLOAD
    elif choices.data:
        changes["data"] = choices.data
    elif stored is None:
        changes["data"] = SAMPLES
    changes["device"] = choices.device
    try:
        return (stored or default_config(device)).replace(**changes)
    except ValueError as exc:
        raise UserError(message_of(exc)) from None


def changed_model_choices(choices: RunChoices, g: GeneratorConfig, d: DiscriminatorConfig) -> list[str]:
    """The model choices that differ from a checkpoint's models, each in words; equal ones are fine."""
    changes: list[str] = [
        Text("{name} {given} (the checkpoint's is {stored})", name=name, given=given, stored=stored)
        for name, given, stored in (
            ("ngf", choices.ngf, g.ngf),
            ("depth", choices.depth, g.depth),
            ("size", choices.size, g.input_size),
        )
        if given is not None and given != stored
    ]
    if choices.preset is not None:
        try:
            pg, pd = preset(choices.preset)
            pg = pg.replace(ngf=g.ngf, depth=g.depth, input_size=g.input_size)
            pd = pd.replace(ndf=d.ndf, input_size=d.input_size)
        except ValueError as exc:
            return [
                *changes,
                Text("preset {name} ({error})", name=repr(choices.preset), error=message_of(exc)),
            ]
        differ = [
            f.name
            for cfg, mine in ((g, pg), (d, pd))
            for f in fields(cfg)
            if getattr(cfg, f.name) != getattr(mine, f.name)
        ]
        if differ:
            shown = ", ".join(dict.fromkeys(differ))
            changes.append(
                Text(
                    "preset {name} (its {fields} differ from the checkpoint's)",
                    name=repr(choices.preset),
                    fields=shown,
                )
            )
    return changes


def load_images(data: str, uploads: tuple[tuple[str, bytes], ...] | None, size: int) -> ImageSet:
    """Images stored at side ``size``: the uploads, the sample photos, or the folder ``data``."""
    if uploads:
        return load_uploads(list(uploads), size)
    if data == SAMPLES:
        return sample_images(size)
    if data == UPLOAD:
        raise UserError(
            "this run was trained on images uploaded to the app: give them again (a folder or uploads)"
        )
    return load_folder(data, size)


def plan_run(choices: RunChoices, device: torch.device | None = None) -> RunPlan:
    """Plan the run of ``choices`` on ``device`` (default: ``choices.device``): models, config, run
    directory (checked: no links or special files) and images. Every refusal is a ``UserError``."""
    if device is None:
        try:
            device = pick_device(choices.device)
        except ValueError as exc:
            raise UserError(message_of(exc)) from None
    if choices.resume is not None and choices.init_from is not None:
        raise UserError(
            Text("a run either resumes (--resume) or starts from other weights (--init-from), not both")
        )
    resume = init = None
    if choices.resume is not None:
        source = Path(choices.resume)
        run_dir = (
            Path(choices.out) if choices.out is not None else source if source.is_dir() else source.parent
        )
        check_run_dir(source if source.is_dir() else source.parent)
        check_run_dir(run_dir)
        resume = load_checkpoint(source)
        g, d = resume.generator_config, resume.discriminator_config
        if resume.is_export:
            raise UserError(
                Text(
                    "{source} holds weights without a run's state (a generator-only export, an exported or "
                    "foreign checkpoint): no optimizer state to continue from; resume from the run's {file}, or "
                    "start a new run from these weights with --init-from",
                    source=str(source),
                    file=CHECKPOINT_FILE,
                )
            )
        if d is None:
            raise UserError(
                Text("{source} has no discriminator: it cannot resume training", source=str(source))
            )
        if changes := changed_model_choices(choices, g, d):
            raise UserError(
                Text(
                    "{changes}: a resumed run's model comes from the checkpoint; drop these settings "
                    "or start a new run in another directory",
                    changes=join(changes, "; "),
                )
            )
        stored = TrainConfig.from_dict(resume.train_config)
        if stored.data == UPLOAD and not (choices.data or choices.uploads):
            raise UserError(
                Text(
                    "{source} was trained on images uploaded to the app: give them again with --data DIR",
                    source=str(source),
                )
            )
        config = plan_config(choices, device, stored)
    else:
        init = load_init(choices) if choices.init_from is not None else None
        g, d = plan_models(choices, device) if init is None else init_models(choices, device, init)
        config = plan_config(choices, device)
        name = choices.preset or (DEFAULT_PRESET if choices.models is None else "app")
        run_dir = (
            Path(choices.out)
            if choices.out is not None
            else RUNS_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        check_run_dir(run_dir)
        if (run_dir / CHECKPOINT_FILE).exists():
            raise UserError(
                Text(
                    "{run_dir} already holds a run: continue it with --resume {run_dir}, or choose another --out",
                    run_dir=str(run_dir),
                )
            )
    # Stored a little larger than the model: random crops jitter the framing.
    images = load_images(config.data, choices.uploads, load_size(g.input_size))
    train, val = split_train_val(images, config.val_fraction, seed=config.seed)
    return RunPlan(g, d, config, device, train, val, tuple(images.skipped), run_dir, resume, init)


def load_init(choices: RunChoices) -> Checkpoint:
    """The checkpoint a new run starts from (``choices.init_from``), recognized by its structure."""
    source = choices.init_from
    if isinstance(source, tuple):
        return load_checkpoint(source[1], name=source[0])
    assert source is not None
    return load_checkpoint(source)


def init_models(
    choices: RunChoices, device: torch.device, init: Checkpoint
) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The models of a run that starts from ``init``'s weights: its own networks, at ``choices.size``
    when given (weights do not depend on the size); the sidebar's models or a preset only when they
    fit the weights. A discriminator the file lacks comes from the preset (default: the notebook's)
    at the generator's size. ``UserError`` names what does not fit."""
    g = init.generator_config
    d = init.discriminator_config
    if choices.models is not None:
        g, d = choices.models
        check_state_dict(init.generator, build_meta(g), "generator", g)
        if init.discriminator:
            check_state_dict(init.discriminator, build_meta(d), "discriminator", d)
    elif changes := changed_model_choices(
        replace(choices, size=None), g, d or preset_discriminator(choices, g)
    ):
        raise UserError(
            Text(
                "{changes}: a run from other weights takes its models from them; drop these settings",
                changes=join(changes, "; "),
            )
        )
    if d is None:
        d = preset_discriminator(choices, g)
    size = choices.size or g.input_size
    try:
        g, d = g.replace(input_size=size), d.replace(input_size=size)
    except ValueError as exc:
        raise UserError(message_of(exc)) from None
    check_trainable(g, d)
    return g, d


def preset_discriminator(choices: RunChoices, g: GeneratorConfig) -> DiscriminatorConfig:
    """The discriminator of a run whose weights hold a generator only: the preset's, at G's size."""
    _, d = preset(choices.preset or DEFAULT_PRESET)
    return d.replace(input_size=g.input_size)

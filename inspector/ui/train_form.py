"""The Train page's settings: the data, the model (new weights, or a checkpoint's to start from),
the steps and the rest, checked by the planner before Start (the images are loaded by the worker,
after Start).

:func:`train_form` draws the widgets and returns a :class:`Form`: the ``RunChoices`` to queue,
what the planner made of them (steps, size, batch, device), the settings shown in the runs list,
and the reason Start must wait (``problem``), if any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import streamlit as st
import torch

from inspector.data import images
from inspector.data.archives import ARCHIVE_TYPE
from inspector.data.images import PHOTO_TYPES
from inspector.pretrained import pretrained_path
from inspector.runqueue.budget import ClassLimits
from inspector.runqueue.queue import Planned
from inspector.training import upload_limits
from inspector.training.checkpoint import CHECKPOINT_TYPES
from inspector.training.checkpoint_size import max_checkpoint_bytes
from inspector.training.config import MAX_SEED
from inspector.training.device import default_sizes
from inspector.training.plan import (
    RunChoices,
    default_config,
    init_models,
    plan_config,
    plan_models,
    size_models,
)
from inspector.training.upload_limits import largest_app_checkpoint_bytes
from inspector.ui.caches.models import init_checkpoint
from inspector.ui.common import current_configs
from inspector.ui.fold import fold
from inspector.ui.i18n import _, reason

MiB = 1024 * 1024


@dataclass(frozen=True)
class Form:
    choices: RunChoices
    planned: Planned | None  # None when the settings cannot be planned (``problem`` says why)
    settings: dict[str, Any]
    problem: str | None
    name: str


def _data() -> list[tuple[str, bytes]] | None:
    """The Data column: the sample photos, or the student's images and zips (None: the samples)."""
    st.subheader(_("Data"))
    labels = {"samples": _("scikit-image's sample photos (no download)"), "upload": _("My images or a zip")}
    source = st.radio(_("Images"), ["samples", "upload"], format_func=labels.get, key="train.source")
    uploads: list[tuple[str, bytes]] | None = None
    if source == "upload":
        total_cap = (
            images.DEFAULT_LIMITS.max_total_bytes
        )  # what image loading reads in all; the server takes more
        files = st.file_uploader(
            _("Images, or zip files of images; up to {limit} MiB in all", limit=total_cap // MiB),
            type=[*PHOTO_TYPES, ARCHIVE_TYPE],
            accept_multiple_files=True,
            key="train.files",
            max_upload_size=total_cap // MiB,
            help=_("Corrupt, tiny, huge and duplicate files are skipped and listed."),
        )
        total = sum(f.size for f in files or [])
        if total > total_cap:  # checked before any file is read: our sentence, not a traceback
            st.error(_("These files are {size} MiB together; this app trains on up to {limit} MiB of uploads.",
                       size=f"{total / MiB:.1f}", limit=total_cap // MiB))  # fmt: skip
        else:
            uploads = [(f.name, f.getvalue()) for f in files or []]
    st.caption(_("A fifth of the images are held out: the sample grids show those, never a training image."))
    return uploads if source == "upload" else None


@dataclass(frozen=True)
class Start:
    """Where a new run's weights come from: None for new ones (N(0, 0.02)); else the checkpoint
    (its path, or an upload's name and bytes), its cache key, and why it cannot be used, if so."""

    source: str | tuple[str, bytes] | None = None
    key: str = ""
    problem: str | None = None


def _start_from() -> Start:
    """The "Start from" radio: new weights, the trained pair that ships with the app, or an uploaded
    checkpoint (this app's, the notebook's classes', the pix2pix reference code's)."""
    labels = {
        "new": _("New weights: N(0, 0.02), as the notebook starts"),
        "trained": _("The trained pair that ships with the app"),
        "upload": _("A checkpoint I upload"),
    }
    kind = st.radio(_("Start from"), list(labels), format_func=labels.get, key="train.init", horizontal=True,
                    help=_("A run from a checkpoint keeps training its weights (fine-tuning): the model is the "
                           "checkpoint's, with a fresh optimizer and step 0."))  # fmt: skip
    if kind == "trained":
        path = pretrained_path()
        return Start(str(path), f"{path}:{path.stat().st_mtime_ns}")
    if kind != "upload":
        return Start()
    limit = upload_limits.checkpoint_upload_limit_bytes()
    up = st.file_uploader(_("A checkpoint to start from, up to {limit} MiB", limit=limit // MiB),
                          type=list(CHECKPOINT_TYPES), key="train.init_file",
                          max_upload_size=upload_limits.server_upload_limit_mb(),
                          help=_("Never unpickled: safetensors holds only tensors, and .pt files are read with "
                                 "weights_only=True, which refuses anything that would run code. The networks are "
                                 "recognized by their structure."))  # fmt: skip
    if up is None:
        return Start(problem=_("upload the checkpoint to start from first"))
    if up.size > limit:  # from the upload's header: nothing read yet
        return Start(problem=_("{name} is {size} MiB; this app accepts checkpoints up to {limit} MiB, the largest it "
                                 "can write with a margin.",
                               name=up.name, size=f"{up.size / MiB:.1f}", limit=limit // MiB))  # fmt: skip
    raw = up.getvalue()
    return Start((up.name, raw), hashlib.sha256(raw).hexdigest())


def train_form(device: torch.device, limits: ClassLimits) -> Form:
    """The settings widgets; what they ask for, checked."""
    g_side, d_side = current_configs()
    sizes, defaults = default_sizes(device), default_config(device)
    data_col, model_col = st.columns(2)
    with data_col:
        uploads = _data()
    with model_col:
        st.subheader(_("Model"))
        start = _start_from()
        sidebar = RunChoices(models=(g_side, d_side), device_sized=False, device=device.type)
        sized = "small"
        if start.source is None:
            small_error = None
            try:
                size_models(replace(sidebar, device_sized=True), device)
            except ValueError as exc:  # UserError: these settings have no variant at the device's size
                small_error = reason(exc)
            options = ["small", "sidebar"] if small_error is None else ["sidebar"]
            size_labels = {
                "small": _("Sized for this {device}: ngf {ngf}, depth {depth}, {size}x{size} (the sidebar's preset "
                           "otherwise)", device=device.type.upper(), ngf=sizes.ngf, depth=sizes.depth, size=sizes.size),
                "sidebar": _("The sidebar's settings: ngf {ngf}, depth {depth}, {size}x{size}", ngf=g_side.ngf,
                             depth=g_side.depth, size=g_side.input_size),
            }  # fmt: skip
            sized = st.radio(
                _("Size"), options, index=0 if device.type != "cuda" and small_error is None else len(options) - 1,
                format_func=size_labels.get, key="train.model",
                help=_("A CPU trains the full 256x256 model at a few images per second; the small one shows progress "
                       "within a minute."),
            )  # fmt: skip
            if small_error:
                st.caption(_("No small variant of these settings: {reason}", reason=small_error))
        if device.type == "cuda":
            st.caption(
                _("Training on **{device}** with bf16 autocast and channels_last.", device=str(device))
            )
        else:
            st.caption(_("Training on **{device}** in float32.", device=str(device)))

    c1, c2, c3 = st.columns(3)
    steps = c1.number_input(_("Steps"), 1, limits.max_steps, value=min(defaults.steps, limits.max_steps),
                            key="train.steps",
                            help=_("This class allows up to {n} steps a run.", n=limits.max_steps))  # fmt: skip
    batch = c2.number_input(_("Batch size"), 1, 512, value=defaults.batch, key="train.batch")
    lambda_l1 = c3.number_input(_("lambda (weight of L1)"), 0.0, 10_000.0, value=defaults.lambda_l1, step=10.0,
                                key="train.lambda")  # fmt: skip
    # Folded, these widgets are not drawn: their values are the session's (fold's keep) or the defaults.
    more = {
        "train.warmup": defaults.l1_warmup_steps,
        "train.smoothing": defaults.label_smoothing,
        "train.seed": defaults.seed,
        "train.sample_every": defaults.sample_every,
        "train.lr": defaults.lr,
    }
    with fold(_("More settings"), "train.more", keep=tuple(more)) as shown:
        if shown:
            m1, m2, m3 = st.columns(3)
            m1.number_input(_("L1-only warm-up steps"), 0, 1_000_000, value=defaults.l1_warmup_steps,
                            key="train.warmup", help=_("G learns from L1 alone for these first steps (D still "
                                                       "trains)."))  # fmt: skip
            m2.number_input(_("Label smoothing"), 0.0, 0.45, value=defaults.label_smoothing, step=0.05,
                            key="train.smoothing", help=_("One-sided: D's target for real pairs is 1 - this."))  # fmt: skip
            m3.number_input(_("Seed"), 0, MAX_SEED, value=defaults.seed, key="train.seed")
            m1.number_input(_("Sample grid every (steps)"), 1, 100_000, value=defaults.sample_every,
                            key="train.sample_every")  # fmt: skip
            m2.number_input(_("Learning rate"), 1e-6, 1e-1, value=defaults.lr, format="%.1e", key="train.lr")
    warmup, smoothing, seed, sample_every, lr = (st.session_state.get(k, v) for k, v in more.items())
    name = st.text_input(
        _("Run name"),
        key="train.name",
        placeholder=_("e.g. my-first-run (optional)"),
        help=_("The run's folder in the runs folder; a name already taken gets -2, -3..."),
    )
    if start.source is not None:  # the checkpoint's models; the page's size settings do not apply
        sidebar = replace(sidebar, models=None, init_from=start.source)
    choices = replace(
        sidebar,
        device_sized=sized == "small" and start.source is None,
        uploads=tuple(uploads) if uploads else None,
        steps=int(steps),
        batch=int(batch),
        lambda_l1=float(lambda_l1),
        l1_warmup_steps=int(warmup),
        label_smoothing=float(smoothing),
        seed=int(seed),
        sample_every=int(sample_every),
        lr=float(lr),
    )
    return _checked(choices, device, limits, str(name or ""), start)


def _checked(choices: RunChoices, device: torch.device, limits: ClassLimits, name: str, start: Start) -> Form:
    """The planner's checks that need no images (the worker loads them after Start)."""
    problem: str | None = start.problem
    planned: Planned | None = None
    settings: dict[str, Any] = {}
    if problem is not None:
        return Form(choices, planned, settings, problem, name)
    try:
        if start.source is None:
            g_run, d_run = plan_models(choices, device)
        else:
            data = start.source[1] if isinstance(start.source, tuple) else start.source
            name_of = start.source[0] if isinstance(start.source, tuple) else Path(start.source).name
            init = init_checkpoint(start.key, data, name_of)
            g_run, d_run = init_models(choices, device, init)
            st.caption(_("The checkpoint's model: ngf {ngf}, depth {depth}, {size}x{size}.", ngf=g_run.ngf,
                         depth=g_run.depth, size=g_run.input_size))  # fmt: skip
        config = plan_config(choices, device)
        settings = {"ngf": g_run.ngf, "depth": g_run.depth, "size": g_run.input_size, "steps": config.steps,
                    "batch": config.batch, "lambda": config.lambda_l1, "lr": config.lr, "seed": config.seed,
                    "data": config.data}  # fmt: skip
        planned = Planned(config.steps, g_run.input_size, config.batch, device.type)
        limits.check(config.steps, g_run.input_size)
        largest = max_checkpoint_bytes(g_run, d_run)
        if largest > largest_app_checkpoint_bytes():  # the app accepts back only what it can write
            problem = _("These models would write checkpoints of up to {size} MiB, more than the {limit} MiB of "
                        "the largest preset, which is the most this app trains and accepts back. Make ngf, ndf or "
                        "the depth smaller, or train them with the CLI.", size=f"{largest / MiB:.0f}",
                        limit=f"{largest_app_checkpoint_bytes() / MiB:.0f}")  # fmt: skip
    except ValueError as exc:  # UserError
        problem = reason(exc)
    if problem is None and choices.uploads is None and st.session_state.get("train.source") == "upload":
        problem = _("upload some images first")
    return Form(choices, planned, settings, problem, name)

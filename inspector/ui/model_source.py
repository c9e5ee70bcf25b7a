"""Where the networks a page looks at come from: the one picker of Feature maps, Dropout & BatchNorm,
Colorize and the Checkpoints page.

The sources, in this order: the trained pair that ships with the app (the default: a new student
sees colour and living feature maps at once), the untrained networks of the sidebar's settings
(N(0, 0.02), as training starts), this session's last training run, a run of the runs folder,
and an uploaded checkpoint (any file ``checkpoint`` identifies: this project's, the notebook's
classes', the pix2pix reference code's, DataParallel or compiled models').

Where the untrained networks appear, :func:`explain_untrained` says why they look grey and offers
the two ways out in one click: the trained networks, or BatchNorm on the photo's own statistics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from torch import nn

from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.inside.tap import Mode
from inspector.pretrained import PHOTOS, pretrained_path
from inspector.training import upload_limits
from inspector.training.checkpoint import CHECKPOINT_TYPES
from inspector.training.run_bounds import largest_side
from inspector.ui.caches.models import checkpoint_models, meta_model, untrained_model
from inspector.ui.common import current_configs
from inspector.ui.i18n import _, reason, say
from inspector.ui.training import my_last_checkpoint, runs_folder
from models import DiscriminatorConfig, GeneratorConfig

MiB = 1024 * 1024
SOURCES = {
    "trained": N_("Trained (ships with the app)"),
    "untrained": N_("Untrained (N(0, 0.02), as training starts)"),
    "last": N_("My last training run"),
    "run": N_("A run from the runs folder"),
    "upload": N_("A checkpoint I upload"),
}
BATCH_STATS: Mode = "batch-stats"  # eval, but BatchNorm on the batch's own statistics


@dataclass(frozen=True, eq=False)
class Networks:
    """The generator (and discriminator, when there is one) a page looks at, with its cache key.

    Untrained networks are built on first use (``generator``): the notebook's 54M-parameter
    generator takes a second or two to build and initialize, and a page that waits for a button
    should not pay that before the click.
    """

    key: tuple[object, ...]  # ("untrained", cfgs), ("checkpoint", path and mtime / SHA-256)
    g_cfg: GeneratorConfig
    d_cfg: DiscriminatorConfig | None
    trained: bool
    step: int = 0
    loaded: tuple[nn.Module, nn.Module | None] | None = None  # a checkpoint's networks, else None
    source: str = "untrained"  # a key of SOURCES
    family: object = ""  # what the checkpoint is, in words (its recognized family: a Text)

    @property
    def size(self) -> int:
        """The side the photo is run at: a checkpoint's training size, but never over what its
        header may ask (``largest_side``); the sidebar's size for untrained networks."""
        return largest_side(self.g_cfg) if self.loaded is not None else self.g_cfg.input_size

    @property
    def generator(self) -> nn.Module:
        return self.loaded[0] if self.loaded is not None else untrained_model(self.g_cfg)

    @property
    def discriminator(self) -> nn.Module | None:
        if self.loaded is not None:
            return self.loaded[1]
        return untrained_model(self.d_cfg) if self.d_cfg is not None else None

    @property
    def parameters(self) -> int:
        """The generator's parameter count (from the meta copy: nothing is built for it)."""
        if self.loaded is not None:
            return sum(p.numel() for p in self.loaded[0].parameters())
        return sum(p.numel() for p in meta_model(self.g_cfg).parameters())


def untrained(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig | None) -> Networks:
    """Both networks as the notebook's training starts them (N(0, 0.02), seed 0), built on first use."""
    return Networks(("untrained", g_cfg, d_cfg), g_cfg, d_cfg, trained=False)


@dataclass(frozen=True)
class Source:
    """A checkpoint picked: what it is (a key of SOURCES), its cache key, its path or bytes, its name."""

    kind: str
    key: str
    data: bytes | str
    name: str


def pick_source(
    prefix: str, label: str | None = None, untrained_too: bool = True, full: bool = False
) -> Source | None:
    """A radio of where the networks come from (trained first), and what it needs: a run's name, an
    upload. None for the untrained networks. ``full``: a run's full checkpoint (both networks)
    rather than its generator export."""
    ss = st.session_state
    last = my_last_checkpoint()
    runs = [r for r in runs_folder().list_runs() if r.export is not None or r.checkpoint is not None]
    options = ["trained"] + (["untrained"] if untrained_too else [])
    options += (["last"] if last is not None else []) + (["run"] if runs else []) + ["upload"]
    if ss.get(f"{prefix}.source") not in options:
        ss.pop(f"{prefix}.source", None)  # e.g. "run" after the last run was deleted
    kind = str(
        st.radio(
            label or _("Networks"),
            options,
            format_func={o: _(SOURCES[o]) for o in options}.get,  # translated now: AppTest asks it later
            key=f"{prefix}.source",
            horizontal=True,
            help=_("Train a model on the Train page and its checkpoint appears here."),
        )
    )
    if kind == "untrained":
        return None
    if kind == "upload":
        raw, name = _uploaded(prefix)
        return Source(kind, hashlib.sha256(raw).hexdigest(), raw, name)
    if kind == "trained":
        path = pretrained_path()
    elif kind == "last" and last is not None:
        path = last[0]
    else:
        names = [r.name for r in runs]
        if ss.get(f"{prefix}.run") not in names:
            ss[f"{prefix}.run"] = names[0]
        chosen = runs[names.index(str(st.selectbox(_("Run"), names, key=f"{prefix}.run")))]
        # the export: the same generator, a sixth of the bytes; the full checkpoint when both are needed
        file = (chosen.checkpoint or chosen.export) if full else (chosen.export or chosen.checkpoint)
        assert file is not None
        path = file
    return Source(kind, f"{path}:{path.stat().st_mtime_ns}", str(path), path.name)


def pick_networks(prefix: str, label: str | None = None, untrained_too: bool = True) -> Networks:
    """The networks of :func:`pick_source`, loaded (cached); stops the page with a message if they
    cannot be used."""
    source = pick_source(prefix, label, untrained_too)
    if source is None:
        return untrained(*current_configs())
    try:
        generator, discriminator, step, family = checkpoint_models(source.key, source.data, source.name)
    except UserError as exc:
        st.error(_("This checkpoint cannot be used: {reason}", reason=reason(exc)))
        st.stop()
    loaded_g, loaded_d = getattr(generator, "config", None), getattr(discriminator, "config", None)
    assert isinstance(loaded_g, GeneratorConfig), "models.build gives every network its config"
    d_found = loaded_d if isinstance(loaded_d, DiscriminatorConfig) else None
    loaded = (generator, discriminator)
    return Networks(("checkpoint", source.key), loaded_g, d_found, True, step, loaded, source.kind, family)


def _uploaded(prefix: str) -> tuple[bytes, str]:
    """An uploaded checkpoint's bytes and name; stops the page until there is one, or if it is too large."""
    limit = upload_limits.checkpoint_upload_limit_bytes()  # looked up at each call: tests set a small one
    up = st.file_uploader(
        _("A checkpoint: this app's (.safetensors), or a PyTorch .pt/.pth of plain tensors from anywhere "
          "(the notebook's classes, the pix2pix reference code, DataParallel or compiled models); up to {limit} MiB",
          limit=limit // MiB),
        type=list(CHECKPOINT_TYPES), key=f"{prefix}.checkpoint", max_upload_size=upload_limits.server_upload_limit_mb(),
        help=_("Never unpickled: safetensors holds only tensors, and .pt files are read with weights_only=True, "
               "which refuses anything that would run code. The networks are recognized by their structure."),
    )  # fmt: skip
    if up is None:
        st.info(_("Upload a checkpoint, or look at the trained networks."))
        st.stop()
    raw = up.getvalue()
    if len(raw) > limit:  # our own sentence, not the server's, for a file just over the limit
        st.error(
            _(
                "{name} is {size} MiB; this app accepts checkpoints up to {limit} MiB, the largest it can "
                "write with a margin.",
                name=up.name,
                size=f"{len(raw) / MiB:.1f}",
                limit=limit // MiB,
            )
        )
        st.stop()
    return raw, up.name


def describe(networks: Networks) -> str:
    """One line on the networks, in the session's language (a caption under the picker)."""
    g = networks.g_cfg
    if not networks.trained:
        return _("Untrained generator: ngf {ngf}, depth {depth}, {size} x {size} (the sidebar's settings).",
                 ngf=g.ngf, depth=g.depth, size=g.input_size)  # fmt: skip
    if networks.source == "trained":
        return _(
            "The trained networks that ship with the app: the notebook's layout at ngf {ngf}, depth {depth}, "
            "{size} x {size}, trained for {steps} steps on {n} of scikit-image's photos (see the README's recipe). "
            "They have seen these sample photos: your own photos get weaker colours.",
            ngf=g.ngf, depth=g.depth, size=g.input_size, steps=networks.step, n=len(PHOTOS),
        )  # fmt: skip
    return _("{family}: ngf {ngf}, depth {depth}, {size} x {size}, trained for {step} steps.",
             family=say(networks.family), ngf=g.ngf, depth=g.depth, size=networks.size, step=networks.step)  # fmt: skip


def explain_untrained(prefix: str, networks: Networks, batch_stats_button: bool = True) -> Mode:
    """Where the untrained networks are shown: why they look grey, and one click to the trained ones or
    to batch statistics. Returns the inside functions' mode: ``"eval"``, or ``"batch-stats"`` once chosen."""
    ss = st.session_state
    if networks.trained:
        return "eval"
    batch_stats = bool(ss.get(f"{prefix}.batch_stats"))
    with st.container(border=True):
        st.markdown(
            _(
                "**Why the untrained network looks grey.** In eval mode BatchNorm normalizes with its running "
                "statistics, and before training they are still mean 0 and variance 1: it does not rescale "
                "anything. Meanwhile the N(0, 0.02) weights shrink the activations block after block, so the "
                "deep maps are nearly 0 and the output ab is nearly 0: grey. With the batch's own statistics "
                "(train mode's BatchNorm) every block is rescaled to unit variance and the patterns show; a "
                "trained network has learned running statistics and weights that keep them."
            )
        )
        left, right = st.columns(2)
        left.button(
            _("Look at the trained networks"),
            key=f"{prefix}.to_trained",
            on_click=_set,
            args=(f"{prefix}.source", "trained"),
            type="primary",
        )
        if not batch_stats_button:
            return "eval"
        right.button(
            _("Back to the running statistics (eval)")
            if batch_stats
            else _("Use the photo's own statistics"),
            key=f"{prefix}.to_batch_stats",
            on_click=_set,
            args=(f"{prefix}.batch_stats", not batch_stats),
        )
        if batch_stats:
            st.caption(_("BatchNorm now normalizes with this photo's own statistics (batch statistics)."))
    return BATCH_STATS if batch_stats else "eval"


def _set(key: str, value: object) -> None:
    st.session_state[key] = value

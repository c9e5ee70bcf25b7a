"""What the "see inside" pages look at: a photo (a sample or an upload) and a pair of networks
(untrained from the sidebar's settings, the last training run of this session, or a checkpoint).

Every picker returns a hashable key next to its value, so that the pages' cached functions
(``inspector.ui.caches``) are keyed on the photo and the model, never on the widgets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from torch import nn

from inspector.data.images import PHOTO_TYPES
from inspector.data.samples import SAMPLE_FILES
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.training.checkpoint import CHECKPOINT_TYPES
from inspector.training.run_bounds import largest_side
from inspector.training.upload_limits import MAX_PHOTO_MB
from inspector.ui.caches.models import checkpoint_models, meta_model, untrained_model
from inspector.ui.caches.photos import inside_photo
from inspector.ui.common import current_configs
from inspector.ui.i18n import _, reason
from inspector.ui.training import my_last_checkpoint
from models import DiscriminatorConfig, GeneratorConfig

MAX_CHECKPOINT_MB = 64  # the server's upload cap (.streamlit/config.toml)
T = TypeVar("T")
SOURCES = {
    "untrained": N_("Untrained (N(0, 0.02), as training starts)"),
    "run": N_("My last training run"),
    "upload": N_("A checkpoint I upload"),
}


@dataclass(frozen=True, eq=False)
class Networks:
    """The generator (and discriminator, when there is one) a page looks inside, with its cache key.

    Untrained networks are built on first use (``generator``): the notebook's 54M-parameter
    generator takes a second or two to build and initialize, and a page that waits for a button
    should not pay that before the click.
    """

    key: tuple[object, ...]  # ("untrained", cfg) or ("checkpoint", path and mtime / SHA-256)
    g_cfg: GeneratorConfig
    d_cfg: DiscriminatorConfig | None
    trained: bool
    step: int = 0
    loaded: tuple[nn.Module, nn.Module | None] | None = None  # a checkpoint's networks, else None

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


def _last_run() -> Path | None:
    last = my_last_checkpoint()
    return last[0] if last is not None else None


def networks_picker(prefix: str) -> Networks:
    """A radio of where the networks come from; stops the page with a message if they cannot load."""
    last = _last_run()
    options = ["untrained"] + (["run"] if last is not None else []) + ["upload"]
    source = st.radio(
        _("Networks"),
        options,
        format_func=lambda o: _(SOURCES[o]),
        key=f"{prefix}.source",
        horizontal=True,
        help=_("Train a model on the Train page and its checkpoint appears here."),
    )
    if source == "untrained":
        return untrained(*current_configs())
    data: bytes | str
    if source == "run" and last is not None:
        key, data, name = f"{last}:{last.stat().st_mtime_ns}", str(last), last.name
    else:
        up = st.file_uploader(
            _("A checkpoint (.safetensors from the Train page or the CLI, or a .pt of plain tensors)"),
            type=list(CHECKPOINT_TYPES),
            key=f"{prefix}.checkpoint",
            max_upload_size=MAX_CHECKPOINT_MB,
        )
        if up is None:
            st.info(_("Upload a checkpoint, or look at the untrained networks."))
            st.stop()
        raw = up.getvalue()
        key, data, name = hashlib.sha256(raw).hexdigest(), raw, up.name
    try:
        generator, discriminator, step = checkpoint_models(key, data, name)
    except UserError as exc:
        st.error(_("This checkpoint cannot be used: {reason}", reason=reason(exc)))
        st.stop()
    g_cfg = _config_of(generator)
    d_cfg = _d_config_of(discriminator)
    return Networks(
        ("checkpoint", key), g_cfg, d_cfg, trained=True, step=step, loaded=(generator, discriminator)
    )


def _config_of(generator: nn.Module) -> GeneratorConfig:
    cfg = getattr(generator, "config", None)
    if not isinstance(cfg, GeneratorConfig):
        raise UserError("the checkpoint's generator carries no configuration")
    return cfg


def _d_config_of(discriminator: nn.Module | None) -> DiscriminatorConfig | None:
    cfg = getattr(discriminator, "config", None)
    return cfg if isinstance(cfg, DiscriminatorConfig) else None


def photo_picker(prefix: str, size: int) -> tuple[str, np.ndarray]:
    """(photo key, (3, size, size) uint8): a sample, or an upload validated like the other pages."""
    kind = st.radio(
        _("Photo"),
        ["sample", "upload"],
        key=f"{prefix}.photo_source",
        horizontal=True,
        format_func=lambda v: _("A sample photo") if v == "sample" else _("My photo"),
    )
    if kind == "sample":
        name = st.selectbox(_("Sample photo"), list(SAMPLE_FILES), key=f"{prefix}.sample")
        key, data, file_name = f"sample:{name}", None, str(name)
    else:
        up = st.file_uploader(
            _("A photo"), type=list(PHOTO_TYPES), key=f"{prefix}.upload", max_upload_size=MAX_PHOTO_MB
        )
        if up is None:
            st.info(_("Choose or upload a photo."))
            st.stop()
        raw = up.getvalue()
        key, data, file_name = "upload:" + hashlib.sha256(raw).hexdigest(), raw, up.name
    try:
        return f"{key}@{size}", inside_photo(key, size, data, file_name)
    except UserError as exc:
        st.error(_("This photo cannot be used: {reason}", reason=reason(exc)))
        st.stop()


@dataclass(frozen=True, eq=False)
class Inputs(Generic[T]):
    """What a see-inside page looks at, and the value of the page's own controls."""

    networks: Networks
    controls: T
    photo_key: str
    rgb: np.ndarray  # (3, S, S) uint8
    photo_column: DeltaGenerator  # where the photo was picked: a page may show it there


def pick_inputs(prefix: str, controls: Callable[[], T]) -> Inputs[T]:
    """The networks and the page's own ``controls`` on the left, the photo on the right. The controls
    are drawn before the photo is picked: a page waiting for an upload still shows them."""
    setup, photo_column = st.columns([3, 2])
    with setup:
        networks = networks_picker(prefix)
        values = controls()
    with photo_column:
        photo_key, rgb = photo_picker(prefix, networks.size)
    return Inputs(networks, values, photo_key, rgb, photo_column)


AUTO_RUN_PARAMS = 5_000_000  # a smaller generator answers in well under a second: no button


def run_on_request(
    prefix: str, networks: Networks, run_key: tuple[object, ...], label: str, wait: str
) -> bool:
    """Whether the page may run the generator now: a small one at once; a large one (the notebook's
    at 256 takes seconds on a CPU) once the button ``label`` was clicked for ``run_key``, and from
    then on for the session (its answer is cached). Until the click, ``wait`` says what it costs."""
    ran: set[tuple[object, ...]] = st.session_state.get(f"{prefix}.ran", set())
    if networks.parameters <= AUTO_RUN_PARAMS or run_key in ran:
        return True
    if st.button(label, type="primary", key=f"{prefix}.run"):
        st.session_state[f"{prefix}.ran"] = ran | {run_key}
        return True
    st.info(wait)
    return False

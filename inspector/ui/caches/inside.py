"""Cached results of the see-inside pages (Feature maps, Dropout & BatchNorm, the GAN game).

Models are shared by every session (``caches.models``), and the inside functions leave their
modes, buffers and the random state as they found them. Their results are ``shared`` too:
frozen and never modified, and a feature-map set is tens of MB that cache_data would copy every
rerun. A photo is keyed by its source ("sample:<name>" or the upload's SHA-256) and size
(``photo_key``); its pixels travel unhashed (``_rgb``), as does a model (keyed by ``model_key``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from torch import nn

from inspector.conv.frame_files import png_bytes
from inspector.i18n.catalog import N_
from inspector.inside.features import FeatureMaps, feature_maps
from inspector.inside.inputs import photo_lab, sample_pairs
from inspector.inside.lens import (
    BatchNormLens,
    DropoutLens,
    NormEquivalence,
    batchnorm_lens,
    batchnorm_vs_instancenorm,
    dropout_lens,
)
from inspector.inside.pictures import feature_grid
from inspector.inside.skips import SkipAblation, ablate_skip
from inspector.inside.tap import Mode
from inspector.inside.verdict import PatchVerdict, real_and_fake_verdicts
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models.discriminator import conditional_pair

ModelKey = tuple[object, ...]  # what names a model: ("untrained", configs) or ("checkpoint", its key)


@spinner(N_("Running the photo through every block..."))
@shared(max_entries=8)
def inside_features(
    model_key: ModelKey, _model: nn.Module, photo_key: str, _rgb: np.ndarray, mode: Mode = "eval"
) -> FeatureMaps:
    """Every block's output and every cat's result for one photo (eval mode, or ``batch-stats``)."""
    L, _ = photo_lab(_rgb)
    return feature_maps(_model, L, mode=mode)


@spinner(N_("Drawing the feature maps..."))
@shared(max_entries=16)  # PNG bytes: read only, shared without a copy
def inside_feature_grid(
    model_key: ModelKey,
    _model: nn.Module,
    photo_key: str,
    _rgb: np.ndarray,
    names: tuple[str, ...],
    n: int,
    mode: Mode = "eval",
    max_width: int | None = None,
) -> bytes:
    """The PNG of the ``n`` strongest channels of the maps ``names``, one row each, at most
    ``max_width`` px wide (the column that shows it: never scaled down, its words stay readable)."""
    maps = inside_features(model_key, _model, photo_key, _rgb, mode)
    return png_bytes(feature_grid([maps[name] for name in names], n=n, tile=56, max_width=max_width))


@spinner(N_("Colorizing with and without the skip..."))
@shared(max_entries=8)
def inside_ablation(
    model_key: ModelKey, _model: nn.Module, photo_key: str, _rgb: np.ndarray, skip: str, mode: Mode = "eval"
) -> SkipAblation:
    L, _ = photo_lab(_rgb)
    return ablate_skip(_model, L, skip, mode)


@spinner(N_("Asking the discriminator, patch by patch..."))
@shared(max_entries=8)
def inside_verdicts(
    model_key: ModelKey,
    _generator: nn.Module,
    _discriminator: nn.Module,
    photo_key: str,
    _rgb: np.ndarray,
    mode: Mode = "eval",
) -> tuple[PatchVerdict, PatchVerdict, np.ndarray]:
    """(verdict on the real photo, verdict on G's colorization, that colorization (S, S, 3) uint8)."""
    L, ab = photo_lab(_rgb)
    return real_and_fake_verdicts(_generator, _discriminator, L, ab, mode)


@spinner(N_("Colorizing with Dropout on, several times..."))
@shared(max_entries=8)
def inside_dropout(
    model_key: ModelKey,
    _model: nn.Module,
    photo_key: str,
    _rgb: np.ndarray,
    n: int,
    batch_stats: bool = False,
) -> DropoutLens:
    L, _ = photo_lab(_rgb)
    return dropout_lens(_model, L, n=n, batch_stats=batch_stats)


@spinner(N_("Normalizing with batch and running statistics..."))
@shared(max_entries=8)
def inside_batchnorm(model_key: ModelKey, _discriminator: nn.Module, size: int, batch: int) -> BatchNormLens:
    """The discriminator's BatchNorm on ``batch`` real pairs of sample photos (its batch statistics,
    train mode) against its running statistics (eval)."""
    L, ab = sample_pairs(size, batch)
    return batchnorm_lens(_discriminator, conditional_pair(L, ab))


@shared(max_entries=4)
def norm_equivalence(affine: bool) -> NormEquivalence:
    return batchnorm_vs_instancenorm(affine=affine)


@st.cache_data(max_entries=4, show_spinner=False)
def game_batch(size: int, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The GAN game's fixed batch: the first ``batch`` sample photos at ``size``, as (L, ab)."""
    return sample_pairs(size, batch)

"""Cached pieces of the Weight init page.

Each piece is cached on what it depends on, never more: the weights as built on the config alone
(one pass over the 54M weights of the notebook's generator for every scheme, gain and seed);
an init's copy, its weights and each init's activation pass on (config, scheme, gain, seed), so a
changed widget recomputes only the one piece it changes. A first visit counts the groups only
(each layer's own histogram is one tensor's work, done when the learner picks that layer).
"""

from __future__ import annotations

import copy
from typing import Literal

from torch import nn

from inspector.i18n.catalog import N_
from inspector.init_study.activations import ActivationStats, activation_stats, probe_shape
from inspector.init_study.theory import AS_BUILT
from inspector.init_study.weights import TensorStats, WeightStats, tensor_stats, weight_stats
from inspector.shapes.memory import real_run_bytes
from inspector.ui.caches.models import meta_model, real_model
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models import NetworkConfig, init_weights
from models.init import DRAWN_SCHEMES


@spinner(N_("Counting the weights as built..."))
@shared(max_entries=8)
def as_built_weight_stats(cfg: NetworkConfig) -> WeightStats:
    """Weight statistics of the model as built (PyTorch's default init), groups' histograms only."""
    return weight_stats(real_model(cfg), "default", tensor_histograms=False)


@spinner(N_("Initializing a copy of the network..."))
@shared(max_entries=3)  # the 3 schemes
def initialized_model(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> nn.Module:
    """``init_weights(copy, scheme, gain, seed)`` of the shared model as built (which is not touched).
    Shared like it: never modify it; copy it first."""
    return init_weights(copy.deepcopy(real_model(cfg)), scheme, gain=gain, seed=seed)


@spinner(N_("Counting the initialized weights..."))
@shared(max_entries=16)
def init_scheme_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> WeightStats:
    """Weight statistics after ``init_weights(copy, scheme, gain, seed)``, groups' histograms only."""
    return weight_stats(initialized_model(cfg, scheme, gain, seed), scheme, gain, tensor_histograms=False)


def init_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> dict[str, WeightStats]:
    """Weight statistics as built and after ``init_weights(scheme)``, each cached on its own."""
    return {AS_BUILT: as_built_weight_stats(cfg), scheme: init_scheme_weight_stats(cfg, scheme, gain, seed)}


@shared(max_entries=64)
def layer_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int, name: str) -> TensorStats:
    """One parameter's statistics with its own histogram: as built (``scheme`` AS_BUILT) or after
    ``scheme``."""
    if scheme == AS_BUILT:
        return tensor_stats(real_model(cfg), name, "default")
    return tensor_stats(initialized_model(cfg, scheme, gain, seed), name, scheme, gain)


@shared(max_entries=32)
def probe_bytes(cfg: NetworkConfig, probe: tuple[int, ...]) -> int:
    """Memory the activation pass would need, up to the model's first error (``real_run_bytes``, a
    meta trace: cached, so reruns do not redo it)."""
    return real_run_bytes(meta_model(cfg), probe)


@spinner(N_("Pushing a small batch through the network..."))
@shared(max_entries=32)
def init_activation(
    cfg: NetworkConfig, mode: Literal["eval", "train"], scheme: str, gain: float, seed: int
) -> ActivationStats:
    """Each layer's output std for a (1, C, S, S) N(0, 1) probe, as built (``scheme`` AS_BUILT:
    call it with gain 0 so that every gain shares it) or after one scheme."""
    probe = probe_shape(cfg, batch=1)
    if scheme == AS_BUILT:
        return activation_stats(real_model(cfg), probe, mode, seed)
    # activation_stats runs on its own copy (hooks, train-mode BatchNorm): the shared one is not touched
    stats = activation_stats(initialized_model(cfg, scheme, gain, seed), probe, mode, seed)
    return ActivationStats(scheme, stats.mode, stats.input_shape, stats.rows)


def init_activations(
    cfg: NetworkConfig, mode: Literal["eval", "train"], gain: float, seed: int
) -> dict[str, ActivationStats]:
    """Each layer's output std at init for a (1, C, S, S) N(0, 1) probe, as built and under each scheme."""
    out = {AS_BUILT: init_activation(cfg, mode, AS_BUILT, 0.0, seed)}
    for scheme in DRAWN_SCHEMES:
        out[scheme] = init_activation(cfg, mode, scheme, gain, seed)
    return out

"""Every cached function of the app, in one place. Keys are frozen dataclasses (hashable).

``st.cache_resource`` holds objects shared by all sessions (models: never modify one in place,
copy it first); ``st.cache_data`` holds values each caller gets a copy of (summaries, traces,
images). Everything the doctor and the tracer compute runs on the meta device, so a rerun with
the same settings computes nothing and a new setting costs milliseconds.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import io
import os
import threading
from collections.abc import Callable
from typing import Literal, ParamSpec, TypeVar

import numpy as np
import streamlit as st
import torch
from PIL import Image
from torch import nn

from inspector.colour.lab_view import LabView, lab_view
from inspector.conv.animation import ConvAnimation, ConvSettings, conv_animation
from inspector.conv.overlap import Checkerboard, checkerboard
from inspector.conv.receptive_field import ReceptiveField, receptive_field, sample_photo
from inspector.conv.render import gif_bytes, png_bytes, render_frame
from inspector.data.image_set import SAMPLE_FILES, lab_batch, sample_images
from inspector.data.images import load_square
from inspector.doctor.diagnose import diagnose
from inspector.doctor.pytorch_run import pytorch_error
from inspector.doctor.report import Diagnosis
from inspector.doctor.repr_parser import parse_model_repr
from inspector.errors import UserError
from inspector.i18n.catalog import N_, translator
from inspector.init_study.activations import ActivationStats, activation_stats, probe_shape
from inspector.init_study.theory import AS_BUILT
from inspector.init_study.weights import TensorStats, WeightStats, tensor_stats, weight_stats
from inspector.inside.features import FeatureMaps, feature_maps
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
from inspector.inside.tap import lab_rgb
from inspector.inside.verdict import PatchVerdict, patch_verdict
from inspector.shapes.dot_graph import render as render_diagram
from inspector.shapes.edit_layers import with_channels
from inspector.shapes.loader import load_model
from inspector.shapes.memory import real_run_bytes
from inspector.shapes.summary import BlockParams, Summary, block_params, summary
from inspector.training.colorize import load_generator
from inspector.ui import i18n
from inspector.ui.background import TrainingRunner, get_runner
from models import DiscriminatorConfig, GeneratorConfig, NetworkConfig, Plan, build, init_weights
from models.text import message_of

Changes = tuple[tuple[str, int, int], ...]  # (layer name, in, out): hashable channel edits
P = ParamSpec("P")
R = TypeVar("R")
_spinning = threading.local()  # set while a spinner of this module is up, in this script thread


def spinner(message: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Show ``message`` in the session's language while the cached function computes.

    A cache's own ``show_spinner="..."`` is fixed at import, in no one's language; so the caches
    here say ``show_spinner=False`` and this wrapper, outside the cache, opens ``st.spinner``.
    Streamlit draws a spinner only after 0.5 s, so a cache hit shows none. Inside a spinner (a
    cached function that calls another) no second one opens: the outer one says what is going
    on, and no element is drawn inside a cached function (the cache would replay it).
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if getattr(_spinning, "on", False):
                return fn(*args, **kwargs)
            _spinning.on = True
            try:
                with st.spinner(i18n._(message)):
                    return fn(*args, **kwargs)
            finally:
                _spinning.on = False

        return call

    return wrap


# --- models ------------------------------------------------------------------------------------


@spinner(N_("Building the model..."))
@st.cache_resource(max_entries=6, show_spinner=False)
def real_model(cfg: NetworkConfig) -> nn.Module:
    """The network with real weights (PyTorch's default init). Shared by all sessions: never
    modify it in place; copy it first (``copy.deepcopy``)."""
    return build(cfg)


@st.cache_resource(max_entries=32, show_spinner=False)
def meta_model(cfg: NetworkConfig) -> nn.Module:
    """The network on the ``meta`` device: shapes and parameter counts, no memory."""
    return build(cfg, device="meta")


@st.cache_data(max_entries=64, show_spinner=False)
def model_summary(cfg: NetworkConfig, batch: int = 1, depth: int = 4) -> Summary:
    """torchinfo summary at (batch, in_channels, size, size). Raises RuntimeError if the model cannot run."""
    size = cfg.input_size
    return summary(meta_model(cfg), (batch, cfg.in_channels, size, size), depth=depth)


@st.cache_data(max_entries=64, show_spinner=False)
def model_blocks(cfg: NetworkConfig) -> list[BlockParams]:
    return block_params(meta_model(cfg))


# --- the doctor and the tracer (Skip connections, Mismatch doctor) ------------------------------


def _generator(cfg: GeneratorConfig, plan: Plan | None) -> nn.Module:
    return meta_model(cfg) if plan is None else build(cfg, plan=plan, device="meta")


def _discriminator(cfg: DiscriminatorConfig, changes: Changes) -> nn.Module:
    model = meta_model(cfg)
    return with_channels(model, {n: (i, o) for n, i, o in changes}) if changes else model


@spinner(N_("Tracing on the meta device..."))
@st.cache_data(max_entries=64, show_spinner=False)
def generator_diagnosis(cfg: GeneratorConfig, size: int, plan: Plan | None = None) -> Diagnosis:
    """The doctor's pass over the generator at 1 x in_channels x size x size."""
    return diagnose(_generator(cfg, plan), (1, cfg.in_channels, size, size))


@spinner(N_("Tracing on the meta device..."))
@st.cache_data(max_entries=64, show_spinner=False)
def discriminator_diagnosis(
    cfg: DiscriminatorConfig, channels: int, size: int, changes: Changes = ()
) -> Diagnosis:
    """The doctor's pass over the discriminator at 1 x channels x size x size."""
    return diagnose(_discriminator(cfg, changes), (1, channels, size, size))


@spinner(N_("Running it in PyTorch for its own message..."))
@st.cache_data(max_entries=32, show_spinner=False)
def pytorch_message(
    cfg: NetworkConfig, channels: int, size: int, plan: Plan | None = None, changes: Changes = ()
) -> tuple[str | None, str | None]:
    """(PyTorch's own error for the same model on CPU or None if it runs, why it was not run or None).

    A refusal is an answer too, cached like one: a model too big to run is not re-measured on
    every rerun of the page.
    """
    model = _generator(cfg, plan) if isinstance(cfg, GeneratorConfig) else _discriminator(cfg, changes)
    try:
        return pytorch_error(model, (1, channels, size, size)), None
    except UserError as exc:
        return None, message_of(exc)


# --- weight init ---------------------------------------------------------------------------------


# Each piece is cached on what it depends on, never more: the weights as built on the config alone
# (one pass over the 54M weights of the notebook's generator for every scheme, gain and seed);
# an init's copy, its weights and each init's activation pass on (config, scheme, gain, seed), so a
# changed widget recomputes only the one piece it changes. A first visit counts the groups only
# (each layer's own histogram is one tensor's work, done when the learner picks that layer).


@spinner(N_("Counting the weights as built..."))
@st.cache_data(max_entries=8, show_spinner=False)
def as_built_weight_stats(cfg: NetworkConfig) -> WeightStats:
    """Weight statistics of the model as built (PyTorch's default init), groups' histograms only."""
    return weight_stats(real_model(cfg), "default", tensor_histograms=False)


@spinner(N_("Initializing a copy of the network..."))
@st.cache_resource(max_entries=3, show_spinner=False)  # the 3 schemes
def initialized_model(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> nn.Module:
    """``init_weights(copy, scheme, gain, seed)`` of the shared model as built (which is not touched).
    Shared like it: never modify it; copy it first."""
    return init_weights(copy.deepcopy(real_model(cfg)), scheme, gain=gain, seed=seed)


@spinner(N_("Counting the initialized weights..."))
@st.cache_data(max_entries=16, show_spinner=False)
def init_scheme_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> WeightStats:
    """Weight statistics after ``init_weights(copy, scheme, gain, seed)``, groups' histograms only."""
    return weight_stats(initialized_model(cfg, scheme, gain, seed), scheme, gain, tensor_histograms=False)


def init_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int) -> dict[str, WeightStats]:
    """Weight statistics as built and after ``init_weights(scheme)``, each cached on its own."""
    return {AS_BUILT: as_built_weight_stats(cfg), scheme: init_scheme_weight_stats(cfg, scheme, gain, seed)}


@st.cache_data(max_entries=64, show_spinner=False)
def layer_weight_stats(cfg: NetworkConfig, scheme: str, gain: float, seed: int, name: str) -> TensorStats:
    """One parameter's statistics with its own histogram: as built (``scheme`` AS_BUILT) or after
    ``scheme``."""
    if scheme == AS_BUILT:
        return tensor_stats(real_model(cfg), name, "default")
    return tensor_stats(initialized_model(cfg, scheme, gain, seed), name, scheme, gain)


@st.cache_data(max_entries=32, show_spinner=False)
def probe_bytes(cfg: NetworkConfig, probe: tuple[int, ...]) -> int:
    """Memory the activation pass would need (a meta trace: cached, so reruns do not redo it)."""
    try:
        return real_run_bytes(meta_model(cfg), probe)
    except Exception:  # the forward pass itself reports a model that cannot run
        return 0


ACTIVATION_SCHEMES = ("normal", "xavier", "kaiming")


@spinner(N_("Pushing a small batch through the network..."))
@st.cache_data(max_entries=32, show_spinner=False)
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
    for scheme in ACTIVATION_SCHEMES:
        out[scheme] = init_activation(cfg, mode, scheme, gain, seed)
    return out


# --- conv vs conv-transpose ----------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def animation(settings: ConvSettings, seed: int) -> ConvAnimation:
    """The frames of one conv; raises ValueError for settings PyTorch refuses (not cached)."""
    s = settings
    return conv_animation(
        s.in_size, s.kernel, s.stride, s.padding, s.dilation, s.output_padding, s.transposed, seed
    )


@st.cache_data(max_entries=512, show_spinner=False)
def frame_png(settings: ConvSettings, seed: int, view: str, index: int, lang: str = "en") -> bytes:
    return png_bytes(render_frame(animation(settings, seed), index, view, tr=translator(lang)))


@st.cache_data(max_entries=16, show_spinner=False)  # the page shows its own, translated spinner
def animation_gif(settings: ConvSettings, seed: int, view: str, lang: str = "en") -> bytes:
    return gif_bytes(animation(settings, seed), view, tr=translator(lang))


# --- receptive field -----------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def discriminator_field(cfg: DiscriminatorConfig) -> ReceptiveField:
    return receptive_field(cfg)


@spinner(N_("Loading the sample photo..."))
@st.cache_data(max_entries=4, show_spinner=False)
def astronaut(size: int) -> np.ndarray:
    """scikit-image's astronaut photo, (size, size, 3) uint8."""
    return sample_photo(size)


# --- Lab colour ----------------------------------------------------------------------------------

LAB_SIZE = 256  # the notebook's training size


@st.cache_data(max_entries=len(SAMPLE_FILES), show_spinner=False)
def lab_sample(name: str) -> np.ndarray:
    """A scikit-image sample photo, LAB_SIZE x LAB_SIZE, as a (3, S, S) uint8 array."""
    photos = sample_images(LAB_SIZE)
    return photos.images[photos.names.index(name)].numpy()


@spinner(N_("Decoding the image..."))
@st.cache_data(max_entries=8, show_spinner=False)
def lab_upload(data: bytes, name: str) -> np.ndarray:
    """An uploaded file, decoded safely (see inspector.data.images). Raises UserError, which is not cached."""
    return load_square(data, name, LAB_SIZE).numpy()


@st.cache_resource(max_entries=16, show_spinner=False)
def photo_lab_view(key: str, _pixels: np.ndarray) -> LabView:
    """``lab_view`` of a (3, S, S) uint8 photo, once per photo: ``key`` names it (a sample's name or
    an upload's SHA-256); the pixels are not hashed again on every rerun. Frozen, shared: read only."""
    return lab_view(torch.from_numpy(_pixels))


# --- see inside (Feature maps, Dropout & BatchNorm, the GAN game) --------------------------------
# Models are shared by every session (cache_resource) and the inside functions leave their modes,
# buffers and the random state as they found them. Their results are cache_resource too: frozen
# and never modified, and a feature-map set is tens of MB that cache_data would copy every rerun.
# A photo is keyed by its source ("sample:<name>" or the upload's SHA-256) and size (``photo_key``);
# its pixels travel unhashed (``_rgb``).


@spinner(N_("Building the untrained networks (N(0, 0.02))..."))
@st.cache_resource(max_entries=4, show_spinner=False)
def untrained_model(cfg: NetworkConfig) -> nn.Module:
    """The network as the notebook starts training it: ``init_weights`` N(0, 0.02), seed 0, eval mode."""
    return init_weights(build(cfg), seed=0).eval()


@spinner(N_("Loading the checkpoint..."))
@st.cache_resource(max_entries=2, show_spinner=False)
def checkpoint_models(
    key: str, _source: bytes | str, name: str, g_cfg: GeneratorConfig | None = None
) -> tuple[nn.Module, nn.Module | None, int]:
    """(generator, discriminator or None, step) of a checkpoint; ``key`` names it (a path and its
    mtime, or an upload's SHA-256). Raises UserError (not cached) for a file that cannot be used."""
    generator, ckpt = load_generator(_source, name=name, generator_config=g_cfg)
    d = None
    if ckpt.discriminator and ckpt.discriminator_config is not None:
        d = build(ckpt.discriminator_config)
        d.load_state_dict(ckpt.discriminator)
        d.eval()
    return generator, d, int(ckpt.step)


@spinner(N_("Decoding the photo..."))
@st.cache_data(max_entries=16, show_spinner=False)
def inside_photo(key: str, size: int, _data: bytes | None = None, name: str = "photo") -> np.ndarray:
    """(3, size, size) uint8 of a sample (``key`` "sample:<name>") or of uploaded ``_data`` (``key``
    its hash). Raises UserError for a file that is not a usable image (not cached)."""
    if key.startswith("sample:"):
        sample = key.removeprefix("sample:")
        resource = importlib.resources.files("skimage") / "data" / SAMPLE_FILES[sample]
        return load_square(resource.read_bytes(), sample, size).numpy()
    if _data is None:
        raise UserError("no photo was given")
    return load_square(_data, name, size).numpy()


def photo_lab(rgb: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, S, S) uint8 -> L (1, 1, S, S) and ab (1, 2, S, S), normalized as the notebook's dataset."""
    return lab_batch(torch.from_numpy(rgb)[None])


@spinner(N_("Running the photo through every block..."))
@st.cache_resource(max_entries=8, show_spinner=False)
def inside_features(
    model_key: tuple[object, ...], _model: nn.Module, photo_key: str, _rgb: np.ndarray
) -> FeatureMaps:
    """Every block's output and every cat's result for one photo (eval mode)."""
    L, _ = photo_lab(_rgb)
    return feature_maps(_model, L)


@spinner(N_("Drawing the feature maps..."))
@st.cache_data(max_entries=16, show_spinner=False)
def inside_feature_grid(
    model_key: tuple[object, ...],
    _model: nn.Module,
    photo_key: str,
    _rgb: np.ndarray,
    names: tuple[str, ...],
    n: int,
) -> bytes:
    """The PNG of the ``n`` strongest channels of the maps ``names``, one row each."""
    maps = inside_features(model_key, _model, photo_key, _rgb)
    return _png(feature_grid([maps[name] for name in names], n=n, tile=56))


@spinner(N_("Colorizing with and without the skip..."))
@st.cache_resource(max_entries=8, show_spinner=False)
def inside_ablation(
    model_key: tuple[object, ...], _model: nn.Module, photo_key: str, _rgb: np.ndarray, skip: str
) -> SkipAblation:
    L, _ = photo_lab(_rgb)
    return ablate_skip(_model, L, skip)


@spinner(N_("Asking the discriminator, patch by patch..."))
@st.cache_resource(max_entries=8, show_spinner=False)
def inside_verdicts(
    model_key: tuple[object, ...],
    _generator: nn.Module,
    _discriminator: nn.Module,
    photo_key: str,
    _rgb: np.ndarray,
) -> tuple[PatchVerdict, PatchVerdict, np.ndarray]:
    """(verdict on the real photo, verdict on G's colorization, that colorization (S, S, 3) uint8)."""
    L, ab = photo_lab(_rgb)
    with torch.no_grad():
        fake = _generator.eval()(L)
    return patch_verdict(_discriminator, L, ab), patch_verdict(_discriminator, L, fake), lab_rgb(L, fake)


@spinner(N_("Colorizing with Dropout on, several times..."))
@st.cache_resource(max_entries=8, show_spinner=False)
def inside_dropout(
    model_key: tuple[object, ...], _model: nn.Module, photo_key: str, _rgb: np.ndarray, n: int
) -> DropoutLens:
    L, _ = photo_lab(_rgb)
    return dropout_lens(_model, L, n=n)


@spinner(N_("Normalizing with batch and running statistics..."))
@st.cache_resource(max_entries=8, show_spinner=False)
def inside_batchnorm(
    model_key: tuple[object, ...], _model: nn.Module, size: int, batch: int
) -> BatchNormLens:
    """BatchNorm on a batch of ``batch`` sample photos (train statistics) vs its running statistics.

    A discriminator (3 input channels) gets the real pairs cat(L, ab); a generator gets L.
    """
    L, ab = lab_batch(sample_images(size).images[:batch])
    first = next(m for m in _model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d))
    x = torch.cat((L, ab), dim=1) if first.in_channels == 3 else L
    return batchnorm_lens(_model, x)


@st.cache_data(max_entries=4, show_spinner=False)
def norm_equivalence(affine: bool) -> NormEquivalence:
    return batchnorm_vs_instancenorm(affine=affine)


@st.cache_data(max_entries=4, show_spinner=False)
def game_batch(size: int, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The GAN game's fixed batch: the first ``batch`` sample photos at ``size``, as (L, ab)."""
    return lab_batch(sample_images(size).images[:batch])


# --- conv: the checkerboard -------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def flat_response(kernel: int, stride: int, padding: int, in_size: int) -> Checkerboard:
    """Two untrained decoders of two steps on a flat input (see ``inspector.conv.overlap``)."""
    return checkerboard(kernel, stride, padding, in_size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- slides and the training slot ----------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def diagram_file(source: str, fmt: str) -> bytes:
    """A DOT source drawn by graphviz as ``fmt`` (svg, pdf, png): cached on the text itself."""
    return render_diagram(source, fmt)


@st.cache_resource(show_spinner=False)
def shared_runner() -> TrainingRunner:
    """The server's training slot. Held by Streamlit's resource cache as well, so that it survives the
    module reloads Streamlit does when a source file changes (a reload would otherwise lose a run)."""
    return get_runner()


@st.cache_data(max_entries=16, show_spinner=False)
def pasted_diagnosis(text: str, shape: tuple[int, ...]) -> tuple[Diagnosis | None, str, str]:
    """The doctor on a pasted ``print(model)``: (diagnosis, why it cannot be rebuilt, why it cannot be
    checked), cached on the text itself so that a rerun neither parses nor traces it again."""
    try:
        model = parse_model_repr(text)
    except UserError as exc:
        return None, message_of(exc), ""
    try:
        return diagnose(model, shape), "", ""
    except UserError as exc:
        return None, "", message_of(exc)


FileStamp = tuple[int, int]  # (mtime in ns, size in bytes) of a model file


def file_stamp(path: str) -> FileStamp:
    """What tells an edited file from the one diagnosed before: its mtime and its size."""
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


@st.cache_data(max_entries=16, show_spinner=False)
def file_diagnosis(
    spec: str, stamp: FileStamp, shape: tuple[int, ...], mode: Literal["train", "eval"]
) -> tuple[Diagnosis | None, str]:
    """The doctor on a model of the ``--models`` folder, ``path/file.py:NAME``: (diagnosis, why it
    cannot be loaded or checked). Cached on the path, the file's ``stamp`` (so an edited file is
    imported again), the input shape and the mode, so a rerun neither imports nor traces it."""
    try:
        model = load_model(spec)
        model.train(mode == "train")
        return diagnose(model, shape), ""
    except UserError as exc:
        return None, message_of(exc)

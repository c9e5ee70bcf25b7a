"""pix2pix-inspector: pure logic that returns data (dataclasses, arrays, figures); never imports streamlit.

Packages by concept: ``shapes`` (trace, summary, input sizes, U diagram), ``doctor`` (mismatch
diagnosis), ``init_study`` (weight and activation statistics), ``conv`` (conv arithmetic, receptive
field), ``colour`` (Lab), ``data`` (images, archives, image sets), ``training`` (trainer, run files,
checkpoints, colorize), ``commands`` (the CLI), ``ui`` (the Streamlit app) and ``notebook`` (every result's
view in Jupyter, through ``display.RichDisplay``, and training in a cell: ``train``).

The public API below is loaded lazily: ``import inspector`` costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # shapes
    "meta_copy": "inspector.shapes.meta",
    "BlockRecord": "inspector.shapes.records",
    "ConcatRecord": "inspector.shapes.records",
    "LayerRecord": "inspector.shapes.records",
    "TensorRef": "inspector.shapes.records",
    "Trace": "inspector.shapes.records",
    "trace": "inspector.shapes.trace",
    "describe_layer": "inspector.shapes.labels",
    "fmt_shape": "inspector.shapes.labels",
    "top_level_blocks": "inspector.shapes.blocks",
    "BlockParams": "inspector.shapes.summary",
    "Summary": "inspector.shapes.summary",
    "SummaryRow": "inspector.shapes.summary",
    "block_params": "inspector.shapes.summary",
    "summary": "inspector.shapes.summary",
    "InputSizes": "inspector.shapes.input_sizes",
    "Comparison": "inspector.shapes.compare",
    "SideSizes": "inspector.shapes.input_sizes",
    "valid_input_sizes": "inspector.shapes.input_sizes",
    "Difference": "inspector.shapes.compare",
    "compare_to_reference": "inspector.shapes.compare",
    "DiagramStyle": "inspector.shapes.dot_graph",
    "diagram_dot": "inspector.shapes.diagram",
    # text in two languages
    "translator": "inspector.i18n.catalog",
    "set_language": "inspector.i18n.reader",
    "get_language": "inspector.i18n.reader",
    # doctor
    "Diagnosis": "inspector.doctor.report",
    "Problem": "inspector.doctor.report",
    "diagnose": "inspector.doctor.diagnose",
    "Change": "inspector.doctor.changes",
    "parse_model_repr": "inspector.doctor.repr_parser",
    # init study
    "ActivationComparison": "inspector.init_study.activations",
    "ActivationStats": "inspector.init_study.activations",
    "InitComparison": "inspector.init_study.weights",
    "Theory": "inspector.init_study.theory",
    "WeightStats": "inspector.init_study.weights",
    "activation_comparison": "inspector.init_study.activations",
    "activation_stats": "inspector.init_study.activations",
    "init_comparison": "inspector.init_study.weights",
    "weight_stats": "inspector.init_study.weights",
    # conv
    "ConvAnimation": "inspector.conv.animation",
    "ConvSettings": "inspector.conv.animation",
    "conv_animation": "inspector.conv.animation",
    "save_gif": "inspector.conv.frame_files",
    "ReceptiveField": "inspector.conv.receptive_field",
    "receptive_field": "inspector.conv.receptive_field",
    "Checkerboard": "inspector.conv.overlap",
    "FlatResponse": "inspector.conv.overlap",
    "checkerboard": "inspector.conv.overlap",
    "overlap_map": "inspector.conv.overlap",
    "OverlapMap": "inspector.conv.overlap",
    # colour
    "denormalize_lab": "inspector.colour.lab",
    "lab_to_rgb": "inspector.colour.lab",
    "normalize_lab": "inspector.colour.lab",
    "rgb_to_lab": "inspector.colour.lab",
    "rgb_to_uint8": "inspector.colour.lab",
    # data
    "ImageSet": "inspector.data.image_set",
    "SkippedFile": "inspector.data.image_set",
    "load_folder": "inspector.data.image_set",
    "load_uploads": "inspector.data.image_set",
    "sample_images": "inspector.data.image_set",
    # inside: a real forward pass, looked into
    "CatPart": "inspector.inside.tap",
    "FeatureMap": "inspector.inside.features",
    "FeatureMaps": "inspector.inside.features",
    "feature_maps": "inspector.inside.features",
    "SkipAblation": "inspector.inside.skips",
    "ablate_skip": "inspector.inside.skips",
    "ablate_skips": "inspector.inside.skips",
    "available_skips": "inspector.inside.skips",
    "PatchVerdict": "inspector.inside.verdict",
    "patch_verdict": "inspector.inside.verdict",
    "BatchNormLens": "inspector.inside.lens",
    "DropoutLens": "inspector.inside.lens",
    "NormEquivalence": "inspector.inside.lens",
    "NormStats": "inspector.inside.lens",
    "batchnorm_lens": "inspector.inside.lens",
    "batchnorm_vs_instancenorm": "inspector.inside.lens",
    "dropout_lens": "inspector.inside.lens",
    "GanGame": "inspector.inside.gan_game",
    "MoveRecord": "inspector.inside.gan_game",
    "tiny_configs": "inspector.inside.gan_game",
    # training
    "Sample": "inspector.training.reports",
    "StepMetrics": "inspector.training.reports",
    "TrainConfig": "inspector.training.config",
    "TrainResult": "inspector.training.reports",
    "Trainer": "inspector.training.trainer",
    "RunChoices": "inspector.training.plan",
    "RunPlan": "inspector.training.plan",
    "plan_run": "inspector.training.plan",
    "RunFiles": "inspector.training.run_files",
    "RunInfo": "inspector.training.runs",
    "RunsFolder": "inspector.training.runs",
    "default_runs_dir": "inspector.training.runs",
    "checkpoint_upload_limit_bytes": "inspector.training.upload_limits",
    "seed_for": "inspector.training.seeds",
    "Checkpoint": "inspector.training.checkpoint",
    "load_checkpoint": "inspector.training.checkpoint",
    "save_checkpoint": "inspector.training.checkpoint",
    "save_generator_export": "inspector.training.checkpoint",
    "max_checkpoint_bytes": "inspector.training.checkpoint_size",
    "Colorized": "inspector.training.colorize",
    "colorize": "inspector.training.colorize",
    "load_generator": "inspector.training.colorize",
    "pick_device": "inspector.training.device",
    "train": "inspector.notebook.training",
    # checkpoints from anywhere
    "Identification": "inspector.checkpoints.identify",
    "identify": "inspector.checkpoints.identify",
    "CheckpointComparison": "inspector.checkpoints.compare",
    "compare_checkpoints": "inspector.checkpoints.compare",
    "pretrained_path": "inspector.pretrained",
    # errors
    "UserError": "inspector.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the module behind a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inspector' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the type checker and editors see the real names
    from inspector.checkpoints.compare import CheckpointComparison, compare_checkpoints
    from inspector.checkpoints.identify import Identification, identify
    from inspector.colour.lab import denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_lab, rgb_to_uint8
    from inspector.conv.animation import ConvAnimation, ConvSettings, conv_animation
    from inspector.conv.frame_files import save_gif
    from inspector.conv.overlap import Checkerboard, FlatResponse, OverlapMap, checkerboard, overlap_map
    from inspector.conv.receptive_field import ReceptiveField, receptive_field
    from inspector.data.image_set import ImageSet, SkippedFile, load_folder, load_uploads, sample_images
    from inspector.doctor.changes import Change
    from inspector.doctor.diagnose import diagnose
    from inspector.doctor.report import Diagnosis, Problem
    from inspector.doctor.repr_parser import parse_model_repr
    from inspector.errors import UserError
    from inspector.i18n.catalog import translator
    from inspector.i18n.reader import get_language, set_language
    from inspector.init_study.activations import (
        ActivationComparison,
        ActivationStats,
        activation_comparison,
        activation_stats,
    )
    from inspector.init_study.theory import Theory
    from inspector.init_study.weights import InitComparison, WeightStats, init_comparison, weight_stats
    from inspector.inside.features import FeatureMap, FeatureMaps, feature_maps
    from inspector.inside.gan_game import GanGame, MoveRecord, tiny_configs
    from inspector.inside.lens import (
        BatchNormLens,
        DropoutLens,
        NormEquivalence,
        NormStats,
        batchnorm_lens,
        batchnorm_vs_instancenorm,
        dropout_lens,
    )
    from inspector.inside.skips import SkipAblation, ablate_skip, ablate_skips, available_skips
    from inspector.inside.tap import CatPart
    from inspector.inside.verdict import PatchVerdict, patch_verdict
    from inspector.notebook.training import train
    from inspector.pretrained import pretrained_path
    from inspector.shapes.blocks import top_level_blocks
    from inspector.shapes.compare import Comparison, Difference, compare_to_reference
    from inspector.shapes.diagram import diagram_dot
    from inspector.shapes.dot_graph import DiagramStyle
    from inspector.shapes.input_sizes import InputSizes, SideSizes, valid_input_sizes
    from inspector.shapes.labels import describe_layer, fmt_shape
    from inspector.shapes.meta import meta_copy
    from inspector.shapes.records import BlockRecord, ConcatRecord, LayerRecord, TensorRef, Trace
    from inspector.shapes.summary import BlockParams, Summary, SummaryRow, block_params, summary
    from inspector.shapes.trace import trace
    from inspector.training.checkpoint import (
        Checkpoint,
        load_checkpoint,
        save_checkpoint,
        save_generator_export,
    )
    from inspector.training.checkpoint_size import max_checkpoint_bytes
    from inspector.training.colorize import Colorized, colorize, load_generator
    from inspector.training.config import TrainConfig
    from inspector.training.device import pick_device
    from inspector.training.plan import RunChoices, RunPlan, plan_run
    from inspector.training.reports import Sample, StepMetrics, TrainResult
    from inspector.training.run_files import RunFiles
    from inspector.training.runs import RunInfo, RunsFolder, default_runs_dir
    from inspector.training.seeds import seed_for
    from inspector.training.trainer import Trainer
    from inspector.training.upload_limits import checkpoint_upload_limit_bytes

"""pix2pix-inspector: pure logic that returns data (dataclasses, arrays, figures).

Nothing here imports streamlit; ``inspector.ui`` renders what these functions return.
"""

from inspector.compare import Difference, compare_to_reference
from inspector.errors import UserError
from inspector.meta import meta_copy
from inspector.summary import BlockParams, Summary, SummaryRow, block_params, summary

__all__ = [
    "BlockParams",
    "Difference",
    "Summary",
    "SummaryRow",
    "UserError",
    "block_params",
    "compare_to_reference",
    "meta_copy",
    "summary",
]

# --- shapes, skips and the mismatch doctor (trace.py, diagnose.py) ---
from inspector.diagnose import Diagnosis, Problem, diagnose
from inspector.input_sizes import InputSizes, valid_input_sizes
from inspector.trace import BlockRecord, ConcatRecord, LayerRecord, TensorRef, Trace, trace

__all__ = [
    *__all__,
    "BlockRecord",
    "ConcatRecord",
    "Diagnosis",
    "InputSizes",
    "LayerRecord",
    "Problem",
    "TensorRef",
    "Trace",
    "diagnose",
    "trace",
    "valid_input_sizes",
]

# --- weights, conv animation, receptive field ---
from inspector.conv_anim import ConvAnimation, ConvSettings, conv_animation
from inspector.conv_render import save_gif
from inspector.receptive_field import ReceptiveField, receptive_field
from inspector.weights import (
    ActivationStats,
    Theory,
    WeightStats,
    activation_comparison,
    activation_stats,
    init_comparison,
    weight_stats,
)

__all__ = [  # an assignment, not +=: ruff E402 then still sees the imports below as at the top
    *__all__,
    "ActivationStats",
    "ConvAnimation",
    "ConvSettings",
    "ReceptiveField",
    "Theory",
    "WeightStats",
    "activation_comparison",
    "activation_stats",
    "conv_animation",
    "init_comparison",
    "receptive_field",
    "save_gif",
    "weight_stats",
]

# --- Lab colour and data sets ---
from inspector.data import ImageSet, SkippedFile, load_folder, load_uploads, sample_images
from inspector.lab import denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_lab

__all__ += [
    "ImageSet",
    "SkippedFile",
    "denormalize_lab",
    "lab_to_rgb",
    "load_folder",
    "load_uploads",
    "normalize_lab",
    "rgb_to_lab",
    "sample_images",
]

# --- training, checkpoints, colorize ---
from inspector.checkpoint import Checkpoint, load_checkpoint, save_checkpoint  # noqa: E402 (the `__all__ +=` above ends ruff's import block)
from inspector.colorize import Colorized, colorize, load_generator  # noqa: E402 (the `__all__ +=` above ends ruff's import block)
from inspector.device import pick_device  # noqa: E402 (the `__all__ +=` above ends ruff's import block)
from inspector.train import Sample, StepMetrics, TrainConfig, Trainer, TrainResult  # noqa: E402 (the `__all__ +=` above ends ruff's import block)

__all__ = [
    *__all__,
    "Checkpoint",
    "Colorized",
    "Sample",
    "StepMetrics",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "colorize",
    "load_checkpoint",
    "load_generator",
    "pick_device",
    "save_checkpoint",
]

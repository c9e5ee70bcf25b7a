"""pix2pix-inspector: pure logic that returns data (dataclasses, arrays, figures).

Nothing here imports streamlit; ``inspector.ui`` renders what these functions return.
Areas: shapes and summaries (``summary``, ``trace``, ``diagnose``, ``valid_input_sizes``),
weights and convolution arithmetic (``weight_stats``, ``conv_animation``, ``receptive_field``),
Lab colour and data (``rgb_to_lab``, ``sample_images``), training (``Trainer``, ``colorize``).
"""

from inspector.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from inspector.colorize import Colorized, colorize, load_generator
from inspector.compare import Difference, compare_to_reference
from inspector.conv_anim import ConvAnimation, ConvSettings, conv_animation
from inspector.conv_render import save_gif
from inspector.data import ImageSet, SkippedFile, load_folder, load_uploads, sample_images
from inspector.device import pick_device
from inspector.diagnose import Diagnosis, Problem, diagnose
from inspector.errors import UserError
from inspector.input_sizes import InputSizes, valid_input_sizes
from inspector.lab import denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_lab
from inspector.meta import meta_copy
from inspector.receptive_field import ReceptiveField, receptive_field
from inspector.summary import BlockParams, Summary, SummaryRow, block_params, summary
from inspector.trace import BlockRecord, ConcatRecord, LayerRecord, TensorRef, Trace, trace
from inspector.train import Sample, StepMetrics, TrainConfig, Trainer, TrainResult
from inspector.weights import (
    ActivationStats,
    Theory,
    WeightStats,
    activation_comparison,
    activation_stats,
    init_comparison,
    weight_stats,
)

__all__ = [
    "ActivationStats",
    "BlockParams",
    "BlockRecord",
    "Checkpoint",
    "Colorized",
    "ConcatRecord",
    "ConvAnimation",
    "ConvSettings",
    "Diagnosis",
    "Difference",
    "ImageSet",
    "InputSizes",
    "LayerRecord",
    "Problem",
    "ReceptiveField",
    "Sample",
    "SkippedFile",
    "StepMetrics",
    "Summary",
    "SummaryRow",
    "TensorRef",
    "Theory",
    "Trace",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "UserError",
    "WeightStats",
    "activation_comparison",
    "activation_stats",
    "block_params",
    "colorize",
    "compare_to_reference",
    "conv_animation",
    "denormalize_lab",
    "diagnose",
    "init_comparison",
    "lab_to_rgb",
    "load_checkpoint",
    "load_folder",
    "load_generator",
    "load_uploads",
    "meta_copy",
    "normalize_lab",
    "pick_device",
    "receptive_field",
    "rgb_to_lab",
    "sample_images",
    "save_checkpoint",
    "save_gif",
    "summary",
    "trace",
    "valid_input_sizes",
    "weight_stats",
]

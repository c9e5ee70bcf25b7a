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

# --- weights, conv animation, receptive field ---

# --- Lab colour and data sets ---

# --- training, checkpoints, colorize ---

"""The app's size limits, derived from the largest checkpoint it can write.

A server that lets users train must accept back every file it offers for download. The app lets
users train the presets' models (the notebook's 256x256 U-Net of ngf 64, depth 8, and the
reference pix2pix) and anything smaller; its checkpoints are at most
:func:`largest_app_checkpoint_bytes` (``checkpoint_size.max_checkpoint_bytes``, 654 MiB for those
models with Adam's state). From that figure:

- :func:`checkpoint_upload_limit_bytes`: what the Colorize page accepts (that figure and a margin);
  a larger upload gets our own sentence, naming both sizes;
- :func:`server_upload_limit_mb`: ``server.maxUploadSize`` in ``.streamlit/config.toml`` (a test
  keeps the two equal), a little above the page's own limit so that a file just over it still
  reaches the page and gets our message instead of Streamlit's;
- :func:`check_app_trainable`: the Train page refuses a model whose checkpoint would be larger
  (a sidebar with ngf 128 would write files the app could not take back).
"""

from __future__ import annotations

import functools
import math

from inspector.errors import UserError
from inspector.training.checkpoint_size import max_checkpoint_bytes
from models import DiscriminatorConfig, GeneratorConfig, list_presets, preset
from models.text import Text

MiB = 1024 * 1024
MARGIN = 0.02  # 2 %: header digits and metadata beyond the size function's allowance
SERVER_SLACK_MB = 32  # the server takes this much more than the page, so the page can refuse in words
MAX_PHOTO_MB = 20  # one photo to colorize: far above any camera JPEG


@functools.cache
def largest_app_checkpoint_bytes() -> int:
    """The largest full checkpoint the app can write: the biggest preset's models, in bytes."""
    return max(max_checkpoint_bytes(*preset(name)) for name in list_presets())


def checkpoint_upload_limit_bytes() -> int:
    """What the Colorize page accepts: the largest checkpoint plus :data:`MARGIN`, in whole MiB."""
    return math.ceil(largest_app_checkpoint_bytes() * (1 + MARGIN) / MiB) * MiB


def server_upload_limit_mb() -> int:
    """``server.maxUploadSize`` (MB as Streamlit counts them, i.e. MiB): the page's limit plus slack."""
    return checkpoint_upload_limit_bytes() // MiB + SERVER_SLACK_MB


def check_app_trainable(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig) -> int:
    """The largest checkpoint these models write, in bytes; ``UserError`` when it is above what the
    app can accept back (then the app must not train them)."""
    size = max_checkpoint_bytes(g_cfg, d_cfg)
    if size > largest_app_checkpoint_bytes():
        raise UserError(
            Text(
                "these models would write checkpoints of up to {size} MiB, more than the {limit} MiB of the "
                "largest preset, which is the most this app trains (and accepts back); make ngf, ndf or the "
                "depth smaller, or train them with the CLI",
                size=f"{size / MiB:.0f}",
                limit=f"{largest_app_checkpoint_bytes() / MiB:.0f}",
            )
        )
    return size

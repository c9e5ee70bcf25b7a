"""Cached answers of the Checkpoints page: a file identified and proven, fitted to the sidebar's
architecture, exported, compared with another. A file is keyed by its source's key (a path and its
mtime, or an upload's SHA-256); its bytes travel unhashed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from inspector.checkpoints.compare import Comparison, compare
from inspector.checkpoints.export import export
from inspector.checkpoints.fit import Fit, fit
from inspector.checkpoints.identify import Identification, identify
from inspector.i18n.catalog import N_
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models import NetworkConfig


@spinner(N_("Identifying the checkpoint and proving it..."))
@shared(max_entries=4)
def identified(key: str, _data: bytes | str, name: str) -> Identification:
    """Every network of the file, each proven. Raises UserError (not cached) for a refused file."""
    return identify(_data, name)


@shared(max_entries=8)
def fitted(key: str, _found: Identification, chosen: tuple[NetworkConfig, ...]) -> dict[str, Fit]:
    """The file against the chosen configs (generator, discriminator)."""
    return fit(_found, {"generator": chosen[0], "discriminator": chosen[1]})


@spinner(N_("Writing this project's format..."))
@shared(max_entries=2)
def exported(key: str, _found: Identification) -> bytes:
    """The file in this project's format (safetensors with the configs), as bytes to download (read
    only: shared, not copied for each view)."""
    with tempfile.TemporaryDirectory() as folder:
        return export(_found, Path(folder) / "export.safetensors").read_bytes()


@spinner(N_("Comparing the two checkpoints..."))
@shared(max_entries=4)
def compared(
    key_a: str, key_b: str, _a: Identification, _b: Identification, photo_key: str, _rgb: np.ndarray
) -> dict[str, Comparison]:
    """Both files' shared networks compared; the generators on the photo ``photo_key``."""
    return compare(_a, _b, _rgb)

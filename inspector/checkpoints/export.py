"""A checkpoint from anywhere, written in this project's format: safetensors with the configs.

Every tensor is the file's own, value for value, under this project's key (a ``module.`` prefix
gone, the reference's nested names flattened; a half-precision file's values widened exactly to
float32). One exception, said in ``models.reference_layout``: a reference decoder's
ConvTranspose2d holds its input channels in the order of the reference's ``torch.cat([skip,
up])``, and is written with the two halves exchanged, in the order of this project's
``torch.cat((up, skip))``: the same numbers, and the same outputs.

Only proven networks are written. The header says where they came from (``source``: the family
and the file's name); the file is a start for a new run (``train --init-from``), for Colorize and
for the inside pages, not a run to resume: it has no optimizer state.
"""

from __future__ import annotations

from pathlib import Path

from inspector.checkpoints.identify import Identification, build_loaded
from inspector.errors import UserError
from inspector.training.checkpoint import save_generator_export
from models.text import Text


def export(found: Identification, out: str | Path, half: bool = False) -> Path:
    """Write ``found``'s proven networks to ``out`` (a file, or a folder that gets
    ``generator.safetensors``); returns the path written. ``UserError`` when a network is not proven."""
    unproven = [n for n in found.networks.values() if not n.proven or n.config is None]
    if unproven:
        why = unproven[0].problem or Text("not proven")
        raise UserError(Text("{name} cannot be exported: {why}", name=found.name, why=why))
    models = {p: build_loaded(n.config, n.state) for p, n in found.networks.items() if n.config is not None}
    source = {
        "file": found.name,
        "families": {p: n.family for p, n in found.networks.items()},
    }
    return save_generator_export(
        out,
        models.get("generator"),
        half=half,
        step=found.step,
        discriminator=models.get("discriminator"),
        source=source,
    )

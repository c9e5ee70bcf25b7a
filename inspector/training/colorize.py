"""Colorize a photo with a trained generator: the photo is made grey first (only its L is used).

The generator sees L at its training size (a square); its predicted ab is scaled back up to the
photo's own size and joined with the photo's full-resolution L, so the result keeps every detail
of the original and only the colour comes from the network (colour needs far less resolution
than lightness, which is also why JPEG stores it at half size).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from inspector.colour.lab import denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_lab, rgb_to_uint8
from inspector.data.images import DEFAULT_LIMITS, Limits, human_bytes, load_image
from inspector.display import RichDisplay
from inspector.errors import UserError
from inspector.files import write_file
from inspector.training.checkpoint import Checkpoint, load_checkpoint, restore_models
from inspector.training.device import pick_device
from inspector.training.run_bounds import check_run_memory, largest_side, model_side
from models import DiscriminatorConfig, GeneratorConfig
from models.text import Text

MAX_SIDE = 2048  # larger photos are scaled down first: memory, and no colour detail is gained


@dataclass(frozen=True)
class Colorized(RichDisplay):
    """The grey input the model saw, its colorization and the original, all (H, W, 3) uint8."""

    grey: np.ndarray
    colour: np.ndarray
    original: np.ndarray
    model_size: int  # the square side the generator ran at


def load_generator(
    source: str | Path | bytes,
    name: str | None = None,
    generator_config: GeneratorConfig | None = None,
    discriminator_config: DiscriminatorConfig | None = None,
    device: torch.device | None = None,
) -> tuple[nn.Module, Checkpoint]:
    """The generator of a checkpoint (run directory, file or uploaded bytes), in eval mode.

    Raises ``UserError`` for a file that is unsafe, non-finite or of another architecture.
    """
    generator, _, ckpt = load_networks(source, name, generator_config, discriminator_config, device)
    return generator, ckpt


def load_networks(
    source: str | Path | bytes,
    name: str | None = None,
    generator_config: GeneratorConfig | None = None,
    discriminator_config: DiscriminatorConfig | None = None,
    device: torch.device | None = None,
) -> tuple[nn.Module, nn.Module | None, Checkpoint]:
    """A checkpoint's generator and discriminator (None in a generator-only export), both in eval
    mode, and the checkpoint; checked as ``load_generator`` checks it."""
    ckpt = load_checkpoint(
        source, name=name, generator_config=generator_config, discriminator_config=discriminator_config
    )
    g = ckpt.generator_config
    check_l_to_ab(g)
    check_run_memory(g, largest_side(g))  # refused now, before any weights are built
    generator, discriminator = restore_models(ckpt, device or torch.device("cpu"))
    return generator.eval(), discriminator.eval() if discriminator is not None else None, ckpt


def check_l_to_ab(g_cfg: GeneratorConfig) -> None:
    """Refuse a generator that does not map L (1 channel) to ab (2 channels): it cannot colorize."""
    if (g_cfg.in_channels, g_cfg.out_channels) != (1, 2):
        raise UserError(
            Text(
                "colorization needs a generator from L (1 channel) to ab (2 channels); this one maps "
                "{channels_in} -> {channels_out} channels",
                channels_in=g_cfg.in_channels,
                channels_out=g_cfg.out_channels,
            )
        )


def _to_array(rgb: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    return rgb_to_uint8(rgb[0])


@torch.no_grad()
def colorize(generator: nn.Module, image: Image.Image, max_side: int = MAX_SIDE) -> Colorized:
    """Colorize an RGB (or grey) PIL image; any colour it has is discarded first."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    device = next(generator.parameters()).device
    cfg = getattr(generator, "config", None)
    if not isinstance(cfg, GeneratorConfig):
        raise TypeError("colorize needs a generator built by models.build_generator (it has a .config)")
    size = model_side(image.size, cfg)
    rgb = (
        torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)[None].float().div(255).to(device)
    )  # (1, 3, H, W)
    L, _ = normalize_lab(rgb_to_lab(rgb))  # (1, 1, H, W) in [-1, 1]: the grey photo
    L_small = F.interpolate(L, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    was_training = generator.training
    generator.eval()
    ab_small = generator(L_small.clamp(-1, 1)).float()  # (1, 2, size, size)
    generator.train(was_training)
    ab = F.interpolate(ab_small, size=L.shape[-2:], mode="bilinear", align_corners=False)  # (1, 2, H, W)
    colour = lab_to_rgb(denormalize_lab(L, ab))
    grey = lab_to_rgb(denormalize_lab(L, torch.zeros_like(ab)))
    return Colorized(_to_array(grey), _to_array(colour), _to_array(rgb), size)


def writable_image_path(path: Path) -> tuple[Path, str]:
    """``path`` with a suffix Pillow can write, and that format: an unknown suffix or none becomes
    ``.png`` (``photo.xyz`` -> ``photo.png``, ``photo`` -> ``photo.png``)."""
    image_format = Image.registered_extensions().get(path.suffix.lower())
    if image_format is None or image_format not in Image.SAVE:
        return path.with_suffix(".png"), "PNG"
    return path, image_format


def read_image_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of an image file, refused before reading when it is not a regular file or too big."""
    path = Path(path)
    if not path.exists():
        raise UserError(Text("{path} does not exist", path=str(path)))
    if not path.is_file():
        raise UserError(Text("{path} is not a regular file (a folder, a device or a pipe)", path=str(path)))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise UserError(
            Text(
                "{path} is {size}, over the limit of {limit}",
                path=str(path),
                size=human_bytes(size),
                limit=human_bytes(limits.max_file_bytes),
            )
        )
    return path.read_bytes()


def colorize_file(
    checkpoint: str | Path,
    image_path: str | Path,
    out: str | Path,
    generator_config: GeneratorConfig | None = None,
    device_name: str = "auto",
) -> tuple[Path, Colorized]:
    """CLI helper: colorize ``image_path`` with ``checkpoint`` (run dir or file) and write ``out``.

    The output format follows ``out``'s suffix (PNG when it has none Pillow knows).
    """
    image = load_image(
        read_image_file(image_path), Path(image_path).name
    )  # a bad photo fails before the model loads
    generator, _ = load_generator(
        checkpoint, generator_config=generator_config, device=pick_device(device_name)
    )
    result = colorize(generator, image)
    out = Path(out)
    if out.is_dir() or str(out).endswith(("/", "\\")):  # a folder: name the file after the photo
        out = out / f"{Path(image_path).stem}-colorized.png"
    out, image_format = writable_image_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(result.colour)
    return write_file(out, lambda f: picture.save(f, format=image_format)), result

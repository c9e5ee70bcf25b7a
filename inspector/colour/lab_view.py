"""What the *Lab colour* page shows: one photo split into L, a and b, and the tensors the networks see.

Pure data (arrays, tensors, numbers); ``inspector/ui/pages/lab_colour.py`` renders it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from inspector.colour.lab import AB_SCALE, L_SCALE, lab_to_rgb, normalize_lab, rgb_to_lab, rgb_to_uint8
from models.text import Text

# a and b are drawn at this constant lightness, so that a picture of "a alone" shows only the
# green-red axis and not the photo's light and shade as well.
SHOW_LIGHTNESS = 70.0


@dataclass(frozen=True)
class ChannelRange:
    """One row of the ranges table: a tensor, its shape, the values seen and the values possible."""

    tensor: str  # "L", or a Text such as "L/50 - 1 (generator input)" (the app says it in its language)
    shape: tuple[int, ...]
    observed_min: float
    observed_max: float
    possible_min: float  # over every sRGB colour (for L, a, b) or after normalizing them
    possible_max: float


@dataclass
class LabView:
    """One image taken apart. Images are (S, S, 3) uint8 arrays ready to show."""

    rgb: np.ndarray  # the photo
    lightness: np.ndarray  # L as grey, 0 black .. 100 white
    a_only: np.ndarray  # (SHOW_LIGHTNESS, a, 0): green (a < 0) to red (a > 0)
    b_only: np.ndarray  # (SHOW_LIGHTNESS, 0, b): blue (b < 0) to yellow (b > 0)
    l_only: np.ndarray  # lab2rgb(L, 0, 0): the grey photo the generator starts from
    L_input: torch.Tensor  # (1, 1, S, S) L/50 - 1: the generator's input
    ab_target: torch.Tensor  # (1, 2, S, S) ab/110: what the generator must predict
    ranges: list[ChannelRange]
    histogram_edges: np.ndarray  # (bins + 1,) over ab/110 in [-1, 1]
    histogram_a: np.ndarray  # (bins,) pixel counts of a/110
    histogram_b: np.ndarray  # (bins,) pixel counts of b/110
    near_grey: float  # fraction of pixels with |a| and |b| below 5: almost no colour


@functools.lru_cache(maxsize=1)
def srgb_lab_ranges(steps: int = 256) -> dict[str, tuple[float, float]]:
    """The range of L, a and b over every colour sRGB can show.

    The extremes of a and b lie on the surface of the RGB cube, so its six faces are sampled with
    ``steps`` x ``steps`` colours each (256 is every 8-bit colour on the surface). About
    a in [-86.18, 98.24] and b in [-107.86, 94.48]: narrower than the nominal [-128, 127].
    """
    grid = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)
    u, v = torch.meshgrid(grid, grid, indexing="ij")  # (steps, steps) each
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            channels = [u, v]
            channels.insert(axis, torch.full_like(u, value))
            faces.append(torch.stack(channels))  # (3, steps, steps)
    lab = rgb_to_lab(torch.stack(faces))  # (6, 3, steps, steps)
    low, high = lab.amin(dim=(0, 2, 3)), lab.amax(dim=(0, 2, 3))
    return {name: (float(low[i]), float(high[i])) for i, name in enumerate("Lab")}


def _range(name: str, values: torch.Tensor, low: float, high: float) -> ChannelRange:
    """A table row: ``values``' shape and range beside the range ``[low, high]`` sRGB allows."""
    return ChannelRange(name, tuple(values.shape), float(values.min()), float(values.max()), low, high)


def lab_view(rgb_u8: torch.Tensor, bins: int = 44) -> LabView:
    """Take one (3, S, S) uint8 RGB image apart into what the page shows."""
    if rgb_u8.dim() != 3 or rgb_u8.shape[0] != 3 or rgb_u8.dtype != torch.uint8:
        raise ValueError(f"expected a (3, S, S) uint8 image, got {tuple(rgb_u8.shape)} {rgb_u8.dtype}")
    rgb = rgb_u8[None].float() / 255.0  # (1, 3, S, S)
    lab = rgb_to_lab(rgb)  # (1, 3, S, S)
    L, a, b = lab[:, 0:1], lab[:, 1:2], lab[:, 2:3]  # (1, 1, S, S) each
    zero, fixed = torch.zeros_like(L), torch.full_like(L, SHOW_LIGHTNESS)
    L_input, ab_target = normalize_lab(lab)

    possible = srgb_lab_ranges()
    rows = [_range(name, values, *possible[name]) for name, values in (("L", L), ("a", a), ("b", b))]
    L_low, L_high = possible["L"]
    rows.append(
        _range(
            Text("{formula} (generator input)", formula="L/50 - 1"),
            L_input,
            L_low / L_SCALE - 1,
            L_high / L_SCALE - 1,
        )
    )
    ab_low = min(possible["a"][0], possible["b"][0]) / AB_SCALE
    ab_high = max(possible["a"][1], possible["b"][1]) / AB_SCALE
    rows.append(_range(Text("{formula} (generator target)", formula="ab/110"), ab_target, ab_low, ab_high))

    edges = np.linspace(-1.0, 1.0, bins + 1)
    ab_np = ab_target[0].numpy()  # (2, S, S)
    return LabView(
        rgb=rgb_to_uint8(rgb[0]),
        lightness=rgb_to_uint8((L / 100.0).clamp(0, 1).expand(1, 3, -1, -1)[0]),
        a_only=rgb_to_uint8(lab_to_rgb(torch.cat([fixed, a, zero], dim=1))[0]),
        b_only=rgb_to_uint8(lab_to_rgb(torch.cat([fixed, zero, b], dim=1))[0]),
        l_only=rgb_to_uint8(lab_to_rgb(torch.cat([L, zero, zero], dim=1))[0]),
        L_input=L_input,
        ab_target=ab_target,
        ranges=rows,
        histogram_edges=edges,
        histogram_a=np.histogram(ab_np[0], bins=edges)[0],
        histogram_b=np.histogram(ab_np[1], bins=edges)[0],
        near_grey=float(((a.abs() < 5) & (b.abs() < 5)).float().mean()),
    )

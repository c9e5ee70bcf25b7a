"""sRGB <-> CIE Lab in batched PyTorch, the same formulas as ``skimage.color.rgb2lab`` / ``lab2rgb``.

The notebook converts every image with scikit-image on the CPU, one at a time. Here the conversion
is plain tensor arithmetic, so it runs on whatever device the batch lives on (CPU, CUDA, MPS), on a
whole batch at once, and is differentiable. Constants are scikit-image's (sRGB primaries, D65
white point, 2 degree observer), so the results match it: within 1e-6 in float64 and within about
1e-4 in float32 (Lab values are up to 100, float32 keeps about 7 significant digits).

Layout is PyTorch's: (B, 3, H, W), channel 0 is L (or R), 1 is a (or G), 2 is b (or B).
"""

from __future__ import annotations

import numpy as np
import torch

# sRGB primaries to CIE XYZ (scikit-image's ``xyz_from_rgb``); its inverse is computed in float64
# once so that the float64 path matches scikit-image's ``linalg.inv`` to the last digits.
_XYZ_FROM_RGB = torch.tensor(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=torch.float64,
)
_RGB_FROM_XYZ = torch.linalg.inv(_XYZ_FROM_RGB)
# Reference white of illuminant D65, 2 degree observer (scikit-image's default).
_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)

# CIE Lab's piecewise cube root: below EPSILON the curve is a line so that its slope stays finite.
_EPSILON = 0.008856
_KAPPA = 7.787
_OFFSET = 16.0 / 116.0
_F_EPSILON = 0.2068966  # f(EPSILON) = cbrt(0.008856), where the inverse switches branch

L_SCALE = 50.0  # the notebook's L / 50 - 1 maps L in [0, 100] to [-1, 1]
AB_SCALE = 110.0  # the notebook's ab / 110 maps a and b (about [-86, 98] and [-108, 95]) into [-1, 1]


def _working(x: torch.Tensor, what: str) -> torch.Tensor:
    """Check a (B, 3, H, W) tensor and return it in a float dtype precise enough for the formulas.

    float32 and float64 are kept; float16 and bfloat16 are computed in float32 (the cube root and
    the 2.4 power lose too much in half precision, even under autocast). Integers are refused: a
    uint8 image silently read as values up to 255 would give nonsense Lab.
    """
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"{what} must be shaped (B, 3, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(
            f"{what} must be a float tensor, got {x.dtype} (for uint8 images use x.float() / 255)"
        )
    if x.dtype in (torch.float32, torch.float64):
        return x
    return x.float()


def _mix(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Apply a 3x3 colour matrix to every pixel: (3, 3) x (B, 3, H, W) -> (B, 3, H, W).

    Written as multiply-adds, not einsum: autocast would run an einsum in bf16 (L off by almost 1),
    while elementwise ops keep the input's precision, so the conversion is exact inside autocast too.
    """
    m = matrix.to(device=x.device, dtype=x.dtype)
    rows = [m[i, 0] * x[:, 0] + m[i, 1] * x[:, 1] + m[i, 2] * x[:, 2] for i in range(3)]  # each (B, H, W)
    return torch.stack(rows, dim=1)


def _per_channel(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (3,) constant as (1, 3, 1, 1) on ``like``'s device and dtype, ready to broadcast."""
    return values.to(device=like.device, dtype=like.dtype).view(1, 3, 1, 1)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1] -> CIE Lab (D65, 2 degree observer), like ``skimage.color.rgb2lab``.

    rgb: (B, 3, H, W) float, values in [0, 1]. Returns (B, 3, H, W): L in [0, 100], a and b
    roughly in [-128, 127], on rgb's device, float64 for float64 input and float32 otherwise.
    """
    rgb = _working(rgb, "rgb")
    # Undo the sRGB gamma. Both branches of torch.where are evaluated and both get gradients, so
    # the power's input is clamped to its own branch: a negative base would give NaN gradients.
    linear = torch.where(
        rgb > 0.04045,
        ((rgb.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4,
        rgb / 12.92,
    )
    xyz = _mix(_XYZ_FROM_RGB, linear) / _per_channel(_D65, linear)
    # Cube root, clamped for the same reason (the gradient of x**(1/3) is infinite at 0).
    f = torch.where(
        xyz > _EPSILON,
        xyz.clamp(min=_EPSILON) ** (1.0 / 3.0),
        _KAPPA * xyz + _OFFSET,
    )
    fx, fy, fz = f[:, 0:1], f[:, 1:2], f[:, 2:3]  # each (B, 1, H, W)
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.cat([L, a, b], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """CIE Lab -> sRGB clipped to [0, 1], like ``skimage.color.lab2rgb``.

    lab: (B, 3, H, W), L in [0, 100]. Returns (B, 3, H, W) in [0, 1] (float64 for float64 input,
    float32 otherwise). Lab colours outside the sRGB gamut are clipped, as scikit-image does; a
    negative Z (b far too large) is set to 0 as scikit-image does, without its warning.
    """
    lab = _working(lab, "lab")
    L, a, b = lab[:, 0:1], lab[:, 1:2], lab[:, 2:3]  # each (B, 1, H, W)
    fy = (L + 16.0) / 116.0
    fx = a / 500.0 + fy
    fz = (fy - b / 200.0).clamp(min=0.0)
    f = torch.cat([fx, fy, fz], dim=1)
    xyz = torch.where(f > _F_EPSILON, f**3, (f - _OFFSET) / _KAPPA) * _per_channel(_D65, f)
    linear = _mix(_RGB_FROM_XYZ, xyz)
    # Re-apply the sRGB gamma; the clamp keeps the unused branch's gradient finite (see above).
    rgb = torch.where(
        linear > 0.0031308,
        1.055 * linear.clamp(min=0.0031308) ** (1.0 / 2.4) - 0.055,
        linear * 12.92,
    )
    return rgb.clamp(0.0, 1.0)


def normalize_lab(lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Lab (B, 3, H, W) -> the notebook's network tensors: L (B, 1, H, W) = L/50 - 1 in [-1, 1] and
    ab (B, 2, H, W) = ab/110 (about [-1, 1]). The generator reads L and predicts ab."""
    if lab.dim() != 4 or lab.shape[1] != 3:
        raise ValueError(f"lab must be shaped (B, 3, H, W), got {tuple(lab.shape)}")
    return lab[:, 0:1] / L_SCALE - 1.0, lab[:, 1:3] / AB_SCALE


def denormalize_lab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_lab`: L (B, 1, H, W) and ab (B, 2, H, W) -> Lab (B, 3, H, W)."""
    if L.dim() != 4 or L.shape[1] != 1 or ab.dim() != 4 or ab.shape[1] != 2:
        raise ValueError(
            f"expected L (B, 1, H, W) and ab (B, 2, H, W), got {tuple(L.shape)} and {tuple(ab.shape)}"
        )
    if L.shape[0] != ab.shape[0] or L.shape[2:] != ab.shape[2:]:
        raise ValueError(f"L {tuple(L.shape)} and ab {tuple(ab.shape)} differ in batch or size")
    return torch.cat([(L + 1.0) * L_SCALE, ab.to(L.dtype) * AB_SCALE], dim=1)


def rgb_to_uint8(rgb: torch.Tensor) -> np.ndarray:
    """An RGB image (3, H, W), float in [0, 1] or uint8, on any device -> (H, W, 3) uint8 on the CPU.

    Channels last, as images are shown and saved (Pillow, ``st.image``). Floats are clipped to
    [0, 1] and rounded to the nearest of the 256 levels (``lab_to_rgb`` output, a model's
    colorization); a uint8 image is only moved and transposed.
    """
    if rgb.dim() != 3 or rgb.shape[0] != 3:
        raise ValueError(f"expected (3, H, W), got {tuple(rgb.shape)}")
    if rgb.dtype != torch.uint8:
        values = rgb.detach() if rgb.is_floating_point() else rgb.detach().float()
        rgb = (values.clamp(0, 1) * 255).round().to(torch.uint8)
    return rgb.permute(1, 2, 0).contiguous().cpu().numpy()

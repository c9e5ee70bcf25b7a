"""inspector.colour.lab against scikit-image, the oracle: the same numbers, batched, on tensors."""

from __future__ import annotations

import warnings

import pytest
import torch
from skimage.color import lab2rgb, rgb2lab

from inspector import lab_to_rgb, rgb_to_lab
from inspector.colour.lab import denormalize_lab, normalize_lab
from inspector.colour.lab_view import lab_view, srgb_lab_ranges

# Colours at the edges of the formulas: black, white, the primaries and secondaries, both sides
# of the sRGB gamma's switch (0.04045) and of Lab's cube-root switch (Y/Yn = 0.008856, reached
# near grey 0.0993), and the darkest non-zero 8-bit value.
EDGE = [
    [0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1],
    [0.04045, 0.04045, 0.04045], [0.0404, 0.0405, 0.0406], [0.0993, 0.0993, 0.0993],
    [0.09, 0.11, 0.1], [1 / 255, 1 / 255, 1 / 255], [0.5, 0.5, 0.5],
]  # fmt: skip


def _oracle_lab(rgb: torch.Tensor) -> torch.Tensor:
    """skimage.color.rgb2lab on a (B, 3, H, W) tensor, as a float64 (B, 3, H, W) tensor."""
    return torch.from_numpy(rgb2lab(rgb.permute(0, 2, 3, 1).double().numpy())).permute(0, 3, 1, 2)


def _oracle_rgb(lab: torch.Tensor) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns about the negative Z values it clips
        out = lab2rgb(lab.permute(0, 2, 3, 1).double().numpy())
    return torch.from_numpy(out).permute(0, 3, 1, 2)


def _test_colours(dtype: torch.dtype) -> torch.Tensor:
    """(3, 3, 8, 8): random colours, with the edge colours written into the first rows."""
    rgb = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    edge = torch.tensor(EDGE, dtype=torch.float64)  # (14, 3)
    rgb[0].view(3, -1)[:, : len(EDGE)] = edge.T
    return rgb.to(dtype)


@pytest.mark.parametrize(
    ("dtype", "tol"),
    # float32 differs from scikit-image's float64 by ~5e-5 on L in [0, 100] (measured): 7 digits.
    [(torch.float64, 1e-6), (torch.float32, 1e-3)],
)
def test_rgb_to_lab_matches_skimage(dtype: torch.dtype, tol: float) -> None:
    rgb = _test_colours(dtype)
    lab = rgb_to_lab(rgb)
    assert lab.shape == rgb.shape and lab.dtype == dtype
    torch.testing.assert_close(lab.double(), _oracle_lab(rgb.double()), atol=tol, rtol=0)


def test_known_values() -> None:
    """White is L=100 a=b=0, black is L=0, pure red is about (53.24, 80.09, 67.20).

    Within 0.01: scikit-image's 6-digit sRGB matrix puts white at a=-0.0017, b=0.0047.
    """
    lab = rgb_to_lab(torch.tensor(EDGE[:3], dtype=torch.float64).T.reshape(1, 3, 1, 3))
    expected = torch.tensor([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [53.2408, 80.0925, 67.2032]]).double()
    torch.testing.assert_close(lab[0, :, 0].T, expected, atol=1e-2, rtol=0)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-6), (torch.float32, 1e-3)])
def test_lab_to_rgb_matches_skimage_even_out_of_gamut(dtype: torch.dtype, tol: float) -> None:
    g = torch.Generator().manual_seed(1)
    L = torch.rand(2, 1, 16, 16, generator=g, dtype=torch.float64) * 100
    ab = torch.rand(2, 2, 16, 16, generator=g, dtype=torch.float64) * 260 - 130  # far beyond sRGB
    ab[0, 1, 0, :4] = torch.tensor([150.0, 200.0, 300.0, -300.0], dtype=torch.float64)  # negative Z
    lab = torch.cat([L, ab], dim=1)
    rgb = lab_to_rgb(lab.to(dtype))
    assert rgb.min() >= 0 and rgb.max() <= 1
    torch.testing.assert_close(rgb.double(), _oracle_rgb(lab), atol=tol, rtol=0)


def test_round_trip_and_batch_independence() -> None:
    rgb = _test_colours(torch.float64)
    torch.testing.assert_close(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-6, rtol=0)
    one_by_one = torch.cat([rgb_to_lab(rgb[i : i + 1]) for i in range(rgb.shape[0])])
    torch.testing.assert_close(rgb_to_lab(rgb), one_by_one)


def test_channels_last_and_half_precision_inputs() -> None:
    rgb = _test_colours(torch.float32)
    torch.testing.assert_close(rgb_to_lab(rgb.to(memory_format=torch.channels_last)), rgb_to_lab(rgb))
    lab_half = rgb_to_lab(rgb.half())  # computed in float32, from half-precision inputs
    assert lab_half.dtype == torch.float32
    torch.testing.assert_close(lab_half, rgb_to_lab(rgb.half().float()))


def test_exact_inside_bf16_autocast() -> None:
    # The trainer's step runs under bf16 autocast on CUDA; an einsum there would run in bf16 (L off by ~0.8).
    rgb = _test_colours(torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lab = rgb_to_lab(rgb)
        back = lab_to_rgb(lab)
    assert lab.dtype == back.dtype == torch.float32
    torch.testing.assert_close(lab.double(), _oracle_lab(rgb.double()), atol=1e-3, rtol=0)
    torch.testing.assert_close(back, rgb, atol=1e-4, rtol=0)


def test_gradients_are_finite_at_zero_and_at_the_switch_points() -> None:
    rgb = _test_colours(torch.float64).requires_grad_()
    lab_to_rgb(rgb_to_lab(rgb)).sum().backward()
    assert rgb.grad is not None and torch.isfinite(rgb.grad).all()
    assert torch.autograd.gradcheck(
        rgb_to_lab, (torch.rand(1, 3, 2, 2, dtype=torch.float64).requires_grad_(),)
    )


def test_normalize_is_the_notebooks_and_inverts() -> None:
    lab = rgb_to_lab(_test_colours(torch.float32))
    L, ab = normalize_lab(lab)
    assert L.shape == (3, 1, 8, 8) and ab.shape == (3, 2, 8, 8)
    torch.testing.assert_close(L, lab[:, :1] / 50 - 1)
    torch.testing.assert_close(ab, lab[:, 1:] / 110)
    assert L.min() >= -1 - 1e-6 and L.max() <= 1 + 1e-6 and ab.abs().max() <= 1
    torch.testing.assert_close(denormalize_lab(L, ab), lab, atol=1e-4, rtol=0)


@pytest.mark.parametrize(
    "bad",
    [torch.zeros(3, 8, 8), torch.zeros(1, 4, 8, 8), torch.zeros(1, 3, 8, 8, dtype=torch.uint8)],
    ids=["no batch dim", "four channels", "uint8"],
)
def test_bad_inputs_raise_clear_errors(bad: torch.Tensor) -> None:
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)|float"):
        rgb_to_lab(bad)


def test_denormalize_checks_shapes() -> None:
    with pytest.raises(ValueError, match="ab"):
        denormalize_lab(torch.zeros(1, 1, 4, 4), torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match="differ"):
        denormalize_lab(torch.zeros(1, 1, 4, 4), torch.zeros(2, 2, 4, 4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_same_on_cuda() -> None:
    rgb = _test_colours(torch.float32)
    torch.testing.assert_close(rgb_to_lab(rgb.cuda()).cpu(), rgb_to_lab(rgb), atol=1e-3, rtol=0)
    torch.testing.assert_close(lab_to_rgb(rgb_to_lab(rgb.cuda())).cpu(), rgb, atol=1e-4, rtol=0)


def test_srgb_gamut_ranges_are_the_known_ones() -> None:
    ranges = srgb_lab_ranges()
    assert ranges["L"] == pytest.approx((0.0, 100.0), abs=1e-3)
    assert ranges["a"] == pytest.approx((-86.18, 98.23), abs=0.01)
    assert ranges["b"] == pytest.approx((-107.86, 94.48), abs=0.01)


def test_lab_view_takes_an_image_apart() -> None:
    rgb = torch.zeros(3, 16, 16, dtype=torch.uint8)
    rgb[0, :, :8] = 255  # left half red, right half black
    view = lab_view(rgb)
    assert view.L_input.shape == (1, 1, 16, 16) and view.ab_target.shape == (1, 2, 16, 16)
    assert view.rgb.shape == view.l_only.shape == view.a_only.shape == (16, 16, 3)
    # L alone is grey: the three channels agree, and black stays black.
    assert (view.l_only[..., 0] == view.l_only[..., 2]).all() and view.l_only[0, -1].tolist() == [0, 0, 0]
    rows = {r.tensor: r for r in view.ranges}
    assert rows["a"].observed_max == pytest.approx(80.09, abs=0.01) and rows["a"].observed_min == 0
    assert rows["ab/110 (generator target)"].shape == (1, 2, 16, 16)
    assert view.histogram_a.sum() == 256 and view.near_grey == 0.5
    with pytest.raises(ValueError, match="uint8"):
        lab_view(rgb.float())


def test_rgb_to_uint8_rounds_like_skimage_img_as_ubyte() -> None:
    from skimage.util import img_as_ubyte

    from inspector.colour.lab import rgb_to_uint8

    rgb = torch.rand(3, 5, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    rgb[0, 0, :3] = torch.tensor([-0.5, 1.5, 0.5 / 255])  # out of range is clipped; a half level rounds
    out = rgb_to_uint8(rgb)
    assert out.shape == (5, 7, 3) and out.dtype.name == "uint8"
    assert (out == img_as_ubyte(rgb.clamp(0, 1).permute(1, 2, 0).numpy())).all()
    u8 = torch.randint(0, 256, (3, 2, 2), dtype=torch.uint8)
    assert (rgb_to_uint8(u8) == u8.permute(1, 2, 0).numpy()).all()  # uint8 passes through
    with pytest.raises(ValueError, match=r"expected \(3, H, W\)"):
        rgb_to_uint8(torch.zeros(1, 3, 2, 2))

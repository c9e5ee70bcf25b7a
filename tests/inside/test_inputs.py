"""The see-inside views' inputs: a photo as the notebook's dataset gives it (scikit-image's Lab as
the oracle), the fixed batch of sample pairs, and the discriminator's conditional pair."""

from __future__ import annotations

import numpy as np
import torch
from skimage.color import rgb2lab

from inspector.data.image_set import sample_images
from inspector.inside.inputs import photo_lab, sample_pairs
from models import build_discriminator, preset
from models.discriminator import conditional_pair


def _notebook_lab(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's dataset: rgb2lab, then L/50 - 1 and ab/110, channels first."""
    lab = rgb2lab(rgb.transpose(1, 2, 0)).transpose(2, 0, 1)  # (3, S, S)
    return lab[:1] / 50.0 - 1.0, lab[1:] / 110.0


def test_photo_lab_is_the_notebook_normalization() -> None:
    rgb = sample_images(32).images[0].numpy()  # (3, 32, 32) uint8
    L, ab = photo_lab(rgb)
    assert L.shape == (1, 1, 32, 32) and ab.shape == (1, 2, 32, 32) and L.dtype == torch.float32
    want_L, want_ab = _notebook_lab(rgb)
    np.testing.assert_allclose(L[0].numpy(), want_L, atol=2e-4)
    np.testing.assert_allclose(ab[0].numpy(), want_ab, atol=2e-4)


def test_sample_pairs_are_the_first_sample_photos_every_time() -> None:
    photos = sample_images(16).images
    L, ab = sample_pairs(16, 2)
    assert L.shape == (2, 1, 16, 16) and ab.shape == (2, 2, 16, 16)
    for k in range(2):
        want_L, want_ab = _notebook_lab(photos[k].numpy())
        np.testing.assert_allclose(L[k].numpy(), want_L, atol=2e-4)
        np.testing.assert_allclose(ab[k].numpy(), want_ab, atol=2e-4)
    again_L, _ = sample_pairs(16, 2)
    assert torch.equal(L, again_L)
    assert sample_pairs(16, 10_000)[0].shape[0] == len(photos)  # no more than there are


def test_the_discriminator_judges_l_beside_ab() -> None:
    L, ab = torch.randn(2, 1, 64, 64), torch.randn(2, 2, 64, 64).half()
    pair = conditional_pair(L, ab)
    assert pair.dtype == torch.float32 and pair.shape == (2, 3, 64, 64)
    assert torch.equal(pair[:, :1], L) and torch.equal(pair[:, 1:], ab.float())
    d = build_discriminator(preset("pix2pix")[1].replace(ndf=4, input_size=64)).eval()
    with torch.no_grad():
        assert torch.equal(d(pair), d(torch.cat([L, ab.float()], dim=1)))  # the training code's input

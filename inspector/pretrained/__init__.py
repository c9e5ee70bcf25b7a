"""The trained generator and discriminator that ship with the package: what a student sees first.

Untrained, the notebook's networks show nothing: in eval mode BatchNorm's initial running
statistics (mean 0, variance 1) do not rescale, and N(0, 0.02) weights shrink the activations
block after block, so the output is grey and every view inside is dark. This pair was trained
by ``tools/train_pretrained.py`` with the :data:`RECIPE` below, reproducibly (fixed seed,
deterministic algorithms, one CPU thread), on scikit-image's colour photographs whose licences
allow it (:data:`PHOTOS`: public domain or CC0), and is stored in half precision (about 1.9 MB
for both networks). It has seen these very photos, so it colours them well and other photos
less boldly: enough to make feature maps visible, a skip ablation that changes the picture and
dropout runs that differ, on a first visit and without a GPU.

:func:`load_pretrained` reads it with the same checked loader as any checkpoint.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch import nn

from inspector.training.checkpoint import Checkpoint
from inspector.training.colorize import load_networks
from models import DiscriminatorConfig, GeneratorConfig, preset

PRETRAINED_FILE = "notebook-ngf16-128.safetensors"
# scikit-image's colour photographs that may be redistributed (their docstrings): NASA's and
# SpaceX's are public domain, the others CC0 or "no known copyright restrictions". The motorcycle
# (the Middlebury stereo benchmark) states no licence, so it is left out.
PHOTOS = ("astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry", "retina", "rocket")


@dataclass(frozen=True)
class Recipe:
    """How the shipped pair was trained: the notebook's networks, narrow and at 128x128."""

    preset: str = "notebook"
    ngf: int = 16  # generator width and discriminator ndf
    depth: int = 7  # 128 / 2**7 = 1: a 1x1 bottleneck, as the notebook's 256 at depth 8
    max_mult: int = 4  # channels capped at 64: 1.9 MB in float16 for both networks
    size: int = 128
    steps: int = 1500
    batch: int = 8
    seed: int = 0
    lr: float = 2e-4
    lambda_l1: float = 100.0

    def configs(self) -> tuple[GeneratorConfig, DiscriminatorConfig]:
        g, d = preset(self.preset)
        return (
            g.replace(ngf=self.ngf, depth=self.depth, max_mult=self.max_mult, input_size=self.size),
            d.replace(ndf=self.ngf, max_mult=self.max_mult, input_size=self.size),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


RECIPE = Recipe()


def pretrained_path() -> Path:
    """Where the shipped file lies inside the installed package."""
    return Path(str(importlib.resources.files(__name__) / PRETRAINED_FILE))


def load_pretrained() -> tuple[nn.Module, nn.Module, Checkpoint]:
    """The shipped generator and discriminator (eval mode, float32) and their checkpoint."""
    generator, discriminator, ckpt = load_networks(pretrained_path())
    assert discriminator is not None, "the shipped file holds both networks"
    return generator, discriminator, ckpt

"""How to train: :class:`TrainConfig`, the paper's optimisation settings with the run's own choices.

The models' shapes live in their own configs (``models.GeneratorConfig``,
``models.DiscriminatorConfig``); this one holds the steps, the losses' weights, Adam's settings,
seeds, file cadence and where the images came from. It is stored in every checkpoint as JSON, so a
resumed run continues with the settings it was started with.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from models.text import Text

MAX_SEED = 2**31 - 1  # seeds are combined with ranks and steps (training.seeds): keep them well inside int64


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the models' shapes are in their own configs). Defaults are the paper's; a new
    run's defaults for its device (steps, batch, log_every) come from ``training.plan.default_config``."""

    steps: int = 300  # total optimizer steps; a resumed run trains up to this number
    batch: int = 8  # images per step (per process under torchrun)
    lambda_l1: float = 100.0  # weight of the L1 term in G's loss
    lr: float = 2e-4  # Adam learning rate, both networks
    beta1: float = 0.5  # Adam beta1: the paper's 0.5 damps momentum, which GANs dislike
    beta2: float = 0.999
    l1_warmup_steps: int = 0  # first steps where G learns from L1 only
    label_smoothing: float = 0.0  # one-sided: D's real target is 1 - this
    seed: int = 0  # weights, dropout and batch sampling
    init: str = "normal"  # weight init scheme (models.init_weights)
    flip: bool = True  # random horizontal flips
    crop: bool = True  # random crops (when the stored images are larger than the model's size)
    sample_every: int = 50  # steps between sample grids; 0 = only at the start and the end
    checkpoint_every: int = 100  # steps between checkpoints; 0 = only at the end
    log_every: int = 1  # steps between fetching losses from the device (GPU: more = fewer syncs)
    num_samples: int = 4  # validation images in the sample grid
    device: str = "auto"  # auto, cuda, mps, cpu
    data: str = "samples"  # where the images came from (recorded for resuming): samples, a folder, upload
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "num_samples", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    Text("{name} must be a positive integer, got {value}", name=name, value=repr(value))
                )
        for name in ("l1_warmup_steps", "sample_every", "checkpoint_every", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    Text("{name} must be an integer >= 0, got {value}", name=name, value=repr(value))
                )
        if self.seed > MAX_SEED:
            raise ValueError(Text("seed must be at most {max}, got {seed}", max=MAX_SEED, seed=self.seed))
        for name in ("init", "device", "data"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(
                    Text("{name} must be a string, got {value}", name=name, value=repr(getattr(self, name)))
                )
        for name in ("flip", "crop"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    Text(
                        "{name} must be true or false, got {value}",
                        name=name,
                        value=repr(getattr(self, name)),
                    )
                )
        for name in ("lambda_l1", "lr", "beta1", "beta2", "label_smoothing", "val_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(Text("{name} must be a number, got {value}", name=name, value=repr(value)))
        if not (math.isfinite(self.lambda_l1) and self.lambda_l1 >= 0):
            raise ValueError(
                Text("lambda_l1 must be a finite number >= 0, got {value}", value=repr(self.lambda_l1))
            )
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(Text("lr must be a positive number, got {value}", value=repr(self.lr)))
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(
                    Text("{name} must be in [0, 1), got {value}", name=name, value=repr(getattr(self, name)))
                )
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(
                Text("label_smoothing must be in [0, 0.5), got {value}", value=repr(self.label_smoothing))
            )
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(
                Text("val_fraction must be in (0, 1), got {value}", value=repr(self.val_fraction))
            )

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes``, validated again."""
        return TrainConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, as stored in a checkpoint."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """From a checkpoint's JSON; keys this version does not know are dropped."""
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:  # a stored value of the wrong type (the JSON may be hand-edited)
            raise ValueError(Text("the stored train config is invalid: {error}", error=str(exc))) from None

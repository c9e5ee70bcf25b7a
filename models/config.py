"""Frozen configuration dataclasses for the U-Net generator and the PatchGAN discriminator.

Frozen means hashable: a config is the cache key of the model it builds (Streamlit caches,
``functools.lru_cache``). Field names follow PyTorch (``in_channels``, ``out_channels``); the
paper's names (``ngf``, ``ndf``) are kept where the paper and the reference code use them.
Every impossible combination raises ``ValueError`` naming the field and what is allowed; its
message is a ``Text`` (English, translatable: the app shows it in the reader's language).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from models.text import Text

Norm = Literal["batch", "instance", "none"]
Dropout = Literal["none", "reference", "all"]
Part = Literal["generator", "discriminator"]

PARTS: tuple[Part, ...] = ("generator", "discriminator")  # the two networks, in this order everywhere

NORMS: tuple[str, ...] = ("batch", "instance", "none")
DROPOUTS: tuple[str, ...] = ("none", "reference", "all")

MAX_CHANNELS = 4096  # beyond this a "teaching" model is a typo, not a choice
MAX_INPUT_SIZE = 4096
MAX_GEN_DEPTH = 12
MAX_DISC_LAYERS = 8


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    # bool is an int subclass; True as a channel count is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            Text(
                "{name} must be an integer in [{low}, {high}], got {value}",
                name=name,
                low=low,
                high=high,
                value=repr(value),
            )
        )
    if not low <= value <= high:
        raise ValueError(
            Text("{name} must be in [{low}, {high}], got {value}", name=name, low=low, high=high, value=value)
        )


def check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Raise ValueError (a ``Text``, translatable) unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(
            Text(
                "{name} must be one of {allowed}; got {value}",
                name=name,
                allowed=", ".join(allowed),
                value=repr(value),
            )
        )


def _not_a_bool(name: str, value: Any) -> Text:
    return Text("{name} must be True or False, got {value}", name=name, value=repr(value))


def divisor_depths(input_size: int, low: int = 2, high: int = MAX_GEN_DEPTH) -> list[int]:
    """Depths d in [low, high] for which ``input_size`` is a multiple of 2**d."""
    return [d for d in range(low, high + 1) if input_size % (2**d) == 0]


@dataclass(frozen=True)
class GeneratorConfig:
    """The U-Net generator: L (in_channels) -> ab (out_channels), same spatial size.

    ``depth`` counts the stride-2 downsamplings: ``input_layer``, ``depth - 2`` encoder blocks
    and the ``middle`` block. The bottleneck is ``input_size / 2**depth`` pixels wide, so the
    input size must be a multiple of ``2**depth`` (256 for the pix2pix ``unet_256``).
    """

    in_channels: int = 1  # L of Lab
    out_channels: int = 2  # ab of Lab
    ngf: int = 64  # channels after input_layer; doubles per block up to ngf * max_mult
    depth: int = 8  # number of downsamplings (8 = unet_256)
    max_mult: int = 8  # channel cap as a multiple of ngf (512 for ngf=64)
    norm: Norm = "batch"
    dropout: Dropout = "reference"  # reference: the depth-5 innermost decoders; all: every decoder
    dropout_p: float = 0.5
    outer_skip: bool = True  # concatenate input_layer's output before output_layer
    input_size: int = 256  # height = width of the training images

    def __post_init__(self) -> None:
        _check_int("in_channels", self.in_channels, 1, MAX_CHANNELS)
        _check_int("out_channels", self.out_channels, 1, MAX_CHANNELS)
        _check_int("ngf", self.ngf, 1, MAX_CHANNELS)
        _check_int("depth", self.depth, 2, MAX_GEN_DEPTH)
        _check_int("max_mult", self.max_mult, 1, 64)
        check_choice("norm", self.norm, NORMS)
        check_choice("dropout", self.dropout, DROPOUTS)
        _check_int("input_size", self.input_size, 2, MAX_INPUT_SIZE)
        if isinstance(self.outer_skip, bool) is False:
            raise ValueError(_not_a_bool("outer_skip", self.outer_skip))
        if not (isinstance(self.dropout_p, (int, float)) and 0.0 <= self.dropout_p < 1.0):
            raise ValueError(
                Text("{name} must be in [0, 1), got {value}", name="dropout_p", value=repr(self.dropout_p))
            )
        if self.ngf * self.max_mult > MAX_CHANNELS:
            raise ValueError(
                Text(
                    "{name} must be at most {limit}, got {value}",
                    name="ngf * max_mult",
                    limit=MAX_CHANNELS,
                    value=f"{self.ngf} * {self.max_mult}",
                )
            )
        step = 2**self.depth
        if self.input_size % step:
            fits = divisor_depths(self.input_size)
            hint = (
                Text(
                    "depths that fit {size}: {depths}", size=self.input_size, depths=", ".join(map(str, fits))
                )
                if fits
                else Text("no depth >= 2 fits {size}; use a multiple of 4", size=self.input_size)
            )
            lower = self.input_size // step * step
            sizes = [s for s in (lower, lower + step) if s > 0]
            raise ValueError(
                Text(
                    "input_size must be a multiple of 2**depth = {step} (each of the {depth} downsamplings halves "
                    "it), got {size}; nearest valid sizes: {sizes}; {hint}",
                    step=step,
                    depth=self.depth,
                    size=self.input_size,
                    sizes=", ".join(map(str, sizes)),
                    hint=hint,
                )
            )

    @property
    def bottleneck_size(self) -> int:
        """Spatial size after the last downsampling (1 for unet_256 at 256x256)."""
        return self.input_size // 2**self.depth

    def channels(self, level: int) -> int:
        """Channels of the encoder feature at ``level`` (0 = input_layer's output)."""
        return self.ngf * min(2**level, self.max_mult)

    def replace(self, **changes: Any) -> GeneratorConfig:
        """A copy with ``changes`` applied and validated."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        """Build from a dict (e.g. a checkpoint's JSON), refusing unknown keys."""
        return cls(**_known_fields(cls, data))


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The PatchGAN discriminator: cat(L, ab) (in_channels) -> a map of real/fake logits.

    Layout (``n_layers=3``): C64 (no norm) - C128 - C256 - C512 - C1, kernel 4, padding 1.
    The first ``n_layers`` convs have stride 2; the last two (C512 and C1) have
    ``last_stride``: 1 in the pix2pix reference (30x30 map, 70x70 receptive field at 256),
    2 in the notebook (8x8 map, 94x94 receptive field).
    """

    in_channels: int = 3  # L + ab
    ndf: int = 64
    n_layers: int = 3  # number of norm'ed conv blocks after the first conv
    max_mult: int = 8
    norm: Norm = "batch"
    last_stride: int = 1  # stride of the last two convs
    end_bias: bool = True  # bias on the first and last conv (the reference has it)
    input_size: int = 256
    notebook_bug: bool = False  # reproduce the notebook's typo: second conv Conv2d(in, ndf)

    def __post_init__(self) -> None:
        _check_int("in_channels", self.in_channels, 1, MAX_CHANNELS)
        _check_int("ndf", self.ndf, 1, MAX_CHANNELS)
        _check_int("n_layers", self.n_layers, 1, MAX_DISC_LAYERS)
        _check_int("max_mult", self.max_mult, 1, 64)
        check_choice("norm", self.norm, NORMS)
        _check_int("last_stride", self.last_stride, 1, 2)
        _check_int("input_size", self.input_size, 2, MAX_INPUT_SIZE)
        for name in ("end_bias", "notebook_bug"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(_not_a_bool(name, getattr(self, name)))
        widest = self.ndf * min(2**self.n_layers, self.max_mult)
        if widest > MAX_CHANNELS:
            raise ValueError(
                Text(
                    "{name} must be at most {limit} (the widest conv), got {value}",
                    name="ndf * min(2**n_layers, max_mult)",
                    limit=MAX_CHANNELS,
                    value=f"{self.ndf} * {min(2**self.n_layers, self.max_mult)} = {widest}",
                )
            )
        if self.output_size < 1:
            raise ValueError(
                Text(
                    "input_size {size} is too small for {n_layers} layers with last_stride {stride}: the patch "
                    "map would be {side}x{side}; use input_size >= {smallest}",
                    size=self.input_size,
                    n_layers=self.n_layers,
                    stride=self.last_stride,
                    side=self.output_size,
                    smallest=self.min_input_size(),
                )
            )

    def strides(self) -> list[int]:
        """Stride of every conv, first to last (n_layers + 2 convs)."""
        return [2] * self.n_layers + [self.last_stride] * 2

    @property
    def output_size(self) -> int:
        """Side of the patch map for ``input_size`` (kernel 4, padding 1 everywhere)."""
        return replace_size(self, self.input_size)

    def min_input_size(self) -> int:
        """Smallest input size that still gives a 1x1 patch map."""
        size = 2
        while replace_size(self, size) < 1:
            size += 1
        return size

    def replace(self, **changes: Any) -> DiscriminatorConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiscriminatorConfig:
        return cls(**_known_fields(cls, data))


def replace_size(cfg: DiscriminatorConfig, input_size: int) -> int:
    """Patch-map side of ``cfg``'s layout at another input size (no validation)."""
    return patch_side(cfg.n_layers, cfg.last_stride, input_size)


def patch_side(n_layers: int, last_stride: int, input_size: int) -> int:
    """Patch-map side of a PatchGAN of ``n_layers`` and ``last_stride`` at ``input_size``, 0 when the
    map vanishes (no config needed: a checkpoint's reader asks before it has one)."""
    size = input_size
    for s in [2] * n_layers + [last_stride] * 2:
        size = (size + 2 - 4) // s + 1
        if size < 1:
            return 0
    return size


def _known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            Text("unknown {kind} fields: {fields}", kind=cls.__name__, fields=", ".join(unknown))
        )
    return dict(data)

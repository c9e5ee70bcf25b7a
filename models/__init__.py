"""The Pix2Pix colorization models: configs, builders (``build(cfg)`` for either network),
presets and initialization."""

from models.builder import NetworkConfig, build
from models.config import DROPOUTS, NORMS, DiscriminatorConfig, GeneratorConfig, divisor_depths
from models.discriminator import PatchDiscriminator, build_discriminator
from models.generator import BlockSpec, Plan, UNetGenerator, build_generator, generator_plan
from models.init import SCHEMES, init_weights
from models.presets import Preset, get_preset, list_presets, preset, register_preset

__all__ = [
    "DROPOUTS",
    "NORMS",
    "SCHEMES",
    "BlockSpec",
    "DiscriminatorConfig",
    "GeneratorConfig",
    "NetworkConfig",
    "PatchDiscriminator",
    "Plan",
    "Preset",
    "UNetGenerator",
    "build",
    "build_discriminator",
    "build_generator",
    "divisor_depths",
    "generator_plan",
    "get_preset",
    "init_weights",
    "list_presets",
    "preset",
    "register_preset",
]

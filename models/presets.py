"""A registry of named (GeneratorConfig, DiscriminatorConfig) pairs.

A new variant is one ``register_preset`` call; the UI and CLI list what exists with
``list_presets()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.config import DiscriminatorConfig, GeneratorConfig
from models.text import Text


@dataclass(frozen=True)
class Preset:
    name: str
    generator: GeneratorConfig
    discriminator: DiscriminatorConfig
    description: str
    # The two classes as their source names them (generator, discriminator): the notebook's
    # Pix2Pix_Generator, the reference's UnetGenerator. "" where our own class name is the name.
    class_names: tuple[str, str] = ("", "")


_PRESETS: dict[str, Preset] = {}
DEFAULT_PRESET = "notebook"  # what the app opens with and the CLI uses without --preset


def register_preset(
    name: str,
    generator: GeneratorConfig,
    discriminator: DiscriminatorConfig,
    description: str,
    class_names: tuple[str, str] = ("", ""),
) -> None:
    if name in _PRESETS:
        raise ValueError(f"preset {name!r} is already registered")
    _PRESETS[name] = Preset(name, generator, discriminator, description, class_names)


def list_presets() -> list[str]:
    """Names of the registered presets, in registration order."""
    return list(_PRESETS)


def get_preset(name: str) -> Preset:
    try:
        return _PRESETS[name]
    except KeyError:
        raise ValueError(
            Text("unknown preset {name}; choose one of: {names}", name=repr(name), names=", ".join(_PRESETS))
        ) from None


def source_class_name(cfg: GeneratorConfig | DiscriminatorConfig) -> str | None:
    """The class ``cfg`` builds as its source names it: ``Pix2Pix_Generator`` for the notebook's
    U-Net, ``NLayerDiscriminator`` for the reference's PatchGAN; None for settings that no preset
    with such a name has (our own class, ``UNetGenerator``, is then the name). The input size is no
    part of a class: any size matches."""
    for p in _PRESETS.values():
        for own, name in ((p.generator, p.class_names[0]), (p.discriminator, p.class_names[1])):
            if name and type(cfg) is type(own) and cfg.replace(input_size=own.input_size) == own:
                return name
    return None


def preset(name: str) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The (generator, discriminator) configs of preset ``name``."""
    p = get_preset(name)
    return p.generator, p.discriminator


# The notebook: no outermost skip, dropout in every decoder block, discriminator strides all 2
# and no bias anywhere. 54,407,810 + 2,765,568 parameters.
NOTEBOOK_G = GeneratorConfig(outer_skip=False, dropout="all")
NOTEBOOK_D = DiscriminatorConfig(last_stride=2, end_bias=False)
NOTEBOOK_CLASSES = ("Pix2Pix_Generator", "Pix2Pix_Discriminator")

register_preset(
    "notebook",
    NOTEBOOK_G,
    NOTEBOOK_D,
    "The study notebook's Pix2Pix_Generator and Pix2Pix_Discriminator (its typo fixed: the "
    "second conv is Conv2d(64, 128)).",
    NOTEBOOK_CLASSES,
)
register_preset(
    "notebook-as-written",
    NOTEBOOK_G,
    NOTEBOOK_D.replace(notebook_bug=True),
    "The notebook exactly as written: the discriminator's second conv is Conv2d(3, 64). It "
    "builds, and fails on the first forward pass.",
    NOTEBOOK_CLASSES,
)
register_preset(
    "pix2pix",
    GeneratorConfig(),
    DiscriminatorConfig(),
    "The pix2pix reference: unet_256 (1 -> 2 channels, batch norm, dropout in the three "
    "innermost decoders) and the 70x70 PatchGAN (n_layers=3).",
    ("UnetGenerator", "NLayerDiscriminator"),  # pytorch-CycleGAN-and-pix2pix's models/networks.py
)

"""The Mismatch doctor's broken examples, each keyed by an id: the page's picker holds the id, a link
names it (``?example=as-written``, ``inspector.ui.links``), and the title and story the reader sees
come from the catalog. This module does not import streamlit: links read it without a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.i18n.catalog import N_

# The ids: a link's ``example=`` value and the picker's session-state value.
AS_WRITTEN = "as-written"
FORGOT_SKIP = "forgot-skip"
BAD_SIZE = "bad-size"
AB_ONLY = "ab-only"
SIDEBAR_G = "sidebar-g"
SIDEBAR_D = "sidebar-d"
PICKER_KEY = "doctor.example"  # the session-state key of the page's picker


@dataclass(frozen=True)
class Example:
    id: str
    title: str  # N_: the picker shows it in the reader's language
    story: str
    part: str  # "generator" or "discriminator"
    forgot_skip: str | None = None  # generator: this decoder takes only its input's channels
    size: int | None = None  # None: the config's input size
    channels: int | None = None  # discriminator input channels; None: the config's
    sidebar: bool = False  # use the sidebar's configs


EXAMPLES = (
    Example(
        AS_WRITTEN,
        N_("The notebook's discriminator, as written"),
        N_(
            "The notebook's second conv reads `nn.Conv2d(3, 64, ...)` where `nn.Conv2d(64, 128, ...)` was meant: "
            "copy-paste from the first conv. It builds fine and fails on the first forward pass."
        ),
        "discriminator",
    ),
    Example(
        FORGOT_SKIP,
        N_("A decoder that forgot the skip doubling"),
        N_(
            "`decoder_4` was written with `ConvTranspose2d(512, 512)`, as if it received only `decoder_5`'s "
            "512 channels. But `torch.cat` puts the 512 channels of the skip from `encoder_4` next to them."
        ),
        "generator",
        forgot_skip="decoder_4",
    ),
    Example(
        BAD_SIZE,
        N_("An input size that is not a multiple of 2^depth"),
        N_(
            "The images were resized to 300x300 instead of 256x256. Nothing is wrong with the weights: the "
            "encoder rounds odd sizes down when it halves them, and the skips no longer meet the decoder."
        ),
        "generator",
        size=300,
    ),
    Example(
        AB_ONLY,
        N_("A discriminator fed only ab"),
        N_(
            "The training loop passes the generator's ab output to the discriminator alone, forgetting to put "
            "the L channel in front of it: 2 channels where the first conv expects L + ab = 3."
        ),
        "discriminator",
        channels=2,
    ),
    Example(
        SIDEBAR_G,
        N_("The sidebar's generator (break it yourself)"),
        N_("The generator of the sidebar's settings. Change a channel count in the table to break it."),
        "generator",
        sidebar=True,
    ),
    Example(
        SIDEBAR_D,
        N_("The sidebar's discriminator (break it yourself)"),
        N_("The discriminator of the sidebar's settings. Change a channel count in the table to break it."),
        "discriminator",
        sidebar=True,
    ),
)
BY_ID = {e.id: e for e in EXAMPLES}

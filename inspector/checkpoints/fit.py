"""The checkpoint doctor: does a file fit a chosen architecture, and if not, which settings differ.

PyTorch answers a mismatch with every key it could not place; here the answer is the settings
the weights were trained with against the chosen ones, by name and value ("trained with ngf 32,
depth 7; this is ngf 64, depth 8"), the blocks whose weights do not fit (for the U diagram), the
key-by-key detail for whoever wants it, and a proposal: the chosen settings with the trained ones
put in, proven by loading the weights into it and running it.

Only what the weights show is compared (channels, depth, the channel cap, the norm, the outermost
skip, the discriminator's end biases and the notebook's typo): dropout, strides and the input
size leave no trace, so they never make a file misfit.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.checkpoints.identify import Identification, Network, prove
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.training.checkpoint_checks import build_meta, check_state_dict
from inspector.training.recognize import Recognized
from inspector.training.tensor_views import shape_text
from models import GeneratorConfig, NetworkConfig
from models.config import Part
from models.text import Text, compose, message_of

# The settings a state dict shows, per network; the rest leave no trace in the weights.
SEEN: dict[str, tuple[str, ...]] = {
    "generator": ("in_channels", "out_channels", "ngf", "depth", "max_mult", "norm", "outer_skip"),
    "discriminator": ("in_channels", "ndf", "n_layers", "max_mult", "norm", "end_bias", "notebook_bug"),
}
NUMBERS = ("ngf", "ndf", "depth", "n_layers", "max_mult")
CHANNELS = {1: "L", 2: "ab", 3: "RGB"}  # what a colorization network's channel counts usually are
D_CHANNELS = {3: "L + ab", 4: "L + RGB", 6: "RGB + RGB"}
TAKES_CHANNELS = {  # one sentence per network: the Korean names the network with its own particle
    "generator": N_("trained on {trained} input channels{what}; this generator takes {chosen}{chosen_what}"),
    "discriminator": N_(
        "trained on {trained} input channels{what}; this discriminator takes {chosen}{chosen_what}"
    ),
}
NORMS = {
    "batch": Text("batch norm (running statistics stored)"),
    "instance": Text("instance norm (no running statistics, biased convs)"),
    "none": Text("no norm (biased convs)"),
}
FLAGS = {
    ("outer_skip", True): Text("the outermost skip"),
    ("outer_skip", False): Text("no outermost skip"),
    ("end_bias", True): Text("biases on the first and last conv"),
    ("end_bias", False): Text("no bias on the first and last conv"),
    ("notebook_bug", True): Text("the notebook's typo (the second conv is Conv2d(3, 64))"),
    ("notebook_bug", False): Text("the typo fixed"),
}


@dataclass(frozen=True)
class BlockMismatch:
    """A block whose weights do not fit; read by the U diagram as one of its problems (red)."""

    module: str
    block: str
    expected: object  # the chosen model's shape of its first mismatching key, or "-"
    actual: object  # the file's
    keys: tuple[str, ...]
    concat: int | None = None
    kind: str = "weights"  # the diagram writes "expected {shape}, got {shape}" for it


@dataclass(frozen=True, eq=False)
class Fit:
    """One network of a file against a chosen config."""

    part: Part
    chosen: NetworkConfig
    fits: bool
    differences: tuple[Text, ...]  # the settings that differ, one sentence each
    blocks: tuple[BlockMismatch, ...]
    detail: Text | None  # the key-by-key answer (missing, unexpected, mis-shaped keys)
    proposal: NetworkConfig | None  # the chosen settings with the trained ones
    proposal_proven: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "fits": self.fits,
            "differences": [str(d) for d in self.differences],
            "blocks": [b.block for b in self.blocks],
            "proposal": self.proposal.to_dict() if self.proposal is not None else None,
            "proposal_proven": self.proposal_proven,
        }


def fit(found: Identification, chosen: dict[str, NetworkConfig]) -> dict[str, Fit]:
    """Each network of ``found`` that ``chosen`` has a config for, against it."""
    return {p: fit_network(net, chosen[p]) for p, net in found.networks.items() if p in chosen}


def fit_network(net: Network, chosen: NetworkConfig) -> Fit:
    """One network against ``chosen``: whether its weights load, and if not, the settings that
    differ and a proposal proven by loading and running it."""
    part = net.part
    try:
        check_state_dict(net.state, build_meta(chosen), part, chosen)
    except UserError as exc:
        why = message_of(exc)
        detail = why if isinstance(why, Text) else compose("{why}", why=why)
    else:
        return Fit(part, chosen, True, (), (), None, chosen, net.proven)
    trained = net.config
    differences = differences_between(trained, chosen) if trained is not None else ()
    proposal, proven = None, False
    if trained is not None:
        proposal = _proposal(trained, chosen)
        proven = prove(Recognized(part, net.family, net.state, proposal)).proven
    return Fit(part, chosen, False, differences, _blocks(net, chosen), detail, proposal, proven)


def differences_between(trained: NetworkConfig, chosen: NetworkConfig) -> tuple[Text, ...]:
    """The settings the weights show that differ, as sentences: "trained with ngf 32, depth 7; this is
    ngf 64, depth 8"."""
    part = "generator" if isinstance(chosen, GeneratorConfig) else "discriminator"
    differ = [f for f in SEEN[part] if getattr(trained, f) != getattr(chosen, f)]
    out: list[Text] = []
    numbers = [f for f in differ if f in NUMBERS]
    if numbers:
        out.append(
            Text(
                "trained with {trained}; this is {chosen}",
                trained=", ".join(f"{f} {getattr(trained, f)}" for f in numbers),
                chosen=", ".join(f"{f} {getattr(chosen, f)}" for f in numbers),
            )
        )
    if "in_channels" in differ:
        a, b = trained.in_channels, chosen.in_channels
        words = CHANNELS if part == "generator" else D_CHANNELS
        out.append(
            Text(
                TAKES_CHANNELS[part],
                trained=a,
                what=_words(words, a),
                chosen=b,
                chosen_what=_words(words, b),
            )
        )
    if (
        "out_channels" in differ
        and isinstance(trained, GeneratorConfig)
        and isinstance(chosen, GeneratorConfig)
    ):
        a, b = trained.out_channels, chosen.out_channels
        out.append(
            Text(
                "trained to give {trained} output channels{what}; this generator gives {chosen}{chosen_what}",
                trained=a,
                what=_words(CHANNELS, a),
                chosen=b,
                chosen_what=_words(CHANNELS, b),
            )
        )
    if "norm" in differ:
        out.append(
            Text(
                "trained with {trained}; this is {chosen}",
                trained=NORMS[trained.norm],
                chosen=NORMS[chosen.norm],
            )
        )
    for flag in ("outer_skip", "end_bias", "notebook_bug"):
        if flag in differ:
            out.append(
                Text(
                    "trained with {trained}; this is {chosen}",
                    trained=FLAGS[flag, getattr(trained, flag)],
                    chosen=FLAGS[flag, getattr(chosen, flag)],
                )
            )
    return tuple(out)


def _words(words: dict[int, str], n: int) -> str:
    return f" ({words[n]})" if n in words else ""


def _proposal(trained: NetworkConfig, chosen: NetworkConfig) -> NetworkConfig:
    """``chosen`` with every setting the weights show taken from ``trained``; the input size kept
    where it still fits, else the trained one."""
    part = "generator" if isinstance(chosen, GeneratorConfig) else "discriminator"
    changes = {f: getattr(trained, f) for f in SEEN[part]}
    try:
        return chosen.replace(**changes)
    except ValueError:
        return chosen.replace(**changes, input_size=trained.input_size)


def _blocks(net: Network, chosen: NetworkConfig) -> tuple[BlockMismatch, ...]:
    """The blocks (a generator's ``encoder_3``, a discriminator's ``model.5``) with a missing,
    unexpected or mis-shaped key, each with its first such key's shapes."""
    expected = {k: tuple(v.shape) for k, v in build_meta(chosen).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in net.state.items()}
    generator = isinstance(chosen, GeneratorConfig)
    bad: dict[str, list[str]] = {}
    for key in [*expected, *(k for k in got if k not in expected)]:
        if expected.get(key) != got.get(key):
            block = key.split(".")[0] if generator else ".".join(key.split(".")[:2])
            bad.setdefault(block, []).append(key)
    out = []
    for block, keys in bad.items():
        first = keys[0]
        out.append(
            BlockMismatch(
                block,
                block,
                shape_text(expected[first]) if first in expected else "-",
                shape_text(got[first]) if first in got else "-",
                tuple(keys),
            )
        )
    return tuple(out)

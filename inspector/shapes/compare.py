"""How a configuration differs from the pix2pix reference (``unet_256`` + 70x70 PatchGAN).

The words of a row (its point, its values, its note) are ``Text``: English for the CLI, any
language for the app (``models.text``); settings, layer names and numbers stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.display import RichDisplay
from inspector.shapes.labels import fmt_shape
from models import DiscriminatorConfig, GeneratorConfig, build, generator_plan, preset
from models.config import Part
from models.text import Text

NONE, YES = Text("none"), Text("yes")


@dataclass(frozen=True)
class Difference:
    network: Part  # a key: the app translates it
    point: str
    chosen: str
    reference: str
    note: str

    @property
    def differs(self) -> bool:
        return self.chosen != self.reference


class Comparison(list[Difference], RichDisplay):
    """Every point of comparison with the reference, in order (a list: ``.differs`` marks the
    differences); in a notebook it shows the Architecture page's table of the differences."""

    __slots__ = ()


def _dropout_blocks(cfg: GeneratorConfig) -> str:
    plan = generator_plan(cfg)
    names = [b.name for b in plan if b.dropout]
    decoders = [b.name for b in plan if b.role == "decoder"]
    if not names:
        return NONE
    if names == decoders and len(names) > 3:
        return Text("all {n} decoders ({first} .. {last})", n=len(names), first=names[0], last=names[-1])
    return ", ".join(names)


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _count(cfg: GeneratorConfig | DiscriminatorConfig) -> int:
    """Parameter count of the network ``cfg`` builds, built on ``meta`` (no memory, no init)."""
    return sum(p.numel() for p in build(cfg, device="meta").parameters())


def compare_to_reference(g: GeneratorConfig, d: DiscriminatorConfig) -> Comparison:
    """Every point of comparison with the ``pix2pix`` preset; ``.differs`` marks the differences."""
    rg, rd = preset("pix2pix")
    rg = rg.replace(input_size=g.input_size) if g.input_size % 2**rg.depth == 0 else rg
    rows = Comparison()

    def add(net: Part, point: str, chosen: object, ref: object, note: str = "") -> None:
        # a Text stays one (its words translatable); a number or a setting becomes its str
        rows.append(Difference(net, point, _text(chosen), _text(ref), note))

    def outer(cfg: GeneratorConfig) -> Text:
        if cfg.outer_skip:
            return Text("yes: output_layer takes {n} channels", n=2 * cfg.channels(0))
        return Text("none: output_layer takes {n} channels", n=cfg.channels(0))

    add(
        "generator",
        Text("in -> out channels"),
        f"{g.in_channels} -> {g.out_channels}",
        f"{rg.in_channels} -> {rg.out_channels}",
        Text("L in, ab out"),
    )
    add("generator", Text("ngf (base channels)"), g.ngf, rg.ngf, Text("channels after input_layer"))
    add("generator", Text("depth (downsamplings)"), g.depth, rg.depth, Text("unet_256 has 8: 256 -> 1"))
    add("generator", "norm", g.norm, rg.norm)
    add(
        "generator",
        Text("outermost skip"),
        outer(g),
        outer(rg),
        Text("the reference concatenates input_layer's output before output_layer"),
    )
    add(
        "generator",
        "dropout",
        _dropout_blocks(g),
        _dropout_blocks(rg),
        Text("the reference puts Dropout(0.5) in the three innermost 512-channel decoders only"),
    )
    add("generator", Text("parameters"), f"{_count(g):,}", f"{_count(rg):,}")
    add("discriminator", Text("in channels"), d.in_channels, rd.in_channels, Text("L and ab together"))
    add("discriminator", "ndf / n_layers", f"{d.ndf} / {d.n_layers}", f"{rd.ndf} / {rd.n_layers}")
    add("discriminator", "norm", d.norm, rd.norm)
    add(
        "discriminator",
        Text("strides"),
        ", ".join(map(str, d.strides())),
        ", ".join(map(str, rd.strides())),
        Text("the reference's last two convs have stride 1"),
    )
    size = d.input_size
    rsize = rd.replace(input_size=size).output_size if size >= rd.min_input_size() else "n/a"
    add(
        "discriminator",
        Text("patch map at {size}x{size}", size=size),
        fmt_shape((d.output_size, d.output_size)),
        fmt_shape((rsize, rsize)) if isinstance(rsize, int) else rsize,
    )
    add(
        "discriminator",
        Text("first/last conv bias"),
        YES if d.end_bias else NONE,
        YES if rd.end_bias else NONE,
    )
    add(
        "discriminator",
        Text("second conv"),
        Text("{conv} (the notebook's typo)", conv=f"Conv2d({d.in_channels}, {d.ndf})")
        if d.notebook_bug
        else f"Conv2d({d.ndf}, {d.ndf * min(2, d.max_mult)})",
        f"Conv2d({rd.ndf}, {rd.ndf * 2})",
    )
    add("discriminator", Text("parameters"), f"{_count(d):,}", f"{_count(rd):,}")
    return rows

"""How a configuration differs from the pix2pix reference (``unet_256`` + 70x70 PatchGAN)."""

from __future__ import annotations

from dataclasses import dataclass

from models import DiscriminatorConfig, GeneratorConfig, build, generator_plan, preset


@dataclass(frozen=True)
class Difference:
    network: str  # "generator" or "discriminator"
    point: str
    chosen: str
    reference: str
    note: str

    @property
    def differs(self) -> bool:
        return self.chosen != self.reference


def _dropout_blocks(cfg: GeneratorConfig) -> str:
    plan = generator_plan(cfg)
    names = [b.name for b in plan if b.dropout]
    decoders = [b.name for b in plan if b.role == "decoder"]
    if not names:
        return "none"
    if names == decoders and len(names) > 3:
        return f"all {len(names)} decoders ({names[0]} .. {names[-1]})"
    return ", ".join(names)


def _count(cfg: GeneratorConfig | DiscriminatorConfig) -> int:
    """Parameter count of the network ``cfg`` builds, built on ``meta`` (no memory, no init)."""
    return sum(p.numel() for p in build(cfg, device="meta").parameters())


def compare_to_reference(g: GeneratorConfig, d: DiscriminatorConfig) -> list[Difference]:
    """Every point of comparison with the ``pix2pix`` preset; ``.differs`` marks the differences."""
    rg, rd = preset("pix2pix")
    rg = rg.replace(input_size=g.input_size) if g.input_size % 2**rg.depth == 0 else rg
    rows: list[Difference] = []

    def add(net: str, point: str, chosen: object, ref: object, note: str) -> None:
        rows.append(Difference(net, point, str(chosen), str(ref), note))

    add(
        "generator",
        "in -> out channels",
        f"{g.in_channels} -> {g.out_channels}",
        f"{rg.in_channels} -> {rg.out_channels}",
        "L in, ab out",
    )
    add("generator", "ngf (base channels)", g.ngf, rg.ngf, "channels after input_layer")
    add("generator", "depth (downsamplings)", g.depth, rg.depth, "unet_256 has 8: 256 -> 1")
    add("generator", "norm", g.norm, rg.norm, "")
    add(
        "generator",
        "outermost skip",
        f"yes: output_layer takes {2 * g.channels(0)} channels"
        if g.outer_skip
        else f"none: output_layer takes {g.channels(0)} channels",
        f"yes: output_layer takes {2 * rg.channels(0)} channels",
        "the reference concatenates input_layer's output before output_layer",
    )
    add(
        "generator",
        "dropout",
        _dropout_blocks(g),
        _dropout_blocks(rg),
        "the reference puts Dropout(0.5) in the three innermost 512-channel decoders only",
    )
    add("generator", "parameters", f"{_count(g):,}", f"{_count(rg):,}", "")
    add("discriminator", "in channels", d.in_channels, rd.in_channels, "L and ab together")
    add("discriminator", "ndf / n_layers", f"{d.ndf} / {d.n_layers}", f"{rd.ndf} / {rd.n_layers}", "")
    add("discriminator", "norm", d.norm, rd.norm, "")
    add(
        "discriminator",
        "strides",
        ", ".join(map(str, d.strides())),
        ", ".join(map(str, rd.strides())),
        "the reference's last two convs have stride 1",
    )
    size = d.input_size
    rsize = rd.replace(input_size=size).output_size if size >= rd.min_input_size() else "n/a"
    add(
        "discriminator",
        f"patch map at {size}x{size}",
        f"{d.output_size}x{d.output_size}",
        f"{rsize}x{rsize}",
        "",
    )
    add(
        "discriminator",
        "first/last conv bias",
        "yes" if d.end_bias else "none",
        "yes" if rd.end_bias else "none",
        "",
    )
    add(
        "discriminator",
        "second conv",
        f"Conv2d({d.in_channels}, {d.ndf}) (the notebook's typo)"
        if d.notebook_bug
        else f"Conv2d({d.ndf}, {d.ndf * min(2, d.max_mult)})",
        f"Conv2d({rd.ndf}, {rd.ndf * 2})",
        "",
    )
    add("discriminator", "parameters", f"{_count(d):,}", f"{_count(rd):,}", "")
    return rows

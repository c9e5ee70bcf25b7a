"""models.build: one call for either config, on any device."""

from __future__ import annotations

import pytest
import torch

from models import PatchDiscriminator, UNetGenerator, build, generator_plan, preset


def test_build_picks_the_network_of_the_config() -> None:
    g_cfg, d_cfg = preset("notebook")
    g, d = build(g_cfg, device="meta"), build(d_cfg, device="meta")
    assert isinstance(g, UNetGenerator) and isinstance(d, PatchDiscriminator)
    # The parameter counts of the notebook (seed README), built without memory.
    assert sum(p.numel() for p in g.parameters()) == 54_407_810
    assert sum(p.numel() for p in d.parameters()) == 2_765_568
    assert {p.device for p in g.parameters()} == {torch.device("meta")}


def test_build_on_cpu_by_default_and_with_a_plan() -> None:
    g_cfg = preset("notebook")[0].replace(ngf=4, depth=4, input_size=16)
    plan = tuple(
        b.with_channels(in_channels=b.in_channels // 2) if b.name == "decoder_1" else b
        for b in generator_plan(g_cfg)
    )
    model = build(g_cfg, plan=plan)
    assert next(model.parameters()).device == torch.device("cpu")
    assert model.plan == plan


def test_build_refuses_what_it_cannot_build() -> None:
    d_cfg = preset("notebook")[1]
    with pytest.raises(TypeError, match="takes none"):
        build(d_cfg, plan=generator_plan(preset("notebook")[0]))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="got dict"):
        build({"ngf": 64})  # type: ignore[call-overload]

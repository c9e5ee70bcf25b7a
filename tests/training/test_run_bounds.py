"""The side and memory of a described generator's run, from its header, against the meta tracer."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.shapes.memory import real_run_bytes
from inspector.training import colorize as colorize_module
from inspector.training.checkpoint import save_generator_export
from inspector.training.run_bounds import (
    MAX_MODEL_SIDE,
    check_run_memory,
    generator_run_bytes,
    largest_side,
    max_run_bytes,
)
from models import build, build_generator, list_presets, preset


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"outer_skip": True},
        {"outer_skip": False, "dropout": "none", "norm": "instance"},
        {"depth": 3, "ngf": 12, "max_mult": 2},
        {"depth": 7, "dropout": "reference", "norm": "none"},
    ],
)
@pytest.mark.parametrize("side", [128, 256])
def test_the_count_from_the_header_equals_the_meta_tracers(changes: dict, side: int) -> None:
    """The oracle: inspector.shapes.memory traces a real forward on the meta device."""
    cfg = preset("notebook")[0].replace(**{"ngf": 8, "depth": 5, "input_size": side, **changes})
    assert generator_run_bytes(cfg, side) == real_run_bytes(build(cfg, device="meta"), (1, 1, side, side))


def test_every_preset_runs_at_the_largest_side_and_a_wide_shallow_header_does_not() -> None:
    for name in list_presets():
        g = preset(name)[0].replace(input_size=MAX_MODEL_SIDE)
        assert check_run_memory(g, largest_side(g)) <= max_run_bytes()
    wide = preset("notebook")[0].replace(ngf=512, depth=2, input_size=512)  # 67 MB of weights
    with pytest.raises(UserError, match=r"\(ngf 512, depth 2\) would need [\d,]+ MiB to run at 512x512"):
        check_run_memory(wide, largest_side(wide))


def test_a_header_claiming_4096_runs_at_most_at_512() -> None:
    cfg = preset("notebook")[0].replace(ngf=4, depth=5, input_size=4096)
    assert largest_side(cfg) == MAX_MODEL_SIDE
    assert largest_side(cfg.replace(input_size=64)) == 64
    # what the header's own size would have cost, and what is run instead
    assert generator_run_bytes(cfg, 4096) > 1_000_000_000 > 30_000_000 > generator_run_bytes(cfg, 512)


def test_load_generator_refuses_before_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = preset("notebook")[0].replace(ngf=4, depth=5, input_size=4096)
    path = save_generator_export(tmp_path, build_generator(cfg))
    from inspector.training import run_bounds

    monkeypatch.setattr(run_bounds, "max_run_bytes", lambda: 1 << 20)  # a budget this header does not fit
    monkeypatch.setattr(
        colorize_module, "restore_models", lambda *a, **k: pytest.fail("built before the memory check")
    )
    with pytest.raises(UserError, match="would need 20 MiB to run at 512x512, more than the 1 MiB"):
        colorize_module.load_generator(path)

"""load_networks: a checkpoint's two networks, as saved, in eval mode; an export has no discriminator."""

from __future__ import annotations

from pathlib import Path

import torch

from inspector.training.checkpoint import save_checkpoint, save_generator_export
from inspector.training.colorize import load_generator, load_networks
from models import build_discriminator, build_generator, init_weights, preset


def _models() -> tuple[torch.nn.Module, torch.nn.Module]:
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    return init_weights(build_generator(g), seed=0), init_weights(build_discriminator(d), seed=1)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_full_checkpoint_gives_both_networks_in_eval_mode(tmp_path: Path) -> None:
    G, D = _models()
    path = save_checkpoint(tmp_path / "run", G, D, step=7)
    generator, discriminator, ckpt = load_networks(path.read_bytes(), name=path.name)
    assert ckpt.step == 7 and discriminator is not None
    assert _same_weights(generator, G) and _same_weights(discriminator, D)
    assert not any(m.training for m in [*generator.modules(), *discriminator.modules()])
    assert discriminator.config == D.config  # the page reads the architecture from it
    only_g, _ = load_generator(path.read_bytes(), name=path.name)
    assert _same_weights(only_g, generator)


def test_a_generator_export_has_no_discriminator(tmp_path: Path) -> None:
    G, _ = _models()
    path = save_generator_export(tmp_path, G, G.config, step=3)
    generator, discriminator, ckpt = load_networks(path)
    assert discriminator is None and ckpt.step == 3 and _same_weights(generator, G)

"""Cached networks: built from a config (real weights, or on the meta device), as the notebook
starts training them, or loaded from a checkpoint; and the summaries of a config's network."""

from __future__ import annotations

import pyarrow as pa
from torch import nn

from inspector.i18n.catalog import N_
from inspector.shapes.compare import Comparison, compare_to_reference
from inspector.shapes.summary import BlockParams, Summary, block_params, summary, summary_rows
from inspector.training.checkpoint import Checkpoint
from inspector.training.colorize import load_networks
from inspector.training.plan import RunChoices, load_init
from inspector.training.recognize import FAMILIES
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models import DiscriminatorConfig, GeneratorConfig, NetworkConfig, build, init_weights
from models.presets import source_class_name
from models.text import Text


@spinner(N_("Building the model..."))
@shared(max_entries=6)
def real_model(cfg: NetworkConfig) -> nn.Module:
    """The network with real weights (PyTorch's default init). Shared by all sessions: never
    modify it in place; copy it first (``copy.deepcopy``)."""
    return build(cfg)


@shared(max_entries=32)
def meta_model(cfg: NetworkConfig) -> nn.Module:
    """The network on the ``meta`` device: shapes and parameter counts, no memory."""
    return build(cfg, device="meta")


@spinner(N_("Building the untrained networks (N(0, 0.02))..."))
@shared(max_entries=4)
def untrained_model(cfg: NetworkConfig) -> nn.Module:
    """The network as the notebook starts training it: ``init_weights`` N(0, 0.02), seed 0, eval mode.
    Shared by all sessions: the see-inside functions leave its modes and buffers as they found them."""
    return init_weights(build(cfg), seed=0).eval()


@spinner(N_("Loading the checkpoint..."))
@shared(max_entries=4)
def init_checkpoint(key: str, _source: bytes | str, name: str) -> Checkpoint:
    """The checkpoint a new run starts from (``load_init``: recognized by its structure, never
    unpickled); ``key`` names it. Raises UserError (not cached) for a file that cannot be used."""
    source = (name, _source) if isinstance(_source, bytes) else _source
    return load_init(RunChoices(init_from=source))


@spinner(N_("Loading the checkpoint..."))
@shared(max_entries=4)
def checkpoint_models(
    key: str, _source: bytes | str, name: str, g_cfg: GeneratorConfig | None = None
) -> tuple[nn.Module, nn.Module | None, int, Text]:
    """(generator, discriminator or None, step, what the file is) of a checkpoint (``load_networks``:
    any file whose networks are recognized); ``key`` names it (a path and its mtime, or an upload's
    SHA-256). Raises UserError (not cached) for a file that cannot be used."""
    generator, discriminator, ckpt = load_networks(_source, name=name, generator_config=g_cfg)
    found = ckpt.recognized.get("generator")
    family = FAMILIES[found.family, "generator"] if found is not None else FAMILIES["unknown", "generator"]
    return generator, discriminator, int(ckpt.step), family


@shared(max_entries=64)
def model_summary(cfg: NetworkConfig, batch: int = 1, depth: int = 4) -> Summary:
    """torchinfo summary at (batch, in_channels, size, size), the model named as its source names it
    (the notebook's Pix2Pix_Generator). Raises RuntimeError if the model cannot run."""
    size = cfg.input_size
    shape = (batch, cfg.in_channels, size, size)
    return summary(meta_model(cfg), shape, depth=depth, name=source_class_name(cfg))


@shared(max_entries=64)
def model_blocks(cfg: NetworkConfig) -> list[BlockParams]:
    return block_params(meta_model(cfg))


@shared(max_entries=32)
def reference_differences(g_cfg: GeneratorConfig, d_cfg: DiscriminatorConfig) -> Comparison:
    """``compare_to_reference``: it builds both networks and the reference's to count their weights,
    so it is done once per configuration, not on every view."""
    return compare_to_reference(g_cfg, d_cfg)


@shared(max_entries=32)
def largest_conv(cfg: GeneratorConfig) -> tuple[int, int, int, float]:
    """(in, out, weights) of the generator's largest conv, and the share of all its weights in the
    convs at least half as wide as the widest (from the meta copy: nothing is allocated)."""
    model = meta_model(cfg)
    convs = [m for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)]
    total = sum(p.numel() for p in model.parameters())
    big = max(convs, key=lambda m: m.weight.numel())
    widest = max(max(m.in_channels, m.out_channels) for m in convs)
    wide = sum(m.weight.numel() for m in convs if max(m.in_channels, m.out_channels) >= widest // 2)
    return big.in_channels, big.out_channels, big.weight.numel(), wide / total


@shared(max_entries=64)
def summary_table(cfg: NetworkConfig, batch: int = 1) -> pa.Table:
    """``model_summary``'s rows (``SUMMARY_COLUMNS``) as an Arrow table: converting them from Python
    on every view was a third of the Architecture page's CPU. Raises RuntimeError as model_summary."""
    return pa.Table.from_pylist(summary_rows(model_summary(cfg, batch)))


@shared(max_entries=64)
def block_table(cfg: NetworkConfig, total_word: str) -> pa.Table:
    """Columns ``block``, ``layers``, ``params``: every top-level block and a last row ``total_word``
    (the session's word for the total) with the sum."""
    blocks = model_blocks(cfg)
    return pa.table(
        {
            "block": [b.name for b in blocks] + [total_word],
            "layers": [b.layers for b in blocks] + [""],
            "params": [b.params for b in blocks] + [sum(b.params for b in blocks)],
        }
    )

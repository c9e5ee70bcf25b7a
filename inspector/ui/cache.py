"""Cached builders and derived data. Keys are frozen config dataclasses (hashable)."""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from inspector.shapes.summary import BlockParams, Summary, block_params, summary
from models import DiscriminatorConfig, GeneratorConfig, build_discriminator, build_generator


@st.cache_resource(max_entries=6, show_spinner="Building the model...")
def real_model(cfg: GeneratorConfig | DiscriminatorConfig) -> nn.Module:
    """The network with real weights (PyTorch's default init). Shared by all sessions: never
    modify it in place; copy it first (``copy.deepcopy``)."""
    return build_generator(cfg) if isinstance(cfg, GeneratorConfig) else build_discriminator(cfg)


@st.cache_resource(max_entries=32)
def meta_model(cfg: GeneratorConfig | DiscriminatorConfig) -> nn.Module:
    """The network on the ``meta`` device: shapes and parameter counts, no memory."""
    with torch.device("meta"):
        return build_generator(cfg) if isinstance(cfg, GeneratorConfig) else build_discriminator(cfg)


@st.cache_data(max_entries=64, show_spinner=False)
def model_summary(cfg: GeneratorConfig | DiscriminatorConfig, batch: int = 1, depth: int = 4) -> Summary:
    """torchinfo summary at the config's input size. Raises RuntimeError if the model cannot run."""
    size = cfg.input_size
    return summary(meta_model(cfg), (batch, cfg.in_channels, size, size), depth=depth)


@st.cache_data(max_entries=64, show_spinner=False)
def model_blocks(cfg: GeneratorConfig | DiscriminatorConfig) -> list[BlockParams]:
    return block_params(meta_model(cfg))

"""The sidebar: pick a preset, then change any setting. Writes the configs to session state.

Every widget's value lives in ``st.session_state`` under a ``cfg.*`` key; picking a preset
overwrites those keys with the preset's values. The resulting configs (or the ``ValueError``
that explains why the settings are impossible) are stored for the pages.
"""

from __future__ import annotations

import streamlit as st

from models import DROPOUTS, NORMS, DiscriminatorConfig, GeneratorConfig, get_preset, list_presets
from models.config import MAX_CHANNELS, MAX_DISC_LAYERS, MAX_GEN_DEPTH, MAX_INPUT_SIZE

GLOSSARY = """
- **ngf / ndf**: channels after the first conv of the generator / discriminator (the paper's names).
- **depth**: how many stride-2 convs halve the image on the way down. 8 takes 256 to 1.
- **outermost skip**: the reference also concatenates `input_layer`'s output before `output_layer`.
- **dropout**: `reference` = the three innermost decoders (at depth 8); `all` = every decoder, as the notebook.
- **last stride**: stride of the discriminator's last two convs: 1 gives the 70x70 PatchGAN, 2 the notebook's 8x8 map.
"""


def _load_preset() -> None:
    g, d = (
        get_preset(st.session_state["cfg.preset"]).generator,
        get_preset(st.session_state["cfg.preset"]).discriminator,
    )
    for name, value in g.to_dict().items():
        st.session_state[f"cfg.g.{name}"] = value
    for name, value in d.to_dict().items():
        st.session_state[f"cfg.d.{name}"] = value


def _ensure_state() -> None:
    if "cfg.preset" not in st.session_state:
        st.session_state["cfg.preset"] = "notebook"
        _load_preset()


def model_sidebar() -> None:
    """Render the settings and store ``generator_config`` and ``discriminator_config`` (None when
    invalid) and ``config_errors`` (part -> message)."""
    _ensure_state()
    ss = st.session_state
    with st.sidebar:
        st.selectbox(
            "Preset",
            list_presets(),
            key="cfg.preset",
            on_change=_load_preset,
            help="notebook: the study notebook's models; notebook-as-written: with its discriminator "
            "typo; pix2pix: the reference implementation.",
        )
        st.caption(get_preset(ss["cfg.preset"]).description)
        st.number_input(
            "Input size (H = W)",
            min_value=2,
            max_value=MAX_INPUT_SIZE,
            step=1,
            key="cfg.g.input_size",
            help="Both networks see images of this size. The U-Net needs a multiple of 2**depth.",
        )
        with st.expander("Generator (U-Net)"):
            st.number_input("ngf", 1, MAX_CHANNELS, key="cfg.g.ngf")
            st.number_input("depth (downsamplings)", 2, MAX_GEN_DEPTH, key="cfg.g.depth")
            st.number_input("in channels", 1, MAX_CHANNELS, key="cfg.g.in_channels")
            st.number_input("out channels", 1, MAX_CHANNELS, key="cfg.g.out_channels")
            st.selectbox("norm", NORMS, key="cfg.g.norm")
            st.selectbox("dropout", DROPOUTS, key="cfg.g.dropout")
            st.checkbox("outermost skip", key="cfg.g.outer_skip")
        with st.expander("Discriminator (PatchGAN)"):
            st.number_input("ndf", 1, MAX_CHANNELS, key="cfg.d.ndf")
            st.number_input("layers (n_layers)", 1, MAX_DISC_LAYERS, key="cfg.d.n_layers")
            st.number_input("in channels", 1, MAX_CHANNELS, key="cfg.d.in_channels")
            st.selectbox("norm", NORMS, key="cfg.d.norm")
            st.radio("last stride", (1, 2), key="cfg.d.last_stride", horizontal=True)
            st.checkbox("bias on first and last conv", key="cfg.d.end_bias")
            st.checkbox("the notebook's typo (second conv 3 -> 64)", key="cfg.d.notebook_bug")
        with st.expander("Glossary"):
            st.markdown(GLOSSARY)
    ss["cfg.d.input_size"] = ss["cfg.g.input_size"]
    g_values = {k[len("cfg.g.") :]: v for k, v in ss.items() if isinstance(k, str) and k.startswith("cfg.g.")}
    d_values = {k[len("cfg.d.") :]: v for k, v in ss.items() if isinstance(k, str) and k.startswith("cfg.d.")}
    # Each network on its own: a U-Net valid at 8x8 is still worth exploring when the PatchGAN
    # cannot take 8x8, so a page that needs only one network is not blocked by the other.
    errors: dict[str, str] = {}
    for part, cls, values in (("generator", GeneratorConfig, g_values), ("discriminator", DiscriminatorConfig, d_values)):
        try:
            ss[f"{part}_config"] = cls.from_dict(values)
        except (ValueError, TypeError) as exc:
            ss[f"{part}_config"] = None
            errors[part] = str(exc)
    ss["config_errors"] = errors

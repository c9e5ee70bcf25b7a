"""The sidebar: pick a preset, then change any setting. Returns the user's ``Choice``.

Every widget's value lives in ``st.session_state`` under a ``cfg.*`` key (tests and links set
them by that key); picking a preset overwrites those keys with the preset's values. Only this
module reads those keys: pages get the ``Choice`` from ``current_choice()``.
"""

from __future__ import annotations

import streamlit as st

from inspector.ui.choice import DEFAULT_PRESET, Choice
from models import DROPOUTS, NORMS, get_preset, list_presets
from models.config import MAX_CHANNELS, MAX_DISC_LAYERS, MAX_GEN_DEPTH, MAX_INPUT_SIZE

PRESET_KEY = "cfg.preset"
G_PREFIX, D_PREFIX = "cfg.g.", "cfg.d."
_CHOICE_KEY = "_sidebar.choice"  # where model_sidebar() leaves this rerun's choice for the pages

GLOSSARY = """
- **ngf / ndf**: channels after the first conv of the generator / discriminator (the paper's names).
- **depth**: how many stride-2 convs halve the image on the way down. 8 takes 256 to 1.
- **outermost skip**: the reference also concatenates `input_layer`'s output before `output_layer`.
- **dropout**: `reference` = the three innermost decoders (at depth 8); `all` = every decoder, as the notebook.
- **last stride**: stride of the discriminator's last two convs: 1 gives the 70x70 PatchGAN, 2 the notebook's 8x8 map.
"""


def _load_preset() -> None:
    chosen = get_preset(st.session_state[PRESET_KEY])
    for name, value in chosen.generator.to_dict().items():
        st.session_state[G_PREFIX + name] = value
    for name, value in chosen.discriminator.to_dict().items():
        st.session_state[D_PREFIX + name] = value


def _ensure_state() -> None:
    if PRESET_KEY not in st.session_state:
        st.session_state[PRESET_KEY] = DEFAULT_PRESET
        _load_preset()


def _settings(prefix: str) -> dict[str, object]:
    ss = st.session_state
    return {k[len(prefix) :]: v for k, v in ss.items() if isinstance(k, str) and k.startswith(prefix)}


def model_sidebar() -> Choice:
    """Render the settings and return (and remember for ``current_choice``) what they say."""
    _ensure_state()
    ss = st.session_state
    with st.sidebar:
        st.selectbox(
            "Preset",
            list_presets(),
            key=PRESET_KEY,
            on_change=_load_preset,
            help="notebook: the study notebook's models; notebook-as-written: with its discriminator "
            "typo; pix2pix: the reference implementation.",
        )
        st.caption(get_preset(ss[PRESET_KEY]).description)
        st.number_input(
            "Input size (H = W)",
            min_value=2,
            max_value=MAX_INPUT_SIZE,
            step=1,
            key=G_PREFIX + "input_size",
            help="Both networks see images of this size. The U-Net needs a multiple of 2**depth.",
        )
        with st.expander("Generator (U-Net)"):
            st.number_input("ngf", 1, MAX_CHANNELS, key=G_PREFIX + "ngf")
            st.number_input("depth (downsamplings)", 2, MAX_GEN_DEPTH, key=G_PREFIX + "depth")
            st.number_input("in channels", 1, MAX_CHANNELS, key=G_PREFIX + "in_channels")
            st.number_input("out channels", 1, MAX_CHANNELS, key=G_PREFIX + "out_channels")
            st.selectbox("norm", NORMS, key=G_PREFIX + "norm")
            st.selectbox("dropout", DROPOUTS, key=G_PREFIX + "dropout")
            st.checkbox("outermost skip", key=G_PREFIX + "outer_skip")
        with st.expander("Discriminator (PatchGAN)"):
            st.number_input("ndf", 1, MAX_CHANNELS, key=D_PREFIX + "ndf")
            st.number_input("layers (n_layers)", 1, MAX_DISC_LAYERS, key=D_PREFIX + "n_layers")
            st.number_input("in channels", 1, MAX_CHANNELS, key=D_PREFIX + "in_channels")
            st.selectbox("norm", NORMS, key=D_PREFIX + "norm")
            st.radio("last stride", (1, 2), key=D_PREFIX + "last_stride", horizontal=True)
            st.checkbox("bias on first and last conv", key=D_PREFIX + "end_bias")
            st.checkbox("the notebook's typo (second conv 3 -> 64)", key=D_PREFIX + "notebook_bug")
        with st.expander("Glossary"):
            st.markdown(GLOSSARY)
    ss[D_PREFIX + "input_size"] = ss[G_PREFIX + "input_size"]  # one size box for both networks
    choice = Choice.from_settings(ss[PRESET_KEY], _settings(G_PREFIX), _settings(D_PREFIX))
    ss[_CHOICE_KEY] = choice
    return choice


def current_choice() -> Choice:
    """The choice ``model_sidebar()`` returned on this rerun (it runs before every page)."""
    choice = st.session_state.get(_CHOICE_KEY)
    # A page run on its own (no app shell around it) draws the sidebar itself.
    return choice if isinstance(choice, Choice) else model_sidebar()

"""The sidebar: the language, a preset, then any setting. Returns the user's ``Choice``.

Every widget's value lives in ``st.session_state`` under a ``cfg.*`` key (tests and links set
them by that key); picking a preset overwrites those keys with the preset's values. Only this
module reads those keys: pages get the ``Choice`` from ``current_choice()``. A link that carries
``?preset=...&part=...&size=...&example=...`` (``inspector.ui.links``) is applied here, once.
"""

from __future__ import annotations

import streamlit as st

from inspector.i18n.catalog import N_
from inspector.i18n.glossary import GLOSSARY
from inspector.ui.choice import Choice
from inspector.ui.fold import fold, keep_values
from inspector.ui.i18n import _, current_language, language_switch
from inspector.ui.links import LINK_KEYS, arrival
from models import DROPOUTS, NORMS, get_preset, list_presets
from models.config import MAX_CHANNELS, MAX_DISC_LAYERS, MAX_GEN_DEPTH, MAX_INPUT_SIZE
from models.presets import DEFAULT_PRESET

PRESET_KEY = "cfg.preset"
SETTINGS_KEY = "ui.settings"  # the toggle that shows every setting
G_PREFIX, D_PREFIX = "cfg.g.", "cfg.d."
_CHOICE_KEY = "_sidebar.choice"  # where model_sidebar() leaves this rerun's choice for the pages
# The settings as the last run ended, under a key no widget owns: Streamlit never drops it.
_LAST_KEY = "_sidebar.settings"

# The paper's names for the settings, one line each (the course terms are in GLOSSARY).
SETTINGS_GLOSSARY = (
    N_("**ngf / ndf**: channels after the first conv of the generator / discriminator (the paper's names)."),
    N_("**depth**: how many stride-2 convs halve the image on the way down. 8 takes 256 to 1."),
    N_("**outermost skip**: the reference also concatenates `input_layer`'s output before `output_layer`."),
    N_(
        "**dropout**: *as the reference* = the three innermost decoders (at depth 8); *in every decoder* = "
        "all six, as in the notebook."
    ),
    N_(
        "**last stride**: stride of the discriminator's last two convs: 1 gives the 70x70 PatchGAN, "
        "2 the notebook's 8x8 map."
    ),
)
# The options' words (the config keeps its identifiers: batch, instance, none, reference, all).
NORM_WORDS = {"batch": N_("batch norm"), "instance": N_("instance norm"), "none": N_("no norm")}
DROPOUT_WORDS = {
    "none": N_("no dropout"),
    "reference": N_("dropout as the reference (the innermost decoders)"),
    "all": N_("dropout in every decoder"),
}
# The presets' descriptions (models/presets.py, English) as the catalog translates them.
PRESET_DESCRIPTIONS = {name: get_preset(name).description for name in list_presets()}


def _preset_settings(name: str) -> dict[str, object]:
    """The ``cfg.*`` keys and values of preset ``name``."""
    chosen = get_preset(name)
    return {
        **{G_PREFIX + k: v for k, v in chosen.generator.to_dict().items()},
        **{D_PREFIX + k: v for k, v in chosen.discriminator.to_dict().items()},
    }


# Every preset's settings, made once: the sidebar reads them on every view of every student.
_PRESET_SETTINGS = {name: _preset_settings(name) for name in list_presets()}
SETTING_KEYS = tuple(_PRESET_SETTINGS[DEFAULT_PRESET])  # every preset sets the same keys


def _load_preset() -> None:
    st.session_state.update(_PRESET_SETTINGS[st.session_state[PRESET_KEY]])


def _ensure_state() -> None:
    """Give every setting a value before its widget is drawn: the last run's, else the preset's.

    Streamlit drops a widget's state when a run finishes without drawing it, and the widget then
    starts from its own default: the size box from its ``min_value``, 2 (the box once read "2"
    after a page switch). Checking only the preset's key let that through; each key is checked.
    """
    ss = st.session_state
    if PRESET_KEY not in ss:
        ss[PRESET_KEY] = DEFAULT_PRESET
    last = ss.get(_LAST_KEY) or {}
    for key, value in _PRESET_SETTINGS[ss[PRESET_KEY]].items():
        if key not in ss:
            ss[key] = last.get(key, value)


# Number boxes are drawn with their current value as their default too. The value in session
# state wins; the default is what a browser shows should it have lost the box's state (it shows
# `stored ?? default`), and a number box's own default is its min_value: 2 for the size.
def _number(label: str, low: int, high: int, key: str, help: str | None = None) -> None:
    st.number_input(label, low, high, value=int(st.session_state[key]), step=1, key=key, help=help)


def apply_link() -> None:
    """Apply the state a followed link asks for, then take its parameters out of the URL, so that
    the user's next change of a widget is not undone on the next rerun."""
    params = {k: str(st.query_params[k]) for k in LINK_KEYS if k in st.query_params}
    if not params:
        return
    wanted = arrival(params)
    if wanted.preset is not None:
        st.session_state[PRESET_KEY] = wanted.preset
        _load_preset()
    for key, value in wanted.state.items():
        st.session_state[key] = value
    for key in params:
        del st.query_params[key]
    for name, value in wanted.ignored:
        st.sidebar.warning(
            _(
                "This link asks for {name}={value}, which the app does not know: it was left out.",
                name=name,
                value=value,
            )
        )


def _settings(prefix: str) -> dict[str, object]:
    """The settings of one network (``prefix``: ``G_PREFIX`` or ``D_PREFIX``), by field name."""
    # By key, not by walking the session state: each walk copies the whole state (every view).
    ss = st.session_state
    return {k[len(prefix) :]: ss[k] for k in SETTING_KEYS if k.startswith(prefix) and k in ss}


def _glossary() -> None:
    """The course's terms, Korean beside English (English first in an English session)."""
    korean_first = current_language() == "ko"
    lines = []
    for term in GLOSSARY:
        first, second = (term.korean, term.english) if korean_first else (term.english, term.korean)
        code = f" `{term.code}`" if term.code else ""
        lines.append(f"- **{first}** ({second}){code}: {_(term.meaning)}")
    lines += [f"- {_(line)}" for line in SETTINGS_GLOSSARY]
    st.markdown("\n".join(lines))


def _settings_widgets() -> None:
    """Every setting of both networks (``cfg.g.*``, ``cfg.d.*``)."""
    st.markdown(_("**Generator (U-Net)**"))
    _number("ngf", 1, MAX_CHANNELS, G_PREFIX + "ngf")
    _number(_("depth (downsamplings)"), 2, MAX_GEN_DEPTH, G_PREFIX + "depth")
    _number(_("in channels"), 1, MAX_CHANNELS, G_PREFIX + "in_channels")
    _number(_("out channels"), 1, MAX_CHANNELS, G_PREFIX + "out_channels")
    st.selectbox(_("norm"), NORMS, key=G_PREFIX + "norm", format_func=lambda v: _(NORM_WORDS[v]))
    st.selectbox(_("dropout"), DROPOUTS, key=G_PREFIX + "dropout", format_func=lambda v: _(DROPOUT_WORDS[v]))
    st.checkbox(_("outermost skip"), key=G_PREFIX + "outer_skip")
    st.markdown(_("**Discriminator (PatchGAN)**"))
    _number("ndf", 1, MAX_CHANNELS, D_PREFIX + "ndf")
    _number(_("layers (n_layers)"), 1, MAX_DISC_LAYERS, D_PREFIX + "n_layers")
    _number(_("in channels"), 1, MAX_CHANNELS, D_PREFIX + "in_channels")
    st.selectbox(_("norm"), NORMS, key=D_PREFIX + "norm", format_func=lambda v: _(NORM_WORDS[v]))
    st.radio(_("last stride"), (1, 2), key=D_PREFIX + "last_stride", horizontal=True)
    st.checkbox(_("bias on first and last conv"), key=D_PREFIX + "end_bias")
    st.checkbox(_("the notebook's typo (second conv 3 -> 64)"), key=D_PREFIX + "notebook_bug")


def _summary() -> str:
    """The settings in one line, while their widgets are hidden."""
    g, d = _settings(G_PREFIX), _settings(D_PREFIX)
    return _(
        "Generator: ngf {ngf}, depth {depth}, {norm}, {dropout}. Discriminator: ndf {ndf}, n_layers {layers}, "
        "last stride {stride}, {d_norm}.",
        ngf=g.get("ngf"), depth=g.get("depth"), norm=_(NORM_WORDS.get(str(g.get("norm")), "?")),
        dropout=_(DROPOUT_WORDS.get(str(g.get("dropout")), "?")), ndf=d.get("ndf"), layers=d.get("n_layers"),
        stride=d.get("last_stride"), d_norm=_(NORM_WORDS.get(str(d.get("norm")), "?")),
    )  # fmt: skip


def model_sidebar() -> Choice:
    """Render the settings and return (and remember for ``current_choice``) what they say."""
    _ensure_state()
    ss = st.session_state
    keep_values(SETTING_KEYS)  # the settings' values outlast the hidden settings
    with st.sidebar:
        language_switch()
        apply_link()
        st.selectbox(
            _("Preset"),
            list_presets(),
            key=PRESET_KEY,
            on_change=_load_preset,
            help=_(
                "notebook: the study notebook's models; notebook-as-written: with its discriminator "
                "typo; pix2pix: the reference implementation."
            ),
        )
        st.caption(_(PRESET_DESCRIPTIONS.get(ss[PRESET_KEY], get_preset(ss[PRESET_KEY]).description)))
        _number(
            _("Input size (H = W)"),
            2,
            MAX_INPUT_SIZE,
            G_PREFIX + "input_size",
            help=_("Both networks see images of this size. The U-Net needs a multiple of 2**depth."),
        )
        # The networks' settings are drawn only while this toggle is on: each widget costs the server
        # time on every page view of every student (with 30 students, the 14 settings were a
        # quarter of a light page's CPU). Their values stay in the session meanwhile (keep_values).
        if st.toggle(_("Change the networks' settings"), key=SETTINGS_KEY):
            _settings_widgets()
        else:
            st.caption(_summary())
        with fold(_("Glossary"), "glossary") as shown:
            if shown:
                _glossary()
    ss[D_PREFIX + "input_size"] = ss[G_PREFIX + "input_size"]  # one size box for both networks
    g_settings, d_settings = _settings(G_PREFIX), _settings(D_PREFIX)
    ss[_LAST_KEY] = {
        **{G_PREFIX + k: v for k, v in g_settings.items()},
        **{D_PREFIX + k: v for k, v in d_settings.items()},
    }
    choice = Choice.from_settings(ss[PRESET_KEY], g_settings, d_settings)
    ss[_CHOICE_KEY] = choice
    return choice


def current_choice() -> Choice:
    """The choice ``model_sidebar()`` returned on this rerun (it runs before every page)."""
    choice = st.session_state.get(_CHOICE_KEY)
    # A page run on its own (no app shell around it) draws the sidebar itself.
    return choice if isinstance(choice, Choice) else model_sidebar()

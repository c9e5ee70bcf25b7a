"""pix2pix-inspector: the Streamlit entry point. Layout only; every page is in inspector/ui/pages."""

import streamlit as st

from inspector.shapes.meta import warm_up_in_background
from inspector.ui.i18n import _
from inspector.ui.sidebar import model_sidebar
from inspector.ui.training import run_progress_line

st.set_page_config(page_title="pix2pix-inspector", page_icon="🎨", layout="wide")
warm_up_in_background()  # once per server: the first meta trace's one-off import, off the page's time

# Titles go through the catalog (the language is known before the sidebar is drawn: see ui/i18n.py).
PAGES = [
    st.Page(
        "inspector/ui/pages/follow_notes.py",
        title=_("Follow the notes"),
        icon=":material/menu_book:",
        default=True,
    ),
    st.Page("inspector/ui/pages/architecture.py", title=_("Architecture"), icon=":material/architecture:"),
    st.Page("inspector/ui/pages/skip_connections.py", title=_("Skip connections"), icon=":material/merge:"),
    st.Page("inspector/ui/pages/mismatch_doctor.py", title=_("Mismatch doctor"), icon=":material/healing:"),
    st.Page("inspector/ui/pages/weight_init.py", title=_("Weight init"), icon=":material/bar_chart:"),
    st.Page(
        "inspector/ui/pages/conv_vs_transpose.py", title=_("Conv vs ConvTranspose"), icon=":material/grid_on:"
    ),
    st.Page(
        "inspector/ui/pages/receptive_field.py",
        title=_("Receptive field"),
        icon=":material/center_focus_strong:",
    ),
    st.Page("inspector/ui/pages/lab_colour.py", title=_("Lab colour"), icon=":material/palette:"),
    st.Page("inspector/ui/pages/feature_maps.py", title=_("Feature maps"), icon=":material/layers:"),
    st.Page(
        "inspector/ui/pages/dropout_batchnorm.py", title=_("Dropout & BatchNorm"), icon=":material/shuffle:"
    ),
    st.Page("inspector/ui/pages/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("inspector/ui/pages/colorize.py", title=_("Colorize"), icon=":material/brush:"),
]

page = st.navigation(PAGES)
choice = model_sidebar()  # the user's Choice: every page reads it with current_choice()
run_progress_line()  # this session's training run, if one is going: its step and a Stop button
page.run()

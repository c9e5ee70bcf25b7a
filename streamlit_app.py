"""pix2pix-inspector: the Streamlit entry point. Layout only; every page is in inspector/ui/pages."""

import streamlit as st

from inspector.ui.sidebar import model_sidebar
from inspector.ui.training import stop_when_leaving

st.set_page_config(page_title="pix2pix-inspector", page_icon="🎨", layout="wide")

PAGES = [
    st.Page("inspector/ui/pages/architecture.py", title="Architecture", icon="🏗️", default=True),
    st.Page("inspector/ui/pages/skip_connections.py", title="Skip connections", icon="🔗"),
    st.Page("inspector/ui/pages/mismatch_doctor.py", title="Mismatch doctor", icon="🩺"),
    st.Page("inspector/ui/pages/weight_init.py", title="Weight init", icon="🎲"),
    st.Page("inspector/ui/pages/conv_vs_transpose.py", title="Conv vs ConvTranspose", icon="🔁"),
    st.Page("inspector/ui/pages/receptive_field.py", title="Receptive field", icon="🔍"),
    st.Page("inspector/ui/pages/lab_colour.py", title="Lab colour", icon="🌈"),
    st.Page("inspector/ui/pages/train.py", title="Train", icon="🏋️"),
    st.Page("inspector/ui/pages/colorize.py", title="Colorize", icon="🖍️"),
]

page = st.navigation(PAGES)
stop_when_leaving(page)  # a training run stops when its session opens another page
model_sidebar()
page.run()

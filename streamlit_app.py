"""pix2pix-inspector: the Streamlit entry point. Layout only; every page is in inspector/ui/pages."""

import streamlit as st

from inspector.shapes.meta import warm_up_in_background
from inspector.ui.i18n import current_language
from inspector.ui.long_lived import freeze_long_lived
from inspector.ui.navigation import navigation
from inspector.ui.sidebar import model_sidebar
from inspector.ui.training import run_progress_line

st.set_page_config(page_title="pix2pix-inspector", page_icon="🎨", layout="wide")
# Once per server, off the pages' time: the first meta trace's one-off import, then the long-lived
# objects frozen out of the garbage collector's full passes (ui/long_lived.py).
warm_up_in_background(then=freeze_long_lived)

# The pages are listed in inspector/ui/page_registry.py, their titles in the session's language
# (known before the sidebar is drawn: see ui/i18n.py). Every page in sight: a student should not
# hunt for one behind "View more".
page = st.navigation(navigation(current_language()), expanded=True)
choice = model_sidebar()  # the user's Choice: every page reads it with current_choice()
run_progress_line()  # this session's training run, if one is going: its step and a Stop button
page.run()

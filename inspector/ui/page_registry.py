"""The app's pages, in the navigation's order: one line per page.

Adding a page is one file in ``inspector/ui/pages/`` and one ``Page`` line here. Everything that
needs the list reads it from here: ``streamlit_app.py`` (``st.navigation``, through ``ui/navigation.py``), the walk's links
(``inspector.ui.notes_walk``), the runs list's "Colorize with", ``bench/page_latency.py`` and the
tests (AppTest and the browser test). A test checks that every file of ``pages/`` is listed and
every entry has its file. This module does not import streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.i18n.catalog import N_

PAGES_DIR = "inspector/ui/pages"  # relative to the repository root, where streamlit_app.py runs


@dataclass(frozen=True)
class Page:
    """One page: ``id`` is its file's stem and its URL path (``/mismatch_doctor``)."""

    id: str
    title: str  # an English message (N_): the navigation shows it in the session's language
    icon: str  # a Material icon, ":material/name:"
    section: str  # the navigation's heading above it (an English message, N_)

    @property
    def file(self) -> str:
        """The page's script, as ``st.Page``, ``st.page_link`` and ``AppTest.switch_page`` take it."""
        return f"{PAGES_DIR}/{self.id}.py"


# The first page is the default: the root URL opens it.
BUILD, INSIDE, TRAIN = N_("Build the networks"), N_("Look inside"), N_("Train and use")
PAGES: tuple[Page, ...] = (
    Page("follow_notes", N_("Follow the notes"), ":material/menu_book:", BUILD),
    Page("architecture", N_("Architecture"), ":material/architecture:", BUILD),
    Page("skip_connections", N_("Skip connections"), ":material/merge:", BUILD),
    Page("mismatch_doctor", N_("Mismatch doctor"), ":material/healing:", BUILD),
    Page("weight_init", N_("Weight init"), ":material/bar_chart:", BUILD),
    Page("conv_vs_transpose", N_("Conv vs ConvTranspose"), ":material/grid_on:", BUILD),
    Page("receptive_field", N_("Receptive field"), ":material/center_focus_strong:", BUILD),
    Page("lab_colour", N_("Lab colour"), ":material/palette:", INSIDE),
    Page("feature_maps", N_("Feature maps"), ":material/layers:", INSIDE),
    Page("dropout_batchnorm", N_("Dropout & BatchNorm"), ":material/shuffle:", INSIDE),
    Page("train", N_("Train"), ":material/model_training:", TRAIN),
    Page("class_runs", N_("Class runs"), ":material/groups:", TRAIN),
    Page("colorize", N_("Colorize"), ":material/brush:", TRAIN),
    Page("checkpoints", N_("Checkpoints"), ":material/inventory_2:", TRAIN),
)
_BY_ID = {p.id: p for p in PAGES}


def page_file(page_id: str) -> str:
    """The script of the page ``page_id``; a ``KeyError`` names an unknown id (a typo fails at import)."""
    try:
        return _BY_ID[page_id].file
    except KeyError:
        raise KeyError(f"no page {page_id!r}; the pages are: {', '.join(_BY_ID)}") from None

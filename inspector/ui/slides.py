""" "Export for slides": the U diagram or the discriminator chain as SVG, PDF or PNG, in the app.

One call, ``export_for_slides(generator_trace)``, adds the expander to a page (the Skip
connections page). The options are ``inspector.shapes.diagram.DiagramStyle``'s; the files are
drawn by graphviz's ``dot`` (``pix2pix-inspector diagram`` writes the same files).
"""

from __future__ import annotations

import streamlit as st

from inspector.doctor.report import Problem
from inspector.errors import UserError
from inspector.i18n.catalog import LANGUAGES, N_, translator
from inspector.i18n.fonts import graphviz_font
from inspector.shapes.diagram import FORMATS, DiagramStyle, diagram_dot
from inspector.shapes.dot_graph import Direction, NormAct
from inspector.shapes.records import Trace
from inspector.ui.caches.doctor import diagram_file, discriminator_diagnosis
from inspector.ui.common import PART_NAMES, labelled_radio
from inspector.ui.fold import fold
from inspector.ui.i18n import _, current_language, reason
from inspector.ui.sidebar import current_choice

DIRECTIONS: dict[Direction, str] = {"TB": N_("top to bottom"), "LR": N_("left to right")}
NORM_ACT: dict[NormAct, str] = {
    "auto": N_("as on screen"),
    "show": N_("show every layer"),
    "hide": N_("hide norm and activation"),
}
MIME = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}


# The options' keys: kept while the fold is closed (never a button's: those take no assigned value).
OPTION_KEYS = (
    "slides.part",
    "slides.dir",
    "slides.norm_act",
    "slides.collapse",
    "slides.lang",
    "slides.preview",
)


def export_for_slides(generator: Trace) -> None:
    """A fold that draws the generator (``generator``, the page's trace) or the sidebar's
    discriminator with the slide options, shows it, and offers the three files; drawn (and its
    files rendered) only while open."""
    with fold(_("Export for slides"), "slides", keep=OPTION_KEYS) as shown:
        if shown:
            _export(generator)


def _export(generator: Trace) -> None:
    c1, c2, c3 = st.columns(3)
    part = labelled_radio(_("Network"), PART_NAMES, "slides.part", c1, horizontal=True)
    direction = labelled_radio(_("Direction"), DIRECTIONS, "slides.dir", c1, horizontal=True)
    norm_act = labelled_radio(_("Norm and activation layers"), NORM_ACT, "slides.norm_act", c2)
    collapse = c2.checkbox(
        _("Fold repeated blocks into one (×n)"),
        value=True,
        key="slides.collapse",
        help=_(
            "Blocks with the same layers that follow each other, e.g. encoder_4 ... encoder_6, become one box."
        ),
    )
    codes = list(LANGUAGES)
    lang = c3.radio(
        _("Language of the labels"),
        codes,
        index=codes.index(current_language()),
        format_func=LANGUAGES.__getitem__,
        key="slides.lang",
    )
    trace = generator
    problems: tuple[Problem, ...] = ()
    if part == "discriminator":
        d_cfg = current_choice().discriminator
        if d_cfg is None:
            st.info(_("The sidebar's discriminator settings cannot build a network: change them to draw it."))
            return
        diagnosis = discriminator_diagnosis(d_cfg, d_cfg.in_channels, d_cfg.input_size)
        trace, problems = diagnosis.trace, diagnosis.problems
    style = DiagramStyle(
        direction=direction, collapse=collapse, norm_act=norm_act, fontname=graphviz_font(lang)
    )
    source = diagram_dot(trace, problems, style=style, tr=translator(lang))
    # The page above already draws the U: the slide is drawn here only when asked for.
    if st.toggle(_("Show the slide here"), key="slides.preview"):
        st.graphviz_chart(source, width="stretch")
    columns = st.columns(len(FORMATS) + 1)
    for column, fmt in zip(columns, FORMATS):
        try:
            data = diagram_file(source, fmt)
        except UserError as error:  # no dot binary: say so once, keep the DOT download
            st.warning(reason(error))
            break
        column.download_button(
            _("Download {format}", format=fmt.upper()),
            data,
            file_name=f"{part}.{fmt}",
            mime=MIME[fmt],
            key=f"slides.download.{fmt}",
        )
    columns[-1].download_button(
        _("Download {format}", format="DOT"),
        source.encode("utf-8"),
        file_name=f"{part}.dot",
        mime="text/vnd.graphviz",
        key="slides.download.dot",
    )

"""The sidebar's input size across page switches and links: it reads what the user (or a link) set,
never the size box's own minimum.

The issue saw the box read "2" after a switch to Feature maps (not reproduced there). 2 is the
box's ``min_value``, which Streamlit sends as the element's default when no ``value`` is given,
and a browser shows a widget's stored value, else that default: a browser that lost the box's
stored value showed 2 while the server still had the size (and a click on +/- then sent 3).
Now every sidebar widget is drawn with its current value as its default. Streamlit also drops a
widget's state, in the server and in the browser, when a run finishes without drawing it; the
settings then come back as they last were (they used to fall back to the preset's).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from inspector.ui.links import INPUT_SIZE_KEY
from inspector.ui.page_registry import page_file
from inspector.ui.sidebar import SETTINGS_KEY
from tests.app.apptest import APP

BOX = INPUT_SIZE_KEY  # the sidebar's size box: "cfg.g.input_size"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def _size(at: AppTest) -> int:
    return int(at.sidebar.number_input(key=BOX).value)


def _sidebar_or_not() -> None:
    """The real sidebar, except on a run told to leave it out (``skip``): such a run finishes without
    drawing the box, and Streamlit's own cleanup then drops the box's state."""
    import streamlit as st

    from inspector.ui.sidebar import model_sidebar

    if st.session_state.get("skip"):
        st.write("a run that does not draw the sidebar")
    else:
        model_sidebar()


def test_settings_whose_widget_state_was_dropped_come_back_as_they_were() -> None:
    at = AppTest.from_function(_sidebar_or_not, default_timeout=60)
    at.run()
    at.sidebar.number_input(key=BOX).set_value(128).run()  # typed by the user: kept as the widget's state
    at.session_state["skip"] = True
    at.run()  # Streamlit drops the state of every widget this run did not draw
    assert BOX not in at.session_state
    at.session_state["skip"] = False
    at.run()
    assert not at.exception
    assert _size(at) == 128  # the last value (it used to be the preset's 256)


def test_every_sidebar_number_box_shows_its_value_even_to_a_browser_that_lost_it() -> None:
    """A browser shows a widget's stored value, else the element's default: the default must be
    the current value, not the box's min_value."""
    at = _app()
    at.sidebar.number_input(key=BOX).set_value(128).run()
    at.toggle(key=SETTINGS_KEY).set_value(True).run()  # every setting's box drawn
    at.switch_page(page_file("feature_maps")).run()
    boxes = at.sidebar.number_input
    assert len(boxes) >= 8 and all(box.proto.default == box.value for box in boxes)
    assert at.sidebar.number_input(key=BOX).proto.default == 128


def test_switching_pages_keeps_the_size_the_user_typed() -> None:
    at = _app()
    at.sidebar.number_input(key=BOX).set_value(128).run()
    for page in ("feature_maps", "architecture", "feature_maps", "follow_notes", "feature_maps"):
        at.switch_page(page_file(page)).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert _size(at) == 128, page


def test_a_link_with_a_size_sets_it_and_a_link_without_keeps_it() -> None:
    at = _app()
    at.sidebar.number_input(key=BOX).set_value(128).run()
    at.query_params["size"] = "64"  # a link's ?size=64, as st.page_link opens it
    at.switch_page(page_file("feature_maps")).run()
    assert _size(at) == 64 and "size" not in at.query_params  # applied once, then left the URL
    at.query_params["preset"] = "notebook"  # a link that names a preset and no size: the preset's size
    at.switch_page(page_file("skip_connections")).run()
    assert _size(at) == 256
    at.sidebar.number_input(key=BOX).set_value(512).run()
    at.switch_page(page_file("feature_maps")).run()  # a plain link: nothing changes
    assert _size(at) == 512 and not at.exception

"""Folds (``inspector.ui.fold``): closed, they send nothing of their content; open, every page's
folded content runs without an exception box, in both languages; widgets inside keep their values
while folded."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.ui.page_registry import PAGES
from tests.app.apptest import open_page, unfold


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("page", [p.id for p in PAGES])
def test_every_fold_of_every_page_opens_without_an_exception(page: str, lang: str) -> None:
    app = open_page(page, query={"lang": lang}, default_first=False)
    folds = [e for e in app.expander if "-fold." in e.proto.id]
    assert folds, "every page shows at least the glossary and the notes' code, folded"
    assert all(not e.proto.expanded and not e.children for e in folds if "-fold.glossary" in e.proto.id)
    # Each pass opens the page afresh with every fold seen so far open (an open fold may hold
    # more); AppTest cannot rerun a page whose radios show translated labels, so no reruns.
    opened: set[str] = set()
    while closed := {e.proto.id.split("-", 2)[-1] for e in app.expander if "-fold." in e.proto.id} - opened:
        opened |= closed
        app = open_page(page, query={"lang": lang}, state=dict.fromkeys(opened, True), default_first=False)
    assert all(e.proto.expanded for e in app.expander if "-fold." in e.proto.id)
    glossary = next(e for e in app.sidebar.expander if "-fold.glossary" in e.proto.id)
    assert "(generator)" in glossary.markdown[0].value or "(생성기)" in glossary.markdown[0].value
    # Then each tab of each set of folded tabs, the folds still open.
    for container in _tab_containers(app.main):
        key = container.proto.id.split("-", 2)[-1]
        for label in [t.label for t in container.children.values()]:
            state = {**dict.fromkeys(opened, True), key: label}
            tab = open_page(page, query={"lang": lang}, state=state, default_first=False)
            shown = next(c for c in _tab_containers(tab.main) if c.proto.id.endswith(key))
            assert any(t.label == label and t.children for t in shown.children.values()), label


def _tab_containers(node: Any) -> list[Any]:
    """Every ``st.tabs`` under ``node`` of the AppTest tree whose key is a fold's (``ui.fold.tabs``)."""
    found = []
    for child in getattr(node, "children", {}).values():
        if getattr(child, "type", "") == "tab_container" and "-fold." in child.proto.id:
            found.append(child)
        found += _tab_containers(child)
    return found


def test_the_notes_code_is_sent_only_when_open() -> None:
    app = open_page("lab_colour", default_first=False)
    assert not any("class ColorizationDataset" in c.value for c in app.code)
    unfold(app)
    assert any("class ColorizationDataset" in c.value for c in app.code)


def test_a_folded_setting_keeps_its_value() -> None:
    app = open_page("train", default_first=False)
    assert not [n for n in app.number_input if n.key == "train.seed"]  # folded: not drawn
    unfold(app, "train.more")
    app.number_input(key="train.seed").set_value(7).run()
    app.session_state["fold.train.more"] = False
    app.run()
    app.run()  # a second run without the widget: Streamlit would have dropped its value by now
    assert not [n for n in app.number_input if n.key == "train.seed"]
    assert app.session_state["train.seed"] == 7
    unfold(app, "train.more")
    assert app.number_input(key="train.seed").value == 7


def test_a_setting_in_a_closed_tab_keeps_its_value() -> None:
    app = open_page("feature_maps", state={"fold.fm.tab": "What a skip carries"}, default_first=False)
    app.selectbox(key="fm.skip").set_value("all").run()
    app.session_state["fold.fm.tab"] = "Every block, in U order"
    app.run()
    app.run()  # a second run without the widget: Streamlit would have dropped its value by now
    assert not [s for s in app.selectbox if s.key == "fm.skip"] and app.session_state["fm.skip"] == "all"
    app.session_state["fold.fm.tab"] = "What a skip carries"
    assert app.run().selectbox(key="fm.skip").value == "all" and not app.exception


def test_the_train_form_stays_drawn_while_the_gan_game_is_played() -> None:
    app = open_page("train", default_first=False)
    assert not [b for b in app.button if b.key == "gan.d1"]  # the game's board runs only when switched on
    app.number_input(key="train.steps").set_value(7).run()
    app.toggle(key="train.game").set_value(True).run()
    assert app.button(key="gan.d1") is not None and app.number_input(key="train.steps").value == 7
    app.number_input(key="gan.lambda").set_value(50.0).run()
    app.toggle(key="train.game").set_value(False).run()
    app.run()
    assert app.session_state["gan.lambda"] == 50.0 and not app.exception

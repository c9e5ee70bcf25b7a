"""The one AppTest page opener every app test uses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from inspector.ui.page_registry import page_file

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def open_page(
    page_id: str,
    *,
    timeout: float = 120,
    query: Mapping[str, str] | None = None,
    state: Mapping[str, object] | None = None,
    default_first: bool = True,
) -> AppTest:
    """Run the app, then the page ``page_id`` (its id in the page registry); fail on any exception box.

    ``query`` is the URL's ``?key=value`` (``{"lang": "ko"}``), set before the first run as a link
    would; ``state`` is written to ``st.session_state`` before the page runs (small models keep
    tests fast). ``default_first`` runs the default page once first, as a visitor arriving at
    the root URL does; ``False`` opens ``page`` straight away.
    """
    app = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        app.query_params.update(dict(query))
    if default_first:
        app.run()
    for key, value in (state or {}).items():
        app.session_state[key] = value
    app.switch_page(page_file(page_id))
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def unfold(app: AppTest, *keys: str) -> AppTest:
    """Open the folds ``keys`` (``inspector.ui.fold``: the key each was given, without "fold.") as a
    click on each would, and rerun; with no keys, every fold the page shows, until none is left
    closed (an open one may show more). Fails on any exception box."""
    from inspector.ui.fold import FOLD_PREFIX

    def closed() -> list[str]:
        ids = [e.proto.id for e in app.expander]
        names = [i.split("-", 2)[-1] for i in ids if f"-{FOLD_PREFIX}" in i]
        return [n for n in names if not (app.session_state.get(n))] if not keys else []

    wanted = [FOLD_PREFIX + k for k in keys] or closed()
    for _ in range(5):
        for name in wanted:
            app.session_state[name] = True
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        wanted = closed()
        if not wanted:
            break
    return app

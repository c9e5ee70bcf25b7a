"""AppTest of the GAN game section of the Train page: moves, the bars, the split, the alarm."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from inspector.inside.gan_game import WIN_MOVES
from tests.app.apptest import open_page

TRAIN = "train"


GAME = "The GAN game, step by step"


def _train_page() -> AppTest:
    """The Train page with the game switched on (the board runs only while it is)."""
    return open_page(TRAIN, timeout=180, state={"train.game": True})


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_game_starts_idle_and_answers_each_move() -> None:
    at = _train_page()
    assert at.toggle(key="train.game").label == "Play the GAN game by hand" and GAME in [
        s.value for s in at.subheader
    ]
    assert any("Press a button" in i.value for i in at.info)
    at.button(key="gan.d1").click().run()
    assert not at.exception and not at.error
    assert _metrics(at)["move"] == "1 (D)"
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 4  # history, split, 2 x norms
    assert len(at.get("image")) >= 2  # D's patch maps on the fake and on the real pair
    at.button(key="gan.g1").click().run()
    metrics = _metrics(at)
    assert metrics["move"] == "2 (G)" and float(metrics["G loss"]) > 0
    assert any("GAN" in c.value and "x L1" in c.value for c in at.caption)
    at.button(key="gan.reset").click().run()
    assert not at.exception and any("Press a button" in i.value for i in at.info)


@pytest.mark.slow  # 40 D moves, each a rerun of the Train page
def test_the_alarm_when_d_wins_outright() -> None:
    at = _train_page()
    at.radio(key="gan.start").set_value("untrained").run()  # the tiny untrained copy: D learns to win
    at.select_slider(key="gan.lr").set_value(2e-2).run()
    for _ in range(8):
        at.button(key="gan.d5").click().run()
    assert not at.exception
    alarms = [e.value for e in at.error if "D wins outright" in e.value]
    assert alarms and f"For {WIN_MOVES} D moves" in alarms[0]

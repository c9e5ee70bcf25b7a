"""Class runs: every run of the server side by side, for the projector.

Who asked for it, whether it waits, trains, finished or failed, its step, its newest sample grid
and the discriminator's balance: "look, in this run D wins by step 200". The page reads the run
folders only, and redraws itself every few seconds.
"""

from __future__ import annotations

from collections import Counter

import streamlit as st

from inspector.ui.common import intro, notice
from inspector.ui.i18n import _
from inspector.ui.run_views import STATE_WORDS, run_card
from inspector.ui.training import run_service, session_owner

REFRESH_S = 5.0
COLUMNS = 3
SHOWN = 24  # cards at most: the newest runs of the folder

intro(
    _("Class runs"),
    _("Every run on this server, side by side: who started it, where it is, its newest sample grid and how the "
      "discriminator is doing. The page redraws itself every few seconds."),
)  # fmt: skip
owner = session_owner()


@st.fragment(run_every=REFRESH_S)
def board() -> None:
    service = run_service()
    runs = service.runs()[:SHOWN]
    if not runs:
        st.info(_("No runs yet: they appear here as soon as someone presses Start on the Train page."))
        return
    counts: Counter[str] = Counter(r.status.state for r in runs)
    st.markdown(
        " · ".join(f"**{counts[s]}** {_(STATE_WORDS[s])}" for s in STATE_WORDS if counts[s])
        + " — "
        + _("{slots} train at a time on the {device}", slots=service.budget().slots,
            device=service.budget().device.upper())
    )  # fmt: skip
    for start in range(0, len(runs), COLUMNS):
        for column, run in zip(st.columns(COLUMNS), runs[start : start + COLUMNS]):
            with column:
                run_card(run, mine=run.status.owner == owner)


board()
notice(
    [
        _("Runs that wait are listed first, in the order they will start; then the ones training, then the ones "
          "that ended, newest first."),
        _("D(real) near 1 with D(fake) near 0 means the discriminator wins outright: the generator's GAN loss "
          "grows and tells it little. Compare two runs that differ in lambda or the learning rate."),
        _("A sample grid's rows are held-out photos: L input | generated | ground truth."),
    ]
)  # fmt: skip

"""The GAN game step by step, a section of the Train page: ``gan_game_section()`` is its one call.

A tiny copy of the sidebar's pair (``inspector.inside.gan_game``) plays on one fixed batch of
sample photos, one discriminator or generator step per click. It runs in a fragment: a click
reruns only this section, never the Train page around it (whose full rerun stops a run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.inside.gan_game import WIN_MOVES, GanGame, Move, MoveRecord, tiny_configs
from inspector.inside.pictures import heatmap
from inspector.pretrained import load_pretrained
from inspector.ui import notebook_code as nb
from inspector.ui.caches.inside import game_batch
from inspector.ui.common import current_configs, notebook_code
from inspector.ui.i18n import _, reason, say
from inspector.ui.pictures import encoded, show
from models.text import message_of

GAME_SIZE = 64  # pixels: small enough that a move answers at once on a CPU
GAME_WIDTH = 8  # ngf = ndf of the tiny pair
GAME_BATCH = 4
LEARNING_RATES = (2e-4, 2e-3, 2e-2)  # the paper's, and two that let D win within a few clicks
STATE_KEY = "gan.game"
GAME_KEYS = ("gan.lr", "gan.lambda", "gan.start")  # the board's settings, kept while it is hidden
STARTS = {  # where the game's pair comes from: the trained one first, as on the inside pages
    "trained": N_("Trained (ships with the app)"),
    "untrained": N_("A tiny untrained copy of the sidebar's pair"),
}


def _new_game(lr: float, lambda_l1: float, start: str) -> GanGame:
    """A game of the trained pair that ships with the app (at its own size), or of a tiny untrained
    copy of the sidebar's pair."""
    if start == "trained":
        ckpt = load_pretrained()[2]
        assert ckpt.discriminator_config is not None, "the shipped file holds both networks"
        L, ab = game_batch(ckpt.generator_config.input_size, GAME_BATCH)
        init = (ckpt.generator, ckpt.discriminator)
        return GanGame(
            ckpt.generator_config, ckpt.discriminator_config, L, ab, lambda_l1=lambda_l1, lr=lr, init=init
        )
    g_cfg, d_cfg = tiny_configs(*current_configs(), size=GAME_SIZE, width=GAME_WIDTH)
    L, ab = game_batch(GAME_SIZE, GAME_BATCH)
    return GanGame(g_cfg, d_cfg, L, ab, lambda_l1=lambda_l1, lr=lr)


def _norm_frame(record: MoveRecord) -> pd.DataFrame:
    rows = [("G", n, v) for n, v in record.grad_g] + [("D", n, v) for n, v in record.grad_d]
    return pd.DataFrame(rows, columns=["network", "layer", "norm"])


def _map_image(values: np.ndarray, side: int = 160) -> Image.Image:
    """A (h, w) probability map as a red (fake) .. green (real) picture, cells kept square."""
    return Image.fromarray(heatmap(values, 1.0, cmap="RdYlGn")).resize((side, side), Image.Resampling.NEAREST)


def _history_frame(history: list[MoveRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "move": [r.number for r in history],
            "D(real)": [r.p_real for r in history],
            "D(fake)": [r.p_fake for r in history],
        }
    ).set_index("move")


def _play(game: GanGame, move: Move, n: int) -> None:
    try:
        game.play_many(move, n)
    except UserError as exc:
        st.session_state["gan.error"] = message_of(exc)  # shown by say() in the session's language


def _start_over() -> None:
    st.session_state.pop(STATE_KEY, None)


@st.fragment
def _board() -> None:
    ss = st.session_state
    c1, c2 = st.columns(2)
    lr = c1.select_slider(
        _("Learning rate (both networks)"),
        LEARNING_RATES,
        value=LEARNING_RATES[0],
        key="gan.lr",
        help=_("2e-4 is the paper's. A larger one lets D win within a few clicks."),
    )
    lambda_l1 = c2.number_input(_("lambda (weight of L1)"), 0.0, 1000.0, 100.0, 10.0, key="gan.lambda")
    start = str(
        st.radio(
            _("The pair that plays"),
            tuple(STARTS),
            format_func=lambda k: _(STARTS[k]),
            key="gan.start",
            horizontal=True,
            help=_(
                "The trained pair: G already colours, and D must work to tell its colours from the real ones."
            ),
        )
    )
    wanted = (current_configs(), float(lr), float(lambda_l1), start)
    if ss.get("gan.settings") != wanted or STATE_KEY not in ss:  # new settings or Start over: a new game
        try:
            ss[STATE_KEY] = _new_game(float(lr), float(lambda_l1), start)
        except UserError as exc:
            st.info(_("The game cannot start with these settings: {reason}", reason=reason(exc)))
            return
        ss["gan.settings"] = wanted
    game: GanGame = ss[STATE_KEY]
    b = st.columns(5)
    b[0].button(_("One D step"), key="gan.d1", on_click=_play, args=(game, "D", 1))
    b[1].button(_("One G step"), key="gan.g1", on_click=_play, args=(game, "G", 1))
    b[2].button(_("5 D steps"), key="gan.d5", on_click=_play, args=(game, "D", 5))
    b[3].button(_("5 G steps"), key="gan.g5", on_click=_play, args=(game, "G", 5))
    b[4].button(_("Start over"), key="gan.reset", on_click=_start_over)
    if error := ss.pop("gan.error", None):
        st.error(_("This pair cannot play: {reason}", reason=say(error)))
        return
    if start == "trained":
        g = game.g_cfg
        st.caption(
            _(
                "The trained pair that ships with the app (ngf = ndf = {width}, {size} x {size}) on {batch} sample "
                "photos, always the same batch.",
                width=g.ngf,
                size=g.input_size,
                batch=GAME_BATCH,
            )
        )
    else:
        st.caption(
            _(
                "A tiny copy of the sidebar's pair (ngf = ndf = {width}, {size} x {size}) on {batch} sample photos, "
                "always the same batch.",
                width=GAME_WIDTH,
                size=GAME_SIZE,
                batch=GAME_BATCH,
            )
        )
    if not game.history:
        st.info(_("Press a button to play the first move."))
        return
    last = game.history[-1]
    m = st.columns(5)
    m[0].metric(_("move"), f"{last.number} ({last.move})")
    m[1].metric(_("D loss"), f"{last.d_loss:.3f}")
    m[2].metric("D(real)", f"{last.p_real:.3f}")
    m[3].metric("D(fake)", f"{last.p_fake:.3f}")
    m[4].metric(_("G loss"), f"{last.g_loss:.2f}")
    if game.d_won:
        st.error(
            _(
                "**D wins outright.** For {n} D moves its loss stayed near 0 and D(fake) near 0: it tells real from "
                "fake at a glance. BCE then saturates, so G's GAN gradient almost vanishes and only L1 still "
                "teaches it. Remedies: a smaller learning rate for D, fewer D steps per G step, label smoothing, "
                "or the paper's halved D loss.",
                n=WIN_MOVES,
            )
        )
    left, mid, right = st.columns([2, 2, 1.3])
    with left:
        st.markdown(_("**D(real) and D(fake), move by move**"))
        st.line_chart(_history_frame(game.history), height=220)
    with mid:
        st.markdown(_("**G's loss split: GAN and lambda x L1**"))
        split = pd.DataFrame(
            {"GAN": [last.g_gan], "lambda x L1": [last.lambda_l1 * last.g_l1]}, index=[_("G loss")]
        )
        st.bar_chart(split, horizontal=True, height=120)
        st.caption(
            _(
                "G loss = GAN {gan:.3f} + {lam:g} x L1 {l1:.4f} = {total:.2f}",
                gan=last.g_gan,
                lam=last.lambda_l1,
                l1=last.g_l1,
                total=last.g_loss,
            )
        )
    with right:
        show(None, encoded(last.fake_map, _map_image), caption=_("D's verdict per patch on the first fake"))
        show(None, encoded(last.real_map, _map_image), caption=_("... and on the real pair"))
    st.markdown(
        _("**Gradient norm of every layer after move {n} ({move} step)**", n=last.number, move=last.move)
    )
    norms = _norm_frame(last)
    g_col, d_col = st.columns(2)
    for col, net, title in ((g_col, "G", _("generator")), (d_col, "D", _("discriminator"))):
        frame = norms[norms["network"] == net].set_index("layer")[["norm"]]
        col.markdown(title)
        col.bar_chart(frame, horizontal=True, height=max(160, 18 * len(frame)))
    st.caption(
        _(
            "A D step leaves G without gradient (the fake is detached). A G step sends gradients into D too, "
            "through D(L, G(L)), but only G's optimizer steps: D's weights stay."
        )
    )


def gan_game_section() -> None:
    """The whole section: heading, explanation, the board, the notebook's code."""
    st.subheader(_("The GAN game, step by step"))
    st.markdown(
        _(
            "Training alternates two moves. A **D step** teaches the discriminator to call real pairs real "
            "and generated ones fake. A **G step** teaches the generator to fool D while staying close to the "
            "true colours (GAN + lambda x L1). Play them one at a time and watch who wins."
        )
    )
    _board()
    notebook_code(nb.DISCRIMINATOR, "Pix2Pix_Discriminator")

"""Notebook views of the GAN game (``GanGame``, ``MoveRecord``): the moves so far, D(real) and
D(fake) move by move, G's loss split, D's verdict per patch and the alarm when D wins outright,
in the words of the Train page's game section."""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from inspector.i18n.catalog import N_, Translator
from inspector.i18n.fonts import matplotlib_rc
from inspector.inside.gan_game import WIN_MOVES, GanGame, MoveRecord
from inspector.inside.pictures import heatmap
from inspector.notebook import html as h
from inspector.notebook.run_views import plain

NO_MOVE = N_("No move yet: play one with game.play('D') or game.play('G').")
MOVE, D_LOSS, G_LOSS = N_("move"), N_("D loss"), N_("G loss")
D_WINS = N_(
    "**D wins outright.** For {n} D moves its loss stayed near 0 and D(fake) near 0: it tells real from "
    "fake at a glance. BCE then saturates, so G's GAN gradient almost vanishes and only L1 still "
    "teaches it. Remedies: a smaller learning rate for D, fewer D steps per G step, label smoothing, "
    "or the paper's halved D loss."
)
HISTORY = N_("**D(real) and D(fake), move by move**")
SPLIT = N_("G loss = GAN {gan:.3f} + {lam:g} x L1 {l1:.4f} = {total:.2f}")
ON_FAKE, ON_REAL = N_("D's verdict per patch on the first fake"), N_("... and on the real pair")
NORMS = N_("**Gradient norm of every layer after move {n} ({move} step)**")
NETWORKS = (("G", N_("generator")), ("D", N_("discriminator")))
DETACHED = N_(
    "A D step leaves G without gradient (the fake is detached). A G step sends gradients into D too, "
    "through D(L, G(L)), but only G's optimizer steps: D's weights stay."
)


def _verdict(values: object, caption: str) -> str:
    import numpy as np

    grid = heatmap(np.asarray(values), 1.0, cmap="RdYlGn")
    scale = max(1, 128 // grid.shape[0])
    big = grid.repeat(scale, 0).repeat(scale, 1)
    return h.picture(big, caption) + h.para(caption)


def move_html(m: MoveRecord, lang: str, tr: Translator) -> str:
    """One move: its losses, the split of G's loss, D's verdict maps and every layer's gradient norm."""
    head = [tr(MOVE), tr(D_LOSS), "D(real)", "D(fake)", tr(G_LOSS)]
    table = h.table(head, [[f"{m.number} ({m.move})", m.d_loss, m.p_real, m.p_fake, m.g_loss]])
    split = tr(SPLIT, gan=m.g_gan, lam=m.lambda_l1, l1=m.g_l1, total=m.g_loss)
    norms = []
    for net, title in NETWORKS:
        values = m.grad_g if net == "G" else m.grad_d
        norms.append(h.para(f"**{tr(title)}**") + h.table(["layer", "norm"], [[n, v] for n, v in values]))
    return h.page(
        table,
        h.para(split),
        h.row(_verdict(m.fake_map, tr(ON_FAKE)), _verdict(m.real_map, tr(ON_REAL))),
        h.details(tr(NORMS, n=m.number, move=m.move), h.row(*norms) + h.para(tr(DETACHED))),
    )


def game_html(game: GanGame, lang: str, tr: Translator) -> str:
    """The game so far: D(real) and D(fake) over the moves, the alarm, and the last move."""
    if not game.history:
        return h.page(h.box(tr(NO_MOVE), "info"))
    with mpl.rc_context(matplotlib_rc(lang)):  # type: ignore[arg-type]  # rc keys are typed as literals
        fig = Figure(figsize=(6.5, 2.8), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        numbers = [r.number for r in game.history]
        ax.plot(numbers, [r.p_real for r in game.history], marker="o", ms=3, label="D(real)")
        ax.plot(numbers, [r.p_fake for r in game.history], marker="o", ms=3, label="D(fake)")
        ax.set_ylim(0, 1)
        ax.set_xlabel(tr(MOVE))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # moves are whole
        ax.set_title(plain(tr(HISTORY)), fontsize=11)
        ax.legend(fontsize=9)
        ax.grid(alpha=0.3)
    parts = [h.img(h.figure_png(fig, lang), "image/png", plain(tr(HISTORY)), width=650)]
    if game.d_won:
        parts.append(h.box(tr(D_WINS, n=WIN_MOVES), "error"))
    return h.page(*parts) + move_html(game.history[-1], lang, tr)

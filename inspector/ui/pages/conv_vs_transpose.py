"""Conv vs ConvTranspose: the same k, s, p as a Conv2d (gather) and a ConvTranspose2d (scatter)."""

from __future__ import annotations

import streamlit as st

from inspector.conv.animation import (
    MAX_DILATION,
    MAX_IN_SIZE,
    MAX_KERNEL,
    MAX_OUT_SIZE,
    MAX_PADDING,
    MAX_STRIDE,
    ConvAnimation,
    ConvSettings,
)
from inspector.i18n.catalog import N_
from inspector.ui import notebook_code as nb
from inspector.ui.caches.conv import animation, animation_gif, frame_png
from inspector.ui.common import deferred, intro, labelled_radio, notebook_code, notice
from inspector.ui.derived import arrow_grid
from inspector.ui.fold import fold, tabs
from inspector.ui.i18n import _, current_language, reason, say
from inspector.ui.overlap_view import checkerboard_section, overlap_section
from inspector.ui.pictures import show
from inspector.ui.sidebar import current_choice

intro(
    _("Conv vs ConvTranspose"),
    _(
        "The generator's encoder halves the image with `Conv2d(kernel_size=4, stride=2, padding=1)`; its decoder "
        "doubles it back with `ConvTranspose2d` and the *same* numbers. Here both run on a small integer input, "
        "step by step, and every number is PyTorch's own: the output equals `torch.nn.functional.conv2d` / "
        "`conv_transpose2d` on the same input and kernel."
    ),
)
lang = current_language()
VIEW_LABELS = {
    "scatter": N_("each input cell scatters the kernel"),
    "equivalent": N_("a conv over the zero-stuffed input"),
}

ss = st.session_state
EAGER_GIF_FRAMES = 120  # above this the GIF is made on request
DEFAULTS = {
    "cvt.in_size": 4,
    "cvt.kernel": 4,
    "cvt.stride": 2,
    "cvt.padding": 1,
    "cvt.dilation": 1,
    "cvt.output_padding": 0,
    "cvt.seed": 0,
}
for key, value in DEFAULTS.items():
    ss.setdefault(key, value)


def _notebook_line(start: str) -> str:
    """The first line of the notebook's generator that starts with ``start``, verbatim."""
    return next(
        line.strip().rstrip(",") for line in nb.GENERATOR.splitlines() if line.strip().startswith(start)
    )


def _equivalent_steps(s: ConvSettings) -> list[str]:
    """``ConvSettings.equivalent_text`` in the session's language, as its three steps with the same numbers."""
    d, op = s.dilation, s.output_padding
    stuffed = (s.in_size - 1) * s.stride + 1
    pad = d * (s.kernel - 1) - s.padding
    grid = stuffed + 2 * pad + op
    # The same numbers fill each of the four sentences (a sentence uses those it names).
    numbers = {"pad": pad, "crop": -pad, "d": d, "k1": s.kernel - 1, "p": s.padding, "op": op, "grid": grid}
    if pad >= 0 and op:
        border = _(
            "pad {pad} on each side (dilation·(kernel - 1) - padding = {d}·{k1} - {p}) and {op} more at the "
            "bottom and right (output_padding): {grid}",
            **numbers,
        )
    elif pad >= 0:
        border = _(
            "pad {pad} on each side (dilation·(kernel - 1) - padding = {d}·{k1} - {p}): {grid}", **numbers
        )
    elif op:
        border = _(
            "crop {crop} from each side (dilation·(kernel - 1) - padding = {d}·{k1} - {p}) and {op} more at "
            "the bottom and right (output_padding): {grid}",
            **numbers,
        )
    else:
        border = _(
            "crop {crop} from each side (dilation·(kernel - 1) - padding = {d}·{k1} - {p}): {grid}", **numbers
        )
    return [
        _(
            "stuff {zeros} zero(s) between input cells: ({n} - 1)·{s} + 1 = {stuffed}",
            zeros=s.stride - 1,
            n=s.in_size,
            s=s.stride,
            stuffed=stuffed,
        ),
        border,
        _(
            "slide the flipped kernel with stride 1, dilation {d}: {grid} - {k_eff} + 1 = {out}",
            d=d,
            grid=grid,
            k_eff=s.k_eff,
            out=s.out_size,
        ),
    ]


def _notebook_settings() -> None:
    for key, value in DEFAULTS.items():
        ss[key] = value


cols = st.columns(7)
cols[0].number_input(
    _("input size"),
    1,
    MAX_IN_SIZE,
    key="cvt.in_size",
    help=_("capped at {cap} to keep frames few", cap=MAX_IN_SIZE),
)
cols[1].number_input(_("kernel"), 1, MAX_KERNEL, key="cvt.kernel")
cols[2].number_input(_("stride"), 1, MAX_STRIDE, key="cvt.stride")
cols[3].number_input(_("padding"), 0, MAX_PADDING, key="cvt.padding")
cols[4].number_input(_("dilation"), 1, MAX_DILATION, key="cvt.dilation")
cols[5].number_input(
    "output_padding",
    0,
    MAX_STRIDE,
    key="cvt.output_padding",
    help=_(
        "ConvTranspose2d only: extra rows and columns at the bottom and right. Must be smaller "
        "than stride or dilation."
    ),
)
cols[6].number_input(_("seed"), 0, 10_000, key="cvt.seed", help=_("draws other integers"))
st.button(_("Back to the notebook's k=4, s=2, p=1 on 4x4"), on_click=_notebook_settings)
st.caption(
    _(
        "Sizes are capped (input <= {n}, kernel <= {k}, output <= {out}) so that an animation has at most 1024 "
        "frames; long GIFs are made on request.",
        n=MAX_IN_SIZE,
        k=MAX_KERNEL,
        out=MAX_OUT_SIZE,
    )
)

args = (
    int(ss["cvt.in_size"]),
    int(ss["cvt.kernel"]),
    int(ss["cvt.stride"]),
    int(ss["cvt.padding"]),
    int(ss["cvt.dilation"]),
)
op, seed = int(ss["cvt.output_padding"]), int(ss["cvt.seed"])


def _build(settings: ConvSettings) -> ConvAnimation | None:
    """The animation, or None after showing why these settings are impossible (never a traceback)."""
    try:
        return animation(settings, seed)
    except ValueError as exc:
        kind = "ConvTranspose2d" if settings.transposed else "Conv2d"
        # No words of its own: the layer's name and the core's ValueError.
        st.error(f"**{kind}**: {reason(exc)}")
        st.code(settings.formula, language=None)
        return None


# Two topics, two tabs: only the open one runs and is sent (``ui.fold``), each view half the page.
steps_tab, board_tab = tabs(
    [_("Step by step"), _("The checkerboard")],
    "cvt.tab",
    keep=("cvt.view", "cvt.play", "cvt.frame_conv", "cvt.frame_tconv"),
)
if steps_tab.open:
    with steps_tab:
        conv_s = ConvSettings(*args, output_padding=0, transposed=False)
        tconv_s = ConvSettings(*args, output_padding=op, transposed=True)
        left, right = st.columns(2)
        with left:
            st.subheader(_("Conv2d: gather"))
            conv = _build(conv_s)
            if op:
                st.caption(_("output_padding does not exist for Conv2d: it is ignored on this side."))
        with right:
            st.subheader(_("ConvTranspose2d: scatter"))
            tconv = _build(tconv_s)
            view = labelled_radio(_("Draw it as"), VIEW_LABELS, "cvt.view", horizontal=True)

        play = st.toggle(
            _("Play"),
            key="cvt.play",
            help=_("steps both animations; stop it to pick a frame with the sliders"),
        )
        panels = [(conv, conv_s, "gather", "cvt.frame_conv"), (tconv, tconv_s, view, "cvt.frame_tconv")]

        @st.fragment(run_every=0.8 if play else None)
        def _players() -> None:
            # Only this fragment reruns while playing: the rest of the page (and other pages) stay responsive.
            cols = st.columns(2)
            for col, (anim, settings, name, key) in zip(cols, panels):
                if anim is None:
                    continue
                n = len(anim.view(name).frames)
                if ss.get(key, 0) >= n:
                    ss[key] = 0
                if play:
                    ss[key] = (ss.get(key, 0) + 1) % n
                with col:
                    if n > 1:
                        st.slider(_("frame"), 0, n - 1, key=key, disabled=play)
                    index = int(ss.get(key, 0))
                    show(None, frame_png(settings, seed, name, index, lang), width="content")

        _players()

        fcols = st.columns(2)
        for col, (anim, settings, name, _key) in zip(fcols, panels):
            if anim is None:
                continue
            with col:
                st.markdown(f"`{settings.formula}`  \n`{settings.formula_filled}`")  # one element, two lines
                if settings.transposed:
                    steps = _equivalent_steps(settings)
                    st.caption(
                        _("As a convolution:") + "\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(steps, 1))
                    )
                n = len(anim.view(name).frames)
                # A long animation takes seconds to encode: only on request, so the sliders stay quick.
                if n <= EAGER_GIF_FRAMES or st.session_state.get(f"cvt.want_gif.{name}") == (settings, seed):
                    gif = animation_gif(settings, seed, name, lang)  # its spinner only while it renders
                    st.download_button(
                        _("Download the GIF ({n} frames)", n=n),
                        deferred(gif),
                        file_name=f"{'convtranspose2d' if settings.transposed else 'conv2d'}_{name}_in{settings.in_size}"
                        f"_k{settings.kernel}_s{settings.stride}_p{settings.padding}.gif",
                        mime="image/gif",
                        key=f"cvt.gif.{name}",
                    )
                elif st.button(
                    _("Make the GIF ({n} frames, a few seconds)", n=n), key=f"cvt.make_gif.{name}"
                ):
                    st.session_state[f"cvt.want_gif.{name}"] = (settings, seed)
                    st.rerun()
                with fold(_("The numbers"), f"cvt.numbers.{name}") as shown:
                    if shown:
                        st.markdown(_("input"))
                        st.dataframe(arrow_grid(anim.input), width="content")
                        st.markdown(_("kernel"))
                        st.dataframe(arrow_grid(anim.kernel), width="content")
                        st.markdown(_("output (PyTorch)"))
                        st.dataframe(arrow_grid(anim.output), width="content")

if board_tab.open:
    with board_tab:
        overlap_section(
            int(ss["cvt.kernel"]), int(ss["cvt.stride"]), int(ss["cvt.padding"]), int(ss["cvt.in_size"]), op
        )
        if int(ss["cvt.dilation"]) != 1:
            st.caption(_("Counted without dilation (dilation 1)."))
        checkerboard_section(int(ss["cvt.kernel"]), int(ss["cvt.stride"]), int(ss["cvt.padding"]))

st.subheader(_("Where the generator uses them"))
choice = current_choice()
g_cfg, g_error = choice.generator, choice.error("generator")
if g_error:
    st.info(
        _(
            "The sidebar's generator settings cannot build a U-Net ({reason}), so its sizes are not shown here.",
            reason=say(g_error),
        )
    )
elif g_cfg is not None:
    sizes = [g_cfg.input_size // 2**i for i in range(g_cfg.depth + 1)]
    st.markdown(
        _(
            "Every down conv of the U-Net (`input_layer`, `encoder_*`, the first conv of `middle`) is "
            "`Conv2d(k=4, s=2, p=1)`: floor((n + 2 - 3 - 1) / 2) + 1 = n / 2, so {down}. Every up conv (the "
            "`ConvTranspose2d` of `middle`, `decoder_*` and `output_layer`) is `ConvTranspose2d(k=4, s=2, p=1)`: "
            "(n - 1) x 2 - 2 + 3 + 1 = 2n, so {up}.",
            down=" -> ".join(map(str, sizes)),
            up=" -> ".join(map(str, reversed(sizes))),
        )
    )
if (args, op) == ((4, 4, 2, 1, 1), 0):
    st.info(_("These are the notebook's settings: 4x4 -> 2x2 on the left, 4x4 -> 8x8 on the right."))
notebook_code(
    _notebook_line("nn.Conv2d(64, 128")
    + "  # encoder_1: halves\n"
    + _notebook_line("nn.ConvTranspose2d(1024, 512")
    + "  # decoder_6: doubles",
    _("the two layers every block is built from (from Pix2Pix_Generator)"),
)
notice(
    [
        _(
            "Conv2d gathers: each output cell is one window of the padded input times the kernel. With stride 2 the "
            "window jumps two cells, so the output is about half the input."
        ),
        _(
            "ConvTranspose2d scatters: each input cell stamps a copy of the kernel, scaled by its value, into the "
            "output, two cells apart; where stamps overlap they add up. Padding crops the border of that canvas."
        ),
        _(
            "The same transposed conv is a plain conv with the kernel flipped, over the input with stride - 1 zeros "
            "stuffed between cells."
        ),
        _(
            "When the kernel is not a multiple of the stride (try k=3, s=2), neighbouring output cells receive "
            "different numbers of kernel taps: the checkerboard artefact of upsampling. k=4, s=2 overlaps evenly, "
            "and still prints one when the kernel's weights differ by position, as random and learned weights do."
        ),
        _("ConvTranspose2d is not the inverse of Conv2d: it restores the *shape*, not the values."),
    ]
)

"""Skip connections: the U-Net drawn as a U, every torch.cat with its arithmetic, and valid input sizes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from inspector.shapes.diagram import block_rows, concat_rows
from inspector.shapes.input_sizes import valid_input_sizes
from inspector.shapes.text import fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.cache import generator_diagnosis
from inspector.ui.common import current_generator, intro, notebook_code, notice
from inspector.ui.shapes import show_diagram, show_problems
from inspector.ui.slides import export_for_slides

intro(
    "Skip connections",
    "The U-Net generator goes **down** the left side (each encoder block halves the image and, up to "
    "512, doubles the channels) and comes back **up** the right side. On the way up, every decoder "
    "block also receives the output of the encoder block at the same height: a **skip connection**. "
    "The two tensors are stacked along the channel axis with `torch.cat(..., dim=1)`, which is why "
    "a decoder conv takes twice the channels you might expect. torchinfo cannot show this: it sees "
    "modules, and `torch.cat` is a function. This page traces the model on the meta device and sees "
    "every call.",
)

g_cfg = current_generator()
sizes = valid_input_sizes(g_cfg)
assert sizes is not None  # a GeneratorConfig always has a formula

left, right = st.columns([1, 2])
size = int(
    left.number_input(
        "Input size to trace (H = W)",
        min_value=2,
        max_value=4096,
        value=g_cfg.input_size,
        step=1,
        # keyed on the sidebar's size: changing it there starts this box afresh at the new size
        key=f"skips.size.{g_cfg.input_size}",
        help="Try a size that is not a multiple of 2**depth, e.g. 300, to see where the U-Net breaks.",
    )
)
right.markdown(
    f"**Valid sizes** for depth {g_cfg.depth}: {sizes.describe()}.  \n"
    f"Why: {sizes.why}. The sidebar's size is {g_cfg.input_size}."
)

try:
    d = generator_diagnosis(g_cfg, size)
except Exception as exc:  # never a traceback on the page
    st.error(f"Could not trace the generator at {size}x{size}: {exc}")
    st.stop()

if not sizes.is_valid(size):
    nearest = " or ".join(map(str, sizes.nearest(size)))
    st.warning(
        f"**{size} does not work for this U-Net.** {sizes.why[0].upper() + sizes.why[1:]}. "
        f"The nearest valid sizes are **{nearest}**. Below, the trace carries on past each failing "
        "concatenation (shown in red) with the larger of the two sizes."
    )
    show_problems(d.problems)
elif not d.ok:
    show_problems(d.problems)

cats = d.trace.concats
c1, c2, c3 = st.columns(3)
c1.metric("Concatenations", len(cats))
c2.metric("Bottleneck", f"{max(size // 2**g_cfg.depth, 0)} x {max(size // 2**g_cfg.depth, 0)}")
c3.metric("Output", fmt_shape(d.trace.output_shape or ()))

show_diagram(d, f"{size}x{size} input, batch 1: shapes are channels x height x width")
export_for_slides(d.trace)

st.markdown("**Every concatenation**")
st.dataframe(pd.DataFrame(concat_rows(d.trace)), hide_index=True, width="stretch")
with st.expander("Every block: input and output shapes"):
    st.dataframe(pd.DataFrame(block_rows(d.trace)), hide_index=True, width="stretch")

outer = (
    "Here `output_layer` also receives a skip from `input_layer` (the reference's outermost skip): "
    f"{g_cfg.ngf} + {g_cfg.ngf} = {2 * g_cfg.ngf} channels."
    if g_cfg.outer_skip
    else f"`output_layer` takes only the {g_cfg.ngf} channels of `decoder_1`: the notebook has no outermost "
    "skip (the pix2pix reference concatenates `input_layer`'s output there too)."
)
rewritten = [c for c in cats if any(c.modified_in_place)]
inplace = (
    f"A subtle one: each stored skip is rewritten in place before it is concatenated. "
    f"`{rewritten[0].inputs[-1].producer}`'s output goes on into `{rewritten[0].modified_in_place[-1][0]}`, "
    "a `LeakyReLU(0.2, True)` that works in place, so the skip carries LeakyReLU of the encoder output, "
    "not the BatchNorm output itself (the reference code does the same)."
    if rewritten
    else "No in-place activation rewrites a stored skip in this model."
)
notice(
    [
        (
            "Each decoder conv takes the decoder path **plus** the skip: here "
            + ", ".join(dict.fromkeys(c.arithmetic() for c in cats))
            + " channels, top of the table first. In the notebook that is the `1024` of "
            "`nn.ConvTranspose2d(1024, 512, ...)`."
        )
        if cats
        else f"This generator has no skip connection at all: at depth {g_cfg.depth} there is no encoder/decoder "
        "pair between `input_layer`, `middle` and `output_layer`, and the outermost skip is off. Raise the depth "
        "to see them appear.",
        "`torch.cat` along channels needs equal heights and widths. The encoder rounds odd sizes down when "
        f"it halves (300 -> 150 -> 75 -> 37), the decoder doubles back exactly (37 -> 74), so the input must "
        f"be a multiple of 2**{g_cfg.depth} = {2**g_cfg.depth}.",
        outer,
        inplace,
    ]
)
notebook_code(nb.GENERATOR, "Pix2Pix_Generator (see forward: cat_6 ... cat_1)")

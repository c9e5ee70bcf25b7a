"""Skip connections: the U-Net drawn as a U, every torch.cat with its arithmetic, and valid input sizes."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from inspector.shapes.input_sizes import valid_input_sizes
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Trace
from inspector.shapes.trace_tables import BLOCK_COLUMNS, CONCAT_COLUMNS, block_rows, concat_rows
from inspector.ui import notebook_code as nb
from inspector.ui.caches.doctor import generator_diagnosis
from inspector.ui.common import column_labels, current_generator, intro, notebook_code, notice
from inspector.ui.derived import derived
from inspector.ui.diagnosis_view import show_diagram, show_problems
from inspector.ui.fold import fold
from inspector.ui.i18n import _, current_language, current_translator, reason, say
from inspector.ui.slides import export_for_slides

intro(
    _("Skip connections"),
    _(
        "The U-Net generator goes **down** the left side (each encoder block halves the image and, up to "
        "512, doubles the channels) and comes back **up** the right side. On the way up, every decoder "
        "block also receives the output of the encoder block at the same height: a **skip connection**. "
        "The two tensors are stacked along the channel axis with `torch.cat(..., dim=1)`, which is why "
        "a decoder conv takes twice the channels you might expect. torchinfo cannot show this: it sees "
        "modules, and `torch.cat` is a function. This page traces the model on the meta device and sees "
        "every call."
    ),
)

g_cfg = current_generator()
sizes = valid_input_sizes(g_cfg)
assert sizes is not None  # a GeneratorConfig always has a formula

left, right = st.columns([1, 2])
size = int(
    left.number_input(
        _("Input size to trace (H = W)"),
        min_value=2,
        max_value=4096,
        value=g_cfg.input_size,
        step=1,
        # keyed on the sidebar's size: changing it there starts this box afresh at the new size
        key=f"skips.size.{g_cfg.input_size}",
        help=_("Try a size that is not a multiple of 2**depth, e.g. 300, to see where the U-Net breaks."),
    )
)
right.markdown(
    _(
        "**Valid sizes** for depth {depth}: {sizes}.  \nWhy: {why}. The sidebar's size is {size}.",
        depth=g_cfg.depth,
        sizes=sizes.describe(current_translator()),
        why=sizes.explain(current_translator()),
        size=g_cfg.input_size,
    )
)

try:
    d = generator_diagnosis(g_cfg, size)
except Exception as exc:  # never a traceback on the page
    st.error(_("Could not trace the generator at {size}x{size}: {reason}", size=size, reason=reason(exc)))
    st.stop()

if not sizes.is_valid(size):
    nearest = _(" or ").join(map(str, sizes.nearest(size)))
    why = sizes.explain(current_translator())
    st.warning(
        _(
            "**{size} does not work for this U-Net.** {why}. The nearest valid sizes are **{nearest}**. "
            "Below, the trace carries on past each failing concatenation (shown in red) with the larger "
            "of the two sizes.",
            size=size,
            why=why[0].upper() + why[1:],
            nearest=nearest,
        )
    )
    show_problems(d.problems)
elif not d.ok:
    show_problems(d.problems)


def _block_table(trace: Trace) -> pa.Table:
    rows = block_rows(trace)
    for row in rows:
        row["size"] = say(row["size"])
    return pa.Table.from_pylist(rows)


cats = d.trace.concats
c1, c2, c3 = st.columns(3)
c1.metric(_("Concatenations"), len(cats))
c2.metric(_("Bottleneck"), f"{max(size // 2**g_cfg.depth, 0)} x {max(size // 2**g_cfg.depth, 0)}")
c3.metric(_("Output"), fmt_shape(d.trace.output_shape or ()))

show_diagram(d, _("{size}x{size} input, batch 1: shapes are channels x height x width", size=size))
export_for_slides(d.trace)

st.markdown(_("**Every concatenation**"))
st.dataframe(
    derived(d.trace, lambda trace: pa.Table.from_pylist(concat_rows(trace))),  # once per cached trace
    hide_index=True,
    width="stretch",
    column_config=column_labels(CONCAT_COLUMNS),
)
with fold(_("Every block: input and output shapes"), "skip.blocks") as shown:
    if shown:
        blocks = derived(d.trace, _block_table, key=current_language())  # "size" says halves, doubles, keeps
        st.dataframe(blocks, hide_index=True, width="stretch", column_config=column_labels(BLOCK_COLUMNS))

outer = (
    _(
        "Here `output_layer` also receives a skip from `input_layer` (the reference's outermost skip): "
        "{ngf} + {ngf} = {both} channels.",
        ngf=g_cfg.ngf,
        both=2 * g_cfg.ngf,
    )
    if g_cfg.outer_skip
    else _(
        "`output_layer` takes only the {ngf} channels of `decoder_1`: the notebook has no outermost "
        "skip (the pix2pix reference concatenates `input_layer`'s output there too).",
        ngf=g_cfg.ngf,
    )
)
rewritten = [c for c in cats if any(c.modified_in_place)]
# What an in-place activation does to a skip (issue 10): the tracer records which layer rewrote
# which stored tensor (ConcatRecord.modified_in_place); the doctor lists them as notes.
inplace = (
    _(
        "A subtle one: each stored skip is rewritten in place before it is concatenated. "
        "`{producer}`'s output goes on into `{writer}`, a `LeakyReLU(0.2, True)` that works in place. "
        "So the skip that the decoder receives is LeakyReLU of the encoder output, not the BatchNorm "
        "output itself: negative values are already scaled by 0.2. Training still works (the reference "
        "code does the same), but write `inplace=False` if the skip must keep the raw values.",
        producer=rewritten[0].inputs[-1].producer,
        writer=rewritten[0].modified_in_place[-1][0],
    )
    if rewritten
    else _("No in-place activation rewrites a stored skip in this model.")
)
notice(
    [
        _(
            "Each decoder conv takes the decoder path **plus** the skip: here {sums} channels, top of the "
            "table first. In the notebook that is the `1024` of `nn.ConvTranspose2d(1024, 512, ...)`.",
            sums=", ".join(dict.fromkeys(c.arithmetic() for c in cats)),
        )
        if cats
        else _(
            "This generator has no skip connection at all: at depth {depth} there is no encoder/decoder "
            "pair between `input_layer`, `middle` and `output_layer`, and the outermost skip is off. Raise "
            "the depth to see them appear.",
            depth=g_cfg.depth,
        ),
        _(
            "`torch.cat` along channels needs equal heights and widths. The encoder rounds odd sizes down "
            "when it halves (300 -> 150 -> 75 -> 37), the decoder doubles back exactly (37 -> 74), so the "
            "input must be a multiple of 2**{depth} = {step}.",
            depth=g_cfg.depth,
            step=2**g_cfg.depth,
        ),
        outer,
        inplace,
    ]
)
notebook_code(nb.GENERATOR, _("Pix2Pix_Generator (see forward: cat_6 ... cat_1)"))

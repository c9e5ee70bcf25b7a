"""Mismatch doctor: broken models to pick, channels to edit, every problem found at once, with its fix."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from inspector.doctor.report import Diagnosis
from inspector.i18n.catalog import N_
from inspector.shapes.edit_layers import layer_channels
from inspector.shapes.input_sizes import valid_input_sizes
from inspector.shapes.labels import fmt_chw, fmt_shape
from inspector.ui import notebook_code as nb
from inspector.ui.caches.doctor import (
    Changes,
    discriminator_diagnosis,
    generator_diagnosis,
    pytorch_message,
)
from inspector.ui.caches.models import meta_model
from inspector.ui.common import (
    column_labels,
    current_discriminator,
    current_generator,
    intro,
    notebook_code,
    notice,
)
from inspector.ui.diagnosis_view import show_diagram, show_problems, show_proofs, show_sizes
from inspector.ui.doctor_examples import AS_WRITTEN, BY_ID, EXAMPLES, PICKER_KEY
from inspector.ui.doctor_own_model import own_model_section
from inspector.ui.i18n import _, current_translator, reason, say
from models import DiscriminatorConfig, GeneratorConfig, Plan, generator_plan, preset

intro(
    _("Mismatch doctor"),
    _(
        "PyTorch stops at the first shape error, with a message about weights and tensors. The doctor "
        "runs the model on the meta device, checks every layer's input **before** the layer runs, and "
        "when something does not fit it writes down what the layer expected, what it got and which module "
        "produced it, then carries on with the shape the layer *would* have produced. So it finds every "
        "problem in one pass, and says which number to change. Pick a broken model, or break one yourself "
        "in the table."
    ),
)

NOTEBOOK_G, NOTEBOOK_D = preset("notebook")
AS_WRITTEN_D = preset("notebook-as-written")[1]


# The options are the examples' ids (a link names one: inspector.ui.links); the reader sees their titles.
ex = BY_ID[
    st.selectbox(
        _("Broken example"), [e.id for e in EXAMPLES], format_func=lambda i: _(BY_ID[i].title), key=PICKER_KEY
    )
    or AS_WRITTEN  # the picker always holds one
]
st.markdown(_(ex.story))

cfg: GeneratorConfig | DiscriminatorConfig
if ex.sidebar:  # only the network the example breaks needs valid sidebar settings
    cfg = current_generator() if ex.part == "generator" else current_discriminator()
elif ex.part == "generator":
    cfg = NOTEBOOK_G
else:
    cfg = AS_WRITTEN_D if ex.id == AS_WRITTEN else NOTEBOOK_D


def _box(
    column: DeltaGenerator,
    label: str,
    name: str,
    low: int,
    high: int,
    start: int | None,
    config_value: int,
    help: str,
) -> int:
    """A number box of this example, starting at ``start`` or else at the config's ``config_value``.

    The sidebar examples follow the sidebar: the box's key holds the sidebar's value, so a change
    there starts the box afresh at the new value.
    """
    key = f"doctor.{name}.{ex.id}" + (f".{config_value}" if ex.sidebar else "")
    return int(column.number_input(label, low, high, start or config_value, key=key, help=help))


c1, c2, _spare = st.columns([1, 1, 2])
size = _box(
    c1,
    _("Input size (H = W)"),
    "size",
    2,
    4096,
    ex.size,
    cfg.input_size,
    _("The doctor runs on the meta device: any size costs nothing."),
)
channels = cfg.in_channels
if ex.part == "discriminator":
    channels = _box(
        c2,
        _("Input channels"),
        "channels",
        1,
        64,
        ex.channels,
        cfg.in_channels,
        _("L + ab = 3 for the discriminator."),
    )

# Widths in px that fit the half-width column (460 px at 1400 x 1000): a wider table hid its last
# column ("skip from") behind a scroll bar.
NUMBER = st.column_config.NumberColumn(min_value=1, max_value=4096, step=1, format="%d", width=100)
# The tables' word columns (their keys stay English; in_channels / out_channels are PyTorch's names)
GENERATOR_WORDS = (N_("block"), N_("role"), N_("skip from"))
DISCRIMINATOR_WORDS = (N_("layer"), N_("kind"))


def _edited_counts(table: pd.DataFrame, base: pd.DataFrame) -> list[tuple[int, int, int]] | None:
    """Rows whose channels changed, as (row, in, out); None (with a warning) if a cell is empty."""
    changed = []
    # Whole columns, not a row Series per cell: this runs on every view of the page.
    cins, couts = table["in_channels"].to_numpy(), table["out_channels"].to_numpy()
    base_in, base_out, names = (
        base["in_channels"].to_numpy(),
        base["out_channels"].to_numpy(),
        base.iloc[:, 0],
    )
    for i in range(len(base)):
        cin, cout = cins[i], couts[i]
        if pd.isna(cin) or pd.isna(cout):
            st.warning(
                _("Row {row} ({name}) has an empty cell: it keeps its channels.", row=i, name=names.iat[i])
            )
            continue
        if (int(cin), int(cout)) != (int(base_in[i]), int(base_out[i])):
            changed.append((i, int(cin), int(cout)))
    return changed


def _generator_table(cfg: GeneratorConfig) -> Plan:
    plan = generator_plan(cfg)
    if ex.forgot_skip:
        plan = tuple(
            b.with_channels(in_channels=b.in_channels // 2) if b.name == ex.forgot_skip else b for b in plan
        )
    base = pd.DataFrame(
        {
            "block": [b.name for b in plan],
            "role": [b.role for b in plan],
            "in_channels": [b.in_channels for b in plan],
            "out_channels": [b.out_channels for b in plan],
            "skip from": [b.skip or "" for b in plan],
        }
    )
    table = st.data_editor(
        base,
        key=f"doctor.table.{ex.id}",
        hide_index=True,
        disabled=["block", "role", "skip from"],
        column_config={
            **column_labels(GENERATOR_WORDS, {"block": 90, "role": 70, "skip from": 90}),
            "in_channels": NUMBER,
            "out_channels": NUMBER,
        },
        width="stretch",
    )
    edited = list(plan)
    for i, cin, cout in _edited_counts(table, base) or []:
        edited[i] = edited[i].with_channels(cin, cout)
    return tuple(edited)


def _discriminator_table(cfg: DiscriminatorConfig) -> Changes:
    layers = layer_channels(meta_model(cfg))
    base = pd.DataFrame(
        {
            "layer": [layer.name for layer in layers],
            "kind": [layer.kind for layer in layers],
            "in_channels": [layer.in_channels for layer in layers],
            "out_channels": [layer.out_channels for layer in layers],
        }
    )
    table = st.data_editor(
        base,
        key=f"doctor.table.{ex.id}",
        hide_index=True,
        disabled=["layer", "kind"],
        column_config={
            **column_labels(DISCRIMINATOR_WORDS, {"layer": 90, "kind": 110}),
            "in_channels": NUMBER,
            "out_channels": NUMBER,
        },
        width="stretch",
    )
    return tuple(
        (layers[i].name, *layers[i].edited(cin, cout)) for i, cin, cout in _edited_counts(table, base) or []
    )


def _reset_button() -> None:
    if st.button(_("Reset the table"), key=f"doctor.reset.{ex.id}"):
        st.session_state.pop(f"doctor.table.{ex.id}", None)
        st.rerun()


table_col, verdict_col = st.columns([1, 1])
with table_col:
    st.markdown(_("**Channels of each block**: edit a number to break or mend the model"))
    plan: Plan | None = None
    changes: Changes = ()
    if isinstance(cfg, GeneratorConfig):
        plan = _generator_table(cfg)
    else:
        changes = _discriminator_table(cfg)
    _reset_button()

try:
    if isinstance(cfg, GeneratorConfig):
        d: Diagnosis = generator_diagnosis(cfg, size, plan)
    else:
        d = discriminator_diagnosis(cfg, channels, size, changes)
except Exception as exc:  # an edit the model cannot even be built with: explain, never a traceback
    verdict_col.error(_("This model cannot be built: {reason}", reason=reason(exc)))
    st.stop()

sample = (channels, size, size)  # one input, as the page's sentences name it: 3x256x256
with verdict_col:
    if d.ok:
        st.success(
            _(
                "Healthy: a {shape} input gives a {output} output.",
                shape=fmt_shape(sample),
                output=fmt_chw(d.trace.output_shape) if d.trace.output_shape else "",
            )
        )
    else:
        n = len(d.problems)
        st.markdown(
            _("**The doctor found {count} problem**", count=n)
            if n == 1
            else _("**The doctor found {count} problems**", count=n)
        )
        show_problems(d.problems)
        show_proofs(d)
        if d.sizes is not None and not d.sizes.is_valid(size):
            show_sizes(d)
        try:
            message, not_run = pytorch_message(cfg, channels, size, plan, changes)
            if not_run:  # too big to run for real: the doctor's answer stands
                st.caption(_("What PyTorch says is not shown: {reason}.", reason=say(not_run)))
        except Exception as exc:  # building a real copy failed: the doctor's answer stands
            message = _("(could not run it on CPU: {reason})", reason=reason(exc))
        if message:
            st.markdown(_("**What PyTorch says** (it stops at the first error):"))
            st.code(message, language="text", wrap_lines=True)

show_diagram(
    d,
    _("generator, {shape} input: the offending node in red", shape=fmt_shape(sample))
    if ex.part == "generator"
    else _("discriminator, {shape} input: the offending node in red", shape=fmt_shape(sample)),
)

sizes = valid_input_sizes(cfg)
notice(
    [
        _(
            "Read a channel error from the layer backwards: *expects* is the layer's `in_channels`, *gets* is "
            "what the module before it produced. Either number can be the wrong one; the fix names both."
        ),
        _(
            "After `torch.cat(..., dim=1)` the channels add up: a decoder after a skip needs the sum "
            "(512 + 512 = 1024), not the channels of one side."
        ),
        _(
            "Sizes must agree too: valid input sizes here are {sizes}.",
            sizes=sizes.describe(current_translator()),
        )
        if sizes
        else _("Sizes must agree too: the valid input sizes here are unknown."),
        _(
            "The discriminator judges colours **with** the lightness they belong to: it takes "
            "`torch.cat([L, ab], dim=1)`, 1 + 2 = 3 channels, for real and fake pairs alike."
        ),
    ]
)
if ex.part == "discriminator":
    notebook_code(
        nb.DISCRIMINATOR_AS_WRITTEN
        if isinstance(cfg, DiscriminatorConfig) and cfg.notebook_bug
        else nb.DISCRIMINATOR,
        _("Pix2Pix_Discriminator as written (look at the second Conv2d)")
        if ex.id == "as-written"
        else "Pix2Pix_Discriminator",
    )
else:
    notebook_code(nb.GENERATOR, _("Pix2Pix_Generator (decoders take the concatenated channels)"))


own_model_section()

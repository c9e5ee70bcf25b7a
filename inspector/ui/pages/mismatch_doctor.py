"""Mismatch doctor: broken models to pick, channels to edit, every problem found at once, with its fix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from inspector.doctor.report import SIZE_KINDS, Diagnosis
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.shapes.edit_layers import layer_channels
from inspector.shapes.input_sizes import SEARCH_BUDGET_S, valid_input_sizes
from inspector.shapes.labels import fmt_chw, fmt_shape
from inspector.shapes.loader import MODELS_ENV, model_files, parse_input_shape
from inspector.ui import notebook_code as nb
from inspector.ui.cache import (
    Changes,
    discriminator_diagnosis,
    file_diagnosis,
    file_stamp,
    generator_diagnosis,
    meta_model,
    pasted_diagnosis,
    pytorch_message,
)
from inspector.ui.common import (
    column_labels,
    current_discriminator,
    current_generator,
    intro,
    notebook_code,
    notice,
)
from inspector.ui.diagnosis_view import show_diagram, show_problems
from inspector.ui.i18n import _, current_translator, reason, say
from models import DiscriminatorConfig, GeneratorConfig, Plan, generator_plan, preset
from models.text import message_of

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


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    story: str
    part: str  # "generator" or "discriminator"
    forgot_skip: str | None = None  # generator: this decoder takes only its input's channels
    size: int | None = None  # None: the config's input size
    channels: int | None = None  # discriminator input channels; None: the config's
    sidebar: bool = False  # use the sidebar's configs


EXAMPLES = [
    Example(
        "as-written",
        N_("The notebook's discriminator, as written"),
        N_(
            "The notebook's second conv reads `nn.Conv2d(3, 64, ...)` where `nn.Conv2d(64, 128, ...)` was meant: "
            "copy-paste from the first conv. It builds fine and fails on the first forward pass."
        ),
        "discriminator",
    ),
    Example(
        "forgot-skip",
        N_("A decoder that forgot the skip doubling"),
        N_(
            "`decoder_4` was written with `ConvTranspose2d(512, 512)`, as if it received only `decoder_5`'s "
            "512 channels. But `torch.cat` puts the 512 channels of the skip from `encoder_4` next to them."
        ),
        "generator",
        forgot_skip="decoder_4",
    ),
    Example(
        "bad-size",
        N_("An input size that is not a multiple of 2^depth"),
        N_(
            "The images were resized to 300x300 instead of 256x256. Nothing is wrong with the weights: the "
            "encoder rounds odd sizes down when it halves them, and the skips no longer meet the decoder."
        ),
        "generator",
        size=300,
    ),
    Example(
        "ab-only",
        N_("A discriminator fed only ab"),
        N_(
            "The training loop passes the generator's ab output to the discriminator alone, forgetting to put "
            "the L channel in front of it: 2 channels where the first conv expects L + ab = 3."
        ),
        "discriminator",
        channels=2,
    ),
    Example(
        "sidebar-g",
        N_("The sidebar's generator (break it yourself)"),
        N_("The generator of the sidebar's settings. Change a channel count in the table to break it."),
        "generator",
        sidebar=True,
    ),
    Example(
        "sidebar-d",
        N_("The sidebar's discriminator (break it yourself)"),
        N_("The discriminator of the sidebar's settings. Change a channel count in the table to break it."),
        "discriminator",
        sidebar=True,
    ),
]
BY_TITLE = {e.title: e for e in EXAMPLES}


def _proofs(d: Diagnosis) -> None:
    """Under the problems: which fixes the doctor proved (applied to a meta copy and run again)."""
    for i, p in enumerate(d.problems, 1):
        if p.verified:
            chain = ", ".join(say(c.text()) for c in p.changes)
            st.caption(
                _(
                    "Fix {number} is verified: with {changes} applied to a meta copy, the model gets past this point.",
                    number=i,
                    changes=chain,
                )
            )
        else:
            st.caption(
                _("Fix {number} is a suggestion: the doctor could not prove it on a meta copy.", number=i)
            )
    for note in d.notes:
        st.caption(_("Note (not a problem): {note}", note=say(note)))


def _file_diagnosis(folder: str, picked: str, shape_text: str, mode: Literal["train", "eval"]) -> None:
    """The doctor's verdict on a model of the --models folder (cached on the file's path and stamp,
    the shape and the mode): every problem, each fix and its proof."""
    spec = str(Path(folder) / picked)
    try:
        shape = parse_input_shape(shape_text)
        stamp = file_stamp(spec.rpartition(":")[0])
    except (UserError, OSError) as exc:
        st.error(_("The doctor cannot check this model: {reason}", reason=reason(exc)))
        return
    d, why_not = file_diagnosis(spec, stamp, shape, mode)
    if d is None:
        st.error(_("The model cannot be loaded: {reason}", reason=say(why_not)))
    else:
        _show_verdict(d)


def _show_sizes(d: Diagnosis) -> None:
    """The sizes that work, one rule per side when the sides differ, and where the rule comes from."""
    if d.sizes is None:
        if any(p.kind in SIZE_KINDS for p in d.problems):
            st.info(
                _(
                    "The doctor found no input size that works: it tries sizes on the meta device "
                    "for {budget} s at most.",
                    budget=f"{SEARCH_BUDGET_S:g}",
                )
            )
        return
    why = d.sizes.explain(current_translator())
    st.info(
        _(
            "Valid input sizes: {sizes}. {why}.",
            sizes=d.sizes.describe(current_translator()),
            why=why[0].upper() + why[1:],
        )
    )


def _show_verdict(d: Diagnosis) -> None:
    if d.ok:
        st.success(_("Healthy: the output is {shape}.", shape=fmt_shape(d.trace.output_shape)))
        for note in d.notes:
            st.caption(_("Note (not a problem): {note}", note=say(note)))
        return
    st.markdown(_("**The doctor found {count} problem(s)**", count=len(d.problems)))
    show_problems(d.problems)
    _proofs(d)
    if d.sizes is None or not d.sizes.is_valid(d.input_shape[2:]):
        _show_sizes(d)


# The options stay the English titles (a link names one: inspector.ui.links); only their text is translated.
title = st.selectbox(_("Broken example"), list(BY_TITLE), format_func=lambda t: _(t), key="doctor.example")
ex = BY_TITLE[title]
st.markdown(_(ex.story))

cfg: GeneratorConfig | DiscriminatorConfig
if ex.sidebar:  # only the network the example breaks needs valid sidebar settings
    cfg = current_generator() if ex.part == "generator" else current_discriminator()
elif ex.part == "generator":
    cfg = NOTEBOOK_G
else:
    cfg = AS_WRITTEN_D if ex.key == "as-written" else NOTEBOOK_D


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
    key = f"doctor.{name}.{ex.key}" + (f".{config_value}" if ex.sidebar else "")
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

NUMBER = st.column_config.NumberColumn(min_value=1, max_value=4096, step=1, format="%d")
# The tables' word columns (their keys stay English; in_channels / out_channels are PyTorch's names)
GENERATOR_WORDS = (N_("block"), N_("role"), N_("skip from"))
DISCRIMINATOR_WORDS = (N_("layer"), N_("kind"))


def _edited_counts(table: pd.DataFrame, base: pd.DataFrame) -> list[tuple[int, int, int]] | None:
    """Rows whose channels changed, as (row, in, out); None (with a warning) if a cell is empty."""
    changed = []
    for i in range(len(base)):
        cin, cout = table.iloc[i]["in_channels"], table.iloc[i]["out_channels"]
        if pd.isna(cin) or pd.isna(cout):
            st.warning(
                _("Row {row} ({name}) has an empty cell: it keeps its channels.", row=i, name=base.iloc[i, 0])
            )
            continue
        if (int(cin), int(cout)) != (int(base.iloc[i]["in_channels"]), int(base.iloc[i]["out_channels"])):
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
        key=f"doctor.table.{ex.key}",
        hide_index=True,
        disabled=["block", "role", "skip from"],
        column_config={**column_labels(GENERATOR_WORDS), "in_channels": NUMBER, "out_channels": NUMBER},
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
        key=f"doctor.table.{ex.key}",
        hide_index=True,
        disabled=["layer", "kind"],
        column_config={**column_labels(DISCRIMINATOR_WORDS), "in_channels": NUMBER, "out_channels": NUMBER},
        width="stretch",
    )
    return tuple(
        (layers[i].name, *layers[i].edited(cin, cout)) for i, cin, cout in _edited_counts(table, base) or []
    )


def _reset_button() -> None:
    if st.button(_("Reset the table"), key=f"doctor.reset.{ex.key}"):
        st.session_state.pop(f"doctor.table.{ex.key}", None)
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

with verdict_col:
    if d.ok:
        st.success(
            _(
                "Healthy: a {channels}x{size}x{size} input gives a {output} output.",
                channels=channels,
                size=size,
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
        _proofs(d)
        if d.sizes is not None and not d.sizes.is_valid(size):
            _show_sizes(d)
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
    _("generator, {channels}x{size}x{size} input: the offending node in red", channels=channels, size=size)
    if ex.part == "generator"
    else _(
        "discriminator, {channels}x{size}x{size} input: the offending node in red",
        channels=channels,
        size=size,
    ),
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
        if ex.key == "as-written"
        else "Pix2Pix_Discriminator",
    )
else:
    notebook_code(nb.GENERATOR, _("Pix2Pix_Generator (decoders take the concatenated channels)"))


st.subheader(_("Your own model"))
paste_tab, files_tab = st.tabs([_("Paste print(model)"), _("Model files")])
with paste_tab:
    st.markdown(
        _(
            "Paste what `print(model)` shows for a model made of standard layers in `nn.Sequential`. "
            "The doctor rebuilds it from the text alone: nothing you paste is run."
        )
    )
    printed = st.text_area(_("The output of print(model)"), key="doctor.own.repr", height=220)
    repr_shape = st.text_input(_("Input shape (B,C,H,W)"), value="1,3,256,256", key="doctor.own.repr_shape")
    if printed.strip():
        try:
            pasted, not_rebuilt, not_checked = pasted_diagnosis(printed, parse_input_shape(repr_shape))
        except UserError as exc:  # the input shape
            pasted, not_rebuilt, not_checked = None, "", message_of(exc)
        if not_rebuilt:
            st.error(_("This text cannot be rebuilt as a model: {reason}", reason=say(not_rebuilt)))
        elif not_checked or pasted is None:
            st.error(_("The doctor cannot check this model: {reason}", reason=say(not_checked)))
        else:
            _show_verdict(pasted)
with files_tab:
    folder = os.environ.get(MODELS_ENV)
    if not folder:
        st.info(
            _(
                "Model files are off. Importing a file runs its code, so only the person who starts the app "
                "can turn this on: pix2pix-inspector app --models DIR lists the .py files of DIR here."
            )
        )
    else:
        try:
            listed = model_files(folder)
        except UserError as exc:
            listed = []
            st.error(_("The models folder cannot be read: {reason}", reason=reason(exc)))
        choices = [f"{file}:{name}" for file, names in listed for name in names]
        if not choices:
            st.info(_("No model file was found in {folder}.", folder=folder))
        else:
            picked = st.selectbox(_("Model"), choices, key="doctor.own.file")
            file_shape = st.text_input(
                _("Input shape (B,C,H,W)"), value="1,3,256,256", key="doctor.own.file_shape"
            )
            mode = st.radio(
                _("Mode"),
                ["train", "eval"],
                format_func=lambda m: f"model.{m}()",
                horizontal=True,
                key="doctor.own.file_mode",
                help=_(
                    "A module is built in train mode (batch norm uses the statistics of the batch); "
                    "model.eval() is how it runs once trained."
                ),
            )
            if st.button(_("Import it and check it"), key="doctor.own.load"):
                st.session_state["doctor.own.imported"] = (
                    picked  # checked again on every rerun, from the cache
                )
            if st.session_state.get("doctor.own.imported") == picked:
                _file_diagnosis(folder, picked, file_shape, "eval" if mode == "eval" else "train")

"""The Mismatch doctor's "Your own model" section: a pasted ``print(model)``, rebuilt from the text
alone, or a model file of the folder the app was started with (``--models DIR``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import streamlit as st

from inspector.errors import UserError
from inspector.shapes.loader import MODELS_ENV, file_stamp, model_files, parse_input_shape
from inspector.ui.caches.doctor import file_diagnosis, pasted_diagnosis
from inspector.ui.diagnosis_view import show_verdict
from inspector.ui.i18n import _, reason, say
from models.text import message_of


def own_model_section() -> None:
    """Both ways in, one tab each; the verdict under each."""
    st.subheader(_("Your own model"))
    paste_tab, files_tab = st.tabs([_("Paste print(model)"), _("Model files")])
    with paste_tab:
        _pasted()
    with files_tab:
        _files()


def _pasted() -> None:
    st.markdown(
        _(
            "Paste what `print(model)` shows for a model made of standard layers in `nn.Sequential`. "
            "The doctor rebuilds it from the text alone: nothing you paste is run."
        )
    )
    printed = st.text_area(_("The output of print(model)"), key="doctor.own.repr", height=220)
    repr_shape = st.text_input(_("Input shape (B,C,H,W)"), value="1,3,256,256", key="doctor.own.repr_shape")
    if not printed.strip():
        return
    try:
        pasted, not_rebuilt, not_checked = pasted_diagnosis(printed, parse_input_shape(repr_shape))
    except UserError as exc:  # the input shape
        pasted, not_rebuilt, not_checked = None, "", message_of(exc)
    if not_rebuilt:
        st.error(_("This text cannot be rebuilt as a model: {reason}", reason=say(not_rebuilt)))
    elif not_checked or pasted is None:
        st.error(_("The doctor cannot check this model: {reason}", reason=say(not_checked)))
    else:
        show_verdict(pasted)


def _files() -> None:
    folder = os.environ.get(MODELS_ENV)
    if not folder:
        st.info(
            _(
                "Model files are off. Importing a file runs its code, so only the person who starts the app "
                "can turn this on: pix2pix-inspector app --models DIR lists the .py files of DIR here."
            )
        )
        return
    try:
        listed = model_files(folder)
    except UserError as exc:
        listed = []
        st.error(_("The models folder cannot be read: {reason}", reason=reason(exc)))
    choices = [f"{file}:{name}" for file, names in listed for name in names]
    if not choices:
        st.info(_("No model file was found in {folder}.", folder=folder))
        return
    picked = st.selectbox(_("Model"), choices, key="doctor.own.file")
    file_shape = st.text_input(_("Input shape (B,C,H,W)"), value="1,3,256,256", key="doctor.own.file_shape")
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
        st.session_state["doctor.own.imported"] = picked  # checked again on every rerun, from the cache
    if picked is not None and st.session_state.get("doctor.own.imported") == picked:
        _file_diagnosis(folder, picked, file_shape, "eval" if mode == "eval" else "train")


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
        show_verdict(d)

"""Cached passes of the doctor and the tracer (Skip connections, Mismatch doctor, the slides): over
the sidebar's networks with the learner's edits, over a pasted ``print(model)``, over a model file;
PyTorch's own message; and the diagrams graphviz draws from them.

A refusal (a model that cannot be rebuilt, loaded or run) is an answer too, cached like one: the
core's ``UserError`` becomes its message here, so that a rerun neither imports, parses nor traces
the model again only to be refused again.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from inspector.doctor.diagnose import diagnose
from inspector.doctor.pytorch_run import pytorch_error
from inspector.doctor.report import Diagnosis
from inspector.doctor.repr_parser import parse_model_repr
from inspector.errors import UserError
from inspector.i18n.catalog import N_
from inspector.shapes.dot_graph import render as render_diagram
from inspector.shapes.edit_layers import with_channels
from inspector.shapes.loader import FileStamp, load_model
from inspector.ui.caches.models import meta_model
from inspector.ui.caches.shared import shared
from inspector.ui.caches.spinner import spinner
from models import DiscriminatorConfig, GeneratorConfig, NetworkConfig, Plan, build
from models.text import message_of

Changes = tuple[tuple[str, int, int], ...]  # (layer name, in, out): hashable channel edits


def _generator(cfg: GeneratorConfig, plan: Plan | None) -> nn.Module:
    return meta_model(cfg) if plan is None else build(cfg, plan=plan, device="meta")


def _discriminator(cfg: DiscriminatorConfig, changes: Changes) -> nn.Module:
    model = meta_model(cfg)
    return with_channels(model, {n: (i, o) for n, i, o in changes}) if changes else model


@spinner(N_("Tracing on the meta device..."))
@shared(max_entries=64)
def generator_diagnosis(cfg: GeneratorConfig, size: int, plan: Plan | None = None) -> Diagnosis:
    """The doctor's pass over the generator at 1 x in_channels x size x size."""
    return diagnose(_generator(cfg, plan), (1, cfg.in_channels, size, size))


@spinner(N_("Tracing on the meta device..."))
@shared(max_entries=64)
def discriminator_diagnosis(
    cfg: DiscriminatorConfig, channels: int, size: int, changes: Changes = ()
) -> Diagnosis:
    """The doctor's pass over the discriminator at 1 x channels x size x size."""
    return diagnose(_discriminator(cfg, changes), (1, channels, size, size))


@spinner(N_("Running it in PyTorch for its own message..."))
@shared(max_entries=32)
def pytorch_message(
    cfg: NetworkConfig, channels: int, size: int, plan: Plan | None = None, changes: Changes = ()
) -> tuple[str | None, str | None]:
    """(PyTorch's own error for the same model on CPU or None if it runs, why it was not run or None).

    A model too big to run is not re-measured on every rerun of the page.
    """
    model = _generator(cfg, plan) if isinstance(cfg, GeneratorConfig) else _discriminator(cfg, changes)
    try:
        return pytorch_error(model, (1, channels, size, size)), None
    except UserError as exc:
        return None, message_of(exc)


@shared(max_entries=16)
def pasted_diagnosis(text: str, shape: tuple[int, ...]) -> tuple[Diagnosis | None, str, str]:
    """The doctor on a pasted ``print(model)``: (diagnosis, why it cannot be rebuilt, why it cannot be
    checked), cached on the text itself so that a rerun neither parses nor traces it again."""
    try:
        model = parse_model_repr(text)
    except UserError as exc:
        return None, message_of(exc), ""
    try:
        return diagnose(model, shape), "", ""
    except UserError as exc:
        return None, "", message_of(exc)


@shared(max_entries=16)
def file_diagnosis(
    spec: str, stamp: FileStamp, shape: tuple[int, ...], mode: Literal["train", "eval"]
) -> tuple[Diagnosis | None, str]:
    """The doctor on a model of the ``--models`` folder, ``path/file.py:NAME``: (diagnosis, why it
    cannot be loaded or checked). Cached on the path, the file's ``stamp``
    (``inspector.shapes.loader.file_stamp``: an edited file is imported again), the input shape and
    the mode, so a rerun neither imports nor traces it."""
    try:
        return diagnose(load_model(spec, mode), shape), ""
    except UserError as exc:
        return None, message_of(exc)


@shared(max_entries=32)
def diagram_file(source: str, fmt: str) -> bytes:
    """A DOT source drawn by graphviz as ``fmt`` (svg, pdf, png): cached on the text itself."""
    return render_diagram(source, fmt)

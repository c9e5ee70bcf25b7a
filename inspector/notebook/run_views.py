"""Notebook views of training: ``TrainResult`` (how a run ended, its curves and newest samples),
``Colorized`` and ``ImageSet``; and the pieces of the live view of a run (``notebook.training``).

The curves are the Train page's three charts (adversarial losses, G's L1, D(real) and D(fake)),
read from the run's ``metrics.jsonl`` as the page reads them (``runqueue.progress``); the sample
grid is the newest PNG the trainer wrote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from inspector.data.image_set import ImageSet
from inspector.i18n.catalog import N_, Translator
from inspector.i18n.fonts import matplotlib_rc
from inspector.notebook import html as h
from inspector.runqueue.progress import latest_sample, metrics_rows
from inspector.training.checkpoint import Checkpoint
from inspector.training.colorize import Colorized
from inspector.training.plan import RunPlan
from inspector.training.reports import TrainResult
from models.text import render

CHARTS = (
    (N_("**Adversarial losses** (BCE)"), ("G_GAN", "D_real", "D_fake")),
    (N_("**G's L1** (mean |ab error|)"), ("G_L1",)),
    (N_("**D(real) and D(fake)** (mean probability)"), ("D(real)", "D(fake)")),
)
STEP_WORD = N_("step")
SAMPLE_CAPTION = N_("Step {step}: L input | generated | ground truth (held-out images)")
ENDINGS: dict[str, tuple[str, h.Kind]] = {
    "completed": (N_("finished"), "success"),
    "stopped": (N_("stopped"), "info"),
    "diverged": (N_("failed"), "error"),
    "out_of_memory": (N_("failed"), "error"),
}
RESULT_LINE = N_("**{state}** at step {step}: {message}")
CHECKPOINT_LINE = N_("Checkpoint (step {step}): `{path}`")
RUN_FOLDER = N_(
    "The run's folder is `{path}`: the app's Colorize page and `pix2pix-inspector colorize` open it."
)
GREY, COLOUR, ORIGINAL = N_("grey input"), N_("colorized"), N_("original")
COLORIZED_LINE = N_("The generator ran at {size} x {size}.")
IMAGES_LINE = N_("{n} images of {size} x {size}")
SKIPPED = N_("{n} file(s) skipped")
MAX_THUMBS = 24
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def plain(text: str) -> str:
    """A catalog sentence without its Markdown (a figure's title has no bold)."""
    return _BOLD.sub(r"\1", text)


def curves_png(rows: list[dict[str, Any]], lang: str, tr: Translator) -> bytes:
    """The Train page's three charts of ``rows`` (metrics.jsonl) side by side, as PNG."""
    with mpl.rc_context(matplotlib_rc(lang)):  # type: ignore[arg-type]  # rc keys are typed as literals
        fig = Figure(figsize=(10.5, 2.9), layout="constrained")
        steps = [r["step"] for r in rows]
        for k, (title, keys) in enumerate(CHARTS):
            ax = fig.add_subplot(1, 3, k + 1)
            for key in keys:
                ax.plot(steps, [r.get(key, float("nan")) for r in rows], label=key, lw=1.4)
            ax.set_title(plain(tr(title)), fontsize=11)
            ax.set_xlabel(tr(STEP_WORD))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
            ax.legend(fontsize=9)
            ax.grid(alpha=0.3)
    return h.figure_png(fig, lang)


def run_pictures(run_dir: Path, lang: str, tr: Translator) -> str:
    """The run's curves and its newest sample grid, as the run's folder holds them now."""
    parts = []
    rows = metrics_rows(run_dir)
    if rows:
        parts.append(h.img(curves_png(rows, lang, tr), "image/png", plain(tr(CHARTS[0][0])), width=1050))
    sample = latest_sample(run_dir)
    if sample is not None:
        step = int(sample.stem.split("_")[-1])
        caption = tr(SAMPLE_CAPTION, step=step)
        parts += [h.img(sample.read_bytes(), "image/png", caption, width=576), h.para(caption)]
    return "".join(parts)


def ending_html(result: TrainResult, tr: Translator) -> str:
    """How the run ended, where its checkpoint is and what opens its folder."""
    word, kind = ENDINGS.get(result.status, (result.status, "info"))
    line = tr(RESULT_LINE, state=tr(word), step=result.step, message=render(result.message, tr))
    parts = [h.box(line, kind)]
    if result.checkpoint is not None:
        parts.append(h.para(tr(CHECKPOINT_LINE, step=result.checkpoint_step, path=str(result.checkpoint))))
        parts.append(h.para(tr(RUN_FOLDER, path=str(result.checkpoint.parent))))
    return "".join(parts)


def result_html(result: TrainResult, lang: str, tr: Translator) -> str:
    """How the run ended, then its curves and newest samples."""
    pictures = run_pictures(result.checkpoint.parent, lang, tr) if result.checkpoint is not None else ""
    return h.page(ending_html(result, tr), pictures)


def colorized_html(c: Colorized, lang: str, tr: Translator) -> str:
    side = 256
    cells = []
    for rgb, word in ((c.grey, GREY), (c.colour, COLOUR), (c.original, ORIGINAL)):
        cells.append(h.picture(rgb, tr(word), width=side, photo=True) + h.para(tr(word)))
    return h.page(h.row(*cells), h.para(tr(COLORIZED_LINE, size=c.model_size)))


def image_set_html(images: ImageSet, lang: str, tr: Translator) -> str:
    """Thumbnails of the first images, and the files that were skipped with why."""
    n, _c, size, _w = images.images.shape
    thumbs = [
        h.picture(images.images[i].permute(1, 2, 0).numpy(), images.names[i], width=96, photo=True)
        for i in range(min(n, MAX_THUMBS))
    ]
    parts = [h.para(tr(IMAGES_LINE, n=n, size=size)), h.row(*thumbs)]
    if images.skipped:
        lines = [f"{s.name}: {render(s.reason, tr)}" for s in images.skipped]
        parts.append(h.details(tr(SKIPPED, n=len(images.skipped)), h.bullets(lines)))
    return h.page(*parts)


SETTING, VALUE = N_("setting"), N_("value")
CHECKPOINT_HEAD = N_("Checkpoint at step {step}: generator {g_params} parameters, discriminator {d_params}")
EXPORT_HEAD = N_("Generator-only export at step {step}: {g_params} parameters (for colorizing)")
PLAN_HEAD = N_("{train} training and {val} held-out images on {device}, into {run_dir}")


def _settings(rows: dict[str, object], tr: Translator) -> str:
    return h.table(
        [tr(SETTING), tr(VALUE)], [[k, v if isinstance(v, (int, float)) else str(v)] for k, v in rows.items()]
    )


def checkpoint_html(ckpt: Checkpoint, lang: str, tr: Translator) -> str:
    """What a checkpoint holds: its step, both networks' settings and sizes, its training settings."""
    g_params = sum(t.numel() for t in ckpt.generator.values() if t.is_floating_point())
    d_params = sum(t.numel() for t in ckpt.discriminator.values() if t.is_floating_point())
    if ckpt.is_export:
        head = tr(EXPORT_HEAD, step=ckpt.step, g_params=f"{g_params:,}")
    else:
        head = tr(CHECKPOINT_HEAD, step=ckpt.step, g_params=f"{g_params:,}", d_params=f"{d_params:,}")
    parts = [h.para(f"**{head}**"), h.para("generator") + _settings(ckpt.generator_config.to_dict(), tr)]
    if ckpt.discriminator_config is not None:
        parts.append(h.para("discriminator") + _settings(ckpt.discriminator_config.to_dict(), tr))
    if ckpt.train_config:
        parts.append(h.details("TrainConfig", _settings(ckpt.train_config, tr)))
    return h.page(*parts)


def plan_html(plan: RunPlan, lang: str, tr: Translator) -> str:
    """A planned run: the images, the device, the folder, and the settings it will train with."""
    head = tr(
        PLAN_HEAD,
        train=len(plan.train),
        val=len(plan.val),
        device=str(plan.device),
        run_dir=str(plan.run_dir),
    )
    return h.page(
        h.para(head),
        h.row(
            h.para("generator") + _settings(plan.generator_config.to_dict(), tr),
            h.para("discriminator") + _settings(plan.discriminator_config.to_dict(), tr),
            h.para("TrainConfig") + _settings(plan.config.to_dict(), tr),
        ),
        "".join(h.para(render(n, tr)) for n in plan.notes()),
    )

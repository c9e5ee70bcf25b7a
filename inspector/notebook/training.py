"""Training from a notebook: :func:`train`, the CLI's planner and trainer with a live view in the cell.

The run is planned by ``training.plan.plan_run`` and trained by ``Trainer``, as ``pix2pix-inspector
train`` does, into a folder of the app's runs folder (``RunsFolder.create``: ``run.json``, then the
CLI's files), tracked with the queue's files (``runqueue.in_process.track_run``): the app's Train
and Class runs pages list it and follow it live, its Colorize page and the checkpoint tools open it.
The device is the planner's ``auto`` (a Colab GPU, else the CPU with small default sizes).

The view in the cell is three outputs updated in place (``IPython.display`` handles, no widgets):
the progress line, the Train page's loss curves and the newest sample grid; at the end, how the run ended
(what ``TrainResult``'s own view says first). Outside IPython it is the CLI's progress bar on stderr.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from inspector.i18n.catalog import N_, Translator
from inspector.i18n.reader import get_language, reader_translator
from inspector.notebook import html as h
from inspector.notebook.run_views import CHARTS, SAMPLE_CAPTION, curves_png, ending_html, plain
from inspector.runqueue.in_process import LABEL, track_run
from inspector.runqueue.progress import metrics_rows
from inspector.training.plan import RunChoices, plan_run
from inspector.training.reports import Sample, StepMetrics, TrainResult
from inspector.training.runs import RunsFolder
from inspector.training.trainer import Trainer
from models.presets import DEFAULT_PRESET

PROGRESS = N_(
    "Step {step} of {steps} on {device}: {rate} images/s, G_L1 {l1}, D(real) {real}, D(fake) {fake}"
)
STARTING = N_("Training {steps} steps on {device} into {run_dir}")
REDRAW_S = 2.0  # the curves are redrawn at most this often (a redraw costs a matplotlib figure)


class LiveView:
    """The cell's outputs while a run trains: progress, curves, newest samples, updated in place."""

    def __init__(self, run_dir: Path, steps: int, device: str, lang: str, tr: Translator) -> None:
        from IPython.display import HTML, display

        self.run_dir, self.steps, self.device, self.lang, self.tr = run_dir, steps, device, lang, tr
        self._html = HTML
        start = tr(STARTING, steps=steps, device=device, run_dir=str(run_dir))
        self.progress = display(HTML(h.page(h.para(start))), display_id=True)
        self.curves = display(HTML(""), display_id=True)
        self.samples = display(HTML(""), display_id=True)
        self._drawn = 0.0

    def step(self, m: StepMetrics) -> None:
        tr = self.tr
        line = tr(PROGRESS, step=m.step, steps=m.total_steps, device=self.device, rate=f"{m.images_per_s:.1f}",
                  l1=f"{m.g_l1:.4f}", real=f"{m.p_real:.2f}", fake=f"{m.p_fake:.2f}")  # fmt: skip
        bar = f'<progress max="{m.total_steps}" value="{m.step}" style="width:320px"></progress>'
        self.progress.update(self._html(h.page(bar + h.para(line))))
        now = time.monotonic()
        if now - self._drawn >= REDRAW_S or m.step >= m.total_steps:
            self._drawn = now
            self.draw_curves()

    def draw_curves(self) -> None:
        rows = metrics_rows(self.run_dir)
        if rows:
            png = curves_png(rows, self.lang, self.tr)
            self.curves.update(
                self._html(h.page(h.img(png, "image/png", plain(self.tr(CHARTS[0][0])), 1050)))
            )

    def sample(self, s: Sample) -> None:
        caption = self.tr(SAMPLE_CAPTION, step=s.step)
        self.samples.update(self._html(h.page(h.picture(s.grid, caption, width=576), h.para(caption))))

    def close(self, result: TrainResult) -> None:
        """The progress line becomes how the run ended; the curves and samples stay, as last drawn."""
        self.draw_curves()
        self.progress.update(self._html(h.page(ending_html(result, self.tr))))


def _in_ipython() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get is not None and get() is not None


def train(
    steps: int | None = None,
    *,
    preset: str | None = None,
    device: str = "auto",
    data: str | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    live: bool = True,
    **options: Any,
) -> TrainResult:
    """Train pix2pix for ``steps`` (the total, counting a resumed run's) as ``pix2pix-inspector train``
    would, and show it live in the cell; returns the ``TrainResult`` (it displays itself).

    A new run goes into ``runs_dir`` (default: the app's runs folder, ``default_runs_dir()``) as
    ``name`` (default ``<preset>-<time>``, as the CLI names runs), or into ``out``; ``resume`` continues a run folder.
    ``options`` are the planner's other choices (``batch``, ``size``, ``ngf``, ``depth``, ``lr``,
    ``lambda_l1``, ``sample_every``, ``checkpoint_every``, ``seed``, ...: ``RunChoices``' fields).
    ``data`` is a folder of images (default: scikit-image's sample photos). Refusals are
    ``UserError`` with the CLI's sentence; the folder made for a run that could not start is removed.
    """
    choices = RunChoices(
        preset=preset, device=device, data=data, steps=steps, out=out, resume=resume, **options
    )
    folder = RunsFolder(runs_dir)
    made: Path | None = None
    if out is None and resume is None:
        default = f"{preset or DEFAULT_PRESET}-{time.strftime('%Y%m%d-%H%M%S')}"  # the CLI's run names
        made = folder.create(name or default, owner=LABEL,
                             settings={k: v for k, v in options.items() if isinstance(v, (int, float, str))})  # fmt: skip
        choices = replace(choices, out=made)
    try:
        plan = plan_run(choices)
    except BaseException:
        if made is not None:
            folder.delete(made.name)
        raise
    lang, tr = get_language(), reader_translator()
    view = (
        LiveView(plan.run_dir, plan.config.steps, str(plan.device), lang, tr)
        if live and _in_ipython()
        else None
    )
    with track_run(plan, threads=torch.get_num_threads()) as tracked:
        trainer = Trainer.from_plan(plan, should_stop=tracked.should_stop)
        if view is not None:
            trainer.add_callback("on_step_end", view.step)
            trainer.add_callback("on_sample", view.sample)
        elif live:
            from inspector.commands.train import ProgressBar

            trainer.add_callback(
                "on_step_end", ProgressBar(plan.config.steps, trainer.step, sys.stderr).update
            )
        result = trainer.fit()
        tracked.finish(result)
    if view is not None:
        view.close(result)
    return result

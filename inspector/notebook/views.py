"""``html(result)``: the notebook view of any public result, in the reader's language.

``inspector.display.RichDisplay._repr_html_`` calls it. Each result class has one view (a
function ``view(result, lang, tr) -> str`` in the module of its concept); a view that fails says
so in one box, with the reason, instead of a traceback under the cell (the dataclass's text is
still there: Jupyter keeps ``text/plain`` beside the HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspector.checkpoints.compare import CheckpointComparison
from inspector.checkpoints.compare import Comparison as NetworkComparison
from inspector.checkpoints.identify import Identification
from inspector.conv.animation import ConvAnimation
from inspector.conv.overlap import Checkerboard, OverlapMap
from inspector.conv.receptive_field import ReceptiveField
from inspector.data.image_set import ImageSet
from inspector.doctor.report import Diagnosis, Problem
from inspector.i18n.catalog import N_, Translator, translator
from inspector.i18n.reader import get_language
from inspector.init_study.activations import ActivationComparison, ActivationStats
from inspector.init_study.weights import InitComparison, WeightStats
from inspector.inside.features import FeatureMap, FeatureMaps
from inspector.inside.gan_game import GanGame, MoveRecord
from inspector.inside.lens import BatchNormLens, DropoutLens, NormEquivalence
from inspector.inside.skips import SkipAblation
from inspector.inside.verdict import PatchVerdict
from inspector.notebook import (
    checkpoint_views,
    conv_views,
    game_views,
    init_views,
    inside_views,
    run_views,
    shape_views,
)
from inspector.notebook import html as h
from inspector.shapes.compare import Comparison
from inspector.shapes.records import Trace
from inspector.shapes.size_rules import InputSizes
from inspector.shapes.summary import Summary
from inspector.training.checkpoint import Checkpoint
from inspector.training.colorize import Colorized
from inspector.training.plan import RunPlan
from inspector.training.reports import TrainResult
from models.text import message_of, render

View = Callable[[Any, str, Translator], str]
VIEWS: dict[type, View] = {
    Trace: shape_views.trace_html,
    Summary: shape_views.summary_html,
    InputSizes: shape_views.sizes_html,
    Comparison: shape_views.comparison_html,
    Diagnosis: shape_views.diagnosis_html,
    Problem: shape_views.single_problem_html,
    WeightStats: init_views.weights_html,
    InitComparison: init_views.init_comparison_html,
    ActivationStats: init_views.activations_html,
    ActivationComparison: init_views.activation_comparison_html,
    ConvAnimation: conv_views.animation_html,
    ReceptiveField: conv_views.receptive_field_html,
    OverlapMap: conv_views.overlap_html,
    Checkerboard: conv_views.checkerboard_html,
    FeatureMaps: inside_views.features_html,
    FeatureMap: inside_views.feature_map_html,
    SkipAblation: inside_views.ablation_html,
    PatchVerdict: inside_views.verdict_html,
    DropoutLens: inside_views.dropout_html,
    BatchNormLens: inside_views.batchnorm_html,
    NormEquivalence: inside_views.equivalence_html,
    TrainResult: run_views.result_html,
    Colorized: run_views.colorized_html,
    ImageSet: run_views.image_set_html,
    Checkpoint: run_views.checkpoint_html,
    RunPlan: run_views.plan_html,
    Identification: checkpoint_views.identification_html,
    NetworkComparison: checkpoint_views.comparison_html,
    CheckpointComparison: checkpoint_views.comparisons_html,
    GanGame: game_views.game_html,
    MoveRecord: game_views.move_html,
}
NOT_DRAWN = N_("This result could not be drawn: {reason}")


def view_of(result: object) -> View | None:
    """The view of ``result``'s class (or of the nearest public class it derives from)."""
    for cls in type(result).__mro__:
        if cls in VIEWS:
            return VIEWS[cls]
    return None


def html(result: object, lang: str | None = None) -> str:
    """``result`` as self-contained HTML in ``lang`` (default: ``inspector.set_language``'s)."""
    lang = lang or get_language()
    tr = translator(lang)
    view = view_of(result)
    if view is None:
        raise TypeError(f"no notebook view for {type(result).__name__}")
    try:
        return view(result, lang, tr)
    except Exception as exc:  # a figure that cannot be drawn must not hide the result
        return h.page(h.box(tr(NOT_DRAWN, reason=render(message_of(exc), tr)), "error"))

"""The doctor's report: the kinds of problem, each problem, and the diagnosis that holds them.

The rules (``inspector.doctor.rules``) decide *what* is wrong and hand the facts to the wording
functions (``inspector.doctor.layer_words`` for a layer's channels, features and rank,
``inspector.doctor.size_words`` for sizes and combinations), which say it: what the layer
expected, what it got, where the tensor came from (``inspector.doctor.provenance``) and the
concrete change that fixes it, as ``Words``. The pass records ``Finding``s; after it,
``inspector.doctor.problems.to_problems`` makes them ``Problem``s, and ``inspector.doctor.proof``
proves each way out.

Every sentence is a ``Text`` (``models.text``): English as a ``str`` (the CLI, JSON and the
golden files read it so), with its template kept for the app to render in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from inspector.display import RichDisplay
from inspector.doctor.changes import Change, Option
from inspector.shapes.input_sizes import InputSizes
from inspector.shapes.records import Shape, Trace
from models.text import Text, join

Value = int | tuple[int, ...] | None


class ProblemKind(str, Enum):
    """What kind of problem: an identifier (the JSON and the CLI write its value) with a title."""

    CHANNELS = "channels"  # a conv's in_channels, a norm's num_features, a layer's own width in dim 1
    FEATURES = "features"  # Linear.in_features, LayerNorm.normalized_shape: the last dims
    CONCAT = "concat"  # torch.cat / torch.stack / + of tensors that do not fit together
    KERNEL = "kernel"  # a kernel larger than its padded input
    BATCH_STATS = "batch-stats"  # a norm's statistics over a single value
    DIMS = "dims"  # an input of the wrong rank
    RUNTIME = "runtime"  # anything else the model raised: PyTorch's own message

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> Text:
        """The kind in words, for a reader (``Text``: the app says it in the reader's language)."""
        return _TITLES[self]


_TITLES = {
    ProblemKind.CHANNELS: Text("channels"),
    ProblemKind.FEATURES: Text("features"),
    ProblemKind.CONCAT: Text("tensors that do not fit together"),
    ProblemKind.KERNEL: Text("kernel"),
    ProblemKind.BATCH_STATS: Text("batch statistics"),
    ProblemKind.DIMS: Text("number of dims"),
    ProblemKind.RUNTIME: Text("error without a rule"),
}

# The kinds an input size may fix: a size search is run for them.
SIZE_KINDS = (ProblemKind.KERNEL, ProblemKind.BATCH_STATS, ProblemKind.CONCAT)
# The kinds of a layer built for another width than it gets (channels, or the last dims)
WIDTH_KINDS = (ProblemKind.CHANNELS, ProblemKind.FEATURES)


@dataclass(frozen=True)
class Problem(RichDisplay):
    """One thing that stops the model from running at this input shape."""

    module: str  # qualified name of the layer (or the block fed by a bad torch.cat)
    kind: ProblemKind
    expected: Value
    actual: Value
    message: str  # what the layer expected, what it got, and which module produced the tensor
    fix: str  # the concrete change, e.g. "decoder_4: ConvTranspose2d in_channels 512 -> 1024 (...)"
    block: str = ""  # the top-level block it sits in, e.g. "decoder_4" ("" if none)
    concat: int | None = None  # index into Diagnosis.trace.concats for a bad combination
    # The fix as changes, e.g. (body.3 BatchNorm2d num_features 64 -> 128, body.5 Conv2d in_channels
    # 64 -> 128): ``verified`` when the doctor applied them to a meta copy and the model then got
    # past this point; otherwise ``fix`` is a suggestion.
    verified: bool = False
    changes: tuple[Change, ...] = ()
    # Every way out ``fix`` offers, proven, in its order, each with all the changes it needs:
    # (body.2 out_channels 128 -> 64,), (body.3 num_features 64 -> 128, body.5 in_channels 64 -> 128)
    offered: tuple[tuple[Change, ...], ...] = ()
    # The ways out the rule saw; the proof picks among them (and says each one the fix offers).
    options: tuple[Option, ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["options"]
        data["changes"] = [c.to_dict() for c in self.changes]
        data["offered"] = [[c.to_dict() for c in way] for way in self.offered]
        return data


@dataclass(frozen=True)
class Diagnosis(RichDisplay):
    """The doctor's findings; ``trace`` is the pass carried on past every problem."""

    ok: bool
    problems: tuple[Problem, ...]
    trace: Trace
    input_shape: Shape
    sizes: InputSizes | None = None  # the valid input sizes, when a size problem was found
    device: str = "meta"  # "cpu" when the forward needed values and a small CPU copy ran instead
    notes: tuple[str, ...] = ()  # not problems: a skip rewritten in place, an output of another size

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "input_shape": list(self.input_shape),
            "problems": [p.to_dict() for p in self.problems],
            "valid_input_sizes": self.sizes.to_dict() if self.sizes else None,  # one rule per side
            "device": self.device,
            "notes": list(self.notes),
        }


@dataclass
class Finding:
    """A problem while the pass runs; ``module``/``fix`` of size problems are completed after it."""

    module: str
    kind: ProblemKind
    expected: Value
    actual: Value
    message: str
    fix: str
    block: str = ""
    concat: int | None = None
    needs_sizes: bool = False
    options: tuple[Option, ...] = ()  # the ways out


class Words(NamedTuple):
    """What the doctor says about one problem: ``Text`` (English as a ``str``, translatable) or, from
    a rule of one's own, plain English; and the ways out the fix offers."""

    message: str
    fix: str
    options: tuple[Option, ...] = ()


OR = Text(" or ")  # between alternatives: "256 or 512", "2-d or 3-d"
OR_ELSE = Text(", or ")  # between the ways out of a fix


def alternatives(options: Iterable[Option]) -> Text:
    """The fix that offers each said way out: "model.2: Conv2d out_channels 64 -> 128, or model.3: ..."."""
    return join([o.said for o in options if o.said], OR_ELSE)

"""One doctor's pass over a copy of the model: what the rules read and what they write.

An ``Exam`` holds the findings so far, the combinations the tracer has recorded, when each leaf
first ran, and the names a fix uses. The rules (``inspector.doctor.rules``) get it with every
layer they judge; the wording of what they find is ``inspector.doctor.layer_words``' and ``size_words``'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from torch import Tensor, nn

from inspector.doctor import provenance
from inspector.doctor.changes import Change, layer_change
from inspector.doctor.report import Finding, ProblemKind, Value, Words
from inspector.shapes.blocks import top_level_blocks
from inspector.shapes.edit_layers import set_field
from inspector.shapes.recorder import Source
from inspector.shapes.records import ConcatRecord, Shape
from models import PatchDiscriminator, UNetGenerator
from models.text import Text

NormCarry = Literal["expect", "mend"]


def looks_like_pix2pix(model: nn.Module) -> bool:
    """Our own networks, or a pix2pix discriminator written by hand (the notebook's): 2-d convs
    with 4x4 kernels only, a one-channel patch map at the end, no Linear and no pooling."""
    if isinstance(model, (UNetGenerator, PatchDiscriminator)):
        return True
    convs = [m for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)]
    if len(convs) < 3 or any(
        isinstance(m, (nn.Linear, nn.modules.pooling._MaxPoolNd)) for m in model.modules()
    ):
        return False
    return (
        all(isinstance(c, nn.Conv2d) and tuple(c.kernel_size) == (4, 4) for c in convs)
        and convs[0].in_channels == 3
        and convs[-1].out_channels == 1
    )


@dataclass
class Exam:
    """The state of one pass over ``model`` (the doctor's own meta or CPU copy, which rules may change)."""

    model: nn.Module
    input_shape: Shape
    # After a norm gets the wrong channels, carry on as if the layer before were fixed ("expect":
    # the norm's own count flows on) or as if the norm were ("mend": the input's count flows on).
    # diagnose() runs both and keeps the pass that explains the model with fewer problems.
    norm_carry: NormCarry = "expect"
    found: list[Finding] = field(default_factory=list)
    concats: Sequence[ConcatRecord] = ()  # the tracer's combinations so far (kept up to date by the observer)
    order: dict[str, int] = field(default_factory=dict)  # leaf name -> when it first ran
    combined_at: dict[int, int] = field(default_factory=dict)  # combination index -> when it ran (same clock)
    pix2pix: bool = False  # our preset or a PatchGAN: Lab advice (L + ab) fits; else generic words
    # The norms of the copy given their fix in the "mend" pass: (layer, field, old value, old tensors)
    mended: list[tuple[nn.Module, str, Any, dict[str, Tensor]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.modules = dict(self.model.named_modules())
        self.pix2pix = self.pix2pix or looks_like_pix2pix(self.model)
        prefix, top = top_level_blocks(self.model)
        self.top = [n for n, _ in top]
        # A leaf is named after its block in a fix ("decoder_4: ...") when the block is a
        # child of the model; a layer of the model's only Sequential is named itself ("model.2").
        self.named_blocks = set(self.top) if not prefix else set()

    # --- naming ---
    def block_of(self, name: str) -> str:
        return next((b for b in self.top if name == b or name.startswith(b + ".")), "")

    def fix_target(self, name: str) -> str:
        """The name a fix uses: the block ("decoder_4") when that says which layer unambiguously
        (its only one of the kind), else the layer itself ("downs.1" in a ModuleList, "body.3")."""
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        block, leaf = self.modules.get(parent), self.modules.get(name)
        if parent not in self.named_blocks or block is None or leaf is None:
            return name
        if isinstance(block, (nn.ModuleList, nn.ModuleDict)):  # a list of layers, not one block
            return name
        same_kind = [m for m in block.modules() if type(m) is type(leaf)]
        return parent if len(same_kind) == 1 else name

    def origin(self, src: Source | None, dim: int, size: int | None = None) -> Text:
        """Where a tensor came from, in words: '... from model.0 (Conv2d(3, 64))'."""
        return provenance.origin(src, dim, self.concats, self.modules, size)

    def composition(self, src: Source | None, dim: int, total: int) -> Text | str:
        """' (512 from decoder_5 + 512 skip from encoder_4)' or ' (64 from model.0)'."""
        return provenance.composition(src, dim, total, self.concats, self.made_at)

    def made_at(self, layer: str) -> int:
        """When the tensor ``layer`` names was made: a leaf's first run, or a combination's ("add#5")."""
        if layer in self.order:
            return self.order[layer]
        op, _, index = layer.rpartition("#")
        if op and index.isdigit() and int(index) in self.combined_at:
            return self.combined_at[int(index)]
        return 1 << 30

    def producer(self, src: Source | None) -> nn.Module | None:
        """The leaf that made the tensor, if the tracer saw it."""
        return self.modules.get(src.layer) if src is not None else None

    def maker_change(self, src: Source | None, dim: int, ndim: int, got: int, want: int) -> Change | None:
        """The other way out of a norm's mismatch along ``dim`` (of a tensor of ``ndim`` dims): the layer
        that made the tensor, giving ``want`` instead of ``got`` (a conv's out_channels along the
        channels, a Linear's out_features along the last dim); None when another layer made it."""
        made_by = self.producer(src)
        if src is None or src.concat is not None:
            return None
        if isinstance(made_by, nn.modules.conv._ConvNd) and dim == ndim - len(made_by.kernel_size) - 1:
            return layer_change(src.layer, made_by, "out_channels", got, want)
        if isinstance(made_by, nn.Linear) and dim == ndim - 1:
            return layer_change(src.layer, made_by, "out_features", got, want)
        return None

    # --- the "mend" pass ---
    def mend(self, m: nn.Module, field_name: str, value: int | tuple[int, ...]) -> bool:
        """Give the copy's norm ``m`` its own fix (``field_name`` = ``value``) so that its input's width
        flows on; False when it cannot take it. ``undo_mends`` takes it back."""
        tensors = dict([*m.named_parameters(recurse=False), *m.named_buffers(recurse=False)])
        old = getattr(m, field_name)
        try:
            set_field(m, field_name, value)
        except ValueError:
            return False
        self.mended.append((m, field_name, old, tensors))
        return True

    def undo_mends(self, since: int) -> None:
        """Take back the mends after the first ``since`` (a layer judged by running whose parent's rule
        read the wrong dims): the layer gets its own field and tensors again."""
        while len(self.mended) > since:
            m, field_name, old, tensors = self.mended.pop()
            setattr(m, field_name, old)
            for name, t in tensors.items():
                setattr(m, name, t)

    # --- findings ---
    def add(
        self,
        name: str,
        kind: ProblemKind,
        expected: Value,
        actual: Value,
        words: Words,
        concat: int | None = None,
        needs_sizes: bool = False,
    ) -> None:
        """Record a problem at layer (or combination) ``name``, with the ways out its ``words`` offer."""
        self.found.append(
            Finding(
                name,
                kind,
                expected,
                actual,
                words.message,
                words.fix,
                block=self.block_of(name),
                concat=concat,
                needs_sizes=needs_sizes,
                options=words.options,
            )
        )

"""What the doctor says about a layer's channels, features and input rank, and about an error no
rule foresaw: each function gets the facts a rule found and returns ``Words`` (message, fix and
the ways out the fix offers).

A fragment that goes into a sentence ("from model.0 (Conv2d(3, 64))") is a ``Text`` value of it,
so each language orders the parts its own way. A change is written by ``Change.fix``, the one
writer of "body.5: Conv2d in_channels 64 -> 128".
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from inspector.doctor.changes import Change, Option
from inspector.doctor.report import OR, Words, alternatives
from inspector.shapes.labels import describe_layer as describe  # one layer description for every view
from inspector.shapes.labels import fmt_shape
from inspector.shapes.records import Shape
from models.text import Text, compose, join


def _about(name: str, m: nn.Module, came_from: str, **values: object) -> dict[str, object]:
    """The values of a sentence about layer ``name``: its name, the layer as written ("Conv2d(3, 64)")
    and where its input came from, with the sentence's own."""
    return dict(name=name, layer=describe(m), came_from=came_from, **values)


def _spatial_names(n: int) -> str:
    return ", ".join("HWD"[:n])


def conv_dims(name: str, m: nn.modules.conv._ConvNd, shape: Shape, came_from: str) -> Words:
    n = len(m.kernel_size)
    return Words(
        Text(
            "{name} ({layer}) needs a {rank}-d input (B, C, {spatial}) but gets {shape}, {came_from}.",
            **_about(name, m, came_from, rank=n + 2, spatial=_spatial_names(n), shape=fmt_shape(shape)),
        ),
        Text(
            "reshape the input of {name} to (B, {channels}, {spatial})",
            name=name,
            channels=m.in_channels,
            spatial=_spatial_names(n),
        ),
    )


def conv_channels(
    name: str,
    m: nn.modules.conv._ConvNd,
    got: int,
    change: Change,
    feed: Change | None,
    target: str,
    came_from: str,
    parts: str,
    pix2pix: bool = False,
) -> Words:
    """A conv fed ``got`` channels where it expects ``m.in_channels``: ``change`` sets its in_channels;
    ``feed``, when the model's input made the tensor, feeds the input the conv was built for.
    ``parts`` is ``composition``. ``pix2pix``: the model is ours or a PatchGAN, so an input of 1
    or 2 channels is L or ab alone."""
    expected = m.in_channels
    lab: str = ""
    message = Text(
        "{name} ({layer}) expects {expected} input channels but gets {got}, {came_from}.",
        **_about(name, m, came_from, expected=expected, got=got),
    )
    if feed is None:
        fix = compose("{change}{parts}", change=change.fix(target), parts=parts)
        return Words(message, fix, (Option((change,), fix),))
    feed_said: str = Text("feed a {expected}-channel input (B, {expected}, H, W)", expected=expected)
    set_said: str = Text("set {change}", change=change.fix())
    if expected == 3 and not pix2pix:
        lab = Text(
            "The first layer expects 3 channels: an RGB image, or change in_channels"
            " (a grayscale image has 1: x.expand(-1, 3, -1, -1) repeats it)."
        )
        feed_said = Text("feed an RGB image (B, 3, H, W)")
    if expected == 3 and got in (1, 2) and pix2pix:
        feed_said = Text(
            "feed L and ab together: torch.cat([L, ab], dim=1) has 1 + 2 = 3 channels (the "
            "discriminator judges the colours together with the lightness they belong to)"
        )
        set_said = ""  # the conv is right: a discriminator judges L and ab together
        lab = Text(
            "In Lab colour L has 1 channel, ab 2, and L + ab 3: this input looks like {alone} alone.",
            alone="L" if got == 1 else "ab",
        )
    options = (Option((feed,), feed_said), Option((change,), set_said))  # the input it was built for first
    return Words(join([message, lab]), alternatives(options), options)


def linear_features(
    name: str,
    m: nn.Linear,
    got: int,
    shape: Shape,
    came_from: str,
    change: Change,
    target: str,
    size_bound: bool,
) -> Words:
    """``size_bound``: the features came through a flatten of a feature map, so they follow the input
    size (the input sizes that fix it are added after the pass, ``problems.to_problems``)."""
    message = Text(
        "{name} ({layer}) expects {expected} input features but gets {got} (input {shape}), {came_from}.",
        **_about(name, m, came_from, expected=m.in_features, got=got, shape=fmt_shape(shape)),
    )
    fix = change.fix(target)
    options = (Option((change,), fix),)
    if not size_bound:
        return Words(message, fix, options)
    flatten = Text(
        "After a flatten, that number is channels x height x width, so it changes with the input size."
    )
    return Words(join([message, flatten]), fix, options)


def norm_dims(
    name: str, m: nn.Module, shape: Shape, came_from: str, dims: Sequence[int], input_shape: Shape
) -> Words:
    """A norm fed a tensor with a rank outside ``dims``; one dim short is an unbatched input."""
    want = join([Text("{rank}-d", rank=d) for d in dims], OR)
    message = Text(
        "{name} ({layer}) needs a {want} input but gets {shape}, {came_from}.",
        **_about(name, m, came_from, want=want, shape=fmt_shape(shape)),
    )
    if len(shape) + 1 not in dims:  # not a missing batch dim
        return Words(message, Text("reshape the input of {name} to {want}", name=name, want=want))
    return Words(
        join(
            [
                message,
                Text("Convolutions accept an input without its batch dimension; norms like this one do not."),
            ]
        ),
        Text(
            "give the model a batched input: {batched} instead of {shape} (x.unsqueeze(0))",
            batched=fmt_shape((1, *input_shape)),
            shape=fmt_shape(input_shape),
        ),
    )


def norm_channels(
    name: str,
    m: nn.Module,
    expected: int,
    got: int,
    came_from: str,
    fix: NormFix,
) -> Words:
    """A norm built for ``expected`` channels fed ``got``; ``fix`` is ``norm_fix``'s."""
    message = Text(
        "{name} ({layer}) normalizes {expected} channels but gets {got}, {came_from}.",
        **_about(name, m, came_from, expected=expected, got=got),
    )
    return Words(message, *fix)


NormFix = tuple[str, tuple[Option, ...]]  # a norm's fix and its ways out


def norm_fix(change: Change, target: str, made: Change | None, made_first: bool) -> NormFix:
    """A norm's fix: its own ``change`` (its layer named ``target``), or ``made``, which sets the width
    of the layer that made its input ("body.0: Conv2d out_channels 64 -> 128"), offered first when
    ``made_first``."""
    if made is None:
        return change.fix(target), (Option((change,), change.fix(target)),)
    options = (Option((made,), made.fix()), Option((change,), change.fix()))
    options = options if made_first else options[::-1]
    return alternatives(options), options


def conv_should_be(norm: str, layer: str, conv: nn.Module, in_channels: int, out_channels: int) -> Text:
    """Added to the fix of a conv with the wrong in_channels when the norm after it shows its out_channels
    are wrong too: the notebook's typo in one line."""
    return Text(
        "; with the next problem ({norm}), {layer} should be {intended}",
        norm=norm,
        layer=layer,
        intended=f"{type(conv).__name__}({in_channels}, {out_channels})",
    )


def layer_norm_shape(
    name: str,
    m: nn.Module,
    got: Shape,
    shape: Shape,
    came_from: str,
    fix: NormFix,
) -> Words:
    """A LayerNorm whose ``normalized_shape`` is not the last dims of its input (..., *normalized_shape);
    ``fix`` is ``norm_fix``'s (the Linear before it may give its width instead)."""
    return Words(
        Text(
            "{name} ({layer}) normalizes the last dims {want} but gets {got} (input {shape}), {came_from}.",
            **_about(
                name,
                m,
                came_from,
                want=fmt_shape(getattr(m, "normalized_shape", ())),
                got=fmt_shape(got),
                shape=fmt_shape(shape),
            ),
        ),
        *fix,
    )


def layer_width(
    name: str, m: nn.Module, field_name: str, want: int, got: int, dim: int, came_from: str, change: Change
) -> Words:
    """A layer judged by running it (a fused norm, a channels-first LayerNorm, a conv wrapper):
    it runs once dim ``dim`` of its input has its own ``field_name``, ``want``."""
    values = _about(name, m, came_from, want=want, field=field_name, got=got)
    message = (
        Text("{name} ({layer}) is built for {want} channels ({field}) but gets {got}, {came_from}.", **values)
        if dim == 1
        else Text(
            "{name} ({layer}) is built for {want} values in dim {dim} ({field}) but gets {got}, {came_from}.",
            dim=dim,
            **values,
        )
    )
    return Words(message, change.fix(), (Option((change,), change.fix()),))


def runtime(where: str, error: BaseException) -> Words:
    """Anything the rules did not foresee: PyTorch's own message, and the pass stopped there."""
    return Words(
        Text(
            "{where} raised {kind}: {error}",
            where=where,
            kind=type(error).__name__,
            error=" ".join(str(error).split()) or type(error).__name__,
        ),
        Text("the doctor has no rule for this error; the message is PyTorch's own (the pass stopped here)"),
    )

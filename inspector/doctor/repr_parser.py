"""A model rebuilt from its ``print(model)`` text, without running any of it.

The text is read line by line with a strict grammar::

    line      := "(" NAME "): " LAYER "(" ARGS ")"      a layer
               | "(" NAME "): " CONTAINER "("             a container opens
               | ")"                                      it closes
    the first line is NAME "(" (the model's class), the last ")"

``ARGS`` are read by ``ast.literal_eval`` of each argument (numbers, strings, tuples, True,
False, None): nothing is evaluated, imported or called but the constructors of the standard
``torch.nn`` layers in ``LAYERS``. The only container is ``Sequential``; a model of another class
is accepted when it holds exactly one child (the notebook's ``Pix2Pix_Discriminator`` holds its
``model`` Sequential), and its forward is taken to be that child's.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from torch import Tensor, nn

from inspector.errors import UserError
from models.layers import CONV_LAYERS
from models.text import Text, message_of

# Standard layers whose repr is their constructor's arguments.
LAYERS: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (
        *CONV_LAYERS,
        nn.Linear,
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.BatchNorm3d,
        nn.InstanceNorm1d,
        nn.InstanceNorm2d,
        nn.InstanceNorm3d,
        nn.GroupNorm,
        nn.LayerNorm,
        nn.ReLU,
        nn.LeakyReLU,
        nn.PReLU,
        nn.GELU,
        nn.SiLU,
        nn.ELU,
        nn.Tanh,
        nn.Sigmoid,
        nn.Softmax,
        nn.Dropout,
        nn.Dropout2d,
        nn.Identity,
        nn.Flatten,
        nn.MaxPool1d,
        nn.MaxPool2d,
        nn.MaxPool3d,
        nn.AvgPool1d,
        nn.AvgPool2d,
        nn.AvgPool3d,
        nn.AdaptiveAvgPool1d,
        nn.AdaptiveAvgPool2d,
        nn.AdaptiveAvgPool3d,
        nn.AdaptiveMaxPool2d,
        nn.Upsample,
        nn.ZeroPad2d,
        nn.ReflectionPad2d,
        nn.ReplicationPad2d,
        nn.PixelShuffle,
    )
}
MAX_TEXT = 200_000  # characters: a printed model of thousands of layers still fits

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LAYER = re.compile(rf"^\((?P<name>[A-Za-z0-9_]+)\): (?P<kind>{_NAME})\((?P<args>.*)\)$")
_OPEN = re.compile(rf"^\((?P<name>[A-Za-z0-9_]+)\): (?P<kind>{_NAME})\($")
_TOP = re.compile(rf"^(?P<kind>{_NAME})\($")


class _OneChild(nn.Module):
    """A printed model of its own class holding one child: its forward is the child's."""

    def __init__(self, kind: str, name: str, child: nn.Module) -> None:
        super().__init__()
        self.kind = kind
        self.add_module(name, child)

    def forward(self, x: Tensor) -> Any:
        return next(iter(self.children()))(x)


def _arguments(text: str, line_no: int) -> tuple[list[Any], dict[str, Any]]:
    """``3, 64, kernel_size=(4, 4), bias=False`` -> ([3, 64], {...}), literals only."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        assert isinstance(call, ast.Call)
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg is not None}
    except (SyntaxError, ValueError, AssertionError, TypeError, RecursionError):
        raise UserError(
            Text(
                "line {line}: the arguments ({text}) are not plain numbers, tuples or words",
                line=line_no,
                text=text,
            )
        ) from None
    return args, kwargs


def _layer(kind: str, args_text: str, line_no: int) -> nn.Module:
    cls = LAYERS.get(kind)
    if cls is None:
        raise UserError(
            Text(
                "line {line}: {kind} is not a standard layer the doctor can rebuild from its printout; use a model "
                "file instead",
                line=line_no,
                kind=kind,
            )
        )
    args, kwargs = _arguments(args_text, line_no)
    try:
        return cls(*args, **kwargs)
    except Exception as exc:  # a typo in a number, an argument the class does not take
        raise UserError(
            Text(
                "line {line}: {layer} cannot be built: {error}",
                line=line_no,
                layer=f"{kind}({args_text})",
                error=message_of(exc),
            )
        ) from None


def parse_model_repr(text: str) -> nn.Module:
    """The model that printed ``text`` (``print(model)``), rebuilt from standard layers; ``UserError``
    naming the line when the text is not such a printout."""
    if len(text) > MAX_TEXT:
        raise UserError(
            Text(
                "the text is longer than {limit} characters: paste one model's printout",
                limit=f"{MAX_TEXT:,}",
            )
        )
    lines = [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise UserError(
            Text("paste the text that print(model) shows, e.g. Sequential( (0): Conv2d(...) ... )")
        )
    first_no, first = lines[0]
    top = _TOP.match(first)
    if top is None:
        raise UserError(
            Text(
                "line {line}: a printout starts with the model's class and '(', e.g. Sequential(",
                line=first_no,
            )
        )
    # The stack of open containers: (class name, its children so far, line it opened on, its name)
    stack: list[tuple[str, list[tuple[str, nn.Module]], int, str]] = [(top["kind"], [], first_no, "")]
    done: nn.Module | None = None
    for line_no, line in lines[1:]:
        if done is not None:
            raise UserError(Text("line {line}: text after the model's closing ')'", line=line_no))
        if line == ")":
            kind, children, opened, name = stack.pop()
            module = _container(kind, children, opened)
            if stack:
                stack[-1][1].append((name, module))
            else:
                done = module
            continue
        opened_match = _OPEN.match(line)
        if opened_match is not None:
            stack.append((opened_match["kind"], [], line_no, opened_match["name"]))
            continue
        layer = _LAYER.match(line)
        if layer is None:
            raise UserError(
                Text(
                    "line {line}: expected '(name): Layer(...)' or ')', got {text}",
                    line=line_no,
                    text=repr(line[:60]),
                )
            )
        stack[-1][1].append((layer["name"], _layer(layer["kind"], layer["args"], line_no)))
    if done is None:
        raise UserError(
            Text(
                "the printout ends before the ')' that closes {kind} (line {line})",
                kind=stack[0][0],
                line=stack[0][2],
            )
        )
    return done


def _container(kind: str, children: list[tuple[str, nn.Module]], line_no: int) -> nn.Module:
    if kind == "Sequential":
        seq = nn.Sequential()
        for name, child in children:
            seq.add_module(name, child)
        return seq
    if kind in LAYERS:
        raise UserError(
            Text(
                "line {line}: {kind} holds layers of its own; the doctor cannot rebuild that",
                line=line_no,
                kind=kind,
            )
        )
    if len(children) == 1:
        name, child = children[0]
        return _OneChild(kind, name, child)
    raise UserError(
        Text(
            "line {line}: {kind} is not nn.Sequential and holds {n} children: its forward cannot be known from the "
            "printout; use a model file, or paste a model made of nn.Sequential",
            line=line_no,
            kind=kind,
            n=len(children),
        )
    )

"""What a top-level block is: the one rule the tracer, the doctor and the summaries share."""

from __future__ import annotations

from torch import nn


def top_level_blocks(model: nn.Module) -> tuple[str, list[tuple[str, nn.Module]]]:
    """(prefix, [(qualified name, block), ...]): the blocks a learner thinks in.

    The model's children, or, when the model has one child and that child is a container, the
    children of that container (``PatchDiscriminator.model`` -> ``model.0``, ``model.1``, ...;
    prefix ``"model"``). The prefix is ``""`` when the blocks are the model's own children.
    """
    children = list(model.named_children())
    if len(children) == 1 and list(children[0][1].children()):
        prefix, only = children[0]
        return prefix, [(f"{prefix}.{n}", m) for n, m in only.named_children()]
    return "", children

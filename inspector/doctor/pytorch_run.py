"""The real CPU run that gives PyTorch's own message, for the learner to compare with the doctor's."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from inspector.errors import UserError
from inspector.shapes.memory import real_run_bytes
from inspector.shapes.meta import meta_copy
from inspector.shapes.records import check_shape
from models.text import Text

MAX_RUN_BYTES = 1 << 30  # 1 GiB: a real CPU run for PyTorch's message; beyond it the meta answer stands


def pytorch_error(model: nn.Module, input_shape: Sequence[int], max_bytes: int = MAX_RUN_BYTES) -> str | None:
    """What PyTorch itself says when ``model`` runs on CPU at ``input_shape`` (None if it runs).

    The copy's weights are uninitialized memory (``to_empty``): fast, and the values do not
    matter for a shape error. Used to show the learner the message the doctor explains.
    Raises ``UserError`` instead of running when the run would need more than ``max_bytes``
    (see ``inspector.shapes.memory.real_run_bytes``): a 4096-channel model must not take the
    machine's memory.
    """
    shape = check_shape(input_shape)
    need = real_run_bytes(model, shape)
    if need > max_bytes:
        raise UserError(
            Text(
                "running it for real would need about {need} GiB of CPU memory (the limit is {limit} GiB), "
                "so only the meta-device diagnosis is shown",
                need=f"{need / 2**30:.1f}",
                limit=f"{max_bytes / 2**30:.1f}",
            )
        )
    copy = meta_copy(model).to_empty(device="cpu")
    try:
        with torch.no_grad():
            copy(torch.zeros(shape))
    except Exception as exc:  # any error is the answer
        return " ".join(str(exc).split()) or type(exc).__name__
    except SystemExit as exc:  # a forward that calls sys.exit() must not stop the app
        return f"the model's forward called sys.exit({exc.code!r})"
    return None

"""A shape tracer that runs on the ``meta`` device and sees every concatenation: ``trace``.

torchinfo only sees modules, so the ``torch.cat`` of a U-Net's skip connection is invisible to
it. Here a ``TorchFunctionMode`` intercepts ``torch.cat``, ``torch.stack`` and the ``+`` of two
tensors, while forward hooks on every module record the leaves and remember which module
produced each tensor (by object identity). The model runs on a meta copy: no memory, no
arithmetic, so batch 64 at 1024x1024 takes milliseconds.

``trace`` is the entry point; the pieces live by concept: the records (``records``), the
recorder that fills them (``recorder``), the pass and its single meta -> CPU fallback
(``engine``), shape text (``labels``) and the top-level-block rule (``blocks``): import their
names from there.

Who produced a tensor, in the words a learner uses:

* ``producer`` (block level): the outermost module that returned the tensor as a *new* value.
  ``encoder_6`` returns the output of its BatchNorm ``encoder_6.2``, so the skip's producer is
  ``encoder_6``. A module that hands back its input (an in-place ``LeakyReLU(0.2, True)``,
  ``nn.Identity``) does not claim it, and neither does a parameter-free leaf that keeps the
  shape (``ReLU``, ``Dropout``, ``Tanh``): activations never hide the layer that made the
  channels. So attribution is the same with ``inplace=True`` and ``inplace=False``.
* ``layer`` (leaf level): the last leaf that made the tensor, e.g. ``encoder_6.2``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from inspector.shapes.engine import TracedRun, traced_run
from inspector.shapes.recorder import Observer
from inspector.shapes.records import Trace


def trace(model: nn.Module, input_shape: Sequence[int]) -> Trace:
    """Trace ``model`` on an input of ``input_shape`` (e.g. (B, C, H, W)) on the meta device.

    Returns every leaf call and every ``torch.cat`` / ``torch.stack`` / tensor ``+`` with shapes and
    producers. The model is not touched: it runs as a meta copy (same mode; PyTorch's own hooks
    but not yours, which never see a meta tensor), so its device, mode and hooks are as they were
    afterwards, also when it raises. A forward that needs values (``.item()``, ``if x.any():``)
    or makes CPU tensors cannot run on meta: then a CPU copy runs instead, if its weights and
    input fit in 256 MiB. Raises PyTorch's ``RuntimeError`` if the model cannot run at this
    shape (``inspector.doctor.diagnose`` says why).
    """
    run: TracedRun[Observer] = traced_run(model, input_shape)
    if run.error is not None:
        raise run.error
    return run.trace

"""real_run_bytes: a model that fails part-way is measured up to its first error, never refused."""

from __future__ import annotations

import math

import torch

from inspector.shapes.memory import real_run_bytes
from models import build_discriminator, preset


def test_a_model_that_fails_is_measured_up_to_its_first_error() -> None:
    d = build_discriminator(preset("notebook-as-written")[1])  # model.2 is Conv2d(3, 64): fails there
    shape = (1, 3, 64, 64)
    x = torch.zeros(shape)
    with torch.no_grad():
        outputs = [d.model[0](x)]
        outputs.append(d.model[1](outputs[0].clone()))  # what ran before the error, as PyTorch ran it
    weights = sum(t.numel() * t.element_size() for t in [*d.parameters(), *d.buffers()])
    activations = math.prod(shape) + sum(o.numel() for o in outputs)
    assert real_run_bytes(d, shape) == weights + 4 * activations

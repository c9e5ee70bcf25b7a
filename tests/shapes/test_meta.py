"""The server's meta warm-up (inspector.shapes.meta.warm_up_in_background)."""

from __future__ import annotations

import sys
import threading

import torch

from inspector.shapes import meta


def test_warm_up_runs_once_in_the_background() -> None:
    """The server's warm-up: one daemon thread per process, after which a Python meta kernel is ready."""
    meta.warm_up_in_background()
    meta.warm_up_in_background()  # twice: still one thread
    threads = [t for t in threading.enumerate() if t.name == "meta-warm-up"]
    assert len(threads) <= 1 and all(t.daemon for t in threads)
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert "torch._dynamo" in sys.modules  # what the first leaky_relu on meta imports
    x = torch.empty(1, 3, 4, 4, device="meta")
    assert torch.nn.functional.leaky_relu(x, 0.2).shape == x.shape

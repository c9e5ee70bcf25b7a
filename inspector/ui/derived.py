"""What a page derives from a cached result (a picture's bytes, an Arrow table), made once for as
long as that result lives.

The results the pages show come from caches (``ui.caches``), so the same object comes back view
after view and for every session. What a page makes of it for Streamlit (PNG bytes, an Arrow table
of a NumPy grid) cost, made again on every view, most of the server's CPU with a class. :func:`derived`
keeps it beside the result through a weak reference: an evicted result takes it along.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

T = TypeVar("T")
_memo: dict[tuple[int, Hashable], tuple[weakref.ref[Any], Any]] = {}
_lock = threading.Lock()


def derived(source: object, make: Callable[[Any], T], key: Hashable = ()) -> T:
    """``make(source)``, made once per live ``source`` object, ``make`` and ``key`` (what else the
    result depends on: a slider, the language). A ``source`` that takes no weak reference (a tuple,
    an int) is not remembered: ``make`` runs every time."""
    memo_key = (id(source), (getattr(make, "__qualname__", None), key))
    with _lock:
        hit = _memo.get(memo_key)
    if hit is not None and hit[0]() is source:
        return hit[1]
    value = make(source)

    def forget(_: weakref.ref[Any]) -> None:
        with _lock:
            _memo.pop(memo_key, None)

    try:
        ref = weakref.ref(source, forget)
    except TypeError:
        return value
    with _lock:
        _memo[memo_key] = (ref, value)
    return value


def _grid(values: np.ndarray) -> pa.Table:
    return pa.table({str(c): np.ascontiguousarray(values[:, c]) for c in range(values.shape[1])})


def arrow_grid(values: np.ndarray) -> pa.Table:
    """A (H, W) array as an Arrow table of columns "0" .. "W-1", for ``st.dataframe`` (a NumPy array
    goes through pandas to Arrow on every view)."""
    return derived(values, _grid)

"""What a page derives from a cached result (a picture's bytes, an Arrow table), made once for as
long as that result lives.

The results the pages show come from caches (``ui.caches``), so the same object comes back view
after view and for every session. What a page makes of it for Streamlit (PNG bytes, an Arrow table
of a NumPy grid) cost, made again on every view, most of the server's CPU with a class. :func:`derived`
keeps it beside the result through a weak reference: an evicted result takes it along.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Hashable, Mapping
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


def arrow_bytes(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC stream: what Streamlit sends for a chart's dataset."""
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def vega_spec(spec: dict[str, Any], datasets: Mapping[str, pa.Table]) -> dict[str, Any]:
    """A Vega-Lite spec for ``st.vega_lite_chart`` whose data are the named ``datasets`` (a layer
    reads one with ``"data": {"name": ...}``), already Arrow bytes: Streamlit sends bytes as they
    are, where it serializes a table or inline values (JSON, twice) again on every view. Make it
    once (``derived``). Each name gets its data's hash, so that two charts of one page with the
    same spec and other data stay two elements."""
    encoded = {name: arrow_bytes(table) for name, table in datasets.items()}
    names = {name: f"{name}-{hashlib.md5(data).hexdigest()[:12]}" for name, data in encoded.items()}

    def renamed(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"name"} and node["name"] in names:
                return {"name": names[node["name"]]}
            return {k: renamed(v) for k, v in node.items()}
        if isinstance(node, list):
            return [renamed(v) for v in node]
        return node

    return {**renamed(spec), "datasets": {names[name]: data for name, data in encoded.items()}}

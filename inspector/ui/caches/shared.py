"""The cache of what every student shares: ``@shared(max_entries=n)``, in place of
``st.cache_resource``.

``st.cache_resource`` hashes every argument with its own hasher (a pickle-like walk of each
dataclass) and reads the function's signature again on every call, a hit included: with a class of
30 and a handful of cached calls a view, a tenth to a sixth of the server's CPU per view
(``bench/classroom.py``). The pages' keys are plain values and frozen dataclasses, hashable as
they are, so this cache keys on them directly: a hit is a dictionary lookup.

Like ``st.cache_resource``: one object for every session, never copied (never modify it); the
least recently used entry goes past ``max_entries``; an exception is not cached; arguments named
with a leading underscore are not part of the key; ``clear()`` empties it. While one thread
computes a key, the others asking for it wait for its answer (30 students opening a page at once
compute it once). An argument that cannot be hashed is a programming error: it raises TypeError.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def cache_key(signature: inspect.Signature, args: tuple[object, ...], kwargs: dict[str, object]) -> Hashable:
    """The key of a call: its bound arguments but those named ``_...``, defaults applied; bytes
    stand for themselves by length and hash (Python keeps a bytes object's hash: computed once).
    Raises TypeError if an argument cannot be hashed."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    key = tuple(
        (name, ("bytes", len(value), hash(value)) if isinstance(value, bytes) else value)
        for name, value in bound.arguments.items()
        if not name.startswith("_")
    )
    hash(key)
    return key


class SharedCache(Generic[P, R]):
    """``fn`` with its answers kept for every session (see the module)."""

    def __init__(self, fn: Callable[P, R], max_entries: int) -> None:
        self._fn, self._max = fn, max_entries
        self._signature = inspect.signature(fn)
        self._entries: OrderedDict[Hashable, R] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key = cache_key(self._signature, args, kwargs)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # one thread computes a key; the others wait here, then read its answer
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
            try:
                value = self._fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self._entries[key] = value
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()


def shared(max_entries: int) -> Callable[[Callable[P, R]], SharedCache[P, R]]:
    """Decorate a function whose answers every session shares, at most ``max_entries`` of them."""

    def wrap(fn: Callable[P, R]) -> SharedCache[P, R]:
        return SharedCache(fn, max_entries)

    return wrap

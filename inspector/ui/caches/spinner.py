"""The spinner of a cached computation, in the session's language.

``st.spinner`` costs a timer thread and two messages to the browser on every call, a cache hit
included: with 30 students and several cached calls a view, that was a tenth of the server's
CPU. So the wrapper remembers (per process) the arguments it has already seen computed and calls
the cache straight for those: a hit draws nothing anyway.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

import streamlit as st

from inspector.ui import i18n
from inspector.ui.caches.shared import cache_key

P = ParamSpec("P")
R = TypeVar("R")
_spinning = threading.local()  # set while a spinner of this module is up, in this script thread
SEEN_MAX = 4096  # remembered argument sets per function (a forgotten one only shows a spinner again)


def spinner(message: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Show ``message`` in the session's language while the cached function computes.

    A cache's own ``show_spinner="..."`` is fixed at import, in no one's language; so the caches
    say ``show_spinner=False`` and this wrapper, outside the cache, opens ``st.spinner``, only for
    arguments it has not seen computed: the hashed ones, as the cache keys them (parameters
    named with a leading underscore are not part of the key). Inside a spinner (a cached function
    that calls another) no second one opens: the outer one says what is going on, and no element
    is drawn inside a cached function (the cache would replay it).
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)
        seen: OrderedDict[Hashable, None] = OrderedDict()
        lock = threading.Lock()

        def key_of(args: tuple[object, ...], kwargs: dict[str, object]) -> Hashable | None:
            try:
                return cache_key(signature, args, kwargs)
            except TypeError:  # an unhashable argument: no memory, the spinner every time
                return None

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            key = key_of(args, kwargs)
            if getattr(_spinning, "on", False) or (key is not None and key in seen):
                return fn(*args, **kwargs)
            _spinning.on = True
            try:
                with st.spinner(i18n._(message)):
                    result = fn(*args, **kwargs)
            finally:
                _spinning.on = False
            if key is not None:
                with lock:
                    seen[key] = None
                    if len(seen) > SEEN_MAX:
                        seen.popitem(last=False)
            return result

        return call

    return wrap

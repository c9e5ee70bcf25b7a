"""The spinner of a cached computation, in the session's language."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from inspector.ui import i18n

P = ParamSpec("P")
R = TypeVar("R")
_spinning = threading.local()  # set while a spinner of this module is up, in this script thread


def spinner(message: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Show ``message`` in the session's language while the cached function computes.

    A cache's own ``show_spinner="..."`` is fixed at import, in no one's language; so the caches
    say ``show_spinner=False`` and this wrapper, outside the cache, opens ``st.spinner``.
    Streamlit draws a spinner only after 0.5 s, so a cache hit shows none. Inside a spinner (a
    cached function that calls another) no second one opens: the outer one says what is going
    on, and no element is drawn inside a cached function (the cache would replay it).
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if getattr(_spinning, "on", False):
                return fn(*args, **kwargs)
            _spinning.on = True
            try:
                with st.spinner(i18n._(message)):
                    return fn(*args, **kwargs)
            finally:
                _spinning.on = False

        return call

    return wrap

"""The server process's long-lived objects, frozen out of the garbage collector's full passes.

A served app holds about 400,000 objects that live as long as the process: torch, pandas,
Streamlit and this package, imported once. Python's full collection walks every one of them (about
0.2 s on 2 cores, longer with 30 sessions' state), and it runs whenever enough new objects have
survived: with a class, every few seconds, on whichever student's page view is running, with the
GIL held. ``.streamlit/config.toml`` already turns off the full collection Streamlit forces after
every run; this moves what exists once the server has warmed up into the permanent generation
(``gc.freeze``), so the full passes that remain walk only what came later: caches and sessions.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect once, then freeze every object that survives: call it after the imports and the
    warm-up, off the pages' time (``inspector.shapes.meta.warm_up_in_background(then=...)``)."""
    gc.collect()
    gc.freeze()

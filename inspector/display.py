"""Results that show themselves in a notebook: Jupyter's display protocol, drawn by ``inspector.notebook``.

Jupyter (JupyterLab, Notebook 7, VS Code, Colab) shows the value of a cell's last expression by
asking it for ``_repr_html_``. Every result the public API returns inherits :class:`RichDisplay`;
its ``_repr_html_`` hands the result to the notebook views (``inspector.notebook.views``), which
draw it with the app's renderers and catalogs, in the language of ``inspector.set_language``.

The views are named here by their module's name and imported on the first display, the way the
package's root imports every public name (its lazy table of contents): a result knows that it can
be shown, never how, and ``import inspector`` stays light. This is the one such late binding
outside the root (``tests/test_import_graph.py`` holds the list); the views depend on the
results, never the reverse. A terminal keeps the dataclass's ``__repr__``.
"""

from __future__ import annotations

import importlib

VIEWS = "inspector.notebook.views"  # module with ``html(result) -> str``


class RichDisplay:
    """Mixin of the public results: HTML for Jupyter, self-contained (inline images, no script)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(importlib.import_module(VIEWS).html(self))

"""The results in a notebook: HTML views of what the public API returns, and training with a live view.

``views.html(result)`` is what a result's ``_repr_html_`` returns (``inspector.display``): plain
HTML with inline images (PNG, JPEG, animated GIF, graphviz SVG), no script and no network, so
that JupyterLab, Notebook 7, VS Code and Colab all show it. Each view draws with the renderer the
app and the CLI use (graphviz DOT of ``shapes.diagram``, ``conv.render``'s GIFs, ``init_study.figure``,
``inside.pictures``) and says its words from the app's catalogs in the reader's language
(``inspector.i18n.reader``). ``training.train`` runs a short training with a live display.
"""

"""``make i18n``: collect the app's messages and append those no Korean catalog has yet.

Messages are the first argument of ``_``, ``N_`` and ``Text`` (``models.text``) calls in
the UI and in the core packages whose sentences the app shows.

New entries go to ``locales/ko/LC_MESSAGES/messages.po`` with an empty msgstr; translate them
there (or move them to the page's own file). Nothing already translated is touched.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from inspector.files import write_file
from inspector.i18n.catalog import load_catalog, po_path

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "Text": None}
SOURCES = ("inspector", "models", "streamlit_app.py")


def extracted() -> list[str]:
    """Every message the app passes to ``_``, ``N_`` or ``Text``, in first-seen order."""
    found: list[str] = []
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            found += [m for _, m, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS)]
        elif path.is_dir():
            found += [m for _, _, m, _, _ in extract_from_dir(str(path), keywords=KEYWORDS)]
    return list(dict.fromkeys(m for m in found if isinstance(m, str)))


def main() -> None:
    known = load_catalog("ko")
    new = [m for m in extracted() if m not in known]
    path = po_path("ko")
    with path.open("rb") as f:
        catalog: Catalog = read_po(f, locale="ko")
    for message in new:
        catalog.add(message, "")
    write_file(path, lambda f: write_po(f, catalog, width=0, omit_header=False))
    print(f"{len(new)} new messages appended to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

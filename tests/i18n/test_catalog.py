"""The catalogs: every UI string has Korean, placeholders agree, and Korean renders with a real font."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inspector.i18n import catalog, fonts
from inspector.i18n.glossary import GLOSSARY
from tools.i18n_update import extracted

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _extracted() -> list[str]:
    return extracted()


def test_every_ui_string_has_korean() -> None:
    messages = _extracted()
    assert messages, "nothing was extracted: the keywords _ and N_ are not used"
    absent = catalog.missing("ko", messages)
    assert not absent, f"{len(absent)} strings have no Korean (run make i18n, then translate): {absent[:10]}"


def test_no_entry_outlives_its_message() -> None:
    """A catalog entry whose English is no longer in the code is a stale translation that a reader
    of the catalog would take for the current one."""
    from inspector.shapes.diagram import MESSAGES
    from inspector.ui.sidebar import PRESET_DESCRIPTIONS

    used = {*_extracted(), *MESSAGES, *PRESET_DESCRIPTIONS.values()}  # the last two: looked up by value
    stale = [m.id for m in catalog.load_catalog("ko") if m.id and m.id not in used]
    assert not stale, f"{len(stale)} entries no message uses (remove them): {stale[:5]}"


def test_no_message_is_translated_twice() -> None:
    assert not catalog.duplicates("ko")


def test_placeholders_agree_and_korean_is_korean() -> None:
    for message in catalog.load_catalog("ko"):
        if not message.id:
            continue
        assert isinstance(message.id, str) and isinstance(message.string, str)
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id
        if HANGUL.search(message.id) is None and re.search(r"[A-Za-z]{3,}", message.id):
            assert HANGUL.search(message.string), f"not translated into Korean: {message.id!r}"


def test_lookup_fills_placeholders_and_falls_back_to_english() -> None:
    assert catalog.gettext("en", "size {n}", n=3) == "size 3"
    assert catalog.gettext("ko", "no such message {n}", n=3) == "no such message 3"
    assert catalog.normalize_language("ko-KR") == "ko"
    assert catalog.normalize_language("fr-FR") == "en"
    assert catalog.normalize_language(None) == "en"


def test_glossary_pairs_every_term_with_korean() -> None:
    assert {"생성기", "판별기", "스킵 연결", "전치 합성곱", "배치 정규화", "드롭아웃", "가중치 초기화"} <= {
        t.korean for t in GLOSSARY
    }
    assert not catalog.missing("ko", [t.meaning for t in GLOSSARY])


def _draw(text: str, font: object) -> np.ndarray:
    image = Image.new("L", (200, 40), 0)
    ImageDraw.Draw(image).text((4, 4), text, fill=255, font=font)  # type: ignore[arg-type]
    return np.asarray(image)


def test_korean_label_is_not_drawn_with_the_replacement_glyph() -> None:
    from fontTools.ttLib import TTFont

    path = fonts.korean_font_path()
    cmap = TTFont(str(path)).getBestCmap()
    label = "생성기 판별기 스킵 연결"
    assert all(ord(ch) in cmap for ch in label if not ch.isspace())
    font = fonts.pil_font(20)
    tofu = _draw("\U000f0000", font)  # a private-use code point no font draws: the .notdef box
    for ch in "생판스":
        glyph = _draw(ch, font)
        assert glyph.any() and not np.array_equal(glyph, tofu)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_matplotlib_renders_a_korean_title_without_missing_glyphs(lang: str) -> None:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        with plt.rc_context(fonts.matplotlib_rc("ko")):
            fig, ax = plt.subplots()
            ax.set_title("가중치 분포 (weights)" if lang == "ko" else "weights")
            fig.canvas.draw()
            plt.close(fig)


@pytest.mark.parametrize("path", catalog.po_files("ko"), ids=lambda p: p.name)
def test_every_catalog_file_compiles_without_fuzzy_entries(path: Path) -> None:
    """What ``msgfmt`` / ``pybabel compile`` do: a fuzzy header or entry is skipped there (a fuzzy
    header skips the whole file), so none may be fuzzy, and the file must compile to a .mo that
    reads back with every translation."""
    import gettext as gnu
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        po = read_po(f, locale="ko")
    assert not po.fuzzy, f"{path.name}: the header is fuzzy"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"{path.name}: fuzzy entries {fuzzy[:3]}"
    assert po.mime_headers and dict(po.mime_headers).get("Content-Type") == "text/plain; charset=utf-8"
    mo = BytesIO()
    write_mo(mo, po)
    mo.seek(0)
    compiled = gnu.GNUTranslations(mo)
    for message in po:
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, message.id

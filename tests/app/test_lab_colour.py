"""AppTest of the Lab colour page: samples, a good upload, and bad uploads shown as errors."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from inspector.data.samples import SAMPLE_FILES
from tests.app.apptest import open_page
from tests.i18n.english import english_sentences

PAGE = "lab_colour"


@pytest.fixture
def at() -> AppTest:
    return open_page(PAGE, timeout=60, default_first=False)  # straight to this page


def _ranges(at: AppTest) -> dict[str, list[float]]:
    table = at.dataframe[0].value
    return {row["tensor"]: [row["min here"], row["max here"], row["min possible"], row["max possible"]]
            for _, row in table.iterrows()}  # fmt: skip


def test_sample_photo_is_taken_apart(at: AppTest) -> None:
    assert at.title[0].value == "Lab colour"
    assert at.selectbox(key="lab.sample").options == list(SAMPLE_FILES)
    table = at.dataframe[0].value
    assert list(table["shape"]) == ["(1, 1, 256, 256)"] * 4 + ["(1, 2, 256, 256)"]
    ranges = _ranges(at)
    assert ranges["L"][2:] == pytest.approx([0, 100], abs=1e-3)
    assert ranges["a"][2:] == pytest.approx([-86.18, 98.23], abs=0.01)
    assert ranges["L/50 - 1 (generator input)"][2:] == pytest.approx([-1, 1], abs=1e-4)
    lo, hi = ranges["ab/110 (generator target)"][:2]
    assert -1 < lo < 0 < hi < 1
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert len(captions) == 5 and any("lab2rgb(L, a = 0, b = 0)" in c for c in captions)
    assert at.get("vega_lite_chart")  # the histogram of ab/110
    assert any("ColorizationDataset" in e.label for e in at.expander)


def test_switching_samples_changes_the_ranges(at: AppTest) -> None:
    before = _ranges(at)["a"][:2]
    at.selectbox(key="lab.sample").set_value("coffee").run()
    assert not at.exception
    assert _ranges(at)["a"][:2] != before


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_good_and_bad(at: AppTest) -> None:
    at.radio(key="lab.source").set_value("Upload").run()
    assert not at.exception and "Upload a photo" in at.info[0].value

    red = Image.new("RGB", (300, 200), (255, 0, 0))
    at.file_uploader(key="lab.upload").set_value(("red.png", _png(red), "image/png")).run()
    assert not at.exception and not at.error
    ranges = _ranges(at)
    assert ranges["a"][0] == pytest.approx(80.09, abs=0.05)  # pure red: a = 80.09 everywhere

    bad = {
        "fake.png": (b"this is not a picture", "not an image"),
        "tiny.png": (_png(Image.new("RGB", (2, 2))), "too small"),
        "cut.png": (_png(red)[:200], "corrupt or truncated|cannot be read"),
    }
    for name, (data, reason) in bad.items():
        at.file_uploader(key="lab.upload").set_value((name, data, "image/png")).run()
        assert not at.exception, name
        assert len(at.error) == 1 and name in at.error[0].value, name
        assert any(r in at.error[0].value for r in reason.split("|")), at.error[0].value
        assert not at.dataframe  # the page stopped: no table for a bad file


def test_the_page_in_korean() -> None:
    app = open_page(PAGE, timeout=60, query={"lang": "ko"}, default_first=False)
    assert app.title[0].value == "Lab 색 공간"
    assert "텐서" in app.dataframe[0].value.columns
    assert list(app.dataframe[0].value["모양"]) == ["(1, 1, 256, 256)"] * 4 + ["(1, 2, 256, 256)"]
    # every row in Korean: the normalized tensors' roles too (they were English: "(generator input)")
    assert list(app.dataframe[0].value["텐서"]) == [
        "L", "a", "b", "L/50 - 1 (생성기 입력)", "ab/110 (생성기가 예측할 정답)",
    ]  # fmt: skip
    # The radio's labels are translated, its values stay English (links set "Sample photo").
    # AppTest cannot click a radio whose labels differ from its values, so the upload path is
    # tested in English above.
    assert app.radio(key="lab.source").options == ["예시 사진", "업로드"]
    assert app.radio(key="lab.source").value == "Sample photo"
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any("생성기의 유일한 입력" in c for c in captions)


def test_bad_uploads_are_refused_in_korean() -> None:
    """The decoder's reasons are core Text: on a Korean page the whole error is Korean."""
    at = open_page(PAGE, timeout=60, default_first=False, query={"lang": "ko"})
    at.radio(key="lab.source").set_value("Upload").run()
    bad = {
        "fake.png": b"this is not a picture",
        "tiny.png": _png(Image.new("RGB", (2, 2))),
        "cut.png": _png(Image.new("RGB", (300, 200), (255, 0, 0)))[:200],
    }
    for name, data in bad.items():
        at.file_uploader(key="lab.upload").set_value((name, data, "image/png")).run()
        assert not at.exception, name
        assert len(at.error) == 1 and name in at.error[0].value, name
        said = at.error[0].value
        assert any("\uac00" <= ch <= "\ud7a3" for ch in said), said
        # Pillow's own words for a truncated file may follow the colon; ours are all Korean
        ours = said.split(": ", 2)[:2] if name == "cut.png" else [said]
        assert all(english_sentences(part) == [] for part in ours), said

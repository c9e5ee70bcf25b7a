"""Follow the notes: the sections in the notes' order, their links, and a link's arrival.

The parsing of a link (``inspector.ui.links.arrival``) is tested on its own; AppTest then opens
pages the way a followed link does (query parameters on the first run) in both languages.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from inspector.ui.doctor_examples import AS_WRITTEN, EXAMPLES
from inspector.ui.links import LINK_KEYS, arrival, link_params
from inspector.ui.notes_walk import PARTS, SECTIONS, parts
from inspector.ui.page_registry import PAGES
from tests.app.apptest import open_page

PAGE = "follow_notes"


def _open(page_id: str, lang: str = "en", **params: str) -> AppTest:
    """The app as a link opens it: ``?lang=...&...`` on the first run, straight on the page."""
    return open_page(page_id, query={"lang": lang, **params}, default_first=False)


def test_arrival_reads_what_a_link_carries() -> None:
    wanted = arrival({"preset": "notebook-as-written", "part": "discriminator", "example": "as-written"})
    assert wanted.preset == "notebook-as-written"
    assert wanted.state == {"wi.part": "discriminator", "doctor.example": AS_WRITTEN}
    assert not wanted.ignored
    photo = arrival({"example": "coffee", "size": "128"})
    assert photo.state == {"lab.source": "Sample photo", "lab.sample": "coffee", "cfg.g.input_size": 128}
    assert arrival({}).empty


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"preset": "resnet"}, ("preset", "resnet")),
        ({"part": "critic"}, ("part", "critic")),
        ({"size": "0"}, ("size", "0")),
        ({"size": "-3"}, ("size", "-3")),
        ({"size": "99999"}, ("size", "99999")),
        ({"size": "12abc"}, ("size", "12abc")),
        ({"example": "nope"}, ("example", "nope")),
    ],
)
def test_a_bad_link_value_is_left_out_not_raised(params: dict[str, str], ignored: tuple[str, str]) -> None:
    wanted = arrival(params)
    assert wanted.ignored == (ignored,) and wanted.preset is None and not wanted.state


def test_a_link_names_a_doctor_example_by_its_id() -> None:
    for example in EXAMPLES:  # the picker holds the id; its title is only what the reader sees
        assert arrival({"example": example.id}).state == {"doctor.example": example.id}
    assert arrival({"example": EXAMPLES[0].title}).ignored == (("example", EXAMPLES[0].title),)


def test_the_walk_links_to_every_page_of_the_registry() -> None:
    linked = {link.page for section in SECTIONS for link in section.links}
    assert linked == {page.id for page in PAGES} - {PAGE}  # every page but the walk itself


def test_link_params_is_the_inverse_of_arrival() -> None:
    params = link_params(preset="pix2pix", part="generator", size=512, example="astronaut")
    assert set(params) == set(LINK_KEYS)
    assert arrival(params).preset == "pix2pix" and not arrival(params).ignored


def test_sections_follow_the_notes_and_link_to_registered_pages() -> None:
    assert [s.key for s in SECTIONS] == [
        "split", "data", "dataloader", "module", "transpose", "dropout", "generator", "discriminator", "init",
        "output",
    ]  # the notes' order: forward after the ConvTranspose2d and Dropout cells  # fmt: skip
    registered = {page.id for page in PAGES}
    for section in SECTIONS:
        assert section.code.strip() and 2 <= len(section.look) <= 5 and section.links
        for link in section.links:
            assert link.page in registered, link.page
            assert not arrival(dict(link.params)).ignored, link
    dropout = next(s for s in SECTIONS if s.key == "dropout")
    assert dropout.links[0].page == "dropout_batchnorm"  # the page that shows dropout, before the comparison
    typo = next(s for s in SECTIONS if s.key == "discriminator")
    assert (
        "nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),\n            nn.BatchNorm2d(128)"
        in typo.code
    )


@pytest.mark.parametrize(("lang", "title"), [("en", "Follow the notes"), ("ko", "노트 따라가기")])
def test_the_page_in_both_languages(lang: str, title: str) -> None:
    at = _open(PAGE, lang)
    assert at.title[0].value == title
    labels = [t.label for t in at.tabs]
    assert len(labels) == len(PARTS) and sum(n for _title, n in PARTS) == len(SECTIONS)
    headings: list[str] = []
    for label, (_title, first, sections) in zip(labels, parts()):
        # One part at a time: its sections, numbered on from the part before, their code and links.
        at = open_page(PAGE, query={"lang": lang}, state={"fold.notes.part": label}, default_first=False)
        assert [s.value.split(".")[0] for s in at.subheader] == [str(first + i) for i in range(len(sections))]
        assert len(at.code) == len(sections)
        assert len(at.get("page_link")) == sum(len(s.links) for s in sections)
        headings += [s.value for s in at.subheader]
    assert len(headings) == len(SECTIONS)
    if lang == "ko":
        assert labels == ["데이터", "두 신경망", "초기화와 학습"]
        assert headings[-1] == "10. L에서 색으로: 출력 레이어, 그리고 학습"


def test_the_typo_link_opens_the_doctor_on_the_discriminator_as_written() -> None:
    typo = next(s for s in SECTIONS if s.key == "discriminator").links[0]
    at = _open(typo.page, "en", **dict(typo.params))
    assert at.selectbox(key="cfg.preset").value == "notebook-as-written"
    assert at.selectbox(key="doctor.example").value == AS_WRITTEN
    assert at.session_state["cfg.d.notebook_bug"] is True
    assert any("nn.Conv2d(3, 64" in m.value for m in at.markdown)  # the example's story
    # Applied once: the parameters left the URL, so a later change in the sidebar wins.
    assert not set(LINK_KEYS) & set(at.query_params)
    at.selectbox(key="cfg.preset").set_value("pix2pix").run()
    assert not at.exception
    assert at.selectbox(key="cfg.preset").value == "pix2pix"
    assert at.selectbox(key="doctor.example").value == AS_WRITTEN


def test_links_to_the_lab_and_weight_pages_set_their_widgets() -> None:
    at = _open("lab_colour", "ko", example="coffee")
    assert at.radio(key="lab.source").value == "Sample photo"
    assert at.selectbox(key="lab.sample").value == "coffee"
    assert at.title[0].value == "Lab 색 공간"
    at = _open("weight_init", "en", preset="pix2pix", part="discriminator")
    assert at.radio(key="wi.part").value == "discriminator"
    assert at.selectbox(key="cfg.preset").value == "pix2pix"


def test_a_bad_link_warns_in_the_sidebar() -> None:
    at = _open(PAGE, "en", preset="resnet")
    assert any("preset=resnet" in w.value for w in at.sidebar.warning)
    assert at.selectbox(key="cfg.preset").value == "notebook"

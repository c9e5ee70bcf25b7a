"""AppTest of the one model-source picker: the trained pair that ships with the app is the default of
Feature maps, Dropout & BatchNorm, Colorize and the GAN game; the untrained one explains its grey and
offers the two ways out in one click; the Checkpoints page identifies, fits, exports and compares."""

from __future__ import annotations

import re

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page
from tests.checkpoints.files import trained_like
from tests.i18n.english import english_sentences
from tests.models.reference_nets import reference_unet

SMALL = {"cfg.g.ngf": 8, "cfg.g.depth": 5, "cfg.g.input_size": 64, "cfg.d.ndf": 8}


def _number(pattern: str, texts: list[str]) -> float:
    for text in texts:
        if found := re.search(pattern, text):
            return float(found.group(1))
    raise AssertionError(f"{pattern!r} in none of {texts}")


def test_feature_maps_open_on_the_trained_networks() -> None:
    at = open_page("feature_maps", timeout=300)
    assert at.radio(key="fm.source").value == "trained"
    assert any("ship with the app" in c.value for c in at.caption)
    assert not any("Why the untrained network looks grey" in m.value for m in at.markdown)
    energies = dict(zip(at.dataframe[0].value["map"], at.dataframe[0].value["largest energy"]))
    assert energies["middle"] > 0.01  # visible: not the untrained network's 0.0005
    at = open_page("feature_maps", timeout=300, state={"fold.fm.tab": "What a skip carries"})
    at.selectbox(key="fm.skip").set_value("all").run()  # how much it changes: tests/test_pretrained.py
    assert not at.exception and not at.error
    at = open_page(
        "feature_maps", timeout=300, state={"fold.fm.tab": "The discriminator's verdict, patch by patch"}
    )
    assert [m.value for m in at.metric] != ["0.500", "0.500"]  # D has an opinion: not the untrained 0.5


def test_the_untrained_view_explains_itself_and_switches_in_one_click() -> None:
    at = open_page("feature_maps", timeout=300, state={**SMALL, "fm.source": "untrained"})
    assert any("Why the untrained network looks grey" in m.value for m in at.markdown)
    before = dict(zip(at.dataframe[0].value["map"], at.dataframe[0].value["largest energy"]))["middle"]
    at.button(key="fm.to_batch_stats").click().run()
    assert not at.exception and any("own statistics" in c.value for c in at.caption)
    after = dict(zip(at.dataframe[0].value["map"], at.dataframe[0].value["largest energy"]))["middle"]
    assert after > 100 * before  # BatchNorm on the photo's own statistics rescales every block
    at.button(key="fm.to_trained").click().run()
    assert not at.exception and at.radio(key="fm.source").value == "trained"


def test_dropout_and_batchnorm_open_on_the_trained_networks() -> None:
    at = open_page("dropout_batchnorm", timeout=300)  # how much the runs differ: tests/test_pretrained.py
    assert at.radio(key="db.source").value == "trained" and not at.exception and not at.error
    assert any(
        "decoder_1.3" in c.value for c in at.caption
    )  # the notebook's layout: dropout in every decoder
    at = open_page("dropout_batchnorm", timeout=300, state={"fold.db.tab": "BatchNorm"})
    assert _number(r"between the two outputs: (\d+(?:\.\d+)?)", [c.value for c in at.caption]) > 0.1


def test_colorize_opens_on_the_trained_generator_and_takes_a_reference_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = open_page("colorize", timeout=300)
    assert at.radio(key="colorize.source").value == "trained" and len(at.get("image")) == 3
    torch.manual_seed(0)
    ref = trained_like(reference_unet(num_downs=6, ngf=4))
    buffer = __import__("io").BytesIO()
    torch.save({f"module.{k}": v for k, v in ref.state_dict().items()}, buffer)

    class Upload:
        name, size = "latest_net_G.pth", len(buffer.getvalue())

        def getvalue(self) -> bytes:
            return buffer.getvalue()

    monkeypatch.setattr(
        st, "file_uploader", lambda *a, key=None, **k: Upload() if key == "colorize.checkpoint" else None
    )
    at.radio(key="colorize.source").set_value("upload").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("the pix2pix reference code's UnetGenerator" in c.value for c in at.caption)
    assert len(at.get("image")) == 3


CK_TABS = ("What the file holds", "Against the sidebar's architecture", "Compare with another checkpoint")


def test_the_checkpoints_page_identifies_fits_and_compares() -> None:
    at = open_page("checkpoints", timeout=300)
    assert [t.label for t in at.tabs] == list(CK_TABS)
    assert [s.value for s in at.subheader] == ["Export"]  # the first tab: what it holds, then its export
    assert len(at.success) >= 2  # both networks proven
    at = open_page("checkpoints", timeout=300, state={"fold.ck.tab": CK_TABS[1]})
    sentences = " ".join(m.value for m in at.markdown)
    assert "trained with ngf 16, depth 7, max_mult 4; this is ngf 64, depth 8, max_mult 8" in sentences
    assert at.get("graphviz_chart")  # the blocks that do not fit, red on the U
    at.button(key="ck.use.generator").click().run()
    at.button(key="ck.use.discriminator").click().run()
    assert not at.exception
    assert sum("fits the sidebar's architecture" in s.value for s in at.success) == 2
    at.session_state["fold.ck.tab"] = CK_TABS[2]
    at.run()
    assert any("all: 0.000" in m.value for m in at.markdown)  # compared with itself (the default): no change


def test_the_checkpoints_page_in_korean() -> None:
    at = open_page(
        "checkpoints", timeout=300, query={"lang": "ko"}, state={"fold.ck.tab": "사이드바의 구조와 맞춰 보기"}
    )
    said = [w.value for w in at.warning] + [m.value for m in at.markdown if "학습할 때" in m.value]
    assert said and all(not english_sentences(text) for text in said), said


def test_the_gan_game_starts_from_the_trained_pair() -> None:
    at: AppTest = open_page("train", timeout=300, state={"train.game": True})
    assert at.radio(key="gan.start").value == "trained"
    at.button(key="gan.d1").click().run()
    assert not at.exception and not at.error
    assert any("ships with the app" in c.value for c in at.caption)


def test_feature_maps_on_an_uploaded_file_of_the_notebooks_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.checkpoints.notebook_classes import Pix2Pix_Discriminator, Pix2Pix_Generator

    buffer = __import__("io").BytesIO()
    G, D = (
        trained_like(Pix2Pix_Generator(4), seed=1),
        trained_like(Pix2Pix_Discriminator(4, fixed=True), seed=2),
    )
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, buffer)

    class Upload:
        name = "notebook.pth"

        def getvalue(self) -> bytes:
            return buffer.getvalue()

    monkeypatch.setattr(
        st, "file_uploader", lambda *a, key=None, **k: Upload() if key == "fm.checkpoint" else None
    )
    at = open_page("feature_maps", timeout=300, state={"fm.source": "upload"})
    assert not at.error, [e.value for e in at.error]
    assert any("the notebook's Pix2Pix_Generator" in c.value for c in at.caption)
    assert at.dataframe[0].value["map"].iloc[-1] == "output_layer"
    at.session_state["fold.fm.tab"] = "The discriminator's verdict, patch by patch"
    assert len(at.run().metric) == 2 and not at.exception  # D's verdicts too

"""AppTest of the Feature maps and Dropout & BatchNorm pages: no exception, the expected
elements, a bad upload and a bad checkpoint shown as messages.

A small U-Net (ngf 8, depth 5, 64 x 64) keeps them fast; one slow test opens the notebook's
256 x 256 generator, which waits for the Run button.
"""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from inspector.ui.page_registry import page_file
from tests.app.apptest import APP, open_page

SMALL = {"cfg.g.ngf": 8, "cfg.g.depth": 5, "cfg.g.input_size": 64, "cfg.d.ndf": 8}
UNTRAINED = {"fm.source": "untrained", "db.source": "untrained"}  # the sidebar's small networks, untrained


def _open(page: str, **state: object) -> AppTest:
    return open_page(page, timeout=180, state={**SMALL, **UNTRAINED, **state})


class _Upload:
    """What st.file_uploader hands a page: a name and the bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data

    def getvalue(self) -> bytes:
        return self.data


BLOCKS, SKIP, VERDICT = (
    "Every block, in U order",
    "What a skip carries",
    "The discriminator's verdict, patch by patch",
)


def test_feature_maps_page_shows_every_block_the_skip_ablation_and_the_verdict() -> None:
    at = _open("feature_maps")
    assert at.title[0].value == "Feature maps"
    assert [t.label for t in at.tabs] == [BLOCKS, SKIP, VERDICT] and not at.metric  # one tab runs at a time
    table = at.dataframe[0].value
    maps = list(table["map"])
    assert maps[0] == "input_layer" and maps[-1] == "output_layer"
    assert "torch.cat#0 -> decoder_3" in maps  # the first cat feeds the deepest decoder
    shapes = dict(zip(maps, table["shape"]))
    # at the cat: middle's 64 channels and the skip encoder_3's 64, side by side
    assert shapes["middle"] == "1x64x4x4" and shapes["torch.cat#0 -> decoder_3"] == "1x128x4x4"
    assert shapes["output_layer"] == "1x2x64x64"
    assert len(at.get("image")) == 2  # the photo, the grid
    at.slider(key="fm.n").set_value(4).run()
    at = _open("feature_maps", **{"fold.fm.tab": SKIP})
    skips = at.selectbox(key="fm.skip")
    assert skips.options[0] == "encoder_3" and skips.options[-1] == "every skip"
    skips.set_value("all").run()
    # the photo; intact, ablated, difference
    assert not at.exception and at.selectbox(key="fm.skip").value == "all" and len(at.get("image")) == 4
    at = _open("feature_maps", **{"fold.fm.tab": VERDICT})
    assert len(at.get("image")) == 3  # the photo, the two verdict overlays
    assert [m.value for m in at.metric] == ["0.500", "0.500"]  # mean p(real) of an untrained D: undecided
    at.slider(key="fm.row").set_value(0).run()
    assert not at.exception and not at.error


def _fake_uploader(files: dict[str, _Upload]):  # type: ignore[no-untyped-def]
    """st.file_uploader as a page sees it after an upload (AppTest cannot upload files itself)."""

    def file_uploader(label: str, *args: object, key: str | None = None, **kwargs: object) -> _Upload | None:
        return files.get(str(key))

    return file_uploader


@pytest.mark.parametrize(
    ("source", "asks", "upload", "refusal"),
    [
        (
            "fm.photo_source",
            "Choose or upload a photo",
            ("fm.upload", "photo.png"),
            "This photo cannot be used",
        ),
        (
            "fm.source",
            "Upload a checkpoint",
            ("fm.checkpoint", "g.safetensors"),
            "This checkpoint cannot be used",
        ),
    ],
)
def test_feature_maps_page_refuses_a_bad_upload(
    monkeypatch: pytest.MonkeyPatch, source: str, asks: str, upload: tuple[str, str], refusal: str
) -> None:
    """A photo that is not an image, a checkpoint that is junk: a message each, never a traceback."""
    at = _open("feature_maps", **{source: "upload"})
    assert any(asks in i.value for i in at.info)
    key, name = upload
    monkeypatch.setattr(st, "file_uploader", _fake_uploader({key: _Upload(name, b"not an image, junk")}))
    at.run()
    assert not at.exception
    assert any(refusal in e.value for e in at.error)


def test_feature_maps_page_waits_for_the_button_on_the_notebooks_generator() -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.session_state["fm.source"] = "untrained"  # the notebook's 54M generator of the sidebar
    at.switch_page(page_file("feature_maps")).run()
    assert not at.exception
    assert at.button(key="fm.run") is not None and not at.dataframe  # nothing heavy before the click
    assert any("Pix2Pix_Generator.forward" in e.label for e in at.expander)


BATCHNORM = {"fold.db.tab": "BatchNorm"}  # the page's second tab, open


def test_dropout_batchnorm_page() -> None:
    at = _open("dropout_batchnorm")
    assert at.title[0].value == "Dropout & BatchNorm"
    assert [t.label for t in at.tabs] == ["Dropout", "BatchNorm"]
    assert "self.decoder_6 = nn.Sequential(" in at.code[0].value and "nn.Dropout(0.5)" in at.code[0].value
    assert (
        len(at.get("image")) == 4 + 1 + 1 and not at.metric
    )  # 4 runs, eval, spread; the BatchNorm tab closed
    at.slider(key="db.runs").set_value(2).run()
    assert not at.exception and len(at.get("image")) == 2 + 1 + 1
    at = _open("dropout_batchnorm", **BATCHNORM)
    assert len(at.get("image")) == 2 and not at.code  # D's logits in both modes; the Dropout tab closed
    table = at.dataframe[0].value
    assert table["layer"].iloc[0].startswith("model.")
    metrics = [m.value for m in at.metric]
    assert float(metrics[0]) < 1e-5 and float(metrics[1]) > 0.01  # BN at batch 1 == InstanceNorm; batch 2 not
    at.checkbox(key="db.affine").uncheck().run()
    assert not at.exception and not at.error


def test_dropout_batchnorm_page_with_the_typo_and_no_dropout() -> None:
    settings = {"cfg.d.notebook_bug": True, "cfg.g.dropout": "none"}
    at = _open("dropout_batchnorm", **settings)
    assert any("no Dropout layer" in i.value for i in at.info)
    at = _open("dropout_batchnorm", **settings, **BATCHNORM)
    assert any("cannot run" in e.value for e in at.error)  # the typo: a message, not a traceback

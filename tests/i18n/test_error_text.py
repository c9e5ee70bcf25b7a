"""The refusals a learner meets first (an upload that is not an image, too many pixels, a zip that
climbs out of itself, a pickle, a checkpoint of another architecture): the English is the CLI's
sentence, unchanged, and the same error on a Korean page has no English sentence left."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from inspector.data.image_set import load_uploads
from inspector.data.images import ACCEPTED_FORMATS, Limits, PixelBudget, load_image
from inspector.errors import UserError
from inspector.i18n.catalog import translator
from inspector.training.checkpoint import load_checkpoint, save_checkpoint
from models import build_discriminator, build_generator, preset
from models.text import message_of, render
from tests.i18n.english import english_sentences

KO = translator("ko")


def _png(width: int = 32, height: int = 32) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(buf, format="PNG")
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _said_in_korean(error: BaseException) -> str:
    korean = render(message_of(error), KO)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean), korean
    assert english_sentences(korean) == [], korean
    return korean


def _refusal(call) -> UserError:
    with pytest.raises(UserError) as info:
        call()
    return info.value


def test_an_upload_that_is_not_an_image() -> None:
    error = _refusal(lambda: load_uploads([("notes.txt", b"hello, this is not a photo")], size=32))
    accepted = ", ".join(ACCEPTED_FORMATS)
    assert str(error) == (
        "No usable image in the uploaded files. Skipped: notes.txt: not an image, or not in an accepted "
        f"format ({accepted})."
    )
    korean = _said_in_korean(error)
    assert "notes.txt" in korean and accepted in korean


def test_an_upload_over_the_pixel_budgets() -> None:
    error = _refusal(lambda: load_image(_png(), "big.png", limits=Limits(max_pixels=500)))
    assert (
        str(error)
        == "big.png: 32x32 is 1,024 pixels, over the limit of 500 (refused as a possible decompression bomb)"
    )
    assert "1,024" in _said_in_korean(error)
    budget = PixelBudget(limit=1000, used=200)
    error = _refusal(lambda: load_image(_png(), "third.png", budget=budget))
    assert str(error) == (
        "third.png: decoding it would pass the budget of 1,000 pixels for all images together (200 used); "
        "it and the rest were not read"
    )
    _said_in_korean(error)
    # the same refusal as a skipped file of an upload batch: the list keeps each reason translatable
    error = _refusal(lambda: load_uploads([("a.png", _png())], size=32, limits=Limits(max_total_pixels=100)))
    assert str(error) == (
        "No usable image in the uploaded files. Skipped: a.png: decoding it would pass the budget of 100 "
        "pixels for all images together (0 used); it and the rest were not read."
    )
    _said_in_korean(error)


def test_a_zip_whose_members_climb_out_of_it() -> None:
    data = _zip({"../evil.png": _png(), "/etc/cron.png": _png(), "inner.zip": _zip({"a.png": _png()})})
    error = _refusal(lambda: load_uploads([("photos.zip", data)], size=32))
    assert str(error) == (
        "No usable image in the uploaded files. Skipped: photos.zip/../evil.png: path with '..' in the archive, "
        "refused; photos.zip//etc/cron.png: absolute path in the archive, refused; photos.zip/inner.zip: nested "
        "archive, refused (upload it on its own)."
    )
    korean = _said_in_korean(error)
    assert "photos.zip/../evil.png" in korean


class _Payload:
    """Unpickling this would open a file for writing: code run by merely loading."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_with_code_is_refused_in_korean_too(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    error = _refusal(lambda: load_checkpoint(pickle.dumps({"w": _Payload(marker)}), name="evil.pkl"))
    assert str(error) == (
        "evil.pkl was refused: it is a Python pickle, which can run code when it is opened, so only "
        "safetensors files and PyTorch zip files of plain tensors are read"
    )
    _said_in_korean(error)
    buf = io.BytesIO()
    torch.save({"input_layer.0.weight": _Payload(marker)}, buf)
    error = _refusal(lambda: load_checkpoint(buf.getvalue(), name="evil.pt"))
    assert str(error).startswith("evil.pt was refused: it ")
    _said_in_korean(error)
    assert not marker.exists()


def test_a_checkpoint_of_another_architecture(tmp_path: Path) -> None:
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    G, D = build_generator(g), build_discriminator(d)
    save_checkpoint(tmp_path, G, D, step=1)
    wider = g.replace(ngf=8)
    error = _refusal(lambda: load_checkpoint(tmp_path, generator_config=wider))
    # The oracle: the sentence as the checker wrote it before it was translatable, from the two state dicts.
    expected = {k: tuple(v.shape) for k, v in build_generator(wider).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in G.state_dict().items()}

    def shape(s: tuple[int, ...]) -> str:
        return "x".join(map(str, s)) or "scalar"

    bad = [
        f"{k} (checkpoint {shape(got[k])}, model {shape(expected[k])})"
        for k in expected
        if got[k] != expected[k]
    ]
    listed = ", ".join(bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
    assert str(error) == (
        f"the checkpoint does not fit the chosen generator (ngf 8, depth 5, outer_skip {g.outer_skip}): "
        f"mis-shaped keys: {listed}. It was trained with another architecture: pick the preset and settings it "
        "was trained with."
    )
    korean = _said_in_korean(error)
    assert "input_layer.0.weight" in korean and "생성기" in korean
    if len(bad) > 8:
        assert f"외 {len(bad) - 8}개" in korean

"""Every public result displays itself in a notebook: self-contained HTML under 2 MB, drawn by the
app's own renderers (the same SVG, the same GIF frames), in English or, after
``set_language("ko")``, in Korean."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import inspector
from inspector.conv.frame_files import gif_bytes
from inspector.i18n import reader
from inspector.i18n.catalog import translator
from inspector.i18n.fonts import graphviz_font
from inspector.notebook import views
from inspector.shapes.diagram import diagram_dot
from inspector.shapes.dot_graph import DiagramStyle, render_svg
from models import build, preset
from models.text import render

HANGUL = re.compile(r"[\uac00-\ud7a3]")
DATA_URI = re.compile(r'src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(autouse=True)
def english() -> object:
    previous = reader._chosen
    inspector.set_language("en")
    yield
    reader._chosen = previous


@pytest.fixture(scope="module")
def small() -> dict[str, object]:
    g, d = preset("notebook")
    g, d = g.replace(ngf=8, depth=6, input_size=64), d.replace(ndf=8, input_size=64)
    torch.manual_seed(0)
    return {"g_cfg": g, "d_cfg": d, "G": build(g), "D": build(d), "L": torch.rand(1, 1, 64, 64) * 2 - 1}


def _results(small: dict[str, object]) -> dict[str, object]:
    G, D, L = small["G"], small["D"], small["L"]
    g_cfg, d_cfg = small["g_cfg"], small["d_cfg"]
    _, written = preset("notebook-as-written")
    ab = torch.zeros(1, 2, 64, 64)
    return {
        "trace": inspector.trace(G, (1, 1, 64, 64)),
        "summary": inspector.summary(G, (2, 1, 64, 64)),
        "diagnosis": inspector.diagnose(build(written, device="meta"), (1, 3, 256, 256)),
        "sizes": inspector.valid_input_sizes(g_cfg),
        "comparison": inspector.compare_to_reference(*preset("notebook")),
        "weights": inspector.weight_stats(D),
        "init comparison": inspector.init_comparison(D),
        "activations": inspector.activation_stats(D, (1, 3, 64, 64)),
        "activation comparison": inspector.activation_comparison(D, (1, 3, 64, 64)),
        "animation": inspector.conv_animation(4, 4, stride=2, padding=1, transposed=True),
        "receptive field": inspector.receptive_field(d_cfg),
        "overlap map": inspector.overlap_map(kernel=3, stride=2, padding=1, in_size=4),
        "checkerboard": inspector.checkerboard(),
        "feature maps": inspector.feature_maps(G, L),
        "skip ablation": inspector.ablate_skip(G, L, skip="all"),
        "patch verdict": inspector.patch_verdict(D, L, ab),
        "dropout lens": inspector.dropout_lens(G, L, n=2),
        "batchnorm lens": inspector.batchnorm_lens(D, torch.cat([L, ab], 1).repeat(2, 1, 1, 1)),
        "norm equivalence": inspector.batchnorm_vs_instancenorm(),
        "image set": inspector.sample_images(32),
    }


@pytest.fixture(scope="module")
def results(small: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    found = _results(small)
    G, D, L = small["G"], small["D"], small["L"]
    game = inspector.GanGame(small["g_cfg"], small["d_cfg"], L.repeat(2, 1, 1, 1), torch.zeros(2, 2, 64, 64))  # type: ignore[arg-type]
    found["empty game"] = inspector.GanGame(small["g_cfg"], small["d_cfg"], L, torch.zeros(1, 2, 64, 64))  # type: ignore[arg-type]
    game.play("D")
    found["move"] = game.play("G")
    found["game"] = game
    run_dir = tmp_path_factory.mktemp("run")
    inspector.save_checkpoint(run_dir, G, D, step=7)  # type: ignore[arg-type]
    found["checkpoint"] = inspector.load_checkpoint(run_dir)
    choices = inspector.RunChoices(ngf=8, depth=5, size=32, steps=2, batch=2, device="cpu", out=run_dir / "new")
    found["plan"] = inspector.plan_run(choices)
    found["one feature map"] = found["feature maps"]["torch.cat#0"]  # type: ignore[index]
    found["identification"] = inspector.identify(inspector.pretrained_path())
    other = tmp_path_factory.mktemp("other")
    with torch.no_grad():
        for p in G.parameters():  # type: ignore[attr-defined]
            p.add_(0.01)
    inspector.save_checkpoint(other, G, D, step=9)  # type: ignore[arg-type]
    rgb = np.random.default_rng(0).integers(0, 256, (3, 64, 64), dtype=np.uint8)
    found["checkpoint comparison"] = inspector.compare_checkpoints(run_dir, other, rgb)
    found["network comparison"] = found["checkpoint comparison"]["generator"]  # type: ignore[index]
    return found


def _images(html: str) -> list[tuple[str, bytes]]:
    return [(mime, base64.b64decode(data)) for mime, data in DATA_URI.findall(html)]


def test_every_result_is_self_contained_html_under_2_mb(results: dict[str, object]) -> None:
    for name, result in results.items():
        html = result._repr_html_()  # type: ignore[attr-defined]
        assert html.startswith('<div class="pix2pix-inspector"'), name
        assert len(html.encode()) < 2_000_000, (name, len(html))
        assert "<script" not in html and 'src="http' not in html and "url(http" not in html, name
        assert "could not be drawn" not in html, (name, html[:500])
        assert repr(result), name  # a terminal keeps its text


def test_every_result_speaks_korean_after_set_language(results: dict[str, object]) -> None:
    inspector.set_language("ko")
    no_words = {"overlap map", "checkerboard"}  # a table of numbers with one Korean caption at most
    for name, result in results.items():
        html = result._repr_html_()  # type: ignore[attr-defined]
        assert HANGUL.search(html) or name in no_words, name
    assert HANGUL.search(results["overlap map"]._repr_html_())  # type: ignore[attr-defined]  # its caption


def test_the_diagram_is_the_apps_svg(results: dict[str, object]) -> None:
    """The same DOT source as the Skip connections page, drawn by graphviz: byte for byte."""
    trace = results["trace"]
    svg = render_svg(diagram_dot(trace, (), "", style=DiagramStyle(fontname=graphviz_font("en"))))  # type: ignore[arg-type]
    if svg is None:
        pytest.skip("graphviz's dot is not installed")
    images = _images(trace._repr_html_())  # type: ignore[attr-defined]
    assert ("image/svg+xml", svg) in images


def test_the_typo_is_red_in_the_diagram_and_told_in_korean(results: dict[str, object]) -> None:
    d = results["diagnosis"]
    html = d._repr_html_()  # type: ignore[attr-defined]
    svgs = [data for mime, data in _images(html) if mime == "image/svg+xml"]
    assert svgs and b"#d62728" in svgs[0]  # the failing node's red outline
    assert "model.2" in html and "Conv2d(64, 128)" in html
    inspector.set_language("ko")
    korean = d._repr_html_()  # type: ignore[attr-defined]
    problem = d.problems[0]  # type: ignore[attr-defined]
    said = render(problem.message, translator("ko"))
    assert said != str(problem.message) and said.replace("'", "&#x27;") in korean.replace("&gt;", ">")


def test_the_animation_plays(results: dict[str, object]) -> None:
    """Animated GIFs, one per view, with every frame the app plays."""
    anim = results["animation"]
    gifs = [data for mime, data in _images(anim._repr_html_()) if mime == "image/gif"]  # type: ignore[attr-defined]
    assert len(gifs) == len(anim.views)  # type: ignore[attr-defined]
    for data, view in zip(gifs, anim.views):  # type: ignore[attr-defined]
        picture = Image.open(io.BytesIO(data))
        assert picture.is_animated and picture.n_frames == len(view.frames)
    assert gifs[0] == gif_bytes(anim, "scatter")  # type: ignore[arg-type]  # the app's own GIF


def test_summary_shows_block_totals_that_add_up(results: dict[str, object]) -> None:
    s = results["summary"]
    from inspector.shapes.summary import block_totals

    assert sum(p for _, _, p in block_totals(s)) == s.total_params  # type: ignore[arg-type,attr-defined]
    html = s._repr_html_()  # type: ignore[attr-defined]
    assert f"{s.total_params:,}" in html and "Total params" in html  # type: ignore[attr-defined]


def test_without_dot_the_tables_stay_and_the_install_is_said(
    results: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspector.shapes.dot_graph as dot_graph

    monkeypatch.setattr(dot_graph.shutil, "which", lambda name: None)
    html = results["trace"]._repr_html_()  # type: ignore[attr-defined]
    assert "apt-get install graphviz" in html and "torch.cat#0" in html and "image/svg" not in html


def test_a_result_that_cannot_be_drawn_says_why(
    monkeypatch: pytest.MonkeyPatch, results: dict[str, object]
) -> None:
    def broken(*args: object) -> str:
        raise ValueError("no room")

    monkeypatch.setitem(views.VIEWS, type(results["sizes"]), broken)
    assert "could not be drawn: no room" in results["sizes"]._repr_html_()  # type: ignore[attr-defined]


def test_checkpoints_say_what_they_hold_and_how_far_two_moved(results: dict[str, object]) -> None:
    found = results["identification"]
    html = found._repr_html_()  # type: ignore[attr-defined]
    assert "Proven: built from these settings, loaded with strict=True and run: (1, 1, " in html
    assert html.count("this project&#x27;s checkpoint") == 2  # both networks of the shipped pair
    compared = results["checkpoint comparison"]
    assert set(compared) == {"generator", "discriminator"}  # type: ignore[arg-type]
    html = compared._repr_html_()  # type: ignore[attr-defined]
    g = compared["generator"]  # type: ignore[index]
    assert all(f">{b.block}<" in html for b in g.blocks)  # every block a row
    assert f"{g.overall:.3f}" in html and len(_images(html)) == 3  # A, B and the difference map
    d = compared["discriminator"]  # type: ignore[index]
    assert d.outputs is None and d.overall == 0.0  # D was saved untouched


def test_overlap_map_stays_an_array() -> None:
    m = inspector.overlap_map(kernel=3, stride=2, padding=1, in_size=4)
    assert m.max() == 4 and isinstance(m.max(), np.integer)
    assert type(m + 1) is np.ndarray and m.settings == (3, 2, 1, 4, 0)
    expected = torch.nn.functional.conv_transpose2d(
        torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=2, padding=1
    )
    assert np.array_equal(m, expected[0, 0].numpy())


def test_set_language_and_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="must be one of en, ko"):
        inspector.set_language("fr")
    inspector.set_language("ko_KR")
    assert inspector.get_language() == "ko"
    monkeypatch.setattr(reader, "_chosen", None)
    for name in reader.LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert inspector.get_language() == "ko"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert inspector.get_language() == "en"


def test_import_inspector_stays_light() -> None:
    """Neither importing the package nor displaying a result loads IPython or Streamlit."""
    code = (
        "import sys, inspector\n"
        "assert 'inspector.notebook' not in sys.modules and 'torch' not in sys.modules\n"
        "html = inspector.valid_input_sizes(__import__('models').preset('notebook')[0])._repr_html_()\n"
        "assert 'multiples of 256' in html\n"
        "print(sorted(m for m in ('IPython', 'streamlit') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

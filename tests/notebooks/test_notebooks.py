"""The notes' walk as notebooks, and a notebook nobody here wrote, run by a real Jupyter kernel.

A display that is only text (a result that did not draw itself) fails, so does any error. The
stored notebooks are what ``tools/make_notebooks.py`` writes: outputs stripped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from inspector.runqueue.queue import RunQueue
from inspector.runqueue.status import read_status
from inspector.training.runs import RunsFolder
from inspector.ui import notebook_code as nb
from tests.notebooks.kernel import (
    HANGUL,
    MAX_BYTES,
    ROOT,
    execute,
    html_of,
    nbformat,
    rich_outputs,
    size_of,
    text_only,
    with_tiny_training,
)

sys.path.insert(0, str(ROOT / "tools"))
import make_notebooks  # noqa: E402

LANGS = make_notebooks.LANGS


@pytest.mark.parametrize("lang", LANGS)
def test_the_notebooks_are_stored_stripped_as_the_tool_writes_them(lang: str) -> None:
    path = ROOT / "notebooks" / f"notes_walk_{lang}.ipynb"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in stored["cells"] if c["cell_type"] == "code")
    fresh = make_notebooks.notebook(lang)
    for i, cell in enumerate(fresh["cells"]):
        cell["id"] = f"{lang}-{i:03d}"
    assert stored == fresh, "run python tools/make_notebooks.py"


def _check_displays(notebook: object) -> list[str]:
    """Every displayed result drew itself (HTML or an image, under 2 MB); returns their HTML."""
    htmls = []
    for cell in notebook.cells:  # type: ignore[attr-defined]
        if cell.cell_type != "code":
            continue
        assert not text_only(cell), cell.source
        last = cell.source.strip().splitlines()[-1]
        if last.startswith("inspector.") and "set_language" not in last:
            assert rich_outputs(cell), cell.source
        for output in rich_outputs(cell):
            assert size_of(output) < MAX_BYTES, (cell.source, size_of(output))
            htmls.append(html_of(output))
    return htmls


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_the_walk_runs_and_every_result_draws_itself(lang: str, tmp_path: Path) -> None:
    notebook = with_tiny_training(nbformat.read(ROOT / "notebooks" / f"notes_walk_{lang}.ipynb", as_version=4))
    runs = tmp_path / "runs"
    execute(notebook, tmp_path, runs)
    htmls = _check_displays(notebook)
    assert len(htmls) >= 25
    if lang == "ko":
        assert sum(bool(HANGUL.search(h)) for h in htmls) >= len(htmls) - 3  # a table of numbers has none
    # the training cell showed itself live: its three outputs updated in place, then how it ended
    train = next(c for c in notebook.cells if c.cell_type == "code" and "inspector.train(" in c.source)
    shown = [html_of(o) for o in rich_outputs(train)]
    assert len(shown) >= 3 and any("checkpoint" in h.lower() or "체크포인트" in h for h in shown)
    assert any('src="data:image/png' in h for h in shown)  # the curves, the samples
    # the run is in the app's runs folder: listed, finished, with its checkpoint
    (run,) = RunsFolder(runs).list_runs()
    assert run.checkpoint is not None and run.export is not None
    status = read_status(run.path)
    assert status is not None and status.state == "finished" and status.label == "notebook"
    assert [r.status.state for r in RunQueue(RunsFolder(runs)).runs()] == ["finished"]


# A notebook nobody here wrote: it pastes the notes' classes and the data loading (scikit-image's
# photos for the download), keeps every result in a variable, shows each as a cell's last
# expression, then again after set_language("ko").
SETUP = """\
import pathlib, numpy as np, torch, torch.nn as nn, skimage
from PIL import Image
from skimage.color import rgb2lab
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
import inspector

paths = sorted(str(p) for p in (pathlib.Path(skimage.__file__).parent / "data").glob("*.png"))
paths = [p for p in paths if Image.open(p).mode == "RGB"][:4]"""

RESULTS = {
    "trace": "inspector.trace(G, (1, 1, 256, 256))",
    "summary": "inspector.summary(G, (16, 1, 256, 256))",
    "diagnosis": "inspector.diagnose(D, (1, 3, 256, 256))",
    "sizes": "inspector.valid_input_sizes(G, (1, 1, 256, 256))",
    "weights": "inspector.weight_stats(D)",
    "activations": "inspector.activation_comparison(D_fixed, (1, 3, 256, 256))",
    "animation": "inspector.conv_animation(4, 4, stride=2, padding=1, transposed=True)",
    "field": "inspector.receptive_field(D_fixed, 256)",
    "overlap": "inspector.overlap_map(kernel=4, stride=2, padding=1, in_size=4)",
    "features": "inspector.feature_maps(G, L)",
    "ablation": 'inspector.ablate_skip(G, L, skip="all")',
    "verdict": "inspector.patch_verdict(D_fixed, L, ab)",
    "lens": "inspector.dropout_lens(G, L, n=2)",
    "batchnorm": "inspector.batchnorm_lens(D_fixed, torch.cat([L, ab], 1).repeat(2, 1, 1, 1))",
    "equivalence": "inspector.batchnorm_vs_instancenorm()",
}


def _stranger() -> object:
    v4 = nbformat.v4
    cells = [v4.new_code_cell(SETUP), v4.new_code_cell(nb.DATASET), v4.new_code_cell(nb.GENERATOR)]
    cells.append(v4.new_code_cell(nb.DISCRIMINATOR_AS_WRITTEN + "\nD = Pix2Pix_Discriminator()"))
    fixed = nb.DISCRIMINATOR.replace("class Pix2Pix_Discriminator", "class Fixed")
    fixed = fixed.replace("super(Pix2Pix_Discriminator", "super(Fixed")
    cells.append(v4.new_code_cell(fixed + "\nD_fixed = Fixed()"))
    cells.append(
        v4.new_code_cell(
            "G = Pix2Pix_Generator()\n"
            "item = ColorizationDataset(paths, mode='val')[0]\n"
            "L, ab = item['L'][None], item['ab'][None]"
        )
    )
    cells += [v4.new_code_cell(f"{name} = {code}") for name, code in RESULTS.items()]
    cells += [v4.new_code_cell(name) for name in RESULTS]  # English: the locale's default here
    cells.append(v4.new_code_cell('inspector.set_language("ko")'))
    cells += [v4.new_code_cell(name) for name in RESULTS]
    return v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


@pytest.mark.slow
def test_a_notebook_nobody_here_wrote_draws_every_result_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # the kernel starts in English
    notebook = execute(_stranger(), tmp_path, tmp_path / "runs")
    _check_displays(notebook)
    shown = [c for c in notebook.cells if c.cell_type == "code" and c.source in RESULTS]
    english, korean = shown[: len(RESULTS)], shown[len(RESULTS) :]
    for en, ko in zip(english, korean):
        (en_out,) = rich_outputs(en)
        (ko_out,) = rich_outputs(ko)
        en_html, ko_html = html_of(en_out), html_of(ko_out)
        assert not HANGUL.search(en_html), en.source
        if en.source != "overlap":  # a table of counts and one caption
            assert HANGUL.search(ko_html), ko.source
        # the same figures: as many pictures, of the same kinds, in the same order
        kinds = [part.split(";")[0] for part in en_html.split('src="data:')[1:]]
        assert kinds == [part.split(";")[0] for part in ko_html.split('src="data:')[1:]], en.source

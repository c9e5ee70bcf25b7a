"""The built wheel installs where a notebook is: into a fresh environment that already has torch
(as Colab has), without replacing that torch, and a notebook runs there on the installed package.

Offline, as everything here: the fresh venv sees this machine's packages (torch among them) through
a ``.pth`` file, the way a Colab runtime has its own preinstalled; ``pip install --no-index`` of
the wheel must then find every dependency satisfied and install the wheel alone."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".git", ".venv", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}


def _cap(name: str) -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(rf'"{name}(>=[^"]+)"', text)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built without network (setuptools of this environment)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(
        ROOT, source, ignore=lambda d, names: [n for n in names if n in SKIP or n.endswith(".egg-info")]
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = work.glob("pix2pix_inspector-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_its_data_and_caps_torch(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [line for line in z.read(meta).decode().splitlines() if line.startswith("Requires-Dist:")]
    locales = {p.relative_to(ROOT).as_posix() for p in (ROOT / "inspector/i18n/locales").rglob("*.po")}
    assert locales and locales <= names  # every catalog, the notebook's included
    cells = {p.relative_to(ROOT).as_posix() for p in (ROOT / "inspector/ui/notes_code").glob("*.txt")}
    assert cells and cells <= names  # the notes' code the pages show
    assert "inspector/notebook/views.py" in names and "inspector/display.py" in names
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    torch = [Requirement(r.split(":", 1)[1]) for r in requires if re.match(r"Requires-Dist: torch\b", r)]
    # the cap on the machine's torch travels with the wheel: pip never replaces it by a newer one
    assert [t.specifier for t in torch] == [SpecifierSet(_cap("torch"))]
    assert not any("ipykernel" in r or "nbclient" in r for r in requires if "extra ==" not in r)


@pytest.mark.slow
def test_the_wheel_installs_beside_an_existing_torch_and_a_notebook_runs(wheel: Path, tmp_path: Path) -> None:
    import torch

    from tests.notebooks.kernel import HANGUL, html_of, nbclient, nbformat, rich_outputs

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # torch and the rest are "already there", as in Colab: this environment's packages, read-only
    (Path(purelib) / "machine.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_FIND_LINKS")}
    out = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", str(wheel)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert re.search(r"Successfully installed pix2pix-inspector-\S+\s*$", out.stdout.strip()), out.stdout
    assert "torch" not in out.stdout.split("Successfully installed")[-1].replace("pix2pix-inspector", "")
    where = subprocess.run(
        [str(python), "-c", "import inspector, torch; print(inspector.__file__); print(torch.__file__, torch.__version__)"],
        capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
    ).stdout.splitlines()  # fmt: skip
    assert where[0].startswith(purelib)  # the installed package, not this checkout
    assert where[1] == f"{torch.__file__} {torch.__version__}"  # the torch that was there
    # a notebook on the installed package, in Korean: its catalogs came with the wheel
    spec = tmp_path / "kernels" / "kernels" / "fresh"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "fresh", "language": "python"})
    )
    os.environ["JUPYTER_PATH"] = str(tmp_path / "kernels")
    try:
        cells = [
            "import inspector, models\ninspector.set_language('ko')",
            "inspector.trace(models.build(models.preset('notebook')[0], device='meta'), (1, 1, 256, 256))",
            "inspector.conv_animation(4, 4, stride=2, padding=1, transposed=True)",
        ]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name="fresh", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute(env={**env, "MPLBACKEND": "Agg"})
    finally:
        del os.environ["JUPYTER_PATH"]
    for cell in nb.cells[1:]:
        (output,) = rich_outputs(cell)
        assert HANGUL.search(html_of(output))

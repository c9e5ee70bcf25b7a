"""``python tools/make_notebooks.py``: write ``notebooks/notes_walk_en.ipynb`` and ``notes_walk_ko.ipynb``.

The study notes' walk as notebooks: each section of the app's "Follow the notes" page
(``inspector.ui.notes_walk``: its title and what to look at, in the catalog's words) with the
notes' own cell, verbatim (``inspector.ui.notebook_code``), then the package's results that explain
it, each a cell's last expression so that it displays itself. Both languages come from the same
list below; the outputs are left empty (the test suite runs the notebooks with a real kernel and
checks that they are stored stripped). Run it again after changing the walk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.i18n.catalog import translator  # noqa: E402
from inspector.ui import notebook_code as nb  # noqa: E402
from inspector.ui.notes_walk import SECTIONS  # noqa: E402

OUT = ROOT / "notebooks"
LANGS = ("en", "ko")

# The notebooks' own sentences (not the app's: the app has no install step or setup cell).
WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "# Pix2Pix colorization: the study notes, explained by pix2pix-inspector",
        "ko": "# Pix2Pix 흑백 사진 컬러화: 공부 노트를 pix2pix-inspector로 따라가기",
    },
    "intro": {
        "en": "Each section runs the notes' own code, then shows what it does: every result below "
        "draws itself (diagrams, tables, animations), the same pictures as the app's pages.",
        "ko": "각 절은 노트의 코드를 그대로 실행한 다음, 그 코드가 하는 일을 보여 줍니다. 아래의 결과는 "
        "모두 스스로 그려집니다(다이어그램, 표, 애니메이션). 앱의 페이지와 같은 그림입니다.",
    },
    "install": {
        "en": "**Install** (Colab or any Jupyter with torch): `pip install` the package's wheel or "
        "its repository, without an index URL for torch, so that the torch already there stays. "
        "The README's section *In a notebook (Colab, Jupyter)* gives the line.",
        "ko": "**설치** (Colab이나 torch가 있는 Jupyter): 패키지의 wheel 파일이나 저장소를 `pip install` "
        "하세요. torch용 index URL은 쓰지 않습니다. 그래야 이미 설치된 torch가 그대로 남습니다. "
        "README의 *In a notebook (Colab, Jupyter)* 절에 명령이 있습니다.",
    },
    "data_note": {
        "en": "The notes download COCO with fastai; here the same dataset class reads scikit-image's "
        "sample photos, which ship with the package (nothing is downloaded).",
        "ko": "노트는 fastai로 COCO 데이터를 내려받습니다. 여기서는 같은 Dataset 클래스가 scikit-image에 "
        "들어 있는 예제 사진을 읽습니다(아무것도 내려받지 않습니다).",
    },
    "doctor_300": {
        "en": "The same generator at 300 x 300: the doctor finds every concatenation that no longer fits.",
        "ko": "같은 생성기에 300 x 300을 넣으면, 모양 오류 진단이 크기가 더는 맞지 않는 "
        "이어 붙이기(torch.cat)를 모두 찾습니다.",
    },
    "inside": {
        "en": "A real photo through the untrained generator: every block's strongest channels, what the "
        "skips carry, and Dropout at work.",
        "ko": "학습 전 생성기에 실제 사진을 넣어 봅니다: 블록마다 가장 강한 채널, 스킵 연결이 나르는 정보, "
        "드롭아웃이 하는 일.",
    },
    "fixed": {
        "en": "The discriminator with the typo fixed (`Conv2d(64, 128)`): its receptive field, its verdict "
        "per patch, and BatchNorm's two kinds of statistics.",
        "ko": "오타를 고친 판별기(`Conv2d(64, 128)`): 수용 영역, 패치별 판정, 배치 정규화의 두 가지 통계.",
    },
    "train": {
        "en": "## A short training session\n\nThe CLI's planner and trainer, live in this cell: progress, "
        "loss curves, the newest samples. On a GPU (Colab: *Runtime > Change runtime type*) it trains "
        "the notes' 256 x 256 networks; on a CPU a small U-Net. The run is saved in the app's runs "
        "folder: the app lists it (live while it trains) and its Colorize page opens it. "
        "Interrupt the kernel to stop after the current step, with a checkpoint.",
        "ko": "## 짧은 학습\n\nCLI와 같은 계획과 학습 코드가 이 셀에서 실시간으로 보입니다: 진행 상황, 손실 "
        "곡선, 최신 샘플. GPU에서는(Colab: *런타임 > 런타임 유형 변경*) 노트의 256 x 256 신경망을, "
        "CPU에서는 작은 U-Net을 학습합니다. 실행은 앱의 실행 보관 폴더에 저장되어 앱의 목록에 (학습 중에는 "
        "실시간으로) 나타나고, 컬러화 페이지에서 열 수 있습니다. 커널을 중단(interrupt)하면 현재 "
        "스텝을 마치고 체크포인트를 저장한 뒤 멈춥니다.",
    },
    "colorize": {
        "en": "The trained generator colorizes a photo it has not seen in training.",
        "ko": "학습한 생성기로 학습에 쓰지 않은 사진을 컬러화합니다.",
    },
}

SETUP = """\
import torch
import inspector

inspector.set_language("{lang}")  # every display below speaks this language
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("device:", device)"""

DATA_PATHS = """\
# the notes' imports, and scikit-image's photos in place of the COCO download
import numpy as np
from PIL import Image
from skimage.color import rgb2lab
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from inspector.data.samples import SAMPLE_FILES, sample_photo
import skimage, pathlib

photos = pathlib.Path(skimage.__file__).parent / "data"
paths = [str(photos / name) for name in SAMPLE_FILES.values()]
train_path, val_paths = paths[:6], paths[6:]"""

DATASETS = """\
dataset_train = ColorizationDataset(train_path, mode='train')
dataset_val = ColorizationDataset(val_paths, mode='val')"""

PARAMETERS = """\
# parameters: the training below (a test runs this notebook with a tinier run)
TRAIN = dict(steps=300 if torch.cuda.is_available() else 30)"""

CELLS: list[tuple[str, Any]] = [
    ("md", "title"),
    ("md", "intro"),
    ("md", "install"),
    ("code", SETUP),
    ("section", "data"),
    ("md", "data_note"),
    ("code", DATA_PATHS),
    ("code", nb.DATASET),
    ("code", DATASETS),
    ("code", "inspector.sample_images(128)"),
    ("section", "dataloader"),
    ("code", nb.DATALOADER),
    ("section", "module"),
    ("code", nb.GENERATOR),
    ("code", "G = Pix2Pix_Generator()\ninspector.summary(G, (16, 1, 256, 256))"),
    ("section", "generator"),
    ("code", "inspector.trace(G, (1, 1, 256, 256))"),
    ("md", "doctor_300"),
    ("code", "inspector.diagnose(G, (1, 1, 300, 300))"),
    ("code", "inspector.valid_input_sizes(G, (1, 1, 256, 256))"),
    ("section", "transpose"),
    ("code", "inspector.conv_animation(4, 4, stride=2, padding=1, transposed=True)"),
    ("code", "inspector.conv_animation(4, 4, stride=2, padding=1)"),
    ("code", "inspector.overlap_map(kernel=3, stride=2, padding=1, in_size=4)"),
    ("code", "inspector.checkerboard()"),
    ("section", "dropout"),
    ("md", "inside"),
    ("code", "L = dataset_val[0]['L'][None]  # (1, 1, 256, 256)\ninspector.feature_maps(G, L)"),
    ("code", 'inspector.ablate_skip(G, L, skip="all")'),
    ("code", "inspector.dropout_lens(G, L, n=3)"),
    ("code", "import models\ninspector.compare_to_reference(*models.preset('notebook'))"),
    ("section", "discriminator"),
    ("code", "import torch.nn as nn\n\n" + nb.DISCRIMINATOR_AS_WRITTEN),
    ("code", "D = Pix2Pix_Discriminator()\ninspector.diagnose(D, (1, 3, 256, 256))"),
    ("md", "fixed"),
    ("code", nb.DISCRIMINATOR),
    ("code", "D = Pix2Pix_Discriminator()\ninspector.receptive_field(D, 256)"),
    ("code", "ab = dataset_val[0]['ab'][None]\ninspector.patch_verdict(D, L, ab)"),
    ("code", "pairs = torch.cat([L, ab], dim=1).repeat(4, 1, 1, 1)\ninspector.batchnorm_lens(D, pairs)"),
    ("code", "inspector.batchnorm_vs_instancenorm()"),
    ("section", "init"),
    ("code", nb.INIT),
    ("code", "inspector.init_comparison(D)"),
    ("code", "model_init(G)\ninspector.weight_stats(G, scheme='normal')"),
    ("code", "inspector.activation_comparison(D, (1, 3, 256, 256))"),
    ("section", "output"),
    ("md", "train"),
    ("code", PARAMETERS),
    ("code", "result = inspector.train(**TRAIN)"),
    ("md", "colorize"),
    ("code", "trained, _ = inspector.load_generator(result.checkpoint.parent)\n"
             "inspector.colorize(trained, sample_photo('coffee'))"),
]  # fmt: skip


def _section(key: str, lang: str) -> str:
    tr = translator(lang)
    section = next(s for s in SECTIONS if s.key == key)
    looks = "\n".join(f"- {tr(look)}" for look in section.look)
    return f"## {tr(section.title)}\n\n{looks}"


def _cell(kind: str, source: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    lines = source.splitlines(keepends=True)
    cell: dict[str, Any] = {
        "cell_type": kind,
        "metadata": {"tags": list(tags)} if tags else {},
        "source": lines,
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(lang: str) -> dict[str, Any]:
    """The walk in ``lang`` as nbformat 4 JSON, outputs empty."""
    cells = []
    for kind, content in CELLS:
        if kind == "md":
            cells.append(_cell("markdown", WORDS[content][lang]))
        elif kind == "section":
            cells.append(_cell("markdown", _section(content, lang)))
        else:
            source = content.format(lang=lang) if content is SETUP else content
            cells.append(_cell("code", source, ("parameters",) if content is PARAMETERS else ()))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for lang in LANGS:
        path = OUT / f"notes_walk_{lang}.ipynb"
        data = notebook(lang)
        for i, cell in enumerate(data["cells"]):
            cell["id"] = f"{lang}-{i:03d}"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

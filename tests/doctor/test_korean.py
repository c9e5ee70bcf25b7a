"""The doctor's words in Korean: every problem, fix, proof and note the app shows, rendered from the
same diagnosis the CLI prints in English (a cached diagnosis serves both languages).

The oracle for English is the golden file of the CLI; for Korean, the English detector of the
browser test (``tests.i18n.english``) finds no English sentence, and the text has Hangul.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from torch import nn

from inspector.doctor.diagnose import diagnose
from inspector.doctor.proof import fix_text
from inspector.doctor.report import Diagnosis, ProblemKind
from inspector.i18n.catalog import translator
from models import build, generator_plan, preset
from models.text import render
from tests.i18n.english import english_sentences, without_code

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
KO, EN = translator("ko"), translator("en")


def _words(d: Diagnosis) -> list[str]:
    """Everything the doctor says about ``d``, as the CLI and the app show it (Text, English as str)."""
    said: list[str] = []
    for p in d.problems:
        said += [p.kind.label, p.message, p.fix, fix_text(p), *(c.text() for c in p.changes)]
    return [*said, *d.notes]


def _korean_problems(d: Diagnosis) -> list[str]:
    """English sentences left in the Korean rendering (the valid input sizes' own words excepted:
    ``inspector.shapes.input_sizes`` is translated on its own)."""
    sizes = d.sizes.describe() if d.sizes is not None else None
    found = []
    for text in _words(d):
        korean = render(text, KO)
        if sizes:
            korean = korean.replace(sizes, "")
        has_words = english_sentences(
            text, min_words=2
        )  # words, not only names ("2 Linear in_features 10 -> 8")
        if has_words and not any("\uac00" <= ch <= "\ud7a3" for ch in korean):
            found.append(f"no Korean: {korean!r}")
        found += [f"{run!r} in {korean!r}" for run in english_sentences(without_code(korean))]
    return found


@pytest.fixture(scope="module")
def as_written() -> Diagnosis:
    return diagnose(build(preset("notebook-as-written")[1], device="meta"), (1, 3, 256, 256))


def test_the_notebooks_discriminator_as_written_in_korean_has_no_english_sentence(
    as_written: Diagnosis,
) -> None:
    assert len(as_written.problems) == 2
    assert _korean_problems(as_written) == []
    first = render(as_written.problems[0].message, KO)
    assert first == (
        "model.2 (Conv2d(3, 64))의 입력 채널은 3개여야 하는데 64개가 들어옵니다(model.0 (Conv2d(3, 64))의 출력)."
    )
    assert "model.2의 올바른 모양은 Conv2d(64, 128)입니다" in render(as_written.problems[0].fix, KO)


def test_the_notebooks_discriminator_as_written_in_english_is_the_golden_text(as_written: Diagnosis) -> None:
    golden = (GOLDEN / "doctor_notebook_as_written_discriminator.txt").read_text().splitlines()
    lines = []
    for p in as_written.problems:
        message, fix, proof = (render(t, EN) for t in (p.message, p.fix, fix_text(p)))
        assert (message, fix, proof) == (p.message, p.fix, fix_text(p))  # the catalog's English is the str
        lines += [f"   {message}", f"   fix: {fix}", f"   {proof}"]
    assert lines == [line for line in golden if line.startswith("   ")]


def _forgot_skip() -> nn.Module:
    g = preset("notebook")[0]
    plan = tuple(
        b.with_channels(in_channels=b.in_channels // 2) if b.name == "decoder_4" else b
        for b in generator_plan(g)
    )
    return build(g, plan=plan, device="meta")


class _Residual(nn.Module):
    """A shortcut without its downsample: x + a stride-2 branch."""

    def __init__(self) -> None:
        super().__init__()
        self.branch = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.shortcut = nn.Conv2d(3, 8, 1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.branch(x) + self.shortcut(x)


class _Reshape(nn.Module):
    def forward(self, x):  # type: ignore[no-untyped-def]
        return x.view(7, -1)


MODELS = {
    "forgot the skip": (_forgot_skip, (1, 1, 256, 256)),
    "300x300": (lambda: build(preset("notebook")[0], device="meta"), (1, 1, 300, 300)),
    "256x300": (lambda: build(preset("notebook")[0], device="meta"), (1, 1, 256, 300)),
    "ab alone": (lambda: build(preset("notebook")[1], device="meta"), (1, 2, 256, 256)),
    "8x8 PatchGAN": (lambda: build(preset("pix2pix")[1], device="meta"), (1, 3, 8, 8)),
    "grey into RGB": (
        lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(10, 2)),
        (1, 1, 16, 16),
    ),
    "unbatched": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)), (3, 16, 16)),
    "LayerNorm": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.LayerNorm(5)), (1, 3, 16, 16)),
    "GroupNorm": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(2, 16)), (1, 3, 16, 16)),
    "residual": (_Residual, (1, 3, 16, 16)),
    "a way out that needs more": (  # "(and then ...)", a depthwise conv whose groups follow
        lambda: nn.Sequential(
            nn.Conv2d(3, 64, 1),
            nn.BatchNorm2d(32),
            nn.Conv2d(32, 32, 3, padding=1, groups=32),
            nn.BatchNorm2d(32),
        ).eval(),
        (1, 3, 8, 8),
    ),
    "a Linear flattened at another size": (  # its in_features, or the input size it was built for
        lambda: nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.Flatten(), nn.Linear(4 * 8 * 8, 10)),
        (1, 3, 32, 32),
    ),
    "runtime": (_Reshape, (1, 3, 4, 4)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_kind_of_problem_reads_in_korean_and_renders_its_english(name: str) -> None:
    make, shape = MODELS[name]
    d = diagnose(make(), shape)
    assert not d.ok
    assert _korean_problems(d) == []
    for text in _words(d):
        assert render(text, EN) == text


def test_a_cached_diagnosis_keeps_its_templates(as_written: Diagnosis) -> None:
    """st.cache_data pickles the diagnosis: the copy still renders in either language."""
    copy = pickle.loads(pickle.dumps(as_written))
    assert [render(t, KO) for t in _words(copy)] == [render(t, KO) for t in _words(as_written)]
    assert [render(t, EN) for t in _words(copy)] == _words(as_written)


def test_a_kind_is_an_identifier_with_a_title_in_each_language() -> None:
    import json

    for kind in ProblemKind:
        assert f"[{kind}]" == f"[{kind.value}]" and json.dumps(kind) == f'"{kind.value}"'  # the CLI, the JSON
        korean = render(kind.label, KO)
        assert korean != kind.label and any("\uac00" <= ch <= "\ud7a3" for ch in korean), kind

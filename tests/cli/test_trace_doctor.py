"""``pix2pix-inspector trace`` and ``doctor``: presets, users' files, JSON, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.cli import main

USER_MODELS = """
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 4, 2, 1)
        self.up = nn.ConvTranspose2d(16, 3, 4, 2, 1)

    def forward(self, x):
        d = self.down(x)
        return self.up(torch.cat([d, d], 1))


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 16, 3, 1, 1)
        self.b = nn.Conv2d(8, 16, 3, 1, 1)
        self.c = nn.BatchNorm2d(32)

    def forward(self, x):
        return self.c(self.b(self.a(x)))


def make_tiny():
    return Tiny()


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()


def explodes():
    raise RuntimeError("out of\\nideas")


def not_a_model():
    return 42


NUMBER = 7
"""


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_models.py"
    path.write_text(USER_MODELS)
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_trace_preset_lists_the_six_concats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace", "--preset", "notebook"], capsys)
    assert code == 0
    assert "6 concatenation(s)" in out
    assert "torch.cat#0 before decoder_6: middle 1x512x2x2 + encoder_6 1x512x2x2 -> 1x1024x2x2" in out
    assert "total params: 54,407,810" in out


def test_trace_json_is_the_tracers_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace", "--preset", "pix2pix", "--input", "2,1,512,512", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["output_shape"] == [2, 2, 512, 512]
    assert len(data["concats"]) == 7
    assert data["concats"][-1]["inputs"] == [
        {"producer": "decoder_1", "shape": [2, 64, 256, 256]},
        {"producer": "input_layer", "shape": [2, 64, 256, 256]},
    ]
    assert data["concats"][-1]["arithmetic"] == "64 + 64 = 128"
    assert data["layers"][0]["name"] == "input_layer.0"


def test_doctor_exit_codes_for_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["doctor", "--preset", "notebook"], capsys)[0] == 0
    code, out, _ = _run(["doctor", "--preset", "notebook-as-written", "--part", "discriminator"], capsys)
    assert code == 1
    assert "1. model.2 [channels] expected 3, got 64" in out
    assert "fix: model.2: Conv2d in_channels 3 -> 64" in out
    code, out, _ = _run(["doctor", "--input", "1,1,300,300"], capsys)
    assert code == 1 and "use an input size of 256 or 512 instead of 300" in out
    code, out, _ = _run(["trace", "--preset", "notebook-as-written", "--part", "discriminator"], capsys)
    assert code == 1 and "does not run at this shape (2 problem(s))" in out


def test_doctor_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["doctor", "--preset", "notebook", "--part", "discriminator", "--input", "4,2,256,256", "--json"],
        capsys,
    )
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    (problem,) = data["problems"]
    assert (problem["module"], problem["expected"], problem["actual"]) == ("model.0", 3, 2)


def test_user_files_class_and_function(user_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace", f"{user_file}:Tiny", "--input", "1,3,8,8"], capsys)
    assert code == 0 and "torch.cat#0 before up: down 1x8x4x4 + down 1x8x4x4 -> 1x16x4x4  (8 + 8 = 16)" in out
    code, out, _ = _run(["doctor", f"{user_file}:make_tiny"], capsys)  # input guessed: 1,3,256,256
    assert code == 0 and "input 1x3x256x256: healthy" in out
    code, out, _ = _run(["doctor", f"{user_file}:Broken", "--json", "--input", "1,3,8,8"], capsys)
    data = json.loads(out)
    assert code == 1
    assert [(p["module"], p["expected"], p["actual"]) for p in data["problems"]] == [
        ("b", 8, 16),
        ("c", 32, 16),
    ]


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("{file}:Missing", [], "has no 'Missing'; it defines: Tiny, Broken, make_tiny, NeedsArgs, explodes"),
        ("{file}:NeedsArgs", [], "NeedsArgs() failed (it must build without arguments): TypeError"),
        (
            "{file}:explodes",
            [],
            "explodes() failed (it must build without arguments): RuntimeError: out of ideas",
        ),
        ("{file}:not_a_model", [], "not_a_model() returned a int, not an nn.Module"),
        ("{file}:NUMBER", [], "is a int, not an nn.Module class or a function"),
        ("{dir}/nope.py:Model", [], "no such file"),
        ("{dir}:Model", [], "is a directory: name the .py file in it"),
        ("{file}", [], "expected path/to/file.py:NAME"),
        ("{file}:Tiny", ["--preset", "notebook"], "not both"),
        ("{file}:Tiny", ["--input", "1,x,8,8"], "expected B,C,H,W"),
        ("{file}:Tiny", ["--input", "1,0,8,8"], "every size must be positive"),
        # B,C,L and B,C,D,H,W are shapes too (issue 10): 2 and 6 sizes are not
        ("{file}:Tiny", ["--input", "1,3"], "expected 4 sizes B,C,H,W"),
        ("{file}:Tiny", ["--input", "1x3x8x8x2x2"], "got 6"),
    ],
)
def test_bad_targets_exit_2_with_one_line(
    user_file: Path, target: str, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arg = target.format(file=user_file, dir=user_file.parent)
    for command in ("trace", "doctor"):
        code, out, err = _run([command, arg, *extra], capsys)
        assert code == 2, (command, out, err)
        assert message in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_file_that_raises_on_import_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    syntax = tmp_path / "syntax.py"
    syntax.write_text("class Model(:\n")
    code, _, err = _run(["doctor", f"{syntax}:Model"], capsys)
    assert code == 2 and "failed on import: SyntaxError" in err and len(err.strip().splitlines()) == 1
    # As a user runs it, in a fresh process: no traceback either.
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nraise ImportError('no module named\\n unet_parts')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "inspector.cli", "trace", f"{bad}:Model"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "failed on import: ImportError: no module named unet_parts" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_a_model_that_cannot_be_copied_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked.py"
    locked.write_text(
        "import threading\nfrom torch import nn\n\n"
        "class Locked(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lock = threading.Lock()\n"
        "        self.conv = nn.Conv2d(3, 8, 3)\n\n"
        "    def forward(self, x):\n"
        "        return self.conv(x)\n"
    )
    for command in ("trace", "doctor"):
        code, _, err = _run([command, f"{locked}:Locked", "--input", "1,3,8,8"], capsys)
        assert code == 2 and "Locked cannot be copied to the meta device" in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unexpected_error_is_one_line(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    import inspector.commands.trace as trace_command

    def boom(*args, **kwargs):
        raise RuntimeError("something\nno check foresaw")

    monkeypatch.setattr(trace_command, "resolve", boom)
    code, _, err = _run(["trace", "--preset", "notebook"], capsys)
    assert code == 2 and "error: RuntimeError: something no check foresaw (set PIX2PIX_DEBUG=1" in err
    assert len(err.strip().splitlines()) == 1


def test_any_rank_for_trace_and_doctor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nets = tmp_path / "nets.py"
    nets.write_text(
        "from torch import nn\n\n"
        "def signal():\n"
        "    return nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.BatchNorm1d(4))\n\n"
        "def volume():\n"
        "    return nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(8))\n"
    )
    code, out, _ = _run(["trace", f"{nets}:signal", "--input", "1,2,16"], capsys)
    assert code == 0 and "-> output 1x4x16" in out
    code, out, _ = _run(["doctor", f"{nets}:signal", "--input", "1,2,16"], capsys)
    assert code == 0 and "healthy" in out
    code, out, _ = _run(["doctor", f"{nets}:volume", "--input", "1,1,8,16,16"], capsys)
    assert code == 1 and "BatchNorm3d num_features 8 -> 4" in out
    assert "verified: 0 Conv3d out_channels 4 -> 8" in out
    # Without --input, a 3-d model gets a volume (1, C, 64, 64, 64), not an image.
    code, out, _ = _run(["doctor", f"{nets}:volume", "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["input_shape"] == [1, 1, 64, 64, 64]
    assert data["problems"][0]["verified"] is True
    assert data["problems"][0]["changes"][0]["text"] == "0 Conv3d out_channels 4 -> 8"


def test_app_models_folder_goes_to_streamlit_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import inspector.commands.app as app_command
    from inspector.shapes.loader import MODELS_ENV

    seen: dict[str, object] = {}

    def fake_call(cmd: list[str], cwd: object = None, env: dict[str, str] | None = None) -> int:
        seen["env"] = env
        return 0

    monkeypatch.setattr(app_command.subprocess, "call", fake_call)
    monkeypatch.setenv(MODELS_ENV, "/somewhere/else")  # only --models turns it on
    assert _run(["app"], capsys)[0] == 0
    assert MODELS_ENV not in seen["env"]  # type: ignore[operator]
    assert _run(["app", "--models", str(tmp_path)], capsys)[0] == 0
    assert seen["env"][MODELS_ENV] == str(tmp_path.resolve())  # type: ignore[index]
    code, _, err = _run(["app", "--models", str(tmp_path / "nope")], capsys)
    assert code == 2 and "no such folder" in err


def test_three_numbers_on_a_preset_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A preset is 2-d: 1,1,256 would be traced as one unbatched 1x1x256 image, into nonsense shapes."""
    for command in ("doctor", "trace", "diagram"):
        code, out, err = _run([command, "--preset", "notebook", "--input", "1,1,256"], capsys)
        assert code == 2 and not out, (command, out)
        assert "takes 4 numbers B,C,H,W (e.g. 1,1,256,256), got 3: 1,1,256" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = _run(
        ["doctor", "--preset", "notebook", "--part", "discriminator", "--input", "1,3,8,8,8"], capsys
    )
    assert code == 2 and "the notebook discriminator takes 4 numbers B,C,H,W (e.g. 1,3,256,256), got 5" in err


def test_three_numbers_for_a_2d_file_are_said_to_be_unbatched(
    user_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = (
        "The 3 numbers of the input 3x8x8 were read as an unbatched C,H,W (one sample, no batch dimension); "
        "for a batch give B,C,H,W, e.g. 1,3,8,8."
    )
    # Unbatched, Tiny's torch.cat(dim=1) joins heights, not channels: the note says why.
    code, out, _ = _run(["doctor", f"{user_file}:Tiny", "--input", "3,8,8"], capsys)
    assert code == 1 and "made by torch.cat#0" in out and note in out
    code, out, _ = _run(["doctor", f"{user_file}:Tiny", "--input", "3,8,8", "--json"], capsys)
    assert code == 1 and json.loads(out)["notes"][0] == note
    code, out, _ = _run(["trace", f"{user_file}:Tiny", "--input", "3,8,8"], capsys)
    assert code == 1 and out.startswith(f"note: {note}")
    code, out, _ = _run(["trace", f"{user_file}:Tiny", "--input", "3,8,8", "--json"], capsys)
    assert json.loads(out)["notes"] == [note]
    # A batched input, and three numbers for a 1-d model (B,C,L), are no such note.
    code, out, _ = _run(["doctor", f"{user_file}:Tiny", "--input", "1,3,8,8", "--json"], capsys)
    assert json.loads(out)["notes"] == []
    signal = user_file.parent / "signal.py"
    signal.write_text("from torch import nn\n\ndef net():\n    return nn.Conv1d(2, 4, 3)\n")
    code, out, _ = _run(["trace", f"{signal}:net", "--input", "1,2,16", "--json"], capsys)
    assert code == 0 and "notes" not in json.loads(out)

"""A user's model file: loaded in the mode asked for, and a stamp that changes when the file does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.shapes.loader import file_stamp, load_model

NET = """
import torch.nn as nn

class Net(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Dropout(0.5))
"""


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_the_model_is_loaded_in_the_mode_asked_for(tmp_path: Path, mode: str) -> None:
    (tmp_path / "net.py").write_text(NET)
    model = load_model(f"{tmp_path / 'net.py'}:Net", mode)  # type: ignore[arg-type]
    assert all(m.training == (mode == "train") for m in model.modules())
    assert load_model(f"{tmp_path / 'net.py'}:Net").training  # as nn.Module builds it: train


def test_the_stamp_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(NET)
    first = file_stamp(path)
    info = os.stat(path)
    assert first == (info.st_mtime_ns, info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1))  # edited in the same second, same size
    assert file_stamp(path) != first
    with pytest.raises(OSError):
        file_stamp(tmp_path / "gone.py")

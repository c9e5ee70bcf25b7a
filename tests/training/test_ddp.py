"""The same ``train`` command under torchrun: two CPU processes with DDP over gloo."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from inspector.training.checkpoint import load_checkpoint
from inspector.training.distributed import shard_images
from tests.run_folder import FINISHED_RUN

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_processes_train_in_sync_and_only_rank_0_writes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    train = shlex.split("train --steps 4 --ngf 4 --depth 5 --size 32 --batch 2 --device cpu --sample-every 2")
    cmd = [*torchrun, "-m", "inspector.cli", *train, "--out", str(run)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    assert "x 2 processes" in err and "2 replicas hold the same weights: yes" in err
    # Rank 0 alone reports and writes: one progress line per step, one metrics line per step.
    assert err.count("4/4 ") == 1
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]
    assert sorted(p.name for p in run.iterdir()) == FINISHED_RUN
    assert load_checkpoint(run).step == 4


def test_each_rank_gets_its_own_share_of_the_images() -> None:
    images = torch.arange(5, dtype=torch.uint8).view(5, 1, 1, 1).expand(5, 3, 4, 4)
    shares = [shard_images(images, rank, 2)[:, 0, 0, 0].tolist() for rank in range(2)]
    assert shares == [[0, 2, 4], [1, 3]]
    assert shard_images(images, 0, 1) is images
    assert len(shard_images(images[:1], 1, 2)) == 1  # too few to split: everyone trains on all

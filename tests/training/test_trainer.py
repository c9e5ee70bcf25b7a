"""The trainer on tiny CPU runs: finite losses, exact resume, determinism, stop, NaN, OOM, warm-up."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from inspector.data.image_set import sample_images, split_train_val
from inspector.errors import UserError
from inspector.training.checkpoint import load_checkpoint
from inspector.training.config import TrainConfig
from inspector.training.plan import load_size
from inspector.training.reports import LOSS_NAMES, StepMetrics
from inspector.training.trainer import Trainer
from models import build_discriminator, build_generator, init_weights, preset

SIZE = 32


@pytest.fixture(scope="module")
def data():
    return split_train_val(sample_images(load_size(SIZE)), 0.25, seed=0)


@pytest.fixture(scope="module")
def configs():
    g, d = preset("notebook")
    return g.replace(ngf=4, depth=5, input_size=SIZE), d.replace(ndf=4, input_size=SIZE)


def _train(configs, data, run_dir=None, resume=None, should_stop=None, **changes):
    cfg = TrainConfig(
        **{
            "steps": 8,
            "batch": 2,
            "sample_every": 4,
            "checkpoint_every": 4,
            "device": "cpu",
            "num_samples": 2,
            **changes,
        }
    )
    trainer = Trainer(*configs, cfg, *data, run_dir=run_dir, resume=resume, should_stop=should_stop)
    events: dict[str, list] = {"on_step_end": [], "on_sample": [], "on_checkpoint": [], "on_end": []}
    for name, seen in events.items():
        trainer.add_callback(name, seen.append)
    result = trainer.fit()
    return trainer, result, events


def _losses(events) -> list[tuple[float, ...]]:
    return [(m.g_gan, m.g_l1, m.d_real, m.d_fake, m.p_real, m.p_fake) for m in events["on_step_end"]]


def test_twenty_steps_are_finite_and_the_checkpoint_resumes_at_the_same_step(
    configs, data, tmp_path: Path
) -> None:
    _, result, events = _train(configs, data, tmp_path, steps=20, checkpoint_every=10)
    assert result.status == "completed" and result.step == 20
    assert [m.step for m in events["on_step_end"]] == list(range(1, 21))
    assert all(math.isfinite(v) for row in _losses(events) for v in row)
    m: StepMetrics = events["on_step_end"][-1]
    assert 0 < m.p_real < 1 and 0 < m.p_fake < 1 and m.images_per_s > 0 and m.memory_mb > 0
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 20 and ckpt.metrics["step"] == 20 and ckpt.train_config["steps"] == 20
    assert set(ckpt.optimizers) == {"G", "D"} and ckpt.optimizers["G"]["state"]

    trainer, result, events = _train(configs, data, tmp_path, resume=ckpt, steps=24)
    assert [m.step for m in events["on_step_end"]] == [21, 22, 23, 24]
    assert result.status == "completed" and load_checkpoint(tmp_path).step == 24
    # The resumed optimizer continues: Adam's step count is the total.
    assert float(trainer.opt_G.state_dict()["state"][0]["step"]) == 24
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in lines] == list(range(1, 25))
    assert set(LOSS_NAMES) <= set(lines[0])


def test_resuming_gives_exactly_the_losses_of_an_uninterrupted_run(configs, data, tmp_path: Path) -> None:
    _, _, straight = _train(configs, data, tmp_path / "a", steps=8)
    _train(configs, data, tmp_path / "b", steps=5)
    _, _, resumed = _train(configs, data, tmp_path / "b", resume=load_checkpoint(tmp_path / "b"), steps=8)
    assert _losses(resumed) == _losses(straight)[5:]


def test_same_seed_same_losses_other_seed_other_losses(configs, data) -> None:
    first = _losses(_train(configs, data, steps=4)[2])
    assert first == _losses(_train(configs, data, steps=4)[2])
    assert first != _losses(_train(configs, data, steps=4, seed=1)[2])


def test_sample_grids_and_files(configs, data, tmp_path: Path) -> None:
    _, _, events = _train(configs, data, tmp_path, steps=8)
    samples = events["on_sample"]
    assert [s.step for s in samples] == [0, 4, 8]
    grid = samples[-1].grid
    assert grid.dtype == np.uint8 and grid.shape == (2 * SIZE, 3 * SIZE, 3)
    # Column 1 is L alone: grey, R = G = B (up to rounding).
    grey = grid[:, :SIZE].astype(int)
    assert np.abs(grey[..., 0] - grey[..., 1]).max() <= 2
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_000000.png",
        "step_000004.png",
        "step_000008.png",
    ]
    assert events["on_checkpoint"] == [tmp_path / "checkpoint.safetensors"] * 2


def test_should_stop_ends_cleanly_with_a_checkpoint(configs, data, tmp_path: Path) -> None:
    steps: list[int] = []
    cfg = TrainConfig(steps=50, batch=2, device="cpu", checkpoint_every=0, sample_every=0)
    trainer = Trainer(*configs, cfg, *data, run_dir=tmp_path, should_stop=lambda: len(steps) >= 3)
    ends: list = []
    trainer.add_callback("on_step_end", lambda m: steps.append(m.step))
    trainer.add_callback("on_end", ends.append)
    result = trainer.fit()
    assert result.status == "stopped" and steps == [1, 2, 3] and ends == [result]
    assert result.checkpoint == tmp_path / "checkpoint.safetensors" and load_checkpoint(tmp_path).step == 3


def test_a_nan_stops_the_run_and_keeps_the_last_good_checkpoint(configs, data, tmp_path: Path) -> None:
    cfg = TrainConfig(steps=20, batch=2, device="cpu", checkpoint_every=5, sample_every=0)
    trainer = Trainer(*configs, cfg, *data, run_dir=tmp_path)

    def blow_up(m: StepMetrics) -> None:
        if m.step == 7:  # as if an update had overflowed: a weight becomes NaN
            trainer.G.input_layer[0].weight.data.fill_(float("nan"))

    trainer.add_callback("on_step_end", blow_up)
    result = trainer.fit()
    assert result.status == "diverged" and result.step == 7
    assert "NaN or inf at step 8" in result.message and "last good checkpoint is step 5" in result.message
    assert result.checkpoint_step == 5
    assert load_checkpoint(tmp_path).step == 5  # finite, so it loads
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 7


def test_out_of_memory_becomes_a_message(configs, data, monkeypatch) -> None:
    def oom(self, step):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Trainer, "_train_step", oom)
    _, result, _ = _train(configs, data, steps=3)
    assert result.status == "out_of_memory"
    assert "smaller batch or image size" in result.message


def test_the_notebook_as_written_discriminator_is_refused(data) -> None:
    g, d = preset("notebook-as-written")
    with pytest.raises(UserError, match=r"Conv2d\(3, 64\).*'notebook' preset"):
        Trainer(
            g.replace(ngf=4, depth=5, input_size=SIZE),
            d.replace(ndf=4, input_size=SIZE),
            TrainConfig(steps=1, device="cpu"),
            *data,
        )


def test_l1_warmup_trains_g_on_l1_only(configs, data) -> None:
    # With lambda 0, G's loss during warm-up is zero: its weights must not move, while D learns.
    trainer, _, _ = _train(configs, data, steps=3, lambda_l1=0.0, l1_warmup_steps=3, sample_every=0)
    moved, _, _ = _train(configs, data, steps=3, lambda_l1=0.0, sample_every=0)
    g_init = init_weights(build_generator(configs[0]), "normal", seed=0)
    d_init = init_weights(build_discriminator(configs[1]), "normal", seed=1)
    for (name, p), q in zip(trainer.G.named_parameters(), g_init.parameters()):
        assert torch.equal(p, q), name
    assert any(not torch.equal(p, q) for p, q in zip(moved.G.parameters(), g_init.parameters()))
    assert any(not torch.equal(p, q) for p, q in zip(trainer.D.parameters(), d_init.parameters()))


def test_label_smoothing_changes_only_the_real_target(configs, data) -> None:
    plain = _train(configs, data, steps=1, sample_every=0)[2]["on_step_end"][0]
    smooth = _train(configs, data, steps=1, sample_every=0, label_smoothing=0.2)[2]["on_step_end"][0]
    assert smooth.d_fake == plain.d_fake and smooth.p_real == plain.p_real
    assert smooth.d_real != plain.d_real


@pytest.mark.parametrize(
    ("field", "value"), [("steps", 0), ("batch", -1), ("label_smoothing", 0.7), ("lr", 0.0)]
)
def test_impossible_train_configs_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_fetching_losses_in_chunks_reports_every_step_the_same(configs, data) -> None:
    _, _, every = _train(configs, data, steps=6, sample_every=0)
    _, _, chunked = _train(configs, data, steps=6, sample_every=0, log_every=4)
    assert [m.step for m in chunked["on_step_end"]] == [1, 2, 3, 4, 5, 6]
    assert _losses(chunked) == _losses(every)


def test_the_run_directory_is_locked_during_fit_and_released_however_it_ends(
    configs, data, tmp_path: Path, monkeypatch
) -> None:
    from inspector.training.run_files import LOCK_FILE, RunFiles

    with RunFiles.open(tmp_path), pytest.raises(UserError, match="being written by another trainer"):
        _train(configs, data, tmp_path, steps=1)
    seen: list[bool] = []
    _train(configs, data, tmp_path, steps=1, should_stop=lambda: seen.append((tmp_path / LOCK_FILE).exists()))
    assert seen == [True] and not (tmp_path / LOCK_FILE).exists()

    def oom(self, step):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Trainer, "_train_step", oom)
    assert _train(configs, data, tmp_path, steps=1)[1].status == "out_of_memory"
    assert not (tmp_path / LOCK_FILE).exists()

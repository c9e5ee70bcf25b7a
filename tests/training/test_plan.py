"""The run planner shared by the CLI and the app: one set of defaults, the same run from either side."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inspector.commands.train import choices_from_args
from inspector.errors import UserError
from inspector.training.checkpoint import save_checkpoint
from inspector.training.config import TrainConfig
from inspector.training.plan import (
    RunChoices,
    changed_model_choices,
    default_config,
    load_size,
    plan_config,
    plan_models,
    plan_run,
)
from models import build_discriminator, build_generator, preset

CPU, CUDA = torch.device("cpu"), torch.device("cuda")  # a device object needs no GPU


def _cli_choices(*argv: str) -> RunChoices:
    from inspector.cli import build_parser

    return choices_from_args(build_parser().parse_args(["train", *argv]))


def test_the_cpu_defaults_are_the_small_model_and_the_gpu_defaults_the_presets() -> None:
    g, d = plan_models(RunChoices(), CPU)
    assert (g.ngf, g.depth, g.input_size, d.ndf, d.input_size) == (32, 6, 64, 32, 64)
    assert (default_config(CPU).batch, default_config(CPU).steps, default_config(CPU).log_every) == (
        8,
        300,
        1,
    )
    assert plan_models(RunChoices(), CUDA) == preset("notebook")
    assert (default_config(CUDA).batch, default_config(CUDA).log_every) == (16, 10)


def test_the_cli_and_the_train_page_plan_the_same_default_run() -> None:
    # The page's "small" choice on the sidebar's notebook preset, and `train` without flags.
    page = RunChoices(models=preset("notebook"), device_sized=True, steps=300, batch=8)
    cli = _cli_choices()
    assert plan_models(page, CPU) == plan_models(cli, CPU)
    assert plan_config(page, CPU) == plan_config(cli, CPU) == default_config(CPU).replace(data="samples")


def test_flags_override_the_device_sizes_and_bad_sizes_are_one_sentence() -> None:
    g, d = plan_models(_cli_choices("--ngf", "4", "--depth", "5", "--size", "32"), CPU)
    assert (g.ngf, g.depth, g.input_size, d.ndf, d.input_size) == (4, 5, 32, 4, 32)
    with pytest.raises(
        UserError, match=r"size 100 does not fit preset 'notebook' at depth 6: .*depths that fit 100"
    ):
        plan_models(RunChoices(size=100), CPU)
    with pytest.raises(UserError, match="unknown preset"):
        plan_models(RunChoices(preset="nope"), CPU)
    with pytest.raises(UserError, match="label_smoothing must be in"):
        plan_config(RunChoices(label_smoothing=0.7), CPU)


def test_a_resumed_config_keeps_its_settings_and_takes_the_new_ones() -> None:
    stored = TrainConfig(steps=20, batch=2, lr=1e-3, data="/photos", device="cpu")
    config = plan_config(RunChoices(steps=30), CPU, stored)
    assert (config.steps, config.batch, config.lr, config.data) == (30, 2, 1e-3, "/photos")


def test_plan_run_loads_and_splits_the_samples(tmp_path: Path) -> None:
    plan = plan_run(RunChoices(ngf=4, depth=5, size=32, device="cpu", out=tmp_path / "run"))
    assert plan.run_dir == tmp_path / "run" and plan.resume is None and plan.start_step == 0
    assert plan.train.images.shape[-1] == load_size(32) == 36
    assert len(plan.val) >= 1 and len(plan.train) > len(plan.val) and plan.skipped == ()
    assert plan.config.data == "samples" and plan.config.device == "cpu"


def _saved_run(run: Path) -> None:
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    config = TrainConfig(steps=2, batch=2, device="cpu")
    save_checkpoint(run, build_generator(g), build_discriminator(d), 2, train_config=config.to_dict())


def test_resume_accepts_model_settings_equal_to_the_checkpoints(tmp_path: Path) -> None:
    _saved_run(tmp_path / "run")
    plan = plan_run(RunChoices(preset="notebook", ngf=4, depth=5, size=32, steps=5, resume=tmp_path / "run"))
    assert plan.start_step == 2 and plan.config.steps == 5 and plan.run_dir == tmp_path / "run"
    assert plan.generator_config.ngf == 4


def test_resume_refuses_real_model_changes_naming_each(tmp_path: Path) -> None:
    _saved_run(tmp_path / "run")
    with pytest.raises(UserError) as info:
        plan_run(RunChoices(ngf=8, depth=5, size=64, resume=tmp_path / "run"))
    message = str(info.value)
    assert "ngf 8 (the checkpoint's is 4)" in message and "size 64 (the checkpoint's is 32)" in message
    assert "depth" not in message.split(":")[0] and "comes from the checkpoint" in message
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=32), d.replace(ndf=4, input_size=32)
    changes = changed_model_choices(RunChoices(preset="pix2pix"), g, d)
    assert len(changes) == 1 and "preset 'pix2pix'" in changes[0]
    assert "dropout" in changes[0] and "outer_skip" in changes[0] and "last_stride" in changes[0]


def test_a_new_run_never_overwrites_an_old_one(tmp_path: Path) -> None:
    _saved_run(tmp_path / "run")
    with pytest.raises(UserError, match="already holds a run: continue it with --resume"):
        plan_run(RunChoices(ngf=4, depth=5, size=32, device="cpu", out=tmp_path / "run"))

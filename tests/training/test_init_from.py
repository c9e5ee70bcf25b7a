"""A new run from a checkpoint's weights (``RunChoices.init_from``, ``train --init-from``): the file's
networks decide the models, the run starts at step 0 with exactly its weights and fresh Adam, a
network the file lacks is initialized as usual, and settings that contradict the weights are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inspector.checkpoints.export import export
from inspector.checkpoints.identify import identify
from inspector.cli import main
from inspector.errors import UserError
from inspector.training import distributed
from inspector.training.plan import RunChoices, plan_run
from inspector.training.state import build_state
from models import preset
from tests.checkpoints.files import saved, trained_like
from tests.models.reference_nets import reference_patchgan, reference_unet

CPU = torch.device("cpu")


@pytest.fixture
def reference_g(tmp_path: Path) -> Path:
    return saved(
        tmp_path / "latest_net_G.pth", trained_like(reference_unet(num_downs=6, ngf=4), seed=1).state_dict()
    )


def _state(plan):  # type: ignore[no-untyped-def]
    return build_state(
        plan.generator_config,
        plan.discriminator_config,
        plan.config,
        plan.train.images,
        plan.val.images,
        CPU,
        distributed.current(),
        plan.resume,
        plan.init,
    )


def test_a_run_starts_from_the_files_weights(reference_g: Path, tmp_path: Path) -> None:
    plan = plan_run(RunChoices(init_from=reference_g, device="cpu", steps=1, out=tmp_path / "run"), CPU)
    found = identify(reference_g).networks["generator"]
    assert plan.generator_config == found.config and plan.start_step == 0 and plan.resume is None
    _, nb_d = preset("notebook")  # the file has no discriminator: the preset's, at the generator's size
    assert plan.discriminator_config == nb_d.replace(input_size=64)
    state = _state(plan)
    ours = state.G.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in found.state.items())
    assert not state.opt_G.state  # fresh Adam: nothing to continue


def test_both_networks_and_another_size(tmp_path: Path) -> None:
    path = tmp_path / "both.pth"
    G = trained_like(reference_unet(num_downs=6, ngf=4), seed=2)
    D = trained_like(reference_patchgan(ndf=4, n_layers=2), seed=3)
    torch.save({"G": G.state_dict(), "D": D.state_dict()}, path)
    exported = export(identify(path), tmp_path / "ours.safetensors")  # this project's format works the same
    for source in (path, exported):
        plan = plan_run(
            RunChoices(init_from=source, device="cpu", size=128, steps=1, out=tmp_path / "r"), CPU
        )
        assert plan.generator_config.input_size == plan.discriminator_config.input_size == 128
        assert plan.discriminator_config.n_layers == 2 and plan.discriminator_config.end_bias
        state = _state(plan)
        d_found = identify(path).networks["discriminator"]
        assert all(torch.equal(state.D.state_dict()[k], v) for k, v in d_found.state.items())


def test_settings_that_contradict_the_weights_are_refused(reference_g: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"ngf 8 \(the checkpoint's is 4\).*takes its models from them"):
        plan_run(RunChoices(init_from=reference_g, ngf=8, device="cpu", out=tmp_path / "r"), CPU)
    with pytest.raises(UserError, match="does not fit the chosen generator"):
        plan_run(
            RunChoices(init_from=reference_g, models=preset("pix2pix"), device="cpu", out=tmp_path / "r"), CPU
        )
    with pytest.raises(UserError, match="not both"):
        plan_run(RunChoices(init_from=reference_g, resume=tmp_path, device="cpu"), CPU)
    fits = (
        preset("pix2pix")[0].replace(ngf=4, depth=6, input_size=64),
        preset("pix2pix")[1].replace(input_size=64),
    )
    plan = plan_run(RunChoices(init_from=reference_g, models=fits, device="cpu", out=tmp_path / "ok"), CPU)
    assert plan.generator_config == fits[0]  # the sidebar's models, when the weights fit them


def test_uploaded_bytes(reference_g: Path, tmp_path: Path) -> None:
    plan = plan_run(
        RunChoices(
            init_from=("latest_net_G.pth", reference_g.read_bytes()), device="cpu", out=tmp_path / "r"
        ),
        CPU,
    )
    assert plan.init is not None and plan.generator_config.ngf == 4


def test_train_init_from_on_the_command_line(
    reference_g: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "train",
            "--init-from",
            str(reference_g),
            "--steps",
            "1",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert (
        code == 0
        and "starting at step 0 from the generator" in err
        and (tmp_path / "run" / "checkpoint.safetensors").exists()
    )
    assert main(["train", "--init-from", str(tmp_path / "nope.pth"), "--out", str(tmp_path / "r2")]) == 2

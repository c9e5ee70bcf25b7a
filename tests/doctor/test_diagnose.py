"""The mismatch doctor and valid input sizes, with PyTorch's own errors as the oracle."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from inspector.doctor.diagnose import diagnose
from inspector.doctor.pytorch_run import pytorch_error
from inspector.shapes.input_sizes import SideSizes, search_sizes, valid_input_sizes
from inspector.shapes.trace import trace
from models import GeneratorConfig, build_discriminator, build_generator, generator_plan, preset
from tests.models.reference_nets import reference_patchgan, reference_unet


def _pytorch_message(model: nn.Module, shape: tuple[int, ...]) -> str:
    """The oracle: a real CPU forward pass and the error PyTorch raises."""
    with pytest.raises((RuntimeError, ValueError)) as exc, torch.no_grad():
        model(torch.zeros(shape))
    return str(exc.value)


def test_notebook_as_written_discriminator_names_model_2() -> None:
    model = build_discriminator(preset("notebook-as-written")[1])
    d = diagnose(model, (1, 3, 256, 256))
    assert not d.ok
    first = d.problems[0]
    assert (first.module, first.kind, first.expected, first.actual) == ("model.2", "channels", 3, 64)
    assert "model.0 (Conv2d(3, 64))" in first.message
    assert first.fix.startswith("model.2: Conv2d in_channels 3 -> 64 (64 from model.0)")
    assert first.fix.endswith("model.2 should be Conv2d(64, 128)")  # the notebook's intended layer
    # PyTorch says the same numbers: weight [64, 3, 4, 4], input with 64 channels, 3 expected.
    text = _pytorch_message(model, (1, 3, 256, 256))
    expected, actual = map(int, re.search(r"to have (\d+) channels, but got (\d+) channels", text).groups())
    assert (expected, actual) == (first.expected, first.actual)
    assert pytorch_error(model, (1, 3, 256, 256)) == " ".join(text.split())
    # ...and carrying on, the BatchNorm(128) after it gets the 64 channels of Conv2d(3, 64).
    assert [(p.module, p.expected, p.actual) for p in d.problems[1:]] == [("model.3", 128, 64)]
    assert d.problems[1].fix.startswith("model.2: Conv2d out_channels 64 -> 128")


def _two_mistakes() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 1, 1),
        nn.ReLU(),
        nn.Conv2d(8, 32, 3, 2, 1),  # mistake 1: gets 16 channels
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1),
        nn.BatchNorm2d(48),  # mistake 2: gets 64 channels
    ).eval()


def test_finds_both_problems_in_one_pass_and_pytorch_agrees_one_at_a_time() -> None:
    model = _two_mistakes()
    d = diagnose(model, (2, 3, 32, 32))
    assert [(p.module, p.expected, p.actual) for p in d.problems] == [("2", 8, 16), ("5", 48, 64)]
    # PyTorch sees only the first; fix it as the doctor says and PyTorch sees the second.
    assert "to have 8 channels, but got 16" in _pytorch_message(model, (2, 3, 32, 32))
    model[2] = nn.Conv2d(16, 32, 3, 2, 1)
    assert "running_mean should contain 64 elements not 48" in _pytorch_message(model, (2, 3, 32, 32))
    model[5] = nn.BatchNorm2d(64)
    assert diagnose(model, (2, 3, 32, 32)).ok
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 64, 8, 8)


def _notebook_plan_with(name: str, in_channels: int) -> nn.Module:
    g = preset("notebook")[0]
    plan = tuple(b.with_channels(in_channels=in_channels) if b.name == name else b for b in generator_plan(g))
    return build_generator(g, plan)


def test_decoder_that_forgot_the_skip_doubling() -> None:
    d = diagnose(_notebook_plan_with("decoder_4", 512), (1, 1, 256, 256))
    assert [(p.module, p.block, p.expected, p.actual) for p in d.problems] == [
        ("decoder_4.1", "decoder_4", 512, 1024)
    ]
    assert (
        d.problems[0].fix
        == "decoder_4: ConvTranspose2d in_channels 512 -> 1024 (512 from decoder_5 + 512 skip from encoder_4)"
    )
    assert "torch.cat of 512 from decoder_5 and 512 from encoder_4" in d.problems[0].message
    # The pass carried on: the rest of the U-Net has its usual shapes.
    assert d.trace.output_shape == (1, 2, 256, 256) and len(d.trace.concats) == 6
    # Mending it as the fix says makes the model healthy.
    assert diagnose(_notebook_plan_with("decoder_4", 1024), (1, 1, 256, 256)).ok


def test_input_size_not_a_multiple_of_two_to_the_depth() -> None:
    model = build_generator(preset("notebook")[0])
    d = diagnose(model, (1, 1, 300, 300))
    assert {p.kind for p in d.problems} == {"concat"}
    assert [p.module for p in d.problems] == ["decoder_4", "decoder_2", "decoder_1"]
    first = d.problems[0]
    assert (first.expected, first.actual) == ((1, 512, 8, 8), (1, 512, 9, 9))
    assert "300 -> 150 -> 75 -> 37 -> 18 -> 9" in first.message
    assert "use an input size of 256 or 512 instead of 300" in first.fix
    assert d.sizes is not None and d.sizes.nearest(300) == (256, 512)
    assert first.concat is not None and d.trace.concats[first.concat].consumer == "decoder_4"
    # PyTorch fails at the same concatenation with the same sizes.
    assert "Expected size 8 but got size 9" in pytorch_error(model, (1, 1, 300, 300))


def test_discriminator_fed_only_ab() -> None:
    model = build_discriminator(preset("notebook")[1])
    d = diagnose(model, (1, 2, 256, 256))
    assert [(p.module, p.expected, p.actual) for p in d.problems] == [("model.0", 3, 2)]
    assert "torch.cat([L, ab], dim=1)" in d.problems[0].fix
    assert "ab alone" in d.problems[0].message
    assert "to have 3 channels, but got 2" in _pytorch_message(model, (1, 2, 256, 256))


def test_kernel_larger_than_its_input() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.Conv2d(8, 8, 4, 2, 1), nn.Conv2d(8, 8, 4, 1, 0))
    d = diagnose(model, (1, 3, 8, 8))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [("2", "kernel", (4, 4), (2, 2))]
    assert "Kernel size can't be greater than actual input size" in _pytorch_message(model, (1, 3, 8, 8))
    assert (
        d.sizes is not None and d.sizes.sides == (SideSizes(1, 16),) * 2
    )  # 16 -> 8 -> 4 fits the last 4x4 kernel
    assert "use an input size of 16 instead of 8" in d.problems[0].fix


def test_linear_in_features_and_its_size_range() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    d = diagnose(model, (1, 3, 16, 16))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [("2", "features", 64, 256)]
    assert "1x256 and 64x10" in _pytorch_message(model, (1, 3, 16, 16))
    sizes = valid_input_sizes(model, (1, 3, 16, 16))
    assert sizes is not None and [s for s in range(1, 40) if sizes.is_valid(s)] == [7, 8]


def test_batch_norm_with_one_value_per_channel_then_carries_on() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.BatchNorm2d(8), nn.Conv2d(4, 8, 1))
    d = diagnose(model, (1, 3, 2, 2))
    assert [(p.module, p.kind) for p in d.problems] == [("1", "batch-stats"), ("2", "channels")]
    assert "Expected more than 1 value per channel" in _pytorch_message(model, (1, 3, 2, 2))
    assert model.training  # the doctor switched only its own copy to eval


def test_residual_shapes_that_cannot_add() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Conv2d(4, 8, 3, 1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.body(x)

    d = diagnose(Bad(), (1, 4, 8, 8))
    assert [(p.kind, p.expected, p.actual) for p in d.problems] == [("concat", (1, 4, 8, 8), (1, 8, 8, 8))]
    assert "1x1 conv" in d.problems[0].fix
    # The trace records the shapes that arrived (what the diagram draws), not the doctor's stand-ins.
    (add,) = d.trace.concats
    assert [(r.producer, r.shape) for r in add.inputs] == [("input", (1, 4, 8, 8)), ("body", (1, 8, 8, 8))]


def test_fixes_name_the_layer_inside_a_module_list_or_a_block_of_several() -> None:
    class ListNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # in_channels 4 should be 8
            self.downs = nn.ModuleList([nn.Conv2d(1, 8, 3, 1, 1), nn.Conv2d(4, 16, 3, 1, 1)])
            self.body = nn.Sequential(nn.Conv2d(16, 16, 1), nn.ReLU(), nn.Conv2d(8, 4, 1))  # 8: should be 16

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for down in self.downs:
                x = down(x)
            return self.body(x)

    d = diagnose(ListNet(), (1, 1, 8, 8))
    assert [(p.module, p.expected, p.actual) for p in d.problems] == [("downs.1", 4, 8), ("body.2", 8, 16)]
    assert d.problems[0].fix.startswith("downs.1: Conv2d in_channels 4 -> 8")
    assert d.problems[1].fix.startswith("body.2: Conv2d in_channels 8 -> 16")
    # ...while the notebook's one-conv blocks are named as blocks (see the decoder test above).


def test_unknown_errors_stop_the_pass_with_pytorchs_message() -> None:
    class Reshapes(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x).view(-1, 7)

    d = diagnose(Reshapes(), (1, 1, 4, 4))
    assert [p.kind for p in d.problems] == ["runtime"]
    assert "is invalid for input of size 48" in d.problems[0].message


def test_sys_exit_in_a_forward_is_a_runtime_problem_not_an_exit() -> None:
    class Quits(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            import sys

            sys.exit(3)

    d = diagnose(Quits(), (1, 1, 4, 4))
    assert [p.kind for p in d.problems] == ["runtime"]
    assert "called sys.exit(3)" in d.problems[0].message
    assert pytorch_error(Quits(), (1, 1, 4, 4)) == "the model's forward called sys.exit(3)"


def test_instance_norm_without_weights_ignores_num_features_as_pytorch_does() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3, 1, 1), nn.InstanceNorm2d(8))
    with pytest.warns(UserWarning):  # PyTorch's own warning, on the meta copy too
        assert diagnose(model, (1, 1, 8, 8)).ok
    with pytest.warns(UserWarning):
        assert model(torch.zeros(1, 1, 8, 8)).shape == (1, 4, 8, 8)


def test_healthy_models_are_ok_and_their_trace_is_the_tracers() -> None:
    model = build_generator(preset("pix2pix")[0])
    d = diagnose(model, (1, 1, 256, 256))
    assert d.ok and d.problems == () and d.sizes is None
    assert d.trace == trace(model, (1, 1, 256, 256))
    assert diagnose(reference_unet(), (1, 1, 512, 512)).ok


def test_valid_input_sizes_from_configs_and_by_search() -> None:
    g = GeneratorConfig()
    assert valid_input_sizes(g).step == 256 and valid_input_sizes(g).nearest(300) == (256, 512)
    assert (
        valid_input_sizes(g.replace(depth=6, input_size=64)).describe()
        == "multiples of 64 (64, 128, 192, ...)"
    )
    # Searching a module by running it gives the formula's answer.
    searched = valid_input_sizes(reference_unet(), (1, 1, 256, 256))
    assert (searched.step, searched.minimum, searched.maximum) == (256, 256, None)
    d_cfg = preset("pix2pix")[1]
    formula = valid_input_sizes(d_cfg)
    found = valid_input_sizes(reference_patchgan().eval(), (1, 3, 256, 256))
    assert (found.step, found.minimum) == (formula.step, formula.minimum) == (1, d_cfg.min_input_size())
    assert valid_input_sizes(build_discriminator(d_cfg)) == formula
    assert search_sizes(lambda s: False) is None


def test_the_model_is_untouched() -> None:
    model = _two_mistakes()
    before = [p.clone() for p in model.parameters()]
    diagnose(model, (2, 3, 32, 32))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert not model.training and all(
        not m._forward_hooks and not m._forward_pre_hooks for m in model.modules()
    )


def test_a_tiny_input_is_one_size_problem_not_a_cascade() -> None:
    d = diagnose(build_generator(preset("notebook")[0]), (1, 1, 3, 3))
    (problem,) = d.problems
    assert (problem.module, problem.kind) == ("encoder_1.1", "kernel")
    assert "later layer(s) hit the same size problem" in problem.message
    assert "use an input size of 256 instead of 3" in problem.fix


def test_pytorch_error_refuses_a_run_too_big_for_memory() -> None:
    from inspector.errors import UserError
    from inspector.shapes.memory import real_run_bytes

    model = build_discriminator(preset("notebook-as-written")[1])
    need = real_run_bytes(model, (1, 3, 256, 256))
    params = sum(p.numel() for p in model.parameters()) * 4
    # Weights plus at least the input and the first conv's 64x128x128 output, all float32.
    assert need >= params + 4 * (3 * 256 * 256 + 64 * 128 * 128)
    assert need < params + 4 * 10 * (3 * 256 * 256 + 64 * 128 * 128)  # the run stops at model.2
    with pytest.raises(UserError, match=r"would need about 0\.0 GiB"):
        pytorch_error(model, (1, 3, 256, 256), max_bytes=need - 1)
    assert "to have 3 channels, but got 64" in pytorch_error(model, (1, 3, 256, 256), max_bytes=need)
    # A 4096-channel conv would need 4096*4096*16*4 bytes = 1 GiB for one weight: refused untouched.
    with torch.device("meta"):  # built on meta: the test itself allocates nothing
        huge_meta = nn.Sequential(nn.Conv2d(4096, 4096, 4), nn.Conv2d(8, 8, 1))
    with pytest.raises(UserError, match="GiB of CPU memory"):
        pytorch_error(huge_meta, (1, 4096, 8, 8))


def _cpu_error(model: nn.Module, shape: tuple[int, ...]) -> str:
    with pytest.raises((RuntimeError, ValueError)) as exc, torch.no_grad():
        model(torch.zeros(shape))
    return " ".join(str(exc.value).split())


def test_transposed_convs_fed_the_wrong_channels_fail_as_on_cpu() -> None:
    from inspector.shapes.trace import trace

    module_form = nn.Sequential(nn.ConvTranspose2d(5, 4, 2, 2))
    with pytest.raises(RuntimeError) as exc:
        trace(module_form, (1, 3, 8, 8))  # the meta kernel alone would return 1x4x16x16
    assert str(exc.value) == _cpu_error(module_form, (1, 3, 8, 8))

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 8, 3, padding=1)
            self.w = nn.Parameter(torch.randn(16, 4, 2, 2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.functional.conv_transpose2d(self.a(x), self.w, stride=2)

    d = diagnose(Functional(), (1, 3, 8, 8))
    assert [p.kind for p in d.problems] == ["runtime"]
    assert _cpu_error(Functional(), (1, 3, 8, 8)) in d.problems[0].message


def test_in_place_residuals_are_combinations_and_their_mismatch_has_a_fix() -> None:
    torchvision = pytest.importorskip("torchvision")
    from inspector.shapes.trace import trace

    net = torchvision.models.resnet18().eval()
    t = trace(net, (1, 3, 64, 64))
    assert [c.op for c in t.concats] == ["add"] * 8  # `out += identity` in each BasicBlock
    assert [r.producer for r in t.concats[2].inputs] == ["layer2.0.bn2", "layer2.0.downsample"]
    net.layer2[0].downsample[0] = nn.Conv2d(64, 128, 1, 1)  # forgot the stride 2 of the shortcut
    d = diagnose(net, (1, 3, 64, 64))
    assert [(p.kind, p.expected, p.actual) for p in d.problems] == [
        ("concat", (1, 128, 8, 8), (1, 128, 16, 16))
    ]
    assert "1x1 conv with the same stride" in d.problems[0].fix
    assert "size of tensor a (8) must match the size of tensor b (16)" in _cpu_error(net, (1, 3, 64, 64))


def test_cat_with_numpys_axis_and_inside_a_users_concat_module() -> None:
    from inspector.shapes.trace import trace

    class Concat(nn.Module):  # YOLO-style: a module whose forward is one torch.cat
        def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
            return torch.cat(xs, axis=1)

    class Net(nn.Module):
        def __init__(self, stride: int) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(3, 8, 3, stride, padding=1)
            self.cat, self.c = Concat(), nn.Conv2d(16, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c(self.cat([self.a(x), self.b(x)]))

    t = trace(Net(1), (1, 3, 8, 8))
    (cat,) = t.concats
    assert cat.arithmetic() == "8 + 8 = 16" and cat.module == "cat" and cat.consumer == "c"
    assert t.output_shape == tuple(Net(1)(torch.zeros(1, 3, 8, 8)).shape)
    d = diagnose(Net(2), (1, 3, 8, 8))
    assert [(p.kind, p.expected, p.actual) for p in d.problems] == [("concat", (1, 8, 8, 8), (1, 8, 4, 4))]


def test_the_broken_layer_is_recorded_with_what_arrived() -> None:
    d = diagnose(_two_mistakes(), (2, 3, 32, 32))
    layer = next(r for r in d.trace.layers if r.name == "2")
    assert layer.input_shapes == ((2, 16, 32, 32),) and layer.input_producers == ("0",)


def test_an_unbatched_input_is_a_dims_problem_not_a_channel_one() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)).eval()
    d = diagnose(model, (3, 16, 16))
    assert [(p.module, p.kind, p.expected, p.actual) for p in d.problems] == [("1", "dims", 4, 3)]
    assert "1x3x16x16 instead of 3x16x16" in d.problems[0].fix
    assert "expected 4D input (got 3D input)" in _cpu_error(model, (3, 16, 16))
    assert diagnose(model, (1, 3, 16, 16)).ok


@pytest.mark.parametrize("norm", [nn.BatchNorm2d(6), nn.GroupNorm(2, 6), nn.InstanceNorm2d(6, affine=True)])
def test_a_wrong_norm_is_one_problem_not_a_cascade(norm: nn.Module) -> None:
    # conv 8 -> norm(6) -> conv(8, ...): the norm alone is wrong, and the doctor says so once.
    model = nn.Sequential(nn.Conv2d(3, 8, 3), norm, nn.Conv2d(8, 2, 3)).eval()
    d = diagnose(model, (1, 3, 8, 8))
    assert [(p.module, p.expected, p.actual) for p in d.problems] == [("1", 6, 8)]
    assert d.problems[0].fix.startswith(f"1: {type(norm).__name__}")
    assert d.trace.output_shape == (1, 2, 4, 4)


@pytest.mark.parametrize(
    "pool",
    [nn.MaxPool2d(3, ceil_mode=True), nn.AvgPool2d(3, ceil_mode=True), nn.MaxPool2d(3, 2, 1, ceil_mode=True)],
)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_ceil_mode_pools_that_run_are_healthy(pool: nn.Module, size: int) -> None:
    d = diagnose(nn.Sequential(pool), (1, 3, size, size))
    assert d.ok and d.trace.output_shape == tuple(pool(torch.zeros(1, 3, size, size)).shape)


class _NeedsValues(nn.Module):
    """Healthy on CPU, impossible on meta: .item(), a branch on values and a CPU tensor."""

    def __init__(self, out_in: int = 8) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(out_in, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.a(x)
        y = y / (y.abs().max().item() + 1)
        if (y > 0).any():
            y = y * torch.ones(1, 8, 1, 1)
        return self.b(y)


def test_a_forward_that_needs_values_runs_on_a_small_cpu_copy() -> None:
    from inspector.shapes.trace import trace

    model = _NeedsValues()
    d = diagnose(model, (1, 3, 8, 8))
    assert d.ok and d.device == "cpu" and d.trace.output_shape == (1, 4, 8, 8)
    assert trace(model, (1, 3, 8, 8)).output_shape == tuple(model(torch.zeros(1, 3, 8, 8)).shape)
    broken = diagnose(_NeedsValues(out_in=6), (1, 3, 8, 8))
    assert [(p.module, p.kind, p.expected, p.actual) for p in broken.problems] == [("b", "channels", 6, 8)]
    assert all(p.device.type == "cpu" for p in model.parameters())  # the model itself untouched


def test_branches_with_different_strides_are_not_fixed_by_a_tiny_input_size() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(3, 8, 3, 2, padding=1)
            self.c = nn.Conv2d(16, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c(torch.cat([self.a(x), self.b(x)], 1))

    (problem,) = diagnose(Net(), (1, 3, 8, 8)).problems
    assert problem.kind == "concat" and problem.fix.startswith(
        "no useful input size fixes this (only 1 would run)"
    )


@pytest.mark.parametrize(
    ("shape", "fix"),
    [
        ((1, 1, 60, 64), "use a height of 48 or 64 instead of 60"),
        ((1, 1, 64, 60), "use a width of 48 or 64 instead of 60"),
        ((1, 1, 60, 44), "use a height of 48 or 64 instead of 60 and a width of 32 or 48 instead of 44"),
    ],
)
def test_a_rectangular_input_names_the_side_that_does_not_halve(shape: tuple[int, ...], fix: str) -> None:
    g = preset("notebook")[0].replace(depth=4, input_size=64, ngf=8)
    with torch.device("meta"):
        model = build_generator(g)
    first = diagnose(model, shape).problems[0]
    assert first.fix.startswith(fix)
    side, size = ("width", shape[3]) if shape[3] % 16 else ("height", shape[2])  # the last side that breaks
    assert f"The input {side} {size} is halved" in first.message
    with pytest.raises(RuntimeError, match="Expected size"):  # PyTorch agrees: it cannot run
        build_generator(g)(torch.zeros(shape))


def test_valid_sizes_of_1d_and_3d_models_vary_their_own_spatial_dims() -> None:
    from inspector.shapes.input_sizes import valid_input_sizes

    conv1d = nn.Sequential(nn.Conv1d(3, 8, 3), nn.Conv1d(8, 4, 3))
    for shape in ((2, 3, 20), None):
        sizes = valid_input_sizes(conv1d, shape)
        assert sizes is not None and sizes.minimum == 5 and sizes.step == 1  # 5 -> 3 -> 1
    sizes = valid_input_sizes(nn.Sequential(nn.Conv3d(3, 8, 3)), (1, 3, 8, 8, 8))
    assert sizes is not None and sizes.minimum == 3


def test_the_skip_is_the_earlier_input_wherever_it_sits_in_the_cat() -> None:
    class EncoderFirst(nn.Module):  # milesial's Pytorch-UNet writes torch.cat([x2, x1], dim=1)
        def __init__(self) -> None:
            super().__init__()
            self.down = nn.Conv2d(1, 8, 4, 2, 1)
            self.mid = nn.Conv2d(8, 8, 4, 2, 1)
            self.up = nn.ConvTranspose2d(8, 8, 4, 2, 1)
            self.conv = nn.Conv2d(8, 2, 3, 1, 1)  # should take 8 + 8 = 16

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            skip = self.down(x)
            return self.conv(torch.cat([skip, self.up(self.mid(skip))], 1))

    (problem,) = diagnose(EncoderFirst(), (1, 1, 16, 16)).problems
    assert problem.fix == "conv: Conv2d in_channels 8 -> 16 (8 skip from down + 8 from up)"

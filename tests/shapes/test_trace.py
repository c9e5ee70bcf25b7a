"""The meta-device tracer: shapes against torchinfo, every concatenation, any way of writing a model."""

from __future__ import annotations

import time
from typing import Any

import pytest
import torch
import torchinfo
from torch import nn

from inspector.shapes.recorder import CombineCall, LeafCall
from inspector.shapes.records import INPUT, Trace
from inspector.shapes.summary import summary
from inspector.shapes.trace import trace
from models import build_discriminator, build_generator, preset
from tests.models.reference_nets import reference_patchgan, reference_unet


class ListSkipUNet(nn.Module):
    """A U-Net written the lucidrains way: push each encoder output on a Python list, pop it on the way up."""

    def __init__(self) -> None:
        super().__init__()
        self.downs = nn.ModuleList(
            [nn.Conv2d(1, 8, 4, 2, 1), nn.Conv2d(8, 16, 4, 2, 1), nn.Conv2d(16, 32, 4, 2, 1)]
        )
        self.ups = nn.ModuleList(
            [
                nn.ConvTranspose2d(32, 16, 4, 2, 1),
                nn.ConvTranspose2d(32, 8, 4, 2, 1),
                nn.ConvTranspose2d(16, 2, 4, 2, 1),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = torch.relu(down(x))  # a functional activation: the tensor is still down's
            skips.append(x)
        skips.pop()  # the bottleneck is not a skip
        for i, up in enumerate(self.ups):
            if i:
                x = torch.cat([x, skips.pop()], dim=1)
            x = up(x)
        return x


class Residual(nn.Module):
    """x + f(x), and a torch.stack of two views, to exercise the other combinations."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 1, 1)
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(8, 8, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        y = x + self.body(x)
        return torch.stack([y, x], dim=0)


@pytest.fixture(scope="module")
def notebook_trace() -> Trace:
    return trace(build_generator(preset("notebook")[0]), (1, 1, 256, 256))


def test_notebook_generator_has_six_concats_named_by_block(notebook_trace: Trace) -> None:
    cats = notebook_trace.concats
    assert [c.op for c in cats] == ["torch.cat"] * 6
    assert [c.output_shape[1] for c in cats] == [1024, 1024, 1024, 1024, 512, 256]
    assert [tuple(r.producer for r in c.inputs) for c in cats] == [
        ("middle", "encoder_6"),
        ("decoder_6", "encoder_5"),
        ("decoder_5", "encoder_4"),
        ("decoder_4", "encoder_3"),
        ("decoder_3", "encoder_2"),
        ("decoder_2", "encoder_1"),
    ]
    # inputs unpack as (producer, shape); leaf-level names are kept too.
    producer, shape = cats[0].inputs[1]
    assert (producer, shape) == ("encoder_6", (1, 512, 2, 2))
    assert cats[0].input_layers == ("middle.4", "encoder_6.2")
    assert [c.consumer for c in cats] == [f"decoder_{k}" for k in range(6, 0, -1)]
    assert cats[0].arithmetic() == "512 + 512 = 1024"
    assert notebook_trace.output_shape == (1, 2, 256, 256)


def test_pix2pix_generator_has_seven_concats_the_last_with_input_layer() -> None:
    t = trace(build_generator(preset("pix2pix")[0]), (2, 1, 256, 256))
    assert len(t.concats) == 7
    last = t.concats[-1]
    assert [r.producer for r in last.inputs] == ["decoder_1", "input_layer"]
    assert last.output_shape == (2, 128, 128, 128) and last.consumer == "output_layer"


def test_recursive_reference_unet_concats_every_level() -> None:
    model = reference_unet()
    t = trace(model, (1, 1, 256, 256))
    # Innermost block concatenates first: cat([x, self.model(x)], 1) at every level but the outermost.
    assert [c.output_shape[1] for c in t.concats] == [1024, 1024, 1024, 1024, 512, 256, 128]
    assert [c.output_shape[-1] for c in t.concats] == [2, 4, 8, 16, 32, 64, 128]
    names = dict(model.named_modules())
    for c in t.concats:
        x, inner = (r.producer for r in c.inputs)
        assert c.module and isinstance(names[c.module], nn.Module)
        assert inner == f"{c.module}.model"  # the block's own Sequential made the second half
        assert x in names and c.consumer is not None
    assert (
        t.concats[-1].inputs[0].producer == "model.model.0"
    )  # the outermost down conv (UnetGenerator.model)


def test_python_list_of_skips() -> None:
    t = trace(ListSkipUNet(), (1, 1, 32, 32))
    assert [tuple(r.producer for r in c.inputs) for c in t.concats] == [
        ("ups.0", "downs.1"),
        ("ups.1", "downs.0"),
    ]
    assert [c.arithmetic() for c in t.concats] == ["16 + 16 = 32", "8 + 8 = 16"]
    assert [c.consumer for c in t.concats] == ["ups.1", "ups.2"]
    assert t.output_shape == (1, 2, 32, 32)


def test_residual_add_and_stack_are_recorded() -> None:
    t = trace(Residual(), (1, 3, 8, 8))
    assert [c.op for c in t.concats] == ["add", "torch.stack"]
    add, stack = t.concats
    assert [r.producer for r in add.inputs] == ["stem", "body"]
    assert [r.producer for r in stack.inputs] == ["add#0", "stem"]
    assert stack.output_shape == (2, 1, 8, 8, 8)


class SplitHeads(nn.Module):
    """A stem whose output is taken apart (chunk, split, unbind) and put back together."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.stem(x).chunk(2, dim=1)
        c, d = torch.split(self.stem(x), [4, 4], dim=1)
        planes = torch.unbind(self.stem(x), dim=1)
        return torch.cat([self.head(a), b, c, d, planes[0][:, None]], dim=1)


def test_pieces_of_chunk_split_and_unbind_keep_their_producer() -> None:
    t = trace(SplitHeads(), (1, 3, 8, 8))
    (cat,) = t.concats
    assert [r.producer for r in cat.inputs] == ["head", "stem", "stem", "stem", "stem"]
    assert cat.arithmetic() == "4 + 4 + 4 + 4 + 1 = 17"


def test_noise_shaped_like_a_tensor_is_not_that_tensors() -> None:
    class Noisy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.a(x)
            return torch.cat([y, torch.randn_like(y), torch.zeros_like(y)], 1)

    (cat,) = trace(Noisy(), (1, 3, 4, 4)).concats
    assert [r.producer for r in cat.inputs] == ["a", "?", "?"]


def test_first_layer_reads_the_input_and_activations_keep_the_producer(notebook_trace: Trace) -> None:
    first = notebook_trace.layers[0]
    assert (first.name, first.kind, first.input_producers) == ("input_layer.0", "Conv2d", (INPUT,))
    # encoder_1.0 is an in-place LeakyReLU: the conv after it still reads input_layer's tensor.
    assert notebook_trace.layer("encoder_1.1").input_producers == ("input_layer",)
    assert notebook_trace.layer("encoder_1.2").input_producers == ("encoder_1.1",)
    assert sum(r.params for r in notebook_trace.layers) == 54_407_810


def _leaf_shapes_from_torchinfo(model: nn.Module, shape: tuple[int, ...], device: str) -> list[tuple]:
    s = summary(model, shape, depth=30, device=device)
    return [(r.name, r.input_shape, r.output_shape) for r in s.rows if r.is_leaf]


@pytest.mark.parametrize(
    ("make", "shape", "device"),
    [
        (lambda: build_generator(preset("notebook")[0]), (2, 1, 256, 256), "meta"),
        (lambda: build_generator(preset("pix2pix")[0]), (1, 1, 512, 512), "meta"),
        (reference_unet, (1, 1, 256, 256), "meta"),
        (lambda: build_discriminator(preset("notebook")[1]), (2, 3, 64, 64), "cpu"),  # a real forward
        (lambda: reference_patchgan(), (1, 3, 70, 70), "cpu"),
        (ListSkipUNet, (1, 1, 32, 32), "cpu"),
    ],
)
def test_every_shape_equals_torchinfo(make, shape: tuple[int, ...], device: str) -> None:  # type: ignore[no-untyped-def]
    model = make()
    ours = [(r.name, r.input_shapes[0], r.output_shape) for r in trace(model, shape).layers]
    assert ours == _leaf_shapes_from_torchinfo(model, shape, device)


def test_torchinfo_real_forward_agrees_on_the_generator_output() -> None:
    # One real CPU forward (small size) as an oracle independent of the meta device.
    model = build_generator(preset("notebook")[0].replace(input_size=64, depth=6))
    stats = torchinfo.summary(model, input_size=(1, 1, 64, 64), device="cpu", verbose=0, depth=1)
    assert trace(model, (1, 1, 64, 64)).output_shape == tuple(stats.summary_list[0].output_size)


def test_model_is_left_as_it_was_also_when_it_raises() -> None:
    model = build_discriminator(preset("notebook-as-written")[1])
    model.eval()
    model.register_forward_hook(lambda *a: None)
    before = {n: p.data_ptr() for n, p in model.named_parameters()}
    with pytest.raises(RuntimeError):
        trace(model, (1, 3, 256, 256))
    assert not model.training
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert {n: p.data_ptr() for n, p in model.named_parameters()} == before
    assert len(model._forward_hooks) == 1 and all(not m._forward_pre_hooks for m in model.modules())

    healthy = build_generator(preset("notebook")[0])
    trace(healthy, (1, 1, 256, 256))
    assert healthy.training and all(not m._forward_hooks for m in healthy.modules())


def test_user_hooks_never_see_meta_tensors_but_spectral_norm_still_works() -> None:
    model = nn.Sequential(nn.utils.spectral_norm(nn.Conv2d(3, 8, 3)), nn.Conv2d(8, 4, 3))
    seen: dict[str, torch.Tensor] = {}
    model[1].register_forward_hook(lambda m, i, o: seen.__setitem__("out", o))
    t = trace(model, (1, 3, 16, 16))
    assert t.output_shape == (1, 4, 12, 12) and not seen  # the user's hook did not run on the copy
    model(torch.zeros(1, 3, 16, 16))
    assert seen["out"].device.type == "cpu" and len(model[1]._forward_hooks) == 1


def test_lazy_modules_ask_for_a_first_forward() -> None:
    from inspector.errors import UserError

    lazy = nn.Sequential(nn.LazyConv2d(8, 3))
    with pytest.raises(UserError, match=r"lazy layers .*0\.weight.*run it once on a real input"):
        trace(lazy, (1, 3, 8, 8))
    lazy(torch.zeros(1, 3, 8, 8))
    assert trace(lazy, (1, 3, 8, 8)).output_shape == (1, 8, 6, 6)


def test_bad_shapes_are_value_errors() -> None:
    with pytest.raises(ValueError, match="positive"):
        trace(nn.Conv2d(1, 1, 1), (1, 0, 4, 4))


def test_big_inputs_cost_nothing() -> None:
    model = build_generator(preset("notebook")[0])
    trace(model, (1, 1, 256, 256))  # warm up
    start = time.perf_counter()
    t = trace(model, (64, 1, 1024, 1024))
    assert time.perf_counter() - start < 1.0  # the bench asks < 0.1 s; this only guards against real work
    assert t.output_shape == (64, 2, 1024, 1024)


def test_in_place_activations_that_rewrite_a_skip_are_named(notebook_trace: Trace) -> None:
    # encoder_6's output is stored for the skip, then middle.0 (LeakyReLU(0.2, True)) rewrites it in
    # place: the skip concatenated later carries LeakyReLU(encoder_6), as in the notebook and reference.
    assert [c.modified_in_place for c in notebook_trace.concats] == [
        ((), ("middle.0",)),
        *[((), (f"encoder_{k + 1}.0",)) for k in range(5, 0, -1)],
    ]
    # The oracle: run the real blocks and compare the stored skip with the BatchNorm output.
    model = build_generator(preset("notebook")[0]).eval()
    with torch.no_grad():
        x = torch.randn(1, 1, 256, 256)
        for name in ["input_layer", *[f"encoder_{k}" for k in range(1, 7)]]:
            x = getattr(model, name)(x)
        before = x.clone()
        model.middle(x)
    assert torch.equal(x, nn.functional.leaky_relu(before, 0.2)) and not torch.equal(x, before)


def test_diagrams_show_every_concat_and_paint_problems_red(notebook_trace: Trace) -> None:
    import graphviz

    from inspector.doctor.diagnose import diagnose
    from inspector.shapes.diagram import RED, concat_rows, diagram_dot, render_svg

    source = diagram_dot(notebook_trace)
    assert (
        source.count('label="torch.cat\n') == 6
        and "512 + 512 = 1024" in source
        and "256 + 256 = 512" in source
    )
    assert "bottleneck 512x1x1" in source and RED not in source
    assert [r["skip from"] for r in concat_rows(notebook_trace)] == [f"encoder_{k}" for k in range(6, 0, -1)]
    broken = diagnose(build_discriminator(preset("notebook-as-written")[1]), (1, 3, 256, 256))
    chain = diagram_dot(broken.trace, broken.problems)
    assert "torch.cat" not in chain and chain.count(RED) == 2 and "expected 3, got 64" in chain
    graphviz.Source(source)  # parses as DOT; the dot binary renders it when installed
    svg = render_svg(chain)
    assert svg is None or b"<svg" in svg


def test_spectral_and_weight_norm_layers_are_traced_as_the_layers_they_wrap() -> None:
    from torch.nn.utils import parametrizations, spectral_norm

    model = nn.Sequential(
        spectral_norm(nn.Conv2d(3, 8, 4, 2, 1)),  # the old hook-based API
        nn.LeakyReLU(0.2),
        parametrizations.spectral_norm(nn.Conv2d(8, 16, 4, 2, 1)),  # the new parametrization API
        parametrizations.weight_norm(nn.Conv2d(16, 1, 3)),
    )
    t = trace(model, (2, 3, 32, 32))
    assert [(r.name, r.output_shape) for r in t.layers] == [
        ("0", (2, 8, 16, 16)),
        ("1", (2, 8, 16, 16)),
        ("2", (2, 16, 8, 8)),
        ("3", (2, 1, 6, 6)),
    ]
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == t.output_shape  # the oracle


class _Counting:
    """An observer that judges nothing: it counts what it sees and feeds one conv the channels it needs."""

    def __init__(self) -> None:
        self.leaves: list[str] = []
        self.combines: list[tuple[str, int]] = []

    def before_leaf(self, call: LeafCall) -> tuple[Any, ...] | None:
        self.leaves.append(call.name)
        if isinstance(call.module, nn.Conv2d) and call.args[0].shape[1] != call.module.in_channels:
            x = call.args[0]
            return (torch.zeros(x.shape[0], call.module.in_channels, *x.shape[2:], device=x.device),)
        return None

    def before_combine(self, call: CombineCall) -> list[torch.Tensor] | None:
        self.combines.append((call.op, len(call.concats)))
        return None


def test_an_observer_sees_every_leaf_and_combination_and_may_hand_in_stand_ins() -> None:
    from inspector.shapes.engine import run_traced, traced_run
    from inspector.shapes.meta import meta_copy

    broken = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(4, 2, 1))  # 4: gets 8
    with pytest.raises(RuntimeError):
        trace(broken, (1, 3, 8, 8))
    seen = _Counting()
    result, error, _ = run_traced(meta_copy(broken), (1, 3, 8, 8), seen)
    assert error is None and seen.leaves == ["0", "1"] and result.output_shape == (1, 2, 8, 8)
    assert result.layers[1].input_shapes == ((1, 8, 8, 8),)  # the record keeps what arrived
    run = traced_run(Residual(), (2, 3, 8, 8), lambda copy: _Counting())
    assert run.device == "meta" and run.observer is not None
    assert run.observer.combines == [("add", 0), ("torch.stack", 1)]  # and the records made so far
    assert run.trace == trace(Residual(), (2, 3, 8, 8))  # an observer that hands in nothing changes nothing


def test_the_tracer_knows_nothing_of_the_doctor() -> None:
    import ast
    from pathlib import Path

    import inspector.shapes

    folder = Path(inspector.shapes.__file__).parent
    for name in (
        "trace.py",
        "records.py",
        "recorder.py",
        "engine.py",
        "memory.py",
        "meta.py",
        "labels.py",
        "blocks.py",
    ):
        tree = ast.parse((folder / name).read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if "doctor" in m], name

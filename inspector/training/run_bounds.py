"""How large a generator a checkpoint describes is run, and what that costs, known from its header.

The side (:func:`model_side`, :func:`largest_side`) comes from the photo, never from the header
alone, and is at most :data:`MAX_MODEL_SIDE`: a header that claims ``input_size`` 4096 cannot
make an 80x80 photo (or the feature maps of a page) run at 4096x4096.

A checkpoint's header describes the generator to build (``GeneratorConfig``). Its weights are
bounded by the file (every one must be in it), but the memory of a forward pass grows with the
side it runs at and the channels of each level, which a small file can make large. Before a
described generator is built, :func:`check_run_memory` computes the bytes of one forward at the
side that will actually be used, from the generator's channel plan on the meta device (no
memory), and refuses more than :func:`max_run_bytes`: the largest preset's need at
``MAX_MODEL_SIDE`` with a margin.

The count is the same as ``inspector.shapes.memory.real_run_bytes`` (tested against it): the
weights and buffers, the input, every layer's output and every ``torch.cat``, as float32.
"""

from __future__ import annotations

import functools

from torch import nn

from inspector.errors import UserError
from models import GeneratorConfig, build, list_presets, preset
from models.text import Text

MAX_MODEL_SIDE = 512  # the generator never runs larger, whatever a checkpoint's header claims
RUN_MARGIN = 1.25  # over the largest preset's need: norms, dropout and outer skips vary it a little
MiB = 1024 * 1024


def model_side(photo_size: tuple[int, int], cfg: GeneratorConfig) -> int:
    """The square side the generator runs at: from the photo, never from the checkpoint alone.

    The photo's longer side rounded up to a multiple of ``2**depth`` (the U-Net halves it
    ``depth`` times), then capped by the training size and by :data:`MAX_MODEL_SIDE`: a header
    that claims ``input_size`` 4096 cannot make an 80x80 photo run at 4096x4096.
    """
    unit = smallest_side(cfg)
    side = -(-max(photo_size) // unit) * unit  # rounded up
    cap = min(cfg.input_size, MAX_MODEL_SIDE) // unit * unit
    return max(unit, min(side, cap))


def smallest_side(cfg: GeneratorConfig) -> int:
    """2**depth, the smallest input the U-Net takes, or a UserError when it is over MAX_MODEL_SIDE."""
    unit = 2**cfg.depth
    if unit > MAX_MODEL_SIDE:  # a depth-12 U-Net of 1-channel layers is a small file and a 4096x4096 run
        raise UserError(
            Text(
                "this generator has depth {depth}, so it needs inputs of at least {unit}x{unit}; "
                "colorize runs generators at most at {side}x{side} (depth up to {max_depth})",
                depth=cfg.depth,
                unit=unit,
                side=MAX_MODEL_SIDE,
                max_depth=MAX_MODEL_SIDE.bit_length() - 1,
            )
        )
    return unit


def largest_side(cfg: GeneratorConfig) -> int:
    """The largest side ``cfg``'s generator is ever run at: its training size, capped by
    :data:`MAX_MODEL_SIDE` (what the feature maps of a checkpoint use, and the bound of colorize)."""
    return model_side((cfg.input_size, cfg.input_size), cfg)


def generator_run_bytes(cfg: GeneratorConfig, side: int, batch: int = 1) -> int:
    """Bytes of one forward of ``cfg``'s U-Net on a (batch, in_channels, side, side) input, from its
    blocks as built (on the meta device): each layer's output size follows from its own kernel,
    stride and padding, and each decoder's input is the ``torch.cat`` with its skip."""
    model = build(cfg, device="meta")
    weights = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    channels, size = cfg.in_channels, side
    elements = channels * size * size  # the input
    outputs: dict[str, tuple[int, int]] = {}  # block -> (channels, side) of its output
    for spec in model.plan:
        if spec.skip is not None:  # torch.cat((x, skip), 1) before the block
            channels += outputs[spec.skip][0]
            elements += channels * size * size
        for layer in getattr(model, spec.name):
            channels, size = _output(layer, channels, size)
            elements += channels * size * size
        outputs[spec.name] = (channels, size)
    return weights + 4 * batch * elements


def _output(layer: nn.Module, channels: int, size: int) -> tuple[int, int]:
    """(channels, side) after ``layer``: convolutions by PyTorch's size formulas, others keep both."""
    if isinstance(layer, nn.Conv2d):
        k, s, d = layer.kernel_size[0], layer.stride[0], layer.dilation[0]
        pad = layer.padding[0] if isinstance(layer.padding, tuple) else 0  # the U-Net pads by numbers
        return layer.out_channels, (size + 2 * int(pad) - d * (k - 1) - 1) // s + 1
    if isinstance(layer, nn.ConvTranspose2d):
        k, s, d, p = layer.kernel_size[0], layer.stride[0], layer.dilation[0], layer.padding[0]
        return layer.out_channels, (size - 1) * s - 2 * int(p) + d * (k - 1) + layer.output_padding[0] + 1
    return channels, size


@functools.cache
def max_run_bytes() -> int:
    """The most a described generator may need for one forward: the largest preset's generator at
    :data:`MAX_MODEL_SIDE`, times :data:`RUN_MARGIN`."""
    need = max(generator_run_bytes(preset(name)[0], MAX_MODEL_SIDE) for name in list_presets())
    return int(need * RUN_MARGIN)


def check_run_memory(cfg: GeneratorConfig, side: int) -> int:
    """The bytes of one forward of ``cfg`` at ``side``; ``UserError`` when over :func:`max_run_bytes`
    (then the generator must not be built)."""
    need = generator_run_bytes(cfg, side)
    if need > max_run_bytes():
        raise UserError(
            Text(
                "this generator (ngf {ngf}, depth {depth}) would need {need} MiB to run at {side}x{side}, "
                "more than the {limit} MiB allowed for a checkpoint's generator",
                ngf=cfg.ngf,
                depth=cfg.depth,
                need=f"{need / MiB:,.0f}",
                side=side,
                limit=f"{max_run_bytes() / MiB:,.0f}",
            )
        )
    return need

"""Conv2d and ConvTranspose2d step by step, on small integers, with PyTorch's numbers.

``conv_animation(...)`` returns a ``ConvAnimation``: the integer ``input`` (H, H) and ``kernel``
(k, k), the ``output`` computed by ``torch.nn.functional.conv2d`` / ``conv_transpose2d`` on the
same numbers, the output-size formula with the numbers filled in, and one or two views (``View``),
each a list of frames (``Frame``) computed here independently, so that the last frame's
``accumulated`` being equal to ``output`` is a check, not a copy:

- Conv2d, *gather*: one frame per output cell; the kernel window slides over the padded input
  (with stride and dilation) and the cell gets the sum of products.
- ConvTranspose2d, *scatter*: one frame per input cell; the cell times the kernel is added into
  an output canvas at stride steps, and ``padding`` crops the canvas's border
  (``output_padding`` adds rows and columns at the bottom and right).
- ConvTranspose2d, *equivalent conv*: the same output as a stride-1 convolution, with the
  kernel flipped, over the input with ``stride - 1`` zeros stuffed between its cells and padded
  by ``dilation * (kernel - 1) - padding`` (negative: cropped), plus ``output_padding`` on the
  bottom and right.

Sizes are capped (input <= 16, kernel <= 7, output <= 32) so that a frame list stays short
enough to draw and to play: at most 1024 frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from inspector.display import RichDisplay
from models.text import Text

Cell = tuple[int, int]  # (row, col)

MAX_IN_SIZE = 16
MAX_KERNEL = 7
MAX_STRIDE = 4
MAX_DILATION = 3
MAX_PADDING = 8
MAX_OUT_SIZE = 32


@dataclass(frozen=True)
class ConvSettings:
    """One square conv: the arguments of ``conv_animation``. Frozen, so it keys caches."""

    in_size: int
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    output_padding: int = 0
    transposed: bool = False

    @property
    def k_eff(self) -> int:
        """Span of the dilated kernel: dilation * (kernel - 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def numbers(self) -> tuple[int, int, int, int, int, int]:
        """(in_size, kernel, stride, padding, dilation, output_padding): the formula's symbols."""
        return self.in_size, self.kernel, self.stride, self.padding, self.dilation, self.output_padding

    @property
    def out_size(self) -> int:
        """PyTorch's output size (may be < 1 for impossible settings; ``validate`` refuses those)."""
        n, k, s, p, d, op = self.numbers
        if self.transposed:
            return (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        return (n + 2 * p - d * (k - 1) - 1) // s + 1

    @property
    def formula(self) -> str:
        """The output-size formula in symbols."""
        if self.transposed:
            return "out = (in - 1)·stride - 2·padding + dilation·(kernel - 1) + output_padding + 1"
        return "out = floor((in + 2·padding - dilation·(kernel - 1) - 1) / stride) + 1"

    @property
    def formula_filled(self) -> str:
        """The formula with this conv's numbers, e.g. ``out = floor((4 + 2·1 - 1·(4 - 1) - 1) / 2) + 1 = 2``."""
        n, k, s, p, d, op = self.numbers
        if self.transposed:
            return f"out = ({n} - 1)·{s} - 2·{p} + {d}·({k} - 1) + {op} + 1 = {self.out_size}"
        return f"out = floor(({n} + 2·{p} - {d}·({k} - 1) - 1) / {s}) + 1 = {self.out_size}"

    @property
    def equivalent_text(self) -> str:
        """How a transposed conv is a plain conv (empty for a plain conv), with the numbers."""
        if not self.transposed:
            return ""
        s, p, d, op = self.stride, self.padding, self.dilation, self.output_padding
        stuffed = (self.in_size - 1) * s + 1
        pad = d * (self.kernel - 1) - p
        grid = stuffed + 2 * pad + op
        pad_text = f"pad {pad} on each side" if pad >= 0 else f"crop {-pad} from each side"
        extra = f" and {op} more at the bottom and right (output_padding)" if op else ""
        return (
            f"stuff {s - 1} zero(s) between input cells: ({self.in_size} - 1)·{s} + 1 = {stuffed}; "
            f"{pad_text} (dilation·(kernel - 1) - padding = {d}·{self.kernel - 1} - {p}){extra}: {grid}; "
            f"slide the flipped kernel with stride 1, dilation {d}: {grid} - {self.k_eff} + 1 = {self.out_size}"
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the rule (and the formula) that these settings break."""
        ranges = {
            "in_size": (1, MAX_IN_SIZE),
            "kernel": (1, MAX_KERNEL),
            "stride": (1, MAX_STRIDE),
            "dilation": (1, MAX_DILATION),
            "padding": (0, MAX_PADDING),
            "output_padding": (0, MAX_STRIDE),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(Text("{name} must be an integer, got {value}", name=name, value=repr(value)))
            if value < low:
                raise ValueError(
                    Text(
                        "{name} must be in [{low}, {high}], got {value}: {formula} needs {name} >= {low}",
                        name=name,
                        low=low,
                        high=high,
                        value=value,
                        formula=self.formula,
                    )
                )
            if value > high:
                raise ValueError(
                    Text(
                        "{name} must be in [{low}, {high}] (the animation caps it so that frames stay few), "
                        "got {value}",
                        name=name,
                        low=low,
                        high=high,
                        value=value,
                    )
                )
        if not self.transposed and self.output_padding:
            raise ValueError(
                Text(
                    "output_padding applies to ConvTranspose2d only; got {value} for a Conv2d (use 0)",
                    value=self.output_padding,
                )
            )
        if self.transposed and not (self.output_padding < self.stride or self.output_padding < self.dilation):
            raise ValueError(
                Text(
                    "output_padding must be smaller than either stride or dilation (PyTorch's rule), got "
                    "output_padding={output_padding}, stride={stride}, dilation={dilation}: it only picks one of "
                    "the `stride` input sizes that map to the same output size",
                    output_padding=self.output_padding,
                    stride=self.stride,
                    dilation=self.dilation,
                )
            )
        if self.out_size < 1:
            hint = (
                Text(
                    "the dilated kernel, dilation·(kernel - 1) + 1 = {k_eff}, is wider than the padded input, "
                    "in + 2·padding = {padded}",
                    k_eff=self.k_eff,
                    padded=self.in_size + 2 * self.padding,
                )
                if not self.transposed
                else Text("padding crops more than the output has")
            )
            raise ValueError(
                Text("output size below 1: {formula}; {hint}", formula=self.formula_filled, hint=hint)
            )
        if self.out_size > MAX_OUT_SIZE:
            raise ValueError(
                Text(
                    "output size {size} is above the animation's cap of {cap}: {formula}; use a smaller input, "
                    "stride or kernel",
                    size=self.out_size,
                    cap=MAX_OUT_SIZE,
                    formula=self.formula_filled,
                )
            )


@dataclass(frozen=True)
class Frame:
    """One step. Cells are (row, col).

    ``window``: where each kernel tap lands, row-major over the kernel as the view applies it, in
    the view's ``grid`` coordinates (gather) or ``canvas`` coordinates (scatter).
    ``accumulated``: (out, out) the output so far. ``canvas``: scatter only, the uncropped sums.
    ``reached``: scatter only, which canvas cells some input cell has written (even a sum of 0).
    """

    input_cells: tuple[Cell, ...]  # cells of ``input`` that contribute in this step
    output_cells: tuple[Cell, ...]  # cells of ``output`` that change in this step
    window: tuple[Cell, ...]
    accumulated: np.ndarray
    canvas: np.ndarray | None = None
    reached: np.ndarray | None = None  # scatter only: (C, C) bool, canvas cells written so far


@dataclass(frozen=True)
class View:
    """One way to compute the output, frame by frame.

    gather: ``grid`` (G, G) is the input as the kernel sees it (padded; for the equivalent conv
    also zero-stuffed), ``source`` (G, G) the index r * in_size + c of the input cell at each
    grid cell, -1 for a padding or stuffed zero. scatter: ``grid``/``source`` are the input
    itself, ``canvas_size`` the side of the uncropped output canvas and ``crop`` the rows and
    columns cut from its top and left (= padding).
    """

    name: Literal["gather", "scatter", "equivalent"]
    title: str
    grid: np.ndarray
    source: np.ndarray
    kernel: np.ndarray  # (k, k) as applied: flipped for the equivalent conv
    stride: int  # stride of the window on the grid (1 for the equivalent conv)
    frames: tuple[Frame, ...]
    canvas_size: int = 0
    crop: int = 0


@dataclass(frozen=True)
class ConvAnimation(RichDisplay):
    settings: ConvSettings
    input: np.ndarray  # (in, in) int64
    kernel: np.ndarray  # (k, k) int64
    output: np.ndarray  # (out, out) int64, from torch.nn.functional
    views: tuple[View, ...]  # gather for Conv2d; scatter then equivalent for ConvTranspose2d

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The main view's frames (gather for Conv2d, scatter for ConvTranspose2d)."""
        return self.views[0].frames

    @property
    def out_size(self) -> int:
        return self.settings.out_size

    @property
    def formula(self) -> str:
        return self.settings.formula

    @property
    def formula_filled(self) -> str:
        return self.settings.formula_filled

    def view(self, name: str) -> View:
        for v in self.views:
            if v.name == name:
                return v
        raise ValueError(f"view must be one of {', '.join(v.name for v in self.views)}; got {name!r}")


def conv_animation(
    in_size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
    transposed: bool = False,
    seed: int = 0,
) -> ConvAnimation:
    """The frames of one square, single-channel Conv2d (or ConvTranspose2d) on small integers.

    Input values are drawn from 0..3 and kernel values from -1..2 (conv_arithmetic's style),
    reproducibly from ``seed``. Raises ``ValueError`` for settings PyTorch refuses or beyond
    the caps.
    """
    cfg = ConvSettings(in_size, kernel, stride, padding, dilation, output_padding, bool(transposed))
    cfg.validate()
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(in_size, in_size), dtype=np.int64)
    w = rng.integers(-1, 3, size=(kernel, kernel), dtype=np.int64)
    output = torch_output(cfg, x, w)
    views: tuple[View, ...]
    if cfg.transposed:
        views = (_scatter(cfg, x, w), _equivalent(cfg, x, w))
    else:
        views = (
            _gather(cfg, "gather", "Conv2d: the kernel gathers", _padded(x, cfg.padding), w, cfg.stride),
        )
    return ConvAnimation(cfg, x, w, output, views)


def torch_output(cfg: ConvSettings, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """PyTorch's result for ``x`` (H, W) and ``w`` (k, k) as an int64 (out, out) array.

    float64 holds these small integer sums exactly, so rounding back is lossless.
    """
    xt = torch.from_numpy(x).double()[None, None]  # (1, 1, H, W)
    wt = torch.from_numpy(w).double()[None, None]  # (C_out=1, C_in=1, k, k) (or (C_in, C_out, ...))
    if cfg.transposed:
        y = F.conv_transpose2d(
            xt,
            wt,
            stride=cfg.stride,
            padding=cfg.padding,
            output_padding=cfg.output_padding,
            dilation=cfg.dilation,
        )
    else:
        y = F.conv2d(xt, wt, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation)
    return y[0, 0].round().long().numpy()


def _padded(x: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(grid, source) of x zero-padded by p on each side."""
    n = x.shape[0]
    source = np.full((n + 2 * p, n + 2 * p), -1, dtype=np.int64)
    source[p : p + n, p : p + n] = np.arange(n * n).reshape(n, n)
    grid = np.zeros_like(source)
    grid[p : p + n, p : p + n] = x
    return grid, source


def _gather(
    cfg: ConvSettings,
    name: Literal["gather", "equivalent"],
    title: str,
    grid_source: tuple[np.ndarray, np.ndarray],
    w: np.ndarray,
    stride: int,
) -> View:
    """Slide ``w`` over the grid: output[r, c] = sum_ij grid[r*s + i*d, c*s + j*d] * w[i, j]."""
    grid, source = grid_source
    n, k, d, out = cfg.in_size, cfg.kernel, cfg.dilation, cfg.out_size
    acc = np.zeros((out, out), dtype=np.int64)
    frames = []
    for r in range(out):
        for c in range(out):
            window = tuple((r * stride + i * d, c * stride + j * d) for i in range(k) for j in range(k))
            acc[r, c] = sum(grid[a, b] * w[i, j] for (a, b), (i, j) in zip(window, np.ndindex(k, k)))
            cells = tuple(divmod(int(source[a, b]), n) for a, b in window if source[a, b] >= 0)
            frames.append(Frame(cells, ((r, c),), window, acc.copy()))
    return View(name, title, grid, source, w, stride, tuple(frames))


def _scatter(cfg: ConvSettings, x: np.ndarray, w: np.ndarray) -> View:
    """Each input cell times ``w`` added into the canvas at (a*s + i*d, b*s + j*d); the output is
    canvas[p : p + out] in both axes (the canvas is long enough for output_padding)."""
    n, k, s, p, d, out = cfg.in_size, cfg.kernel, cfg.stride, cfg.padding, cfg.dilation, cfg.out_size
    size = (n - 1) * s + cfg.k_eff + cfg.output_padding
    canvas = np.zeros((size, size), dtype=np.int64)
    reached = np.zeros((size, size), dtype=bool)
    frames = []
    for a in range(n):
        for b in range(n):
            window = tuple((a * s + i * d, b * s + j * d) for i in range(k) for j in range(k))
            for (u, v), (i, j) in zip(window, np.ndindex(k, k)):
                canvas[u, v] += x[a, b] * w[i, j]
                reached[u, v] = True
            hit = tuple((u - p, v - p) for u, v in window if 0 <= u - p < out and 0 <= v - p < out)
            frames.append(
                Frame(
                    ((a, b),),
                    hit,
                    window,
                    canvas[p : p + out, p : p + out].copy(),
                    canvas.copy(),
                    reached.copy(),
                )
            )
    source = np.arange(n * n, dtype=np.int64).reshape(n, n)
    return View(
        "scatter",
        "ConvTranspose2d: each input cell scatters",
        x,
        source,
        w,
        s,
        tuple(frames),
        canvas_size=size,
        crop=p,
    )


def _equivalent(cfg: ConvSettings, x: np.ndarray, w: np.ndarray) -> View:
    """The transposed conv as a stride-1 conv with the flipped kernel over the stuffed grid."""
    n, s, p, out = cfg.in_size, cfg.stride, cfg.padding, cfg.out_size
    q = cfg.dilation * (cfg.kernel - 1)  # full padding; the conv's padding p crops it to q - p
    size = (n - 1) * s + 1 + 2 * q + cfg.output_padding
    full_src = np.full((size, size), -1, dtype=np.int64)
    full_src[q : q + (n - 1) * s + 1 : s, q : q + (n - 1) * s + 1 : s] = np.arange(n * n).reshape(n, n)
    g = out + q  # grid side the stride-1 conv needs: out + k_eff - 1
    source = full_src[p : p + g, p : p + g]
    grid = np.where(source >= 0, x.reshape(-1)[np.maximum(source, 0)], 0)
    return _gather(
        cfg,
        "equivalent",
        "the same as a conv: flipped kernel over the zero-stuffed input",
        (grid, source),
        w[::-1, ::-1].copy(),
        1,
    )

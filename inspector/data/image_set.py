"""Image sets for training: decoded once to uint8, then batched, flipped and converted on the device.

The notebook decodes, resizes and converts every image to Lab with scikit-image on the CPU for
every step. Here each image is decoded and resized once (:func:`sample_images`,
:func:`load_folder`, :func:`load_uploads`) into one (N, 3, S, S) uint8 tensor; the training loop
moves it to its device once and :func:`make_batch` does the random crops, flips and the RGB->Lab
conversion there as batched tensor code.

Bad files are never fatal: each one is skipped and listed in ``ImageSet.skipped`` with its reason.
Only when nothing usable is left does loading raise a ``UserError``, which lists why.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from inspector.colour.lab import normalize_lab, rgb_to_lab
from inspector.data.archives import is_zip, read_zip
from inspector.data.folders import walk_folder
from inspector.data.images import (
    DEFAULT_LIMITS,
    UPLOAD_LIMITS,
    BadImage,
    Limits,
    PixelBudget,
    PixelBudgetExceeded,
    fit_square,
    human_bytes,
    image_to_tensor,
    load_image,
)
from inspector.data.samples import SAMPLE_FILES, sample_photo
from inspector.display import RichDisplay
from inspector.errors import UserError
from models.text import Text, compose, join


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why (in words for the user)."""

    name: str
    reason: str


@dataclass
class ImageSet(RichDisplay):
    """Decoded images of one size, kept as uint8 on the CPU until training moves them.

    images: (N, 3, S, S) uint8; names: N names (path or archive member); skipped: files not used.
    """

    images: torch.Tensor
    names: list[str]
    skipped: list[SkippedFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.images.dim() != 4 or self.images.shape[1] != 3 or self.images.dtype != torch.uint8:
            raise ValueError(
                f"images must be (N, 3, S, S) uint8, got {tuple(self.images.shape)} {self.images.dtype}"
            )
        if len(self.names) != self.images.shape[0]:
            raise ValueError(f"{self.images.shape[0]} images but {len(self.names)} names")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def size(self) -> int:
        """S, the side of every image."""
        return self.images.shape[-1]


class _Collector:
    """Decodes files one by one into a growing set, skipping (and noting) every bad one."""

    def __init__(self, size: int, limits: Limits) -> None:
        if size < limits.min_side:
            raise UserError(
                Text(
                    "image size must be at least {min_side} px, got {size}",
                    min_side=limits.min_side,
                    size=size,
                )
            )
        self.size = size
        self.limits = limits
        # How many decoded images fit: the count cap, or the memory cap at this size if smaller.
        self.max_images = max(1, min(limits.max_images, limits.max_set_bytes // (3 * size * size)))
        self.images: list[torch.Tensor] = []  # each (3, size, size) uint8
        self.names: list[str] = []
        self.skipped: list[SkippedFile] = []
        self.total_bytes = 0
        self.seen_bytes: dict[str, str] = {}  # sha256 of the file -> name of the first one
        self.seen_pixels: dict[str, str] = {}  # sha256 of the resized pixels -> name
        self.budget = PixelBudget(limits.max_total_pixels)
        self.stopped = False  # the pixel budget ran out: nothing more is read

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(SkippedFile(name, reason))

    def add(self, name: str, data: bytes, allow_archive: bool = True) -> None:
        """One file: a zip archive (its members are added) or an image."""
        if self._over_budget(name, len(data)):
            return
        if is_zip(name, data):
            if not allow_archive:
                self.skip(name, Text("nested archive, refused (upload it on its own)"))
                return
            members = 0
            room = lambda: self.limits.max_total_bytes - self.total_bytes  # noqa: E731
            for member in read_zip(name, data, self.limits, room=room):
                members += 1
                if self.stopped:  # the pixel budget ran out: leave the rest deflated
                    break
                if len(self.images) >= self.max_images:  # stop inflating: nothing more can be kept
                    self.skip(
                        f"{name} (the rest)",
                        Text(
                            "not read: the limit of {limit} images at {size}x{size} was reached",
                            limit=f"{self.max_images:,}",
                            size=self.size,
                        ),
                    )
                    break
                if member.data is None:
                    self.skip(member.name, member.refused or Text("refused"))
                elif not self._over_budget(member.name, len(member.data)):
                    self.add_image(member.name, member.data)
            if members == 0:
                self.skip(name, Text("the zip archive holds no files"))
            return
        self.add_image(name, data)

    def add_image(self, name: str, data: bytes) -> None:
        """One image file: decoded, checked for duplicates, resized, kept."""
        if len(self.images) >= self.max_images:
            self.skip(
                name,
                Text(
                    "the limit of {limit} images at {size}x{size} was reached",
                    limit=f"{self.max_images:,}",
                    size=self.size,
                ),
            )
            return
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.seen_bytes:
            self.skip(name, Text("duplicate of {first}", first=self.seen_bytes[digest]))
            return
        self.seen_bytes[digest] = name
        try:
            image = load_image(data, name, limits=self.limits, draft_size=self.size, budget=self.budget)
        except PixelBudgetExceeded as error:
            self.skip(name, error.reason)
            self.stopped = True
            return
        except BadImage as error:
            self.skip(name, error.reason)
            return
        self.keep(name, image_to_tensor(fit_square(image, self.size)))

    def keep(self, name: str, pixels: torch.Tensor) -> None:
        """One decoded (3, size, size) uint8 image, unless the same pixels are already kept."""
        # The same photo saved twice (other metadata, PNG and BMP) is a duplicate too.
        pixel_digest = hashlib.sha256(pixels.numpy().tobytes()).hexdigest()
        if pixel_digest in self.seen_pixels:
            self.skip(name, Text("duplicate of {first} (same pixels)", first=self.seen_pixels[pixel_digest]))
            return
        self.seen_pixels[pixel_digest] = name
        self.images.append(pixels)
        self.names.append(name)

    def _over_budget(self, name: str, n_bytes: int) -> bool:
        """Count bytes against the total cap; True (and skip the file) once it would be exceeded."""
        if self.total_bytes + n_bytes > self.limits.max_total_bytes:
            self.skip(
                name,
                Text(
                    "over the limit of {total} for all files together",
                    total=human_bytes(self.limits.max_total_bytes),
                ),
            )
            return True
        self.total_bytes += n_bytes
        return False

    def finish(self, source: str) -> ImageSet:
        """The set, or a UserError that lists why nothing was usable (``source``: a path, or a
        ``Text`` such as "the uploaded files")."""
        if not self.images:
            if not self.skipped:
                raise UserError(Text("No usable image in {source}.", source=source))
            shown = join(
                [compose("{name}: {reason}", name=s.name, reason=s.reason) for s in self.skipped[:8]], "; "
            )
            more = Text("; and {n} more", n=len(self.skipped) - 8) if len(self.skipped) > 8 else ""
            raise UserError(
                Text(
                    "No usable image in {source}. Skipped: {shown}{more}.",
                    source=source,
                    shown=shown,
                    more=more,
                )
            )
        return ImageSet(torch.stack(self.images), list(self.names), list(self.skipped))


def sample_images(size: int = 256) -> ImageSet:
    """The colour photographs shipped with scikit-image (see ``SAMPLE_FILES``), size x size uint8.

    Read from the installed package, never downloaded; a file missing from this installation is
    listed in ``skipped``. The result is cached per size (a copy is returned each time).
    """
    cached = _sample_images(size)
    return ImageSet(cached.images.clone(), list(cached.names), list(cached.skipped))


@functools.lru_cache(maxsize=4)
def _sample_images(size: int) -> ImageSet:
    collector = _Collector(size, DEFAULT_LIMITS)
    for name in SAMPLE_FILES:
        try:
            collector.keep(name, image_to_tensor(sample_photo(name, size)))
        except BadImage as error:
            collector.skip(name, error.reason)
        except UserError as error:  # a file this scikit-image does not ship
            collector.skip(name, error.args[0])
    return collector.finish(Text("the scikit-image sample photos"))


def load_folder(path: str | os.PathLike[str], size: int, limits: Limits = DEFAULT_LIMITS) -> ImageSet:
    """Every image under a folder, at any depth, as size x size uint8 (zip files in it are read too).

    Symbolic links are followed only when they point inside the folder; hidden folders (``.git``)
    are not entered; at most ``limits.max_files`` files are looked at, and at most
    ``limits.max_total_pixels`` decoded (see :func:`inspector.data.folders.walk_folder`). Names
    are relative paths.
    """
    root = Path(path)
    if not root.is_dir():
        raise UserError(Text("{path} is not a folder: give a folder of images", path=str(path)))
    collector = _Collector(size, limits)
    for entry in walk_folder(root, limits):
        if collector.stopped:
            break
        if entry.path is None:
            collector.skip(entry.name, entry.reason or Text("not read"))
            continue
        try:
            with open(entry.path, "rb") as stream:
                data = stream.read(limits.max_file_bytes + 1)  # bounded: the file may grow
        except OSError as error:
            collector.skip(entry.name, Text("cannot be read: {error}", error=str(error.strerror or error)))
            continue
        collector.add(entry.name, data)
    return collector.finish(str(path))


def load_uploads(files: list[tuple[str, bytes]], size: int, limits: Limits = UPLOAD_LIMITS) -> ImageSet:
    """Uploaded images and/or zip archives of images, read in memory, as size x size uint8.

    files: (file name, bytes) pairs, e.g. from ``st.file_uploader``. Zip members are read one by
    one in memory; nothing is written to disk. Names are the file names (``archive.zip/member``).
    The default limits are the upload ones: a lower total pixel budget than for a folder.
    """
    if not files:
        raise UserError(Text("No files were uploaded: add images or a zip of images"))
    collector = _Collector(size, limits)
    for name, data in files:
        if collector.stopped:
            break
        collector.add(name, data)
    return collector.finish(Text("the uploaded files"))


def split_train_val(s: ImageSet, val_fraction: float = 0.2, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """A seeded random split into (train, val); val gets round(N * val_fraction) images.

    With at least 2 images and a val_fraction above 0, each side gets at least one image. Both
    parts keep the source's ``skipped`` list, since both come from the same files.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise UserError(Text("val_fraction must be in [0, 1), got {value}", value=val_fraction))
    n = len(s)
    n_val = round(n * val_fraction)
    if val_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = sorted(order[:n_val].tolist()), sorted(order[n_val:].tolist())

    def part(indices: list[int]) -> ImageSet:
        images = s.images[indices] if indices else s.images[:0]
        return ImageSet(images, [s.names[i] for i in indices], list(s.skipped))

    return part(train_idx), part(val_idx)


def make_batch(
    images_u8: torch.Tensor,
    batch: int,
    size: int,
    generator: torch.Generator,
    flip: bool = True,
    crop: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random training batch, made on the images' device: L (B, 1, size, size), ab (B, 2, size, size).

    images_u8: (N, 3, S, S) uint8 on the training device. Picks ``batch`` indices with replacement
    (a set smaller than a batch still works), a random size x size crop of each when S > size (with
    crop=False the whole image is resized instead), and flips each left-right with probability
    1/2. An S smaller than size is resized up first. Then RGB -> Lab, normalized as the notebook
    does. All random numbers come from ``generator`` on its own device, so a seeded CPU generator
    gives the same batch on every device.
    """
    n, s = _check_images(images_u8)
    if batch < 1 or size < 1:
        raise ValueError(f"batch and size must be positive, got batch={batch}, size={size}")
    device = images_u8.device
    draw: dict[str, Any] = {"generator": generator, "device": generator.device}
    # Every draw in one (4, B) tensor, moved in one copy: a plain CPU -> GPU copy of pageable memory
    # waits for the GPU, and four of them per step would stop the CPU from queueing work ahead.
    cropping = crop and s > size
    draws = torch.stack(
        [
            torch.randint(n, (batch,), **draw),
            torch.randint(s - size + 1, (batch,), **draw)
            if cropping
            else torch.zeros(batch, dtype=torch.long),
            torch.randint(s - size + 1, (batch,), **draw)
            if cropping
            else torch.zeros(batch, dtype=torch.long),
            (torch.rand(batch, **draw) < 0.5).long() if flip else torch.zeros(batch, dtype=torch.long),
        ]
    )  # (4, B) on the generator's device
    if draws.device != device:
        if device.type == "cuda" and draws.device.type == "cpu":
            draws = draws.pin_memory()
        draws = draws.to(device, non_blocking=True)
    index, top, left = draws[0], draws[1], draws[2]  # (B,) each
    mirrored = draws[3].bool()  # (B,)

    if (crop and s > size) or s == size:
        # One gather does crop and flip in uint8: row r of sample i is top[i] + r, column c is
        # left[i] + c, or left[i] + size - 1 - c when that sample is mirrored.
        steps = torch.arange(size, device=device)  # (size,)
        rows = top[:, None] + steps  # (B, size)
        cols = left[:, None] + torch.where(mirrored[:, None], size - 1 - steps, steps)  # (B, size)
        picked = images_u8[index[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (B, size, size, 3)
        rgb = picked.permute(0, 3, 1, 2).float() / 255.0  # (B, 3, size, size)
    else:
        rgb = _resize(images_u8[index].float() / 255.0, size)  # (B, 3, size, size)
        rgb = torch.where(mirrored[:, None, None, None], rgb.flip(-1), rgb)
    L, ab = normalize_lab(rgb_to_lab(rgb.contiguous()))
    return L.contiguous(), ab.contiguous()


def lab_batch(images_u8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Whole images, no augmentation (validation): (N, 3, S, S) uint8 -> L (N, 1, S, S), ab (N, 2, S, S).

    float32, on the images' device, normalized as the notebook does (L/50 - 1, ab/110).
    """
    _check_images(images_u8)
    L, ab = normalize_lab(rgb_to_lab(images_u8.float() / 255.0))
    return L.contiguous(), ab.contiguous()


def _check_images(images_u8: torch.Tensor) -> tuple[int, int]:
    """(N, S) of a (N, 3, S, S) uint8 tensor, or a ValueError that says what was given instead."""
    if images_u8.dim() != 4 or images_u8.shape[1] != 3 or images_u8.shape[2] != images_u8.shape[3]:
        raise ValueError(f"images must be (N, 3, S, S), got {tuple(images_u8.shape)}")
    if images_u8.dtype != torch.uint8:
        raise ValueError(f"images must be uint8, got {images_u8.dtype}")
    if images_u8.shape[0] == 0:
        raise ValueError("no images to make a batch from")
    return images_u8.shape[0], images_u8.shape[-1]


def _resize(rgb: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 3, S, S) float in [0, 1] -> (B, 3, size, size), bicubic with antialiasing like Pillow's."""
    out = F.interpolate(rgb, size=(size, size), mode="bicubic", align_corners=False, antialias=True)
    return out.clamp(0.0, 1.0)  # bicubic overshoots a little at sharp edges

"""Safe decoding of one untrusted image file into 8-bit RGB, and the resize used for training.

Every image a user gives (a folder, an upload, a zip member, a photo to colorize) goes through
:func:`load_image`, which turns every way a file can be bad into a :class:`BadImage` (a
``UserError``) with one plain reason: not an image, corrupt or truncated, too small, too many
pixels (a decompression bomb), or a colour mode that cannot be converted.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from inspector.colour.lab import lab_to_rgb, rgb_to_uint8
from inspector.errors import UserError
from models.text import Text, compose

# Only these decoders are ever run on user bytes. Pillow can open many more formats, some of them
# by calling out to other programs (EPS runs Ghostscript); a short allowlist keeps the attack
# surface to the formats photos come in. (Camera MPO files come through the JPEG decoder.) Each
# format's file suffixes are what upload widgets offer; the decoder judges the bytes, not the name.
PHOTO_FORMATS: dict[str, tuple[str, ...]] = {
    "PNG": ("png",),
    "JPEG": ("jpg", "jpeg", "jfif"),
    "GIF": ("gif",),
    "BMP": ("bmp",),
    "TIFF": ("tif", "tiff"),
    "WEBP": ("webp",),
    "PPM": ("ppm", "pgm", "pbm", "pnm"),
}
ACCEPTED_FORMATS = tuple(PHOTO_FORMATS)
PHOTO_TYPES = tuple(suffix for suffixes in PHOTO_FORMATS.values() for suffix in suffixes)

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps on untrusted input. The defaults fit a teaching tool on a laptop; tests lower them."""

    max_file_bytes: int = 50 * MiB  # one image file or one zip member, as stored
    max_total_bytes: int = 512 * MiB  # all files, uploads and decompressed zip members together
    max_pixels: int = 50_000_000  # width x height, checked from the header before decoding
    # A small file may not describe a huge image: at most this many pixels per byte of file, above
    # the free allowance. A PNG photo has under 1 pixel per byte, a JPEG photo 2 to 12 (JPEGs over
    # the cap are decoded at 1/2, 1/4 or 1/8 scale instead of refused); a single-colour PNG packs
    # 1000. Decoding costs 4 bytes per pixel plus conversions: a file under 1 MB stays near 100 MB.
    max_pixels_per_byte: int = 4
    free_pixels: int = 4_000_000  # any file may decode this many (a 4 MP flat screenshot is fine)
    min_side: int = 16  # smaller images hold too little to learn colour from
    max_images: int = 2_000  # at 256x256 that is 393 MB of uint8, kept in memory
    max_set_bytes: int = 1024 * MiB  # the decoded set in memory: fewer images at larger sizes
    max_files: int = 5_000  # files looked at in a folder, and entries in one zip archive
    # Pixels decoded for one folder or one upload batch together, counted from each header before
    # decoding: a few KB of single-colour PNGs can describe hundreds of millions of pixels.
    max_total_pixels: int = 1_000_000_000


DEFAULT_LIMITS = Limits()
# Uploads come from anyone who can reach the server, folders from the user's own disk: the
# upload budget is lower (150 M pixels: 800 JPEGs of 12 MP after draft scaling, or 75 PNGs of 2 MP).
UPLOAD_LIMITS = Limits(max_total_pixels=150_000_000)


class PixelBudgetExceeded(UserError):
    """Decoding one more image would pass the total pixel budget: loading stops here. ``reason``
    is the message without the file's name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(compose("{name}: {reason}", name=name, reason=reason))
        self.name = name
        self.reason = reason


@dataclass
class PixelBudget:
    """Pixels left for a batch of images (one folder, one upload), taken before each decode."""

    limit: int
    used: int = 0

    def take(self, pixels: int, name: str) -> None:
        """Count ``pixels`` against the budget, or raise :class:`PixelBudgetExceeded` (nothing taken)."""
        if self.used + pixels > self.limit:
            raise PixelBudgetExceeded(
                name,
                Text(
                    "decoding it would pass the budget of {limit} pixels for all images "
                    "together ({used} used); it and the rest were not read",
                    limit=f"{self.limit:,}",
                    used=f"{self.used:,}",
                ),
            )
        self.used += pixels


class BadImage(UserError):
    """An image file that cannot be used. ``reason`` is the message without the file's name."""

    def __init__(self, name: str, reason: str) -> None:
        # a layout without words: the reason (a Text) is what a page translates
        super().__init__(compose("{name}: {reason}", name=name, reason=reason))
        self.name = name
        self.reason = reason


def load_image(
    data: bytes,
    name: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    draft_size: int | None = None,
    budget: PixelBudget | None = None,
) -> Image.Image:
    """Decode untrusted bytes into an 8-bit RGB image, upright (EXIF orientation applied).

    Raises :class:`BadImage` (a ``UserError``) with a clear reason when the bytes are not a usable
    image. ``draft_size`` lets the JPEG decoder scale down by 1/2, 1/4 or 1/8 while it decodes,
    keeping both sides at least that large: a 24-megapixel photo for a 256 pixel crop decodes
    about 20x faster. ``budget``, when given, is charged the pixels about to be decoded (after
    the draft scaling), from the header, before decoding; :class:`PixelBudgetExceeded` when it
    would be passed.
    """
    if not data:
        raise BadImage(name, Text("the file is empty"))
    too_big = oversized(len(data), limits)
    if too_big is not None:
        raise BadImage(name, too_big)
    with warnings.catch_warnings():
        # Pillow only warns between its own cap and twice that; a warning is as bad as the error.
        # (catch_warnings is process-wide, so a concurrent thread may merely print the warning:
        # the explicit pixel cap below refuses such an image either way.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise BadImage(name, Text("refused as a decompression bomb: {error}", error=str(error))) from None
        except UnidentifiedImageError:
            accepted = ", ".join(ACCEPTED_FORMATS)
            raise BadImage(
                name, Text("not an image, or not in an accepted format ({accepted})", accepted=accepted)
            ) from None
        except Exception as error:  # a broken header can raise nearly anything inside Pillow
            raise BadImage(name, Text("cannot be read: {error}", error=_describe(error))) from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise BadImage(
            name,
            Text(
                "{width}x{height} is {pixels} pixels, over the limit of {limit} "
                "(refused as a possible decompression bomb)",
                width=width,
                height=height,
                pixels=f"{width * height:,}",
                limit=f"{limits.max_pixels:,}",
            ),
        )
    if min(width, height) < limits.min_side:
        raise BadImage(
            name,
            Text(
                "too small: {width}x{height}, each side must be at least {min_side} px",
                width=width,
                height=height,
                min_side=limits.min_side,
            ),
        )
    if draft_size is not None and image.format in ("JPEG", "MPO"):
        image.draft(None, (draft_size, draft_size))
    _fit_pixels_to_file_size(image, len(data), name, limits)
    if budget is not None:
        budget.take(image.size[0] * image.size[1], name)  # the size to decode, after any draft scaling
    try:
        image.load()  # decoding happens here: truncated or corrupt data fails now, not later
    except Exception as error:
        raise BadImage(name, Text("corrupt or truncated: {error}", error=_describe(error))) from None
    # Malformed EXIF: the pixels are fine, only the orientation tag is lost.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)  # type: ignore[assignment]  # an Image, not an ImageFile
    return to_rgb(image, name)


def oversized(n_bytes: int, limits: Limits) -> Text | None:
    """Why a file of ``n_bytes`` is refused before a byte is read (over the per-file limit), or None:
    for a file, an upload and a zip member alike."""
    if n_bytes <= limits.max_file_bytes:
        return None
    return Text(
        "{size}, over the limit of {limit} per file",
        size=human_bytes(n_bytes),
        limit=human_bytes(limits.max_file_bytes),
    )


def _fit_pixels_to_file_size(image: Image.Image, n_bytes: int, name: str, limits: Limits) -> None:
    """Refuse an image that decodes to far more pixels than its file size suggests (a bomb), or
    for a JPEG, ask its decoder for a smaller scale that fits (as ``draft`` does for training)."""
    cap = min(limits.max_pixels, max(limits.free_pixels, limits.max_pixels_per_byte * n_bytes))
    width, height = image.size
    if width * height <= cap:
        return
    if image.format in ("JPEG", "MPO"):
        scale = math.ceil(math.sqrt(width * height / cap))
        image.draft(None, (max(1, width // scale), max(1, height // scale)))
        if image.size[0] * image.size[1] <= cap:
            return
    raise BadImage(
        name,
        Text(
            "{width}x{height} is {pixels} pixels from a file of {size}: more than "
            "{per_byte} pixels per byte, which no photo needs (refused as a possible "
            "decompression bomb)",
            width=width,
            height=height,
            pixels=f"{width * height:,}",
            size=human_bytes(n_bytes),
            per_byte=limits.max_pixels_per_byte,
        ),
    )


def load_square(data: bytes, name: str, size: int, *, limits: Limits = DEFAULT_LIMITS) -> torch.Tensor:
    """Untrusted bytes -> one (3, size, size) uint8 tensor, decoded as :func:`load_image` and cut
    as :func:`fit_square`. Raises :class:`BadImage` (a ``UserError``) for a bad file."""
    return image_to_tensor(fit_square(load_image(data, name, limits=limits, draft_size=size), size))


def to_rgb(image: Image.Image, name: str = "image") -> Image.Image:
    """Any Pillow mode -> 8-bit RGB.

    16-bit grey ("I;16*", and "I" as 16-bit PNG, PGM and TIFF open) is scaled by 255/65535 rather
    than clipped (Pillow's own ``convert("L")`` clips at 255, which turns most of a 16-bit image
    white). Float ("F") images in [0, 1] are scaled by 255, others clipped to [0, 255]. Anything
    with transparency is composited on white, so transparent areas do not turn black. CMYK,
    palette, 1-bit, YCbCr and the rest use Pillow's conversions (no colour management), except
    CIELab ("LAB", from TIFF), which Pillow gets wrong and :func:`inspector.colour.lab.lab_to_rgb` converts.
    """
    mode = image.mode
    try:
        if mode == "RGB":
            return image
        if mode.startswith("I") or mode == "F":
            return Image.fromarray(_to_uint8(np.asarray(image))).convert("RGB")
        if mode == "LAB":  # CIELab TIFF: Pillow has no real conversion, ours is exact
            return _lab_image_to_rgb(image)
        if "A" in mode or "a" in mode or "transparency" in image.info:
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return image.convert("RGB")
    except Exception as error:
        raise BadImage(
            name,
            Text(
                "colour mode {mode} cannot be converted to RGB: {error}",
                mode=repr(mode),
                error=_describe(error),
            ),
        ) from None


def _lab_image_to_rgb(image: Image.Image) -> Image.Image:
    """Pillow's "LAB" mode (L scaled to 0..255, a and b stored +128) -> sRGB via inspector.colour.lab."""
    values = torch.from_numpy(np.asarray(image, dtype=np.float64).copy()).permute(2, 0, 1)[
        None
    ]  # (1, 3, H, W)
    lab = torch.cat([values[:, :1] * (100.0 / 255.0), values[:, 1:] - 128.0], dim=1)
    return tensor_to_image(lab_to_rgb(lab)[0])


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """A single-channel integer or float array -> uint8, see :func:`to_rgb` for the scaling."""
    if values.dtype.kind == "f":
        values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            values = values * 255.0
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    wide = np.clip(values.astype(np.int64), 0, 65535)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)  # rounded, 65535 -> 255


def fit_square(image: Image.Image, size: int) -> Image.Image:
    """Scale the shorter side to ``size`` and cut the centre square: (W, H) -> (size, size).

    The notebook stretches every photo to 256x256, which squashes faces and wheels; keeping the
    aspect ratio and cropping loses a margin instead. Bicubic, as in the notebook; Pillow filters
    over the whole footprint when shrinking (antialiasing), and ``reducing_gap`` first shrinks
    large images by whole factors, which is much faster and indistinguishable at the end.
    """
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    box = (left, top, left + side, top + side)
    return image.resize((size, size), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """An RGB Pillow image (W, H) -> a (3, H, W) uint8 tensor."""
    array = np.asarray(image.convert("RGB"), dtype=np.uint8)  # (H, W, 3)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def tensor_to_image(rgb: torch.Tensor) -> Image.Image:
    """A (3, H, W) image, uint8 or float in [0, 1], on any device -> an RGB Pillow image."""
    return Image.fromarray(rgb_to_uint8(rgb))


def _describe(error: BaseException) -> str:
    """An exception as a short phrase for a user: its message, or its type when it has none."""
    text = str(error).strip()
    return text[:200] if text else type(error).__name__


def human_bytes(n: int) -> str:
    """A byte count for a message: "3.2 MB", "20 kB", "512 bytes"."""
    if n >= MiB:
        return f"{n / MiB:.1f} MB"
    return f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} bytes"

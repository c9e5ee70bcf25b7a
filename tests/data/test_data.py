"""inspector.data.images / archives / data: every kind of bad file is made here and must be skipped with
a reason, never crash; good files of every colour mode come out as the right 8-bit RGB; batches are
the crops, flips and Lab conversion they claim to be."""

from __future__ import annotations

import io
import os
import socket
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inspector import UserError
from inspector.colour.lab import normalize_lab, rgb_to_lab
from inspector.data.image_set import (
    ImageSet,
    _sample_images,
    lab_batch,
    load_folder,
    load_uploads,
    make_batch,
    sample_images,
    split_train_val,
)
from inspector.data.images import (
    ACCEPTED_FORMATS,
    PHOTO_FORMATS,
    PHOTO_TYPES,
    BadImage,
    Limits,
    fit_square,
    image_to_tensor,
    load_image,
)
from inspector.data.samples import SAMPLE_FILES, sample_photo

SIZE = 32


# --- making files -------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(seed: int, size: tuple[int, int] = (48, 40)) -> Image.Image:
    """A small random colour image; different seeds give different pictures."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def png(seed: int, size: tuple[int, int] = (48, 40)) -> bytes:
    return encode(photo(seed, size))


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only a header claiming width x height pixels (a decompression bomb's start)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps "/abs" and "../" as given
    return buffer.getvalue()


def decode(data: bytes, **limits: int) -> np.ndarray:
    """load_image -> (H, W, 3) uint8 array."""
    image = load_image(data, "test", limits=Limits(**limits))
    assert image.mode == "RGB"
    return np.asarray(image)


def reasons(s: ImageSet) -> dict[str, str]:
    return {skipped.name: skipped.reason for skipped in s.skipped}


# --- bad files: each one refused with its reason ------------------------------------------------

jpeg = encode(photo(1, (64, 64)), "JPEG", quality=90)
BAD_FILES = {
    "corrupt.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "cannot be read|corrupt|not an image"),
    "truncated.jpg": (jpeg[: len(jpeg) // 2], "corrupt or truncated"),
    "tiny.png": (encode(Image.new("RGB", (1, 1), "red")), "too small: 1x1"),
    "bomb.png": (png_header(100_000, 100_000), "decompression bomb"),
    "bomb_warning.png": (png_header(10_000, 10_000), "decompression bomb"),  # Pillow only warns here
    "notes.txt": (b"just some text, not a picture\n" * 10, "not an image"),
    "empty.png": (b"", "empty"),
    "drawing.eps": (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n", "not an image"),  # no Ghostscript
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_load_image_refuses_bad_files_with_a_reason(name: str) -> None:
    data, reason = BAD_FILES[name]
    with pytest.raises(UserError, match=reason) as caught:
        load_image(data, name)
    assert str(caught.value).startswith(f"{name}: ")


def test_pixel_cap_refuses_an_image_under_a_lowered_limit() -> None:
    data = encode(Image.new("RGB", (200, 200), "white"))  # tiny file, 40,000 pixels
    with pytest.raises(BadImage, match="40,000 pixels, over the limit of 10,000"):
        load_image(data, "big.png", limits=Limits(max_pixels=10_000))


def test_file_size_cap() -> None:
    with pytest.raises(BadImage, match="over the limit of 100 bytes per file"):
        load_image(png(0), "x.png", limits=Limits(max_file_bytes=100))


def test_every_bad_file_is_skipped_and_the_good_ones_kept() -> None:
    good = [("a.png", png(1)), ("b.jpg", jpeg)]
    bad = [(name, data) for name, (data, _) in BAD_FILES.items()]
    s = load_uploads(good + bad + [("a_again.png", png(1))], SIZE)
    assert s.names == ["a.png", "b.jpg"]
    assert s.images.shape == (2, 3, SIZE, SIZE) and s.images.dtype == torch.uint8
    why = reasons(s)
    assert set(why) == {name for name, _ in bad} | {"a_again.png"}
    assert why["a_again.png"] == "duplicate of a.png"


def test_same_pixels_in_another_format_is_a_duplicate() -> None:
    picture = photo(3)
    s = load_uploads([("p.png", encode(picture)), ("p.bmp", encode(picture, "BMP"))], SIZE)
    assert s.names == ["p.png"] and reasons(s) == {"p.bmp": "duplicate of p.png (same pixels)"}


def test_nothing_usable_raises_a_user_error_that_lists_why() -> None:
    with pytest.raises(UserError, match=r"No usable image.*notes\.txt: not an image.*tiny\.png: too small"):
        load_uploads([("notes.txt", BAD_FILES["notes.txt"][0]), ("tiny.png", BAD_FILES["tiny.png"][0])], SIZE)
    with pytest.raises(UserError, match="No files"):
        load_uploads([], SIZE)


# --- colour modes: converted to the right 8-bit RGB ----------------------------------------------


def test_cmyk_jpeg_and_tiff() -> None:
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # no cyan, full magenta and yellow: red
    for fmt in ("JPEG", "TIFF"):
        pixels = decode(encode(cmyk, fmt))
        np.testing.assert_allclose(pixels[16, 16], [255, 0, 0], atol=3)


@pytest.mark.parametrize(("fmt", "dtype"), [("PNG", np.uint16), ("TIFF", np.int32)])
def test_16_bit_grey_is_scaled_not_clipped(fmt: str, dtype: type) -> None:
    values = np.zeros((32, 32), dtype=dtype)
    values[:, 16:] = 32768  # half of 65535: must become 128, where Pillow's convert gives 255
    values[:, 24:] = 65535
    image = Image.fromarray(values)
    assert image.mode in ("I;16", "I")
    pixels = decode(encode(image, fmt))
    assert pixels[0, 0].tolist() == [0, 0, 0]
    assert pixels[0, 16].tolist() == [128, 128, 128]
    assert pixels[0, 31].tolist() == [255, 255, 255]


def test_float_image_in_0_1_is_scaled() -> None:
    pixels = decode(encode(Image.fromarray(np.full((20, 20), 0.5, dtype=np.float32)), "TIFF"))
    assert pixels[0, 0].tolist() == [128, 128, 128]


def test_palette_image_keeps_its_colours() -> None:
    rgb = Image.new("RGB", (32, 32), (0, 0, 255))
    rgb.paste((255, 128, 0), (0, 0, 16, 32))
    for fmt in ("PNG", "GIF"):
        paletted = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        pixels = decode(encode(paletted, fmt))
        assert pixels[0, 0].tolist() == [255, 128, 0] and pixels[0, 31].tolist() == [0, 0, 255]


def test_transparency_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (32, 32), (255, 0, 0, 0))  # fully transparent red
    rgba.paste((255, 0, 0, 255), (0, 0, 16, 32))  # opaque red on the left
    rgba.paste((0, 0, 0, 128), (16, 0, 32, 16))  # half-transparent black
    pixels = decode(encode(rgba))
    assert pixels[0, 0].tolist() == [255, 0, 0]
    assert pixels[31, 31].tolist() == [255, 255, 255]  # not black, as a plain convert("RGB") gives
    np.testing.assert_allclose(pixels[0, 31], [127, 127, 127], atol=1)
    grey_alpha = decode(encode(Image.new("LA", (32, 32), (0, 0))))
    assert grey_alpha[0, 0].tolist() == [255, 255, 255]
    palette_transparent = Image.new("P", (32, 32), 0)
    palette_transparent.putpalette([0, 0, 0, 10, 200, 30])
    palette_transparent.paste(1, (0, 0, 16, 32))
    pixels = decode(encode(palette_transparent, transparency=0))
    assert pixels[0, 0].tolist() == [10, 200, 30] and pixels[0, 31].tolist() == [255, 255, 255]


def test_cielab_tiff_is_converted_exactly() -> None:
    lab = np.zeros((20, 20, 3), dtype=np.uint8)
    lab[..., 0] = round(53.24 * 255 / 100)  # Pillow's LAB: L scaled to 0..255, a and b stored +128
    lab[..., 1], lab[..., 2] = 128 + 80, 128 + 67  # pure red is (53.24, 80.09, 67.20)
    pixels = decode(encode(Image.frombytes("LAB", (20, 20), lab.tobytes()), "TIFF"))
    np.testing.assert_allclose(pixels[0, 0], [255, 0, 0], atol=3)


def test_grey_and_one_bit_become_grey_rgb() -> None:
    assert decode(encode(Image.new("L", (20, 20), 77)))[0, 0].tolist() == [77, 77, 77]
    assert decode(encode(Image.new("1", (20, 20), 1)))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied() -> None:
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 20))  # red on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned, show it rotated 90 degrees clockwise
    pixels = decode(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert pixels.shape == (40, 20, 3)  # upright: 20 wide, 40 high
    assert pixels[5, 10, 0] > 200 and pixels[5, 10, 2] < 60  # the left side is now on top
    assert pixels[35, 10, 2] > 200


def test_fit_square_keeps_the_aspect_ratio_and_takes_the_centre() -> None:
    wide = Image.new("RGB", (90, 30), (255, 0, 0))
    wide.paste((0, 255, 0), (30, 0, 60, 30))  # the centre third is green
    square = fit_square(wide, 16)
    assert square.size == (16, 16)
    assert image_to_tensor(square)[:, 8, 8].tolist() == [0, 255, 0]


# --- zip archives --------------------------------------------------------------------------------


def test_zip_members_are_read_and_the_dangerous_ones_refused() -> None:
    inner = zip_of({"x.png": png(9)})
    archive = zip_of(
        {
            "photos/a.png": png(1),
            "photos/b.png": png(2),
            "photos/": b"",
            "../evil.png": png(3),
            "/abs.png": png(4),
            "C:/windows.png": png(5),
            "photos/..\\..\\evil2.png": png(6),
            "inner.zip": inner,
            "disguised.png": inner,  # a zip by content, whatever its name says
            "__MACOSX/photos/._a.png": b"\x00\x05\x16\x07",
        }
    )
    s = load_uploads([("set.zip", archive)], SIZE)
    assert s.names == ["set.zip/photos/a.png", "set.zip/photos/b.png"]
    why = reasons(s)
    assert "absolute path" in why["set.zip//abs.png"] and "absolute path" in why["set.zip/C:/windows.png"]
    assert "'..'" in why["set.zip/../evil.png"] and "'..'" in why["set.zip/photos/..\\..\\evil2.png"]
    assert "nested archive" in why["set.zip/inner.zip"] and "nested archive" in why["set.zip/disguised.png"]
    assert "macOS" in why["set.zip/__MACOSX/photos/._a.png"]


def test_zip_symlink_member_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16) | 0  # S_IFLNK
        archive.writestr(link, "/etc/passwd")
        archive.writestr("ok.png", png(1))
    s = load_uploads([("l.zip", buffer.getvalue())], SIZE)
    assert s.names == ["l.zip/ok.png"] and "symbolic link" in reasons(s)["l.zip/link.png"]


def test_oversize_member_and_too_many_members() -> None:
    big = png(1, (200, 200))  # ~120 kB of noise
    archive = zip_of({"small.png": png(2), "big.png": big})
    s = load_uploads([("z.zip", archive)], SIZE, Limits(max_file_bytes=len(big) - 1))
    assert s.names == ["z.zip/small.png"] and "over the limit" in reasons(s)["z.zip/big.png"]

    crowded = zip_of({f"{i}.png": png(i) for i in range(5)})
    with pytest.raises(UserError, match="5 entries, over the limit of 3"):
        load_uploads([("crowded.zip", crowded)], SIZE, Limits(max_files=3))


def test_members_past_the_total_budget_or_the_image_limit_are_not_inflated(monkeypatch) -> None:
    from inspector.data import archives

    blob = b"\x00" * 100_000  # a small bomb: deflates to ~100 bytes
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ok.png", png(1))
        for i in range(50):
            zipped.writestr(f"{i}.png", blob)
    archive = buffer.getvalue()
    inflated: list[int] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, info, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode == "r":  # writestr opens members too, in "w"
            inflated.append(1)
        return real_open(self, info, mode, *args, **kwargs)

    monkeypatch.setattr(archives.zipfile.ZipFile, "open", counting_open)
    s = load_uploads([("z.zip", archive)], SIZE, Limits(max_total_bytes=350_000))
    # ok.png and 3 bombs fit in the budget (with the zip's own bytes); the other 47 are refused
    # from their headers, never inflated.
    assert len(inflated) == 4
    assert "for all files together" in reasons(s)["z.zip/49.png"]
    assert s.names == ["z.zip/ok.png"]

    inflated.clear()
    images = zip_of({f"{i}.png": png(i) for i in range(20)})
    s = load_uploads([("i.zip", images)], SIZE, Limits(max_images=2))
    assert len(s.images) == 2 and len(inflated) == 3  # one look past the limit, then it stops
    assert "the limit of 2 images" in reasons(s)["i.zip (the rest)"]


def test_a_member_whose_header_lies_about_its_size_is_cut_off() -> None:
    """A zip bomb's trick: a tiny declared size, a huge real one. The read stops at the cap."""
    payload = b"\x00" * 50_000  # compresses to almost nothing
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.png", payload)
        archive.writestr("ok.png", png(1))
    data = bytearray(buffer.getvalue())
    # Patch bomb.png's declared uncompressed size (its central directory entry, offset 24) to 10:
    # its local header still says 50,000, and the two are compared before anything is inflated.
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    s = load_uploads([("bomb.zip", bytes(data))], SIZE, Limits(max_file_bytes=20_000))
    assert s.names == ["bomb.zip/ok.png"]
    assert "disagree on its size" in reasons(s)["bomb.zip/bomb.png"]
    # The same lie in the local header too: only the 10 declared bytes are inflated (then a bad CRC).
    data[22:26] = struct.pack("<I", 10)  # the first local header's uncompressed size
    s = load_uploads([("bomb.zip", bytes(data))], SIZE, Limits(max_file_bytes=20_000))
    assert s.names == ["bomb.zip/ok.png"]
    assert "cannot be read" in reasons(s)["bomb.zip/bomb.png"]


def test_total_size_cap_and_corrupt_zip() -> None:
    files = [("a.png", png(1)), ("b.png", png(2)), ("c.png", png(3))]
    cap = len(files[0][1]) + len(files[1][1]) + 10
    s = load_uploads(files, SIZE, Limits(max_total_bytes=cap))
    assert s.names == ["a.png", "b.png"] and "all files together" in reasons(s)["c.png"]

    s = load_uploads([("empty.zip", zip_of({})), ("ok.png", png(2))], SIZE)
    assert reasons(s) == {"empty.zip": "the zip archive holds no files"}

    broken = zip_of({"a.png": png(1)})[:-30]  # cut into the central directory
    s = load_uploads([("broken.zip", broken), ("ok.png", png(2))], SIZE)
    assert s.names == ["ok.png"] and "not a readable zip" in reasons(s)["broken.zip"]


def test_image_count_cap() -> None:
    s = load_uploads([(f"{i}.png", png(i)) for i in range(4)], SIZE, Limits(max_images=2))
    assert len(s) == 2 and "limit of 2 images at 32x32" in reasons(s)["3.png"]
    # The memory cap lowers the count at larger sizes: 3 images of 3x32x32 bytes.
    s = load_uploads(
        [(f"{i}.png", png(i)) for i in range(4)], SIZE, Limits(max_set_bytes=3 * 3 * SIZE * SIZE)
    )
    assert len(s) == 3 and "limit of 3 images" in reasons(s)["3.png"]


# --- folders -------------------------------------------------------------------------------------


def test_load_folder_recurses_and_does_not_follow_links_out(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.png").write_bytes(png(1))
    (root / "sub" / "b.jpg").write_bytes(jpeg)
    (root / "sub" / "deeper" / "c.png").write_bytes(png(2))
    (root / "sub" / "notes.txt").write_text("hello")
    (root / ".git" / "d.png").write_bytes(png(3))
    (root / "album.zip").write_bytes(zip_of({"e.png": png(4)}))
    outside = tmp_path / "secret.png"
    outside.write_bytes(png(5))
    (root / "out.png").symlink_to(outside)
    (root / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    (root / "inside.png").symlink_to(root / "a.png")  # inside the folder: read (and a duplicate)
    os.mkfifo(root / "pipe.png")  # reading a FIFO would block forever
    (root / "loop1.png").symlink_to(root / "loop2.png")
    (root / "loop2.png").symlink_to(root / "loop1.png")
    (root / "dangling.png").symlink_to(root / "gone.png")

    s = load_folder(root, SIZE)
    assert s.names == ["a.png", "album.zip/e.png", "sub/b.jpg", "sub/deeper/c.png"]
    why = reasons(s)
    assert "outside the folder" in why["out.png"]
    assert "not followed" in why["linked_dir"] and "hidden folder" in why[".git"]
    assert why["inside.png"] == "duplicate of a.png"
    assert why["pipe.png"] == "not a regular file" and "not an image" in why["sub/notes.txt"]
    assert why["loop1.png"] == why["loop2.png"] == why["dangling.png"] == "a broken or looping symbolic link"


def test_load_folder_limits_and_errors(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"{i}.png").write_bytes(png(i))
    s = load_folder(tmp_path, SIZE, Limits(max_files=2))
    assert s.names == ["0.png", "1.png"] and "were not read" in reasons(s)["2.png"]
    with pytest.raises(UserError, match="not a folder"):
        load_folder(tmp_path / "missing", SIZE)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="No usable image"):
        load_folder(tmp_path / "empty", SIZE)


# --- the sample photos ----------------------------------------------------------------------------


def test_sample_images_are_colour_and_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("sample_images tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    _sample_images.cache_clear()
    s = sample_images(64)
    assert s.names == list(SAMPLE_FILES) and s.skipped == []
    assert s.images.shape == (len(SAMPLE_FILES), 3, 64, 64)
    _, ab = lab_batch(s.images)
    colourfulness = ab.abs().mean(dim=(1, 2, 3))  # below 1e-4 for grey; space photo ~0.01
    assert (colourfulness > 0.005).all(), dict(zip(s.names, colourfulness.tolist()))
    s.images.zero_()  # the cache hands out copies
    assert sample_images(64).images.any()


def test_one_sample_photo_goes_through_the_bounded_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """sample_photo decodes with load_image (its limits apply, as to a user's file) and cuts the
    square as training does; every sample of the set is that photo, pixel for pixel."""
    from inspector.data import samples

    photo = sample_photo("astronaut")
    assert photo.mode == "RGB" and photo.size == (512, 512)
    square = sample_photo("chelsea", 64)
    assert square.size == (64, 64)
    s = sample_images(64)
    assert torch.equal(s.images[s.names.index("chelsea")], image_to_tensor(square))
    with pytest.raises(UserError, match="there is no sample photo 'moon'"):
        sample_photo("moon")
    seen = []
    monkeypatch.setattr(
        samples, "load_image", lambda data, name, **k: seen.append(name) or Image.new("RGB", (9, 9))
    )
    sample_photo("coffee")
    assert seen == ["coffee"]


# --- split and batches -------------------------------------------------------------------------------


def small_set(n: int, size: int = SIZE) -> ImageSet:
    images = torch.randint(
        0, 256, (n, 3, size, size), generator=torch.Generator().manual_seed(n), dtype=torch.uint8
    )
    return ImageSet(images, [f"img{i}" for i in range(n)])


@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(10, 0.2, 2), (2, 0.2, 1), (3, 0.9, 2), (1, 0.5, 0), (5, 0.0, 0)]
)
def test_split_sizes_and_disjointness(n: int, fraction: float, n_val: int) -> None:
    train, val = split_train_val(small_set(n), fraction, seed=1)
    assert len(val) == n_val and len(train) == n - n_val
    assert set(train.names).isdisjoint(val.names) and set(train.names) | set(val.names) == {
        f"img{i}" for i in range(n)
    }
    for part in (train, val):
        for name, image in zip(part.names, part.images):
            assert torch.equal(image, small_set(n).images[int(name[3:])])
    again = split_train_val(small_set(n), fraction, seed=1)
    assert again[1].names == val.names


def test_split_rejects_bad_fraction() -> None:
    with pytest.raises(UserError, match="val_fraction"):
        split_train_val(small_set(3), 1.0)


def reference_batch(images: torch.Tensor, batch: int, size: int, seed: int) -> torch.Tensor:
    """The batch make_batch promises, made with plain slicing from the same random draws, in RGB."""
    g = torch.Generator().manual_seed(seed)
    n, s = images.shape[0], images.shape[-1]
    index = torch.randint(n, (batch,), generator=g)
    top = torch.randint(s - size + 1, (batch,), generator=g)
    left = torch.randint(s - size + 1, (batch,), generator=g)
    flips = torch.rand(batch, generator=g) < 0.5
    crops = []
    for i in range(batch):
        crop = images[index[i], :, top[i] : top[i] + size, left[i] : left[i] + size]
        crops.append(crop.flip(-1) if flips[i] else crop)
    return torch.stack(crops).float() / 255


def test_make_batch_is_crops_and_flips_converted_to_normalized_lab() -> None:
    images = small_set(5, size=40).images
    L, ab = make_batch(images, 12, SIZE, torch.Generator().manual_seed(7))
    assert L.shape == (12, 1, SIZE, SIZE) and ab.shape == (12, 2, SIZE, SIZE)
    assert L.dtype == ab.dtype == torch.float32
    expected_L, expected_ab = normalize_lab(rgb_to_lab(reference_batch(images, 12, SIZE, seed=7)))
    torch.testing.assert_close(L, expected_L)
    torch.testing.assert_close(ab, expected_ab)


def test_make_batch_is_deterministic_and_flips_both_ways() -> None:
    images = small_set(3).images
    first = make_batch(images, 64, SIZE, torch.Generator().manual_seed(0))
    second = make_batch(images, 64, SIZE, torch.Generator().manual_seed(0))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    plain, _ = lab_batch(images)
    flipped = [any(torch.equal(x, p.flip(-1)) for p in plain) for x in first[0]]
    assert 0 < sum(flipped) < 64  # some flipped, some not
    unflipped, _ = make_batch(images, 64, SIZE, torch.Generator().manual_seed(0), flip=False)
    assert all(any(torch.equal(x, p) for p in plain) for x in unflipped)


def test_make_batch_resizes_when_it_cannot_or_must_not_crop() -> None:
    images = small_set(2, size=16).images
    L, ab = make_batch(images, 3, SIZE, torch.Generator().manual_seed(0))  # upscaled 16 -> 32
    assert L.shape == (3, 1, SIZE, SIZE) and ab.shape == (3, 2, SIZE, SIZE)
    L, _ = make_batch(small_set(2, size=64).images, 3, SIZE, torch.Generator().manual_seed(0), crop=False)
    assert L.shape == (3, 1, SIZE, SIZE) and L.min() >= -1 and L.max() <= 1


def test_lab_batch_and_input_checks() -> None:
    images = small_set(2).images
    L, ab = lab_batch(images)
    expected = normalize_lab(rgb_to_lab(images.float() / 255))
    torch.testing.assert_close(L, expected[0]) and torch.testing.assert_close(ab, expected[1])
    with pytest.raises(ValueError, match="uint8"):
        lab_batch(images.float())
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        make_batch(images[:, :, :, :20], 2, 16, torch.Generator())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_make_batch_on_cuda_matches_cpu_with_a_cpu_generator() -> None:
    images = small_set(4, size=40).images
    cpu = make_batch(images, 8, SIZE, torch.Generator().manual_seed(3))
    gpu = make_batch(images.cuda(), 8, SIZE, torch.Generator().manual_seed(3))
    assert gpu[0].device.type == "cuda"
    torch.testing.assert_close(gpu[0].cpu(), cpu[0], atol=1e-4, rtol=0)
    torch.testing.assert_close(gpu[1].cpu(), cpu[1], atol=1e-4, rtol=0)


@pytest.mark.parametrize("fmt", ACCEPTED_FORMATS)
def test_each_photo_type_names_its_decoder_and_such_a_file_decodes(fmt: str) -> None:
    """The upload widgets offer PHOTO_TYPES: each suffix is Pillow's own for a format the decoder
    runs, and a photo saved in that format is decoded."""
    registered = Image.registered_extensions()
    assert all(registered[f".{suffix}"] == fmt for suffix in PHOTO_FORMATS[fmt])
    buffer = io.BytesIO()
    Image.new("RGB", (20, 18), (200, 10, 10)).save(buffer, format=fmt)
    image = load_image(buffer.getvalue(), f"photo.{PHOTO_FORMATS[fmt][0]}")
    assert image.size == (20, 18) and image.mode == "RGB"
    assert set(PHOTO_TYPES) == {s for suffixes in PHOTO_FORMATS.values() for s in suffixes}

"""Hostile data files: memory and CPU budgets decided from headers, before anything is inflated or
decoded, and folders of any depth."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inspector.data.image_set import ImageSet, load_folder, load_uploads
from inspector.data.images import (
    DEFAULT_LIMITS,
    UPLOAD_LIMITS,
    BadImage,
    Limits,
    PixelBudget,
    PixelBudgetExceeded,
    load_image,
)

SIZE = 32


def png(seed: int, size: tuple[int, int] = (48, 40)) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def flat_png(width: int, height: int, value: int = 7) -> bytes:
    """A single-colour PNG: a few hundred bytes for millions of pixels."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), value).save(buffer, "PNG")
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only a header claiming width x height pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def reasons(s: ImageSet) -> dict[str, str]:
    return {skipped.name: skipped.reason for skipped in s.skipped}


# --- zip members compressed with methods that inflate in one call ---------------------------------


@pytest.mark.parametrize(("method", "word"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")])
def test_bzip2_and_lzma_members_are_refused_from_the_directory_unread(
    method: int, word: str, monkeypatch
) -> None:
    from inspector.data import archives

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bomb.png", b"\0" * (16 << 20), compress_type=method)  # 16 MB inside
        archive.writestr("ok.png", png(1), compress_type=zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    assert len(data) < 20_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spying_open(self, info, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(info.filename if isinstance(info, zipfile.ZipInfo) else info)
        return real_open(self, info, mode, *args, **kwargs)

    monkeypatch.setattr(archives.zipfile.ZipFile, "open", spying_open)
    tracemalloc.start()
    s = load_uploads([("z.zip", data)], SIZE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert s.names == ["z.zip/ok.png"] and opened == ["ok.png"]  # the bomb was never opened
    assert f"compressed with {word}; only stored and deflate members are read" in reasons(s)["z.zip/bomb.png"]
    assert peak < 3_000_000  # the 16 MB inside were never inflated


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return bytearray(buffer.getvalue())


def _central(data: bytearray, index: int = 0) -> int:
    """Where the central directory record of member ``index`` starts."""
    at = data.find(b"PK\x01\x02")
    for _ in range(index):
        at = data.find(b"PK\x01\x02", at + 4)
    return at


def test_every_header_is_judged_before_any_member_is_read(monkeypatch) -> None:
    """A member whose local header says bzip2 while the central directory says deflate is refused
    from the headers; and the headers of all members are read before the first member is."""
    from inspector.data import archives

    bomb = _zip({"bomb.png": b"\0" * (16 << 20)}, zipfile.ZIP_BZIP2)
    bomb[_central(bomb) + 10 : _central(bomb) + 12] = struct.pack("<H", zipfile.ZIP_DEFLATED)
    fine = bytes(_zip({"a.png": png(1), "b.png": png(2)}))
    calls: list[str] = []
    real_open, real_headers = zipfile.ZipFile.open, archives.header_problems
    monkeypatch.setattr(
        archives.zipfile.ZipFile,
        "open",
        lambda self, info, *a, **k: calls.append("open") or real_open(self, info, *a, **k),
    )
    monkeypatch.setattr(archives, "header_problems", lambda *a: calls.append("headers") or real_headers(*a))
    s = load_uploads([("z.zip", bytes(bomb)), ("ok.zip", fine)], SIZE)
    assert s.names == ["ok.zip/a.png", "ok.zip/b.png"]
    assert "its local header says bzip2 and the central directory deflate" in reasons(s)["z.zip/bomb.png"]
    assert calls == ["headers", "headers", "open", "open"]  # z.zip: no member opened at all


def test_members_that_overlap_or_pass_the_end_or_are_encrypted_are_refused_unread() -> None:
    data = _zip({"a.png": png(1)})
    record = bytes(data[_central(data) : data.find(b"PK\x05\x06")])
    # A second central directory record for the same local header: the shared-data bomb.
    end = data.find(b"PK\x05\x06")
    doubled = bytearray(data[:end] + record + data[end:])
    eocd = doubled.find(b"PK\x05\x06")
    count, size = struct.unpack_from("<HHI", doubled, eocd + 8)[1:]
    struct.pack_into("<HHI", doubled, eocd + 8, count + 1, count + 1, size + len(record))
    s = load_uploads([("twice.zip", bytes(doubled))], SIZE)
    assert s.names == ["twice.zip/a.png"]
    assert "overlaps another member" in next(k.reason for k in s.skipped)

    past = _zip({"a.png": png(1)})
    struct.pack_into("<I", past, _central(past) + 20, 10**9)  # compressed size, central directory
    struct.pack_into("<I", past, 18, 10**9)  # and local header: consistent, and past the end
    assert (
        "past the end of the archive"
        in reasons(load_uploads([("past.zip", bytes(past)), ("b.png", png(2))], SIZE))["past.zip/a.png"]
    )

    locked = _zip({"a.png": png(1)})
    for at in (_central(locked) + 8, 6):  # the flag bits of both headers
        struct.pack_into("<H", locked, at, 1)
    assert (
        "encrypted"
        in reasons(load_uploads([("locked.zip", bytes(locked)), ("b.png", png(2))], SIZE))["locked.zip/a.png"]
    )


def test_an_unknown_compression_method_is_refused_by_number() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", png(1))
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    data[central + 10 : central + 12] = struct.pack("<H", 99)  # the central directory's method field
    s = load_uploads([("odd.zip", bytes(data)), ("b.png", png(2))], SIZE)
    assert s.names == ["b.png"] and "compressed with method 99" in reasons(s)["odd.zip/a.png"]


# --- the total pixel budget ----------------------------------------------------------------------------


def test_a_batch_of_cheap_pngs_stops_at_the_pixel_budget() -> None:
    cheap = [(f"{i}.png", flat_png(1000, 1000, value=i)) for i in range(50)]  # 50 M pixels
    assert sum(len(d) for _, d in cheap) < 200_000
    s = load_uploads(cheap, SIZE, Limits(max_total_pixels=10_000_000))
    assert len(s) == 10  # 10 x 1 M fit in 10 M
    why = reasons(s)
    assert "budget of 10,000,000 pixels" in why["10.png"] and "the rest were not read" in why["10.png"]
    assert "11.png" not in why and len(s.skipped) == 1  # loading stopped: the rest were not even looked at


def test_uploads_have_a_lower_budget_than_folders() -> None:
    assert load_uploads.__defaults__ == (UPLOAD_LIMITS,)
    assert UPLOAD_LIMITS.max_total_pixels == 150_000_000 < DEFAULT_LIMITS.max_total_pixels


def test_the_budget_is_charged_from_the_header_before_decoding() -> None:
    budget = PixelBudget(2_000_000)
    with pytest.raises(PixelBudgetExceeded, match=r"budget of 2,000,000 pixels .*\(0 used\)"):
        load_image(png_header(1500, 1500), "claim.png", budget=budget)  # 2.25 M claimed, no pixel data at all
    assert budget.used == 0
    load_image(flat_png(1000, 1000), "one.png", budget=budget)
    assert budget.used == 1_000_000


def test_the_budget_counts_what_jpeg_draft_scaling_decodes() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (200, 30, 60)).save(buffer, "JPEG")
    budget = PixelBudget(20_000)
    image = load_image(buffer.getvalue(), "big.jpg", draft_size=SIZE, budget=budget)
    assert image.size == (128, 128) and budget.used == 128 * 128  # 1/8 scale: not 1 M pixels


def test_zip_members_and_folders_share_the_budget(tmp_path: Path) -> None:
    limits = Limits(max_total_pixels=3 * 48 * 40)
    members = {f"{i}.png": png(i) for i in range(6)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    s = load_uploads([("a.png", png(10)), ("z.zip", buffer.getvalue()), ("b.png", png(11))], SIZE, limits)
    assert s.names == ["a.png", "z.zip/0.png", "z.zip/1.png"] and "budget" in reasons(s)["z.zip/2.png"]
    for i in range(5):
        (tmp_path / f"{i}.png").write_bytes(png(i))
    s = load_folder(tmp_path, SIZE, limits)
    assert s.names == ["0.png", "1.png", "2.png"] and list(reasons(s)) == ["3.png"]


# --- deep folders -------------------------------------------------------------------------------------


def test_a_folder_nested_1100_deep_is_walked_without_recursion(tmp_path: Path) -> None:
    deepest = tmp_path
    for _ in range(1100):  # os.makedirs recurses too
        deepest = deepest / "d"
        deepest.mkdir()
    (tmp_path / "top.png").write_bytes(png(1))
    (deepest / "bottom.png").write_bytes(png(2))
    try:
        s = load_folder(tmp_path, SIZE)
        assert s.names == ["top.png", "/".join(["d"] * 1100) + "/bottom.png"]
    finally:  # pytest's clean-up of old temporary folders uses shutil.rmtree, which recurses
        (deepest / "bottom.png").unlink()
        while deepest != tmp_path:
            deepest.rmdir()
            deepest = deepest.parent


def test_a_folder_of_too_many_folders_stops_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png(1))
    for i in range(5):
        (tmp_path / f"sub{i}").mkdir()
    s = load_folder(tmp_path, SIZE, Limits(max_files=3))
    assert s.names == ["a.png"] and "more than 3 folders" in reasons(s)["sub2"]


# --- one small file that describes a huge image --------------------------------------------------


def test_a_small_png_that_describes_a_huge_image_is_refused_from_its_header() -> None:
    data = png_header(5000, 5000)  # 25 M pixels in 60 bytes
    with pytest.raises(BadImage, match=r"25,000,000 pixels from a file of .*more than 4 pixels per byte"):
        load_image(data, "flat.png")
    load_image(flat_png(2000, 2000), "screenshot.png")  # 4 M pixels: the free allowance, whatever the size
    with pytest.raises(BadImage, match="pixels per byte"):
        load_image(flat_png(2100, 2100), "flat.png")


def test_a_small_jpeg_of_a_huge_image_is_decoded_at_a_smaller_scale() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4096, 2048), (200, 30, 60)).save(buffer, "JPEG", quality=50)  # 8 M pixels, a few KB
    assert len(buffer.getvalue()) < 200_000
    image = load_image(buffer.getvalue(), "flat.jpg")
    assert image.size == (2048, 1024)  # 1/2 scale: 2 M pixels, under the 4 M allowance

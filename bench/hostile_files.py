"""How much memory does a tiny hostile file cost? ``python bench/hostile_files.py``

Builds each hostile file (every one under 1 MB) in a temporary folder, then hands it to the tool
in a fresh subprocess and prints that process's peak RSS growth (the peak after minus the
resident size before, the imports and set-up already done: VmHWM reset through
/proc/self/clear_refs on Linux, ``ru_maxrss`` elsewhere), its address-space growth (VmPeak after
minus VmPeak before: memory asked for, touched or not, as a ``ulimit -v`` would count it), the
seconds the action took, and what the tool said. Budget: no hostile file under 1 MB raises peak
memory by more than 100 MB, except where the tool runs a network on purpose: ``features`` of a
checkpoint runs it at its training size, at most 512 (as the Feature maps page does), which a
genuine checkpoint trained at 512 costs as well; its budget is the bound on a checkpoint's run
(``inspector.training.run_bounds.max_run_bytes``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

BUDGET_MB = 100.0
REPO = Path(__file__).resolve().parents[1]

# The child: set up (imports, the model of a checkpoint) first, then measure only the action.
# ru_maxrss cannot be reset, so a transient peak while torch imports could hide the action's
# growth; on Linux the peak (VmHWM) is reset through /proc/self/clear_refs and read from
# /proc/self/status instead, and ru_maxrss is the fallback elsewhere.
CHILD = r"""
import json, resource, sys
from pathlib import Path

def status_kb(field):
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None

def peak_kb():
    found = status_kb("VmHWM")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def vm_peak_kb():
    return status_kb("VmPeak") or 0

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    return peak_kb()

kind, path = sys.argv[1], Path(sys.argv[2])
import time
from PIL import Image
from inspector.data.image_set import load_folder, load_uploads
from inspector.errors import UserError
from inspector.training.checkpoint import load_checkpoint
from inspector.training.colorize import colorize, load_generator

def action():
    if kind == "upload":
        paths = sorted(path.iterdir()) if path.is_dir() else [path]
        files = [(p.name, p.read_bytes()) for p in paths]
        s = load_uploads(files, 64)
        return f"{len(s)} image(s) kept; " + "; ".join(f"{k.name}: {k.reason}" for k in s.skipped[:2])
    if kind == "folder":
        s = load_folder(path, 64)
        return f"{len(s)} image(s) kept from the folder"
    if kind == "checkpoint":
        load_checkpoint(path.read_bytes(), name=path.name)
        return "loaded"
    if kind == "features":
        from inspector.cli import main
        code = main(["features", "--checkpoint", str(path / "g.safetensors"), "--out", str(path / "out")])
        return f"exit {code}"
    if kind == "colorize":
        generator, _ = load_generator(path / "g.safetensors")
        photo = Image.open(path / "photo.png")
        photo.load()
        before = reset_peak()
        result = colorize(generator, photo)
        return f"ran at {result.model_size}x{result.model_size}", before
    raise SystemExit(f"unknown kind {kind}")

before, asked_before, t0 = reset_peak(), vm_peak_kb(), time.perf_counter()
try:
    said = action()
    if isinstance(said, tuple):
        said, before = said
except UserError as exc:
    said = "refused: " + str(exc)
seconds, after, asked = time.perf_counter() - t0, peak_kb(), vm_peak_kb()
print(json.dumps({"growth_mb": (after - before) / 1024, "asked_mb": (asked - asked_before) / 1024,
                  "seconds": seconds, "said": said}))
"""


def _zip_with(method: int, inside_bytes: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / f"method{method}.zip"
        # Written in chunks so that building it costs no memory either.
        with (
            zipfile.ZipFile(path, "w", compression=method) as archive,
            archive.open("photo.png", "w", force_zip64=True) as member,
        ):
            chunk = b"\0" * (1 << 20)
            for _ in range(inside_bytes >> 20):
                member.write(chunk)
        return path

    return build


def _torch_file(make: Callable[[], object], name: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        import torch

        buf = io.BytesIO()
        torch.save(make(), buf)
        path = folder / name
        path.write_bytes(buf.getvalue())
        return path

    return build


def _shared_stream(copies: int, inside_bytes: int) -> Callable[[Path], Path]:
    """One deflate member, listed ``copies`` times in the central directory: every entry inflates
    the same stream (the overlapping-entries bomb)."""

    def build(folder: Path) -> Path:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("photo.png", b"\0" * inside_bytes)
        data = buffer.getvalue()
        central = data.find(b"PK\x01\x02")
        end = data.find(b"PK\x05\x06")
        record = data[central:end]
        size = len(record) * copies
        tail = bytearray(data[end:])
        struct.pack_into("<HHI", tail, 8, copies, copies, size)
        path = folder / "shared.zip"
        path.write_bytes(data[:central] + record * copies + bytes(tail))
        return path

    return build


def _local_bzip2(folder: Path) -> Path:
    """A bzip2 member of 755 MB whose central directory says deflate: only its local header tells."""
    path = _zip_with(zipfile.ZIP_BZIP2, 755 << 20)(folder)
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 10, zipfile.ZIP_DEFLATED)
    path.write_bytes(bytes(data))
    return path


def _pt_members(edit: Callable[[str, bytes], bytes], name: str) -> Callable[[Path], Path]:
    """A small torch.save file with each member's bytes passed through ``edit``."""

    def build(folder: Path) -> Path:
        import torch

        buffer, out = io.BytesIO(), io.BytesIO()
        torch.save({"generator.x": torch.zeros(1)}, buffer)
        with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
        path = folder / name
        path.write_bytes(out.getvalue())
        return path

    return build


_ONE = b"X\x03\x00\x00\x00cpuq\x06K\x01t"  # the end of the storage id: "cpu", 1 element


def _declare(numel: int) -> Callable[[str, bytes], bytes]:
    return lambda n, b: (
        b.replace(_ONE, _ONE[:-3] + b"J" + struct.pack("<i", numel) + b"t") if n.endswith("data.pkl") else b
    )


def _past_the_end(folder: Path) -> Path:
    """A storage declared 1 GB whose record's headers say 1 GB too; the file holds 4 bytes."""
    path = _pt_members(_declare(250_000_000), "past.pt")(folder)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offset = archive.getinfo("archive/data/0").header_offset
    struct.pack_into("<II", data, offset + 18, 10**9, 10**9)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        if data[at + 46 : at + 60] == b"archive/data/0":
            struct.pack_into("<II", data, at + 20, 10**9, 10**9)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


def _stride0() -> object:
    import torch

    return {"generator.x": torch.zeros(1).expand(10**9)}  # 4 bytes of storage, 4 GB claimed


def _overlap() -> object:
    import torch

    return {"generator.x": torch.zeros(60_000).as_strided((30_000, 30_000), (1, 1))}  # 240 KB, 3.6 GB claimed


def _pickle(folder: Path) -> Path:
    path = folder / "pickle.pt"
    path.write_bytes(pickle.dumps({"input_layer.0.weight": list(range(10))}, protocol=4))
    return path


def _safetensors_lie(folder: Path) -> Path:
    header = json.dumps(
        {"generator.x": {"dtype": "F32", "shape": [1_000_000_000], "data_offsets": [0, 4_000_000_000]}}
    )
    path = folder / "lie.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header.encode() + b"\0" * 16)
    return path


def _huge_input_size(folder: Path) -> Path:
    from PIL import Image

    from inspector.training.checkpoint import save_generator_export
    from models import build_generator, preset

    run = folder / "colorize"
    run.mkdir()
    g_cfg = preset("notebook")[0].replace(ngf=4, depth=5, input_size=4096)  # the header's claim
    save_generator_export(run / "g.safetensors", build_generator(g_cfg))
    Image.new("RGB", (80, 80), (120, 90, 60)).save(run / "photo.png")
    return run


def _cheap_pngs(count: int, side: int, mode: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        from PIL import Image

        batch = folder / f"cheap_{count}x{side}_{mode}"
        batch.mkdir()
        for i in range(count):
            Image.new(mode, (side, side), (i,) * len(mode)).save(batch / f"{i}.png", optimize=True)
        return batch

    return build


def _padded_rgba(folder: Path) -> Path:
    """The worst case the pixels-per-byte cap allows under 1 MB: a half-transparent single-colour
    PNG padded with a junk ancillary chunk to just under 1 MB, so that its 4.16 M pixels are allowed."""
    import struct
    import zlib

    from PIL import Image

    side = 2040  # 4.16 M pixels: just under 4 per byte of a 1 MB file
    buffer = io.BytesIO()
    Image.new("RGBA", (side, side), (10, 200, 30, 128)).save(buffer, "PNG")
    png = buffer.getvalue()
    pad = (1 << 20) - 1024 - len(png)
    body = b"\0" * pad
    chunk = struct.pack(">I", pad) + b"prVt" + body + struct.pack(">I", zlib.crc32(b"prVt" + body))
    batch = folder / "padded"
    batch.mkdir()
    (batch / "padded.png").write_bytes(png[:33] + chunk + png[33:])  # after the signature and IHDR
    return batch


def _deep_folder(folder: Path) -> Path:
    from PIL import Image

    root = folder / "deep"
    here = root
    root.mkdir()
    for _ in range(1100):
        here = here / "d"
        here.mkdir()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(here / "bottom.png")
    return root


CASES: list[tuple[str, str, Callable[[Path], Path]]] = [
    ("zip, bzip2 member of 1 GB", "upload", _zip_with(zipfile.ZIP_BZIP2, 1 << 30)),
    ("zip, lzma member of 1 GB", "upload", _zip_with(zipfile.ZIP_LZMA, 1 << 30)),
    ("zip, deflate member of 512 MB", "upload", _zip_with(zipfile.ZIP_DEFLATED, 1 << 29)),
    (".pt, stride-0 tensor claiming 4 GB", "checkpoint", _torch_file(_stride0, "stride0.pt")),
    (".pt, overlapping view claiming 3.6 GB", "checkpoint", _torch_file(_overlap, "overlap.pt")),
    (".pt, a plain pickle", "checkpoint", _pickle),
    (".safetensors, header claiming 4 GB", "checkpoint", _safetensors_lie),
    ("zip, 200 entries sharing one 50 MB deflate stream", "upload", _shared_stream(200, 50 << 20)),
    ("zip, local header bzip2 (755 MB) under deflate", "upload", _local_bzip2),
    (
        ".pt, storage declared 1.2 GB, record of 4 bytes",
        "checkpoint",
        _pt_members(_declare(300_000_000), "claim.pt"),
    ),
    (".pt, record headers claiming 1 GB past the end", "checkpoint", _past_the_end),
    (
        ".pt, data.pkl claiming a 1 GiB string",
        "checkpoint",
        _pt_members(
            lambda n, b: (
                b"\x80\x04\x8e" + (1 << 30).to_bytes(8, "little") + b"\0" * 16
                if n.endswith("data.pkl")
                else b
            ),
            "string.pt",
        ),
    ),
    ("export claiming input_size 4096, 80x80 photo", "colorize", _huge_input_size),
    ("export claiming input_size 4096, `features` at 512", "features", _huge_input_size),
    ("upload, 60 single-colour RGB PNGs of 2000x2000", "upload", _cheap_pngs(60, 2000, "RGB")),
    ("upload, 4 single-colour grey PNGs of 7000x7000", "upload", _cheap_pngs(4, 7000, "L")),
    ("upload, 1 single-colour RGB PNG of 7000x7000", "upload", _cheap_pngs(1, 7000, "RGB")),
    ("upload, 1 RGBA PNG padded to 1 MB, 4.16 M pixels", "upload", _padded_rgba),
    ("folder nested 1100 deep", "folder", _deep_folder),
]


def _run_budget_mb() -> float:
    from inspector.training.run_bounds import max_run_bytes

    return max_run_bytes() / 2**20


def remove_deep(root: Path) -> None:
    """Remove a chain of nested folders from the bottom up (shutil.rmtree recurses, and fails on it)."""
    chain = [root]
    while True:
        subfolders = [p for p in chain[-1].iterdir() if p.is_dir() and not p.is_symlink()]
        for p in chain[-1].iterdir():
            if not p.is_dir() or p.is_symlink():
                p.unlink()
        if not subfolders:
            break
        chain.extend(subfolders[:1])
    for folder in reversed(chain):
        folder.rmdir()


def _size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (walked with a stack: Path.rglob recurses)."""
    total, stack = 0, [path]
    while stack:
        here = stack.pop()
        if here.is_file():
            total += here.stat().st_size
        elif here.is_dir():
            stack.extend(here.iterdir())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="run only the cases whose name contains this text")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))  # the builders use this checkout's package, as the children do
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, kind, build in CASES:
            if args.only and args.only not in label:
                continue
            folder = Path(tmp) / f"case{CASES.index((label, kind, build))}"
            folder.mkdir()
            path = build(folder)
            size = _size(path)
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, kind, str(path)],
                capture_output=True,
                text=True,
                cwd=REPO,
                env=env,
                timeout=600,
            )
            if proc.returncode != 0:
                print(f"{label}: the child failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            if kind == "folder":
                remove_deep(path)
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            if kind != "features":
                worst = max(worst, result["growth_mb"])
            budget = _run_budget_mb() if kind == "features" else BUDGET_MB
            flag = "ok" if result["growth_mb"] <= budget and size < 1 << 20 else "OVER"
            said = " ".join(result["said"].split())[:100]
            print(
                f"{flag:4} {label:<48} {size / 1024:8.1f} KB  peak +{result['growth_mb']:7.1f} MB  "
                f"asked +{result['asked_mb']:7.1f} MB  {result['seconds']:6.2f} s  {said}"
            )
    print(
        f"worst peak growth: {worst:.1f} MB (budget {BUDGET_MB:.0f} MB per file under 1 MB; `features` apart)"
    )


if __name__ == "__main__":
    main()

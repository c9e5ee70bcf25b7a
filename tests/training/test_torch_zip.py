"""A torch.save zip is refused from what it declares, before torch.load allocates anything.

Each crafted file here is small; what it declares is large. The refusal must come from
``check_torch_zip`` (torch.load is replaced by a tripwire) and cost no more than the file."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest
import torch

from inspector.errors import UserError
from inspector.training import checkpoint_formats
from inspector.training.checkpoint import load_checkpoint
from inspector.training.torch_zip import MAX_PICKLE_BYTES, check_torch_zip


def _saved(obj: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _rewritten(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """The zip with each member's bytes passed through ``edit(name, bytes)``, stored as torch.save does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return out.getvalue()


def _claiming(numel: int) -> bytes:
    """One float tensor whose pickle declares a storage of ``numel`` elements; the record holds 4 bytes."""
    small = _saved({"generator.x": torch.zeros(1)})
    one = b"X\x03\x00\x00\x00cpuq\x06K\x01t"  # ... "cpu", numel 1 (BININT1), end of the storage id
    return _rewritten(
        small,
        lambda n, b: (
            b.replace(one, one[:-3] + b"J" + struct.pack("<i", numel) + b"t") if n.endswith("data.pkl") else b
        ),
    )


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load ran on a file that should have been refused from its declarations")

    monkeypatch.setattr(checkpoint_formats.torch, "load", never)


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (torch.zeros(1).expand(10**9), r"generator\.x is a view whose elements overlap \(stride \(0,\)"),
        (torch.arange(16.0).as_strided((4, 4), (1, 1)), "overlap"),
        (torch.zeros(1).expand(40_000, 40_000), "overlap"),
    ],
)
def test_views_are_refused_from_the_pickle_before_torch_load(
    tensor: torch.Tensor, message: str, tripwire: None
) -> None:
    data = _saved({"generator.x": tensor})
    assert len(data) < 3_000
    with pytest.raises(UserError, match=message):
        load_checkpoint(data, name="view.pt")


def test_a_storage_declared_larger_than_its_record_is_refused_before_allocation(tripwire: None) -> None:
    data = _claiming(300_000_000)  # 1.2 GB declared, 4 bytes held
    assert len(data) < 2_000
    with pytest.raises(UserError, match="its storage 0 declares 1,200,000,000 bytes, but the file holds 4"):
        load_checkpoint(data, name="claim.pt")


def test_a_record_whose_headers_claim_data_past_the_file_is_refused(tripwire: None) -> None:
    data = bytearray(_claiming(250_000_000))
    claim = 1_000_000_000  # the record's sizes made to agree with the pickle, the bytes absent
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("archive/data/0")
    struct.pack_into("<II", data, info.header_offset + 18, claim, claim)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        if data[at + 46 : at + 46 + 14] == b"archive/data/0":
            struct.pack_into("<II", data, at + 20, claim, claim)
        at = data.find(b"PK\x01\x02", at + 4)
    with pytest.raises(
        UserError, match=r"its member archive/data/0: it claims 953\.7 MB of data, past the end"
    ):
        load_checkpoint(bytes(data), name="lie.pt")


def test_a_pickle_that_claims_a_huge_string_allocates_nothing(tripwire: None) -> None:
    """BINBYTES8 with a length of 1 GiB: the C unpickler would allocate it before reading; the
    opcodes are walked first, so the claim is refused at the cost of the file."""
    data = _rewritten(
        _saved({"generator.x": torch.zeros(1)}),
        lambda n, b: (
            b"\x80\x04\x8e" + (1 << 30).to_bytes(8, "little") + b"\0" * 16 if n.endswith("data.pkl") else b
        ),
    )
    tracemalloc.start()
    with pytest.raises(UserError, match="not a PyTorch file of plain tensors"):
        load_checkpoint(data, name="string.pt")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000


def test_only_the_globals_of_plain_tensors_are_allowed(tripwire: None) -> None:
    evil = _rewritten(
        _saved({"generator.x": torch.zeros(1)}),
        lambda n, b: b.replace(b"collections\nOrderedDict", b"os\nsystem") if n.endswith("data.pkl") else b,
    )
    with pytest.raises(UserError, match=r"asks to build os\.system"):
        check_torch_zip(evil, "evil.pt")


def test_bytes_in_front_of_the_zip_or_a_huge_pickle_are_refused(tripwire: None) -> None:
    data = _saved({"generator.x": torch.zeros(1)})
    with pytest.raises(UserError, match="not a PyTorch file of plain tensors"):
        check_torch_zip(b"\0" * 64 + data, "front.pt")
    big = _rewritten(data, lambda n, b: b + b"\0" * MAX_PICKLE_BYTES if n.endswith("data.pkl") else b)
    with pytest.raises(UserError, match=r"its data\.pkl is 4\.0 MiB"):
        check_torch_zip(big, "big.pt")


def test_what_torch_save_writes_passes_and_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from torch import nn

    state = nn.Conv2d(1, 2, 3).state_dict()
    state["p"] = nn.Parameter(torch.ones(2))  # torch.save writes parameters with _rebuild_parameter
    state["half"] = torch.arange(6, dtype=torch.float16).view(2, 3).t()  # a transposed view: gaps, no overlap
    data = _saved({"generator": state, "discriminator": {"w": torch.zeros(0)}})
    check_torch_zip(data, "ok.pt")
    loaded = checkpoint_formats.read_torch_zip(data, "ok.pt")
    assert torch.equal(loaded["generator.half"], state["half"]) and loaded["discriminator.w"].numel() == 0

"""Checkpoints: round trip, atomic writes, and every way a loaded file is refused."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from inspector.errors import UserError
from inspector.training import checkpoint as ck
from inspector.training import checkpoint_formats
from inspector.training.checkpoint import CHECKPOINT_FILE, load_checkpoint, restore_models, save_checkpoint
from inspector.training.checkpoint_formats import META_KEY
from models import build_discriminator, build_generator, preset

SIZE = 32


@pytest.fixture
def models():
    g, d = preset("notebook")
    g, d = g.replace(ngf=4, depth=5, input_size=SIZE), d.replace(ndf=4, input_size=SIZE)
    return build_generator(g), build_discriminator(d)


def _optimizers(G, D):
    """Adam with real state: one step on a made-up loss."""
    opts = {
        "G": torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
        "D": torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
    }
    L = torch.rand(2, 1, SIZE, SIZE) * 2 - 1
    (G(L).square().mean() + D(torch.cat([L, G(L)], 1)).mean()).backward()
    for opt in opts.values():
        opt.step()
    return opts


def test_round_trip_keeps_weights_optimizer_configs_and_metrics(models, tmp_path: Path) -> None:
    G, D = models
    opts = _optimizers(G, D)
    rng = {"cpu": torch.get_rng_state()}
    path = save_checkpoint(
        tmp_path, G, D, step=7, optimizers=opts, rng=rng, metrics={"G_L1": 0.25}, train_config={"steps": 9}
    )
    assert path == tmp_path / CHECKPOINT_FILE and (tmp_path / "checkpoint.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.json",
        CHECKPOINT_FILE,
    ]  # no temp files left
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.step == 7 and ckpt.metrics == {"G_L1": 0.25} and ckpt.train_config == {"steps": 9}
    assert ckpt.generator_config == G.config and ckpt.discriminator_config == D.config
    assert torch.equal(ckpt.rng["cpu"], rng["cpu"])
    G2, D2 = restore_models(ckpt)
    for a, b in zip(
        [*G.state_dict().values(), *D.state_dict().values()],
        [*G2.state_dict().values(), *D2.state_dict().values()],
    ):
        assert torch.equal(a, b)
    for name, model in (("G", G2), ("D", D2)):
        fresh = torch.optim.Adam(model.parameters(), lr=1.0)
        fresh.load_state_dict(ckpt.optimizers[name])
        want, got = opts[name].state_dict(), fresh.state_dict()
        assert got["param_groups"] == want["param_groups"]
        for index, state in want["state"].items():
            for key, value in state.items():
                assert torch.equal(got["state"][index][key], value), (name, index, key)


def test_a_failed_write_leaves_the_previous_checkpoint_intact(models, tmp_path: Path, monkeypatch) -> None:
    G, D = models
    save_checkpoint(tmp_path, G, D, step=1)
    before = (tmp_path / CHECKPOINT_FILE).read_bytes()

    def half_written(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(ck, "save_file", half_written)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path, G, D, step=2)
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", CHECKPOINT_FILE]


class _Payload:
    """Unpickling this would create ``marker``: the classic pickle attack."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("name", ["evil.pt", "evil.pth", "evil.safetensors", "evil.bin"])
@pytest.mark.parametrize("kind", ["torch.save", "raw pickle"])
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_malicious_pickle_is_refused_without_running(tmp_path: Path, name: str, kind: str) -> None:
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    payload = {"input_layer.0.weight": _Payload(marker)}
    if kind == "torch.save":
        torch.save(payload, buf)
    else:
        pickle.dump(payload, buf)
    data = buf.getvalue()
    with pytest.raises(UserError, match=r"refused|not a readable"):
        load_checkpoint(data, name=name)
    (tmp_path / name).write_bytes(data)
    with pytest.raises(UserError):
        load_checkpoint(tmp_path / name)
    assert not marker.exists()
    # The payload is real: plain unpickling does run it.
    if kind == "raw pickle":
        pickle.loads(data)
        assert marker.exists()


def test_non_finite_tensors_are_refused(models, tmp_path: Path) -> None:
    G, D = models
    path = save_checkpoint(tmp_path, G, D, step=3)
    tensors = load_file(path)
    tensors["generator.encoder_1.1.weight"][0, 0, 0, 0] = float("nan")
    tensors["discriminator.model.0.weight"][0, 0, 0, 0] = float("inf")
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        metadata = f.metadata()
    save_file(tensors, path, metadata=metadata)
    bad = r"non-finite.*2 tensor.*discriminator\.model\.0\.weight, generator\.encoder_1\.1\.weight"
    with pytest.raises(UserError, match=bad):
        load_checkpoint(tmp_path)
    sd = {k: v.clone() for k, v in G.state_dict().items()}
    sd["output_layer.1.bias"][0] = float("-inf")
    buf = io.BytesIO()
    torch.save(sd, buf)
    with pytest.raises(UserError, match=r"output_layer\.1\.bias"):
        load_checkpoint(buf.getvalue(), name="g.pt", generator_config=G.config)


def test_a_checkpoint_of_another_architecture_is_refused_with_the_keys(models, tmp_path: Path) -> None:
    G, D = models
    save_checkpoint(tmp_path, G, D, step=1)
    wider = G.config.replace(ngf=8)
    with pytest.raises(UserError) as info:
        load_checkpoint(tmp_path, generator_config=wider)
    text = str(info.value)
    assert "mis-shaped keys" in text and "input_layer.0.weight (checkpoint 4x1x4x4, model 8x1x4x4)" in text
    deeper = G.config.replace(depth=4)
    with pytest.raises(UserError) as info:
        load_checkpoint(tmp_path, generator_config=deeper)
    assert "unexpected keys: " in str(info.value) and "encoder_3.1.weight" in str(info.value)
    pix2pix_g, _ = preset("pix2pix")
    with pytest.raises(UserError, match=r"missing keys: .*encoder_4"):
        load_checkpoint(tmp_path, generator_config=pix2pix_g.replace(ngf=4, input_size=256))


def test_bare_state_dicts_are_recognized_or_need_an_architecture(models) -> None:
    G, _ = models
    buf = io.BytesIO()
    torch.save(G.state_dict(), buf)
    found = load_checkpoint(buf.getvalue(), name="generator.pt")  # the notebook's names: recognized
    assert found.generator_config == G.config.replace(
        input_size=64
    )  # the size leaves no trace: 2**depth, >= 64
    assert found.recognized["generator"].family == "notebook"
    ckpt = load_checkpoint(buf.getvalue(), name="generator.pt", generator_config=G.config)
    assert ckpt.discriminator == {} and torch.equal(
        ckpt.generator["input_layer.0.weight"], G.state_dict()["input_layer.0.weight"]
    )
    renamed = io.BytesIO()
    torch.save({f"net.{k}": v for k, v in G.state_dict().items()}, renamed)  # a layout of no known family
    with pytest.raises(UserError, match=r"does not recognize .* choose the architecture"):
        load_checkpoint(renamed.getvalue(), name="generator.pt")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.safetensors", "not a safetensors file"),
        (b"\xff" * 64, "x.safetensors", "not a safetensors file"),
        (b"hello world, not weights", "x.pt", "refused"),
    ],
)
def test_garbage_is_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_checkpoint(data, name=name)


def test_size_cap(models, tmp_path: Path) -> None:
    G, D = models
    save_checkpoint(tmp_path, G, D, step=1)
    with pytest.raises(UserError, match="capped at"):
        load_checkpoint(tmp_path, max_bytes=1000)


def test_a_missing_checkpoint_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="holds no checkpoint"):
        load_checkpoint(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.safetensors")


def _recraft(path: Path, edit) -> bytes:
    """The checkpoint at ``path`` with its header JSON changed by ``edit(meta) -> meta`` (and tensors by
    ``edit`` too when it returns a pair), as an attacker or a hand-edit would."""
    import json

    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = json.loads(f.metadata()[META_KEY])
    tensors = load_file(str(path))
    out = edit(meta, tensors)
    meta, tensors = out if isinstance(out, tuple) else (out, tensors)
    tmp = path.with_name("crafted.safetensors")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    return tmp.read_bytes()


def _set(key, value):
    def edit(meta, tensors):
        meta[key] = value
        return meta

    return edit


def _opt(edit_optimizers):
    def edit(meta, tensors):
        edit_optimizers(meta["optimizers"])
        return meta

    return edit


METADATA_EDITS = [
    (lambda meta, t: [1, 2, 3], "not an object"),
    (_set("step", "seven"), "step must be an integer"),
    (_set("step", -3), "step must be an integer"),
    (_set("step", 1.5), "step must be an integer"),
    (_set("version", "1"), "checkpoint format"),
    (_set("generator_config", [4, 5]), "generator_config must be a JSON object"),
    (_set("train_config", "fast"), "train_config must be a JSON object"),
    (_set("optimizers", {"G": {}, "D": {}}), "no valid param_groups"),
    (_set("optimizers", {"G": 1, "D": 2}), "no valid param_groups"),
    (_opt(lambda o: o.pop("D")), "exactly G and D"),
    (_opt(lambda o: o["G"].update(param_groups=[{"params": ["a"]}])), "no valid param_groups"),
    (_opt(lambda o: o["G"].update(param_groups=[{"params": [0, 1]}])), "lists 2 parameters"),
    (_opt(lambda o: o["G"].update(scalars={"x": {"step": 1}})), "not an index"),
    (_opt(lambda o: o["G"].update(scalars={"0": {"step": "one"}})), "scalars must map"),
    (_opt(lambda o: o["G"]["param_groups"][0].update(lr="x")), "numbers for lr, betas"),
    (_opt(lambda o: o["G"]["param_groups"][0].update(betas=[5, "a"])), "numbers for lr, betas"),
    (_opt(lambda o: o["D"]["param_groups"][0].update(amsgrad="yes")), "true/false flags"),
    (_set("step", 10**30), "step must be an integer from 0"),
]


def _tensor_edit(key_from: str, key_to: str | None = None, value=None):
    def edit(meta, tensors):
        t = tensors.pop(key_from)
        tensors[key_to or key_from] = t if value is None else value
        return meta, tensors

    return edit


TENSOR_EDITS = [
    (_tensor_edit("optim.G.0.exp_avg", "optim.G.zero.exp_avg"), "not an index"),
    (_tensor_edit("optim.G.0.exp_avg", "optim.X.0.exp_avg"), "unknown optimizers"),
    (_tensor_edit("optim.G.0.exp_avg", "optim.G.999.exp_avg"), "state for parameter 999"),
    (_tensor_edit("optim.G.0.exp_avg", value=torch.zeros(3)), "exp_avg of parameter 0 is 3"),
    (_tensor_edit("rng.cpu", value=torch.zeros(5, dtype=torch.uint8)), "random state"),
    (_tensor_edit("rng.cpu", value=torch.zeros(5)), "random state"),
]


@pytest.mark.parametrize(("edit", "message"), [*METADATA_EDITS, *TENSOR_EDITS])
def test_a_crafted_checkpoint_is_a_user_error(models, tmp_path: Path, edit, message: str) -> None:
    G, D = models
    path = save_checkpoint(
        tmp_path, G, D, step=3, optimizers=_optimizers(G, D), rng={"cpu": torch.get_rng_state()}
    )
    with pytest.raises(UserError, match=message):
        load_checkpoint(_recraft(path, edit), name="crafted.safetensors")


def test_an_unforeseen_failure_is_still_a_user_error(models, tmp_path: Path, monkeypatch) -> None:
    G, D = models
    save_checkpoint(tmp_path, G, D, step=1)

    def boom(*args, **kwargs):
        raise KeyError("param_groups")

    monkeypatch.setattr(ck, "check_rng", boom)
    with pytest.raises(UserError, match=r"could not be read as a checkpoint \(KeyError"):
        load_checkpoint(tmp_path)


def test_a_plain_pickle_is_refused_quietly(recwarn) -> None:
    with pytest.raises(UserError, match="refused"):
        load_checkpoint(pickle.dumps({"a": 1}, protocol=4), name="x.pt")
    assert not [w for w in recwarn if "pickle protocol" in str(w.message)]


def _rezip(data: bytes, compress: int) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename), compress_type=compress)
    return out.getvalue()


def test_a_pt_file_with_compressed_members_is_refused() -> None:
    import zipfile

    buf = io.BytesIO()
    torch.save({"generator.x": torch.zeros(200_000)}, buf)  # 800 kB of zeros
    bomb = _rezip(buf.getvalue(), zipfile.ZIP_DEFLATED)
    assert len(bomb) < 10_000
    with pytest.raises(UserError, match=r"compressed members, which torch\.save never writes"):
        load_checkpoint(bomb, name="bomb.pt")


# --- the format is decided by structure ---------------------------------------------------------


def _repad(data: bytes, header_bytes: int) -> bytes:
    """The same safetensors file with its header JSON padded by spaces (valid JSON) to ``header_bytes``."""
    import struct

    (n,) = struct.unpack("<Q", data[:8])
    text = data[8 : 8 + n].rstrip(b" ")
    assert header_bytes >= len(text)
    return struct.pack("<Q", header_bytes) + text + b" " * (header_bytes - len(text)) + data[8 + n :]


def _header_bytes(data: bytes) -> int:
    import struct

    return struct.unpack("<Q", data[:8])[0]


@pytest.fixture
def full_checkpoint(models, tmp_path: Path) -> bytes:
    G, D = models
    path = save_checkpoint(
        tmp_path,
        G,
        D,
        step=5,
        optimizers=_optimizers(G, D),
        rng={"cpu": torch.get_rng_state()},
        metrics={"G_L1": 0.5},
    )
    return path.read_bytes()


@pytest.mark.slow  # 256 full loads: about 5 s
def test_every_first_byte_of_the_header_length_loads(full_checkpoint: bytes) -> None:
    base = len(full_checkpoint[8 : 8 + _header_bytes(full_checkpoint)].rstrip(b" "))
    for low in range(256):
        n = base + (low - base) % 256  # the smallest padded length whose low byte is ``low``
        data = _repad(full_checkpoint, n)
        assert data[0] == low
        name = ("run.safetensors", "run.pt")[low % 2]  # the name does not decide the format either
        ckpt = load_checkpoint(data, name=name)
        assert ckpt.step == 5 and set(ckpt.optimizers) == {"G", "D"}, (low, name)


def test_the_writer_with_every_metadata_padding_loads(models, tmp_path: Path) -> None:
    # safetensors pads its header to a multiple of 8: these 32 lengths are every low byte it writes.
    G, D = models
    seen = set()
    for pad in range(0, 256, 8):
        path = save_checkpoint(tmp_path, G, D, step=1, metrics={"pad": "x" * pad})
        data = path.read_bytes()
        seen.add(data[0])
        assert load_checkpoint(tmp_path).metrics["pad"] == "x" * pad
    assert seen == set(range(0, 256, 8))


def test_headers_that_start_like_a_zip_or_a_pickle_are_still_safetensors(full_checkpoint: bytes) -> None:
    from inspector.training.colorize import load_generator

    as_zip = _repad(full_checkpoint, 0x4B50)  # length bytes 50 4B: "PK"
    as_pickle = _repad(full_checkpoint, 0x010480)  # length bytes 80 04 01: a protocol-4 pickle's start
    assert as_zip[:2] == b"PK" and as_pickle[:2] == b"\x80\x04"
    for data in (as_zip, as_pickle):
        for name in ("checkpoint.safetensors", "model.pt", "upload"):
            assert load_checkpoint(data, name=name).step == 5
        generator, _ = load_generator(data, name="model.pth")
        assert not generator.training


def test_a_safetensors_file_whose_data_does_not_match_its_offsets_is_not_safetensors(
    full_checkpoint: bytes,
) -> None:
    from inspector.training.checkpoint_formats import safetensors_problem

    assert safetensors_problem(full_checkpoint) is None
    assert "describe" in safetensors_problem(full_checkpoint + b"\0")
    assert "describe" in safetensors_problem(full_checkpoint[:-1])
    with pytest.raises(UserError, match=r"not a safetensors file \(its tensors describe"):
        load_checkpoint(full_checkpoint[:-4], name="cut.safetensors")


# --- clear words -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", ["torch.save", "raw pickle", "legacy torch.save"])
def test_the_pickle_refusal_is_one_plain_sentence(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    payload = {"input_layer.0.weight": _Payload(marker)}
    buf = io.BytesIO()
    if kind == "torch.save":
        torch.save(payload, buf)
    elif kind == "raw pickle":
        pickle.dump(payload, buf)
    else:  # torch.save before PyTorch 1.6: a pickle that also allocates the storage sizes it claims
        torch.save({"x": torch.zeros(3)}, buf, _use_new_zipfile_serialization=False)
    with pytest.raises(UserError) as info:
        load_checkpoint(buf.getvalue(), name="model.pt")
    text = str(info.value)
    assert text.startswith("model.pt was refused: ") and "\n" not in text and "\x1b" not in text
    assert "weights_only" not in text and "trust" not in text and text.count(". ") == 0
    assert not marker.exists()
    if kind == "torch.save":
        assert "io.open" in text  # the refused name, so that a user knows what the file holds


# --- tensors that claim more than the file holds ----------------------------------------------------


def _saved(tensors: dict[str, torch.Tensor]) -> bytes:
    buf = io.BytesIO()
    torch.save(tensors, buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (torch.zeros(1).expand(10**9), "overlap"),  # 4 bytes of storage, a billion values (4 GB)
        (torch.zeros(1).expand(40_000, 40_000), "overlap"),
        (torch.arange(16.0).as_strided((4, 4), (1, 1)), "overlap"),  # rows that share elements
        (torch.arange(16.0).as_strided((6, 2), (2, 3)), "overlap"),
    ],
)
def test_views_that_claim_more_than_their_storage_are_refused_unread(
    tensor, message: str, monkeypatch
) -> None:
    data = _saved({"generator.x": tensor})
    assert len(data) < 3_000

    def never(*args, **kwargs):
        raise AssertionError("the finite check ran on a tensor that was not checked first")

    monkeypatch.setattr(checkpoint_formats, "check_finite", never)  # the reader checks views first
    with pytest.raises(UserError, match=message):
        load_checkpoint(data, name="view.pt")


def test_gapped_views_and_channels_last_weights_still_load(models) -> None:
    G, _ = models
    sd = {k: v.clone() for k, v in G.state_dict().items()}
    key = "input_layer.0.weight"
    sd[key] = sd[key].contiguous(memory_format=torch.channels_last)
    wide = torch.zeros(sd["output_layer.1.bias"].numel() * 3)
    sd["output_layer.1.bias"] = wide[::3]  # a strided slice: gaps, no overlap
    ckpt = load_checkpoint(_saved(sd), name="g.pt", generator_config=G.config)
    assert torch.equal(ckpt.generator[key], G.state_dict()[key])


@pytest.mark.parametrize("record", [b"\0" * 4, b"\0" * 64])
def test_a_storage_record_smaller_or_larger_than_claimed_is_refused(record: bytes) -> None:
    import zipfile

    data = _saved({"generator.x": torch.arange(4.0)})  # one 16-byte storage
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(
                info.filename, record if info.filename.endswith("/data/0") else src.read(info.filename)
            )
    with pytest.raises(
        UserError, match=f"its storage 0 declares 16 bytes, but the file holds {len(record)}$"
    ):
        load_checkpoint(out.getvalue(), name="storage.pt")


def test_a_meta_or_sparse_tensor_is_refused() -> None:
    from inspector.training.tensor_views import check_geometry

    with pytest.raises(UserError, match="not a plain tensor"):
        check_geometry({"generator.x": torch.empty(10**9, device="meta")}, "m.pt", 100)
    with pytest.raises(UserError, match="not a plain tensor"):
        check_geometry({"generator.x": torch.zeros(3, 3).to_sparse()}, "s.pt", 100)
    with pytest.raises(UserError, match="claim 4,000 bytes of storage; the file has 100"):
        check_geometry({"generator.x": torch.zeros(1000)}, "big.pt", 100)


# --- the generator-only export -------------------------------------------------------------------


@pytest.mark.parametrize("half", [False, True])
def test_a_generator_export_loads_for_colorize(models, tmp_path: Path, half: bool) -> None:
    from PIL import Image

    from inspector.training.checkpoint import save_generator_export
    from inspector.training.colorize import colorize, load_generator

    G, D = models
    full = save_checkpoint(tmp_path / "run", G, D, step=9, optimizers=_optimizers(G, D))
    path = save_generator_export(tmp_path, G, G.config, half=half, step=9)
    assert path == tmp_path / ck.EXPORT_FILE
    ckpt = load_checkpoint(path)
    assert ckpt.is_export and ckpt.step == 9 and ckpt.discriminator == {} and ckpt.optimizers == {}
    assert ckpt.generator_config == G.config and not load_checkpoint(full).is_export
    for key, value in G.state_dict().items():
        got = ckpt.generator[key]
        assert got.dtype == value.dtype  # float16 on disk, float32 again in memory
        assert torch.allclose(got, value, rtol=1e-3, atol=1e-4) if half else torch.equal(got, value)
    weights = sum(v.numel() * v.element_size() for v in G.state_dict().values())
    assert path.stat().st_size < (0.6 if half else 1.1) * weights + 20_000
    assert path.stat().st_size < full.stat().st_size / 2
    generator, _ = load_generator(path.read_bytes(), name="generator.safetensors")
    result = colorize(generator, Image.new("RGB", (40, 30), (90, 120, 150)))
    assert result.colour.shape == (30, 40, 3)


def test_a_half_export_refuses_weights_beyond_float16(models, tmp_path: Path) -> None:
    from inspector.training.checkpoint import save_generator_export

    G, _ = models
    with torch.no_grad():
        G.input_layer[0].weight[0, 0, 0, 0] = 1e6
    with pytest.raises(UserError, match="beyond float16's range"):
        save_generator_export(tmp_path / "g.safetensors", G, half=True)
    assert not (tmp_path / "g.safetensors").exists()


# --- the colorize size comes from the photo ------------------------------------------------------


def test_a_header_claiming_a_huge_input_size_does_not_make_colorize_run_at_it(tmp_path: Path) -> None:
    from PIL import Image

    from inspector.training.checkpoint import save_generator_export
    from inspector.training.colorize import colorize, load_generator
    from inspector.training.run_bounds import MAX_MODEL_SIDE, model_side

    g_cfg = preset("notebook")[0].replace(ngf=2, depth=5, input_size=4096)  # the header's claim
    path = save_generator_export(tmp_path, build_generator(g_cfg))
    generator, _ = load_generator(path)
    assert colorize(generator, Image.new("RGB", (80, 80), (10, 200, 30))).model_size == 96  # 80 -> 3 x 2**5
    assert model_side((3000, 2000), g_cfg) == MAX_MODEL_SIDE
    assert model_side((20, 10), g_cfg) == 32  # never below 2**depth
    assert model_side((300, 200), g_cfg.replace(input_size=128)) == 128  # nor above the training size
    with pytest.raises(UserError, match="depth 10"):
        model_side((80, 80), g_cfg.replace(depth=10))


# --- the largest file the app can write -----------------------------------------------------------


def test_the_checkpoint_size_bound_holds_and_is_tight(models, tmp_path: Path) -> None:
    from inspector.training.checkpoint_size import METADATA_ALLOWANCE, max_checkpoint_bytes

    G, D = models
    rng = {
        "cpu": torch.get_rng_state(),
        "sampler": torch.Generator().get_state(),
        "cuda": torch.zeros(16, dtype=torch.uint8),
    }
    path = save_checkpoint(
        tmp_path,
        G,
        D,
        step=123_456,
        optimizers=_optimizers(G, D),
        rng=rng,
        metrics={"G_L1": 0.123456789, "D_real": 0.7},
        train_config={"steps": 200_000, "lr": 2e-4},
    )
    bound = max_checkpoint_bytes(G.config, D.config)
    assert path.stat().st_size <= bound <= path.stat().st_size + METADATA_ALLOWANCE + 2_000
    g, d = preset("notebook")
    params = 54_407_810 + 2_765_568  # the notebook's generator and the fixed discriminator
    assert (
        3 * 4 * params < max_checkpoint_bytes(g, d) < 3 * 4 * params + 2**20
    )  # weights + Adam's two moments

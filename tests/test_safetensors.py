# tinygrad_ext.safetensors against the real safetensors package: round trips both ways, byte
# identity, lazy slices, shared tensors, and hostile files (truncations, flipped bytes, forged offsets).
import json
import struct
import tracemalloc

import numpy as np
import pytest
import safetensors
import safetensors.torch as st
import torch

import tinygrad_ext as tg
import tinygrad_ext.safetensors as ts
from tinygrad_ext._dtype_table import INFOS

# Every dtype tg has that safetensors stores and torch knows.
DTYPES = [i for i in INFOS if i.safetensors and hasattr(torch, i.name)]


def _torch_sample(info, shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * 40
    return (x > 0) if info.name == "bool" else x.to(getattr(torch, info.name))


def _as_tg(x):
    return tg.from_dlpack(x.contiguous())


def _assert_same(tg_t, torch_t):
    assert tg_t.dtype.name == str(torch_t.dtype).rsplit(".", 1)[-1]
    assert tuple(tg_t.shape) == tuple(torch_t.shape)
    assert tg_t.numpy().tobytes() == torch_t.numpy().tobytes()


def _mixed(seed=0):
    shapes = [(), (0,), (3,), (2, 5), (2, 0, 3), (4, 3, 2)]
    return {f"{i.name}.{k}": _torch_sample(i, s, seed + k)
            for i in DTYPES for k, s in enumerate(shapes)}


def test_files_of_the_real_package_load_in_tg(tmp_path):
    tensors = _mixed()
    path = tmp_path / "ref.safetensors"
    st.save_file(tensors, path, metadata={"format": "pt", "note": "é"})
    out = ts.load_file(path)
    assert set(out) == set(tensors)
    for k, v in tensors.items():
        _assert_same(out[k], v)
    out = ts.load(path.read_bytes())
    for k, v in tensors.items():
        _assert_same(out[k], v)
    with ts.safe_open(path, framework="tg") as f:
        assert f.metadata() == {"format": "pt", "note": "é"}
        with safetensors.safe_open(path, framework="pt") as ref:
            assert f.keys() == ref.keys()


def test_tg_files_load_in_the_real_package_and_are_byte_identical(tmp_path):
    tensors = _mixed(seed=7)
    mine = {k: _as_tg(v) for k, v in tensors.items()}
    data = ts.save(mine)
    assert data == st.save(tensors)
    assert ts.save(mine, metadata={"k": "v"}) == st.save(tensors, metadata={"k": "v"})
    path = tmp_path / "tg.safetensors"
    ts.save_file(mine, path, metadata={"a": "b"})
    ref = st.load_file(path)
    for k, v in tensors.items():
        assert torch.equal(ref[k], v)
    assert st.load(data).keys() == tensors.keys()


def test_load_file_is_memory_mapped_copy_on_write(tmp_path):
    path = tmp_path / "m.safetensors"
    st.save_file({"w": torch.arange(1024.0)}, path)
    before = path.read_bytes()
    w = ts.load_file(path)["w"]
    w[0] = 99.0  # a private page: the file is untouched
    assert w[0].item() == 99.0 and path.read_bytes() == before
    assert ts.load_file(path)["w"][0].item() == 0.0


def test_safe_open_get_slice_reads_parts(tmp_path):
    x = torch.arange(5 * 6 * 4, dtype=torch.float64).reshape(5, 6, 4)
    path = tmp_path / "s.safetensors"
    st.save_file({"x": x, "b": torch.tensor([True, False])}, path)
    with ts.safe_open(path, framework="tg") as f, safetensors.safe_open(path, framework="pt") as ref:
        sl, ref_sl = f.get_slice("x"), ref.get_slice("x")
        assert sl.get_shape() == ref_sl.get_shape() == [5, 6, 4]
        assert sl.get_dtype() == ref_sl.get_dtype() == "F64"
        for index in [slice(1, 3), (slice(None), slice(2, 5)), (2, slice(1, 4), slice(None)),
                      (slice(4, 5), 0), (Ellipsis, slice(1, 3))]:
            _assert_same(sl[index], ref_sl[index])
        _assert_same(f.get_slice("b")[1:], ref.get_slice("b")[1:])
        _assert_same(f.get_tensor("x"), x)
        with pytest.raises(ts.SafetensorError, match="does not contain"):
            f.get_tensor("nope")


def test_state_dict_round_trip_and_shared_tensors(tmp_path):
    model = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 4))
    path = tmp_path / "model.safetensors"
    ts.save_file(model.state_dict(), path)
    other = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 4))
    other.load_state_dict(ts.load_file(path))
    x = tg.randn(2, 4)
    np.testing.assert_array_equal(other(x).detach().numpy(), model(x).detach().numpy())

    # Tied weights: refused by save_file with safetensors' error, kept once by save_model.
    tied = {"a": model[0].weight.detach(), "b": model[0].weight.detach()}
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        ts.save_file(tied, path)
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        st.save_file(dict.fromkeys(["a", "b"], torch.ones(2)), path)  # the same in safetensors
    with pytest.raises(ValueError, match="non contiguous"):
        ts.save_file({"t": tg.ones(2, 3).t()}, path)


class _Tied(tg.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = tg.nn.Linear(3, 3)
        self.dec = tg.nn.Linear(3, 3)
        self.dec.weight = self.enc.weight


class _TorchTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(3, 3)
        self.dec = torch.nn.Linear(3, 3)
        self.dec.weight = self.enc.weight


def test_save_model_and_load_model_with_tied_weights(tmp_path):
    ref = _TorchTied()
    path = tmp_path / "tied.safetensors"
    st.save_model(ref, path)
    with safetensors.safe_open(path, framework="pt") as f:
        ref_keys, ref_meta = f.keys(), f.metadata()
    model = _Tied()
    assert ts.load_model(model, path) == ([], [])
    np.testing.assert_array_equal(model.dec.weight.detach().numpy(), ref.enc.weight.detach().numpy())
    assert model.dec.weight is model.enc.weight
    mine = tmp_path / "tied_tg.safetensors"
    ts.save_model(model, mine)
    with ts.safe_open(mine) as f:
        assert (f.keys(), f.metadata()) == (ref_keys, ref_meta)
    back = _TorchTied()
    st.load_model(back, mine)
    assert torch.equal(back.dec.weight, ref.enc.weight)


# ---------------------------------------------------------------- hostile files
def _small_file():
    return st.save({"a": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                    "b": torch.tensor([1, 2], dtype=torch.int64)}, metadata={"m": "x"})


def _ref_loads(data):
    try:
        return st.load(data)
    except Exception:
        return None


def test_every_truncation_is_an_error():
    data = _small_file()
    for n in range(len(data)):
        with pytest.raises(ts.SafetensorError):
            ts.load(data[:n])
        assert _ref_loads(data[:n]) is None  # the real package agrees


def test_every_flipped_header_byte_agrees_with_the_real_package():
    data = _small_file()
    (n,) = struct.unpack("<Q", data[:8])
    for i in range(8 + n):
        for flip in (0x01, 0x20, 0x80):
            bad = bytearray(data)
            bad[i] ^= flip
            bad = bytes(bad)
            ref = _ref_loads(bad)
            if ref is None:
                with pytest.raises(ts.SafetensorError):
                    ts.load(bad)
            else:
                out = ts.load(bad)
                assert out.keys() == ref.keys(), (i, flip)
                for k in ref:
                    _assert_same(out[k], ref[k])


def _forge(header, data=b"", pad=True):
    raw = json.dumps(header).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize("header,data,match", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12), "InvalidOffset"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, bytes(16), "InvalidOffset"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, bytes(8), "InvalidOffset"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4), "MetadataIncomplete"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1 << 62]}}, bytes(8), "TensorInvalid"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), "TensorInvalidInfo"),
    ({"a": {"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]}}, bytes(8),
     "TensorInvalidInfo"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8), "shape"),
    ({"a": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, bytes(8), "unknown dtype"),
    ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), "exactly"),
    ({"__metadata__": {"k": 3}}, b"", "__metadata__"),
    ([1, 2], b"", "InvalidHeaderStart"),
    ({"a": [1]}, b"", "exactly"),
])
def test_forged_headers_are_refused(header, data, match):
    blob = _forge(header, data)
    with pytest.raises(ts.SafetensorError, match=match):
        ts.load(blob)
    assert _ref_loads(blob) is None


def test_bad_prefixes_are_refused_before_allocating(tmp_path):
    tracemalloc.start()
    try:
        for blob, match in [
            (struct.pack("<Q", 2 ** 63) + b"{}", "HeaderTooLarge"),
            (struct.pack("<Q", 100_000_001) + b"{}", "HeaderTooLarge"),
            (struct.pack("<Q", 99_999_999) + b"{}      ", "InvalidHeaderLength"),
            (b"\x03\0\0", "HeaderTooSmall"),
            (struct.pack("<Q", 2) + b"\xff\xfe", "UTF-8"),
            (struct.pack("<Q", 2) + b" {", "InvalidHeaderStart"),
            (struct.pack("<Q", 16) + b'{"a":1, "a":1}  ', "duplicate"),
        ]:
            with pytest.raises(ts.SafetensorError, match=match):
                ts.load(blob)
            path = tmp_path / "bad.safetensors"
            path.write_bytes(blob)
            with pytest.raises(ts.SafetensorError, match=match):
                ts.load_file(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()

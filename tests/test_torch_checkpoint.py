# torch.save checkpoints in tg.load and tg.save(format="torch") in torch.load: values, dtypes,
# shared storages, models evaluated on both sides, and pickles that try to run code.
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tinygrad_ext._dtype_table import INFOS

DTYPES = [i for i in INFOS if hasattr(torch, i.name)]


def _torch_sample(info, shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * 40
    return (x > 0) if info.name == "bool" else x.to(getattr(torch, info.name))


def _assert_same(tg_t, torch_t):
    assert isinstance(tg_t, tg.Tensor)
    assert tg_t.dtype.name == str(torch_t.dtype).rsplit(".", 1)[-1]
    assert tuple(tg_t.shape) == tuple(torch_t.shape)
    assert tg_t.requires_grad == torch_t.requires_grad
    np.testing.assert_array_equal(tg_t.detach().numpy(), torch_t.detach().numpy())


def _torch_bytes(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def _tg_load(data):
    return tg.load(io.BytesIO(data))


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_files_load_in_tg(legacy):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {f"t_{i.name}_{k}": _torch_sample(i, s, k)
           for i in DTYPES for k, s in enumerate([(), (0,), (5,), (3, 4)])}
    obj.update({"view": base[1:, ::2], "transposed": base.t(), "param": torch.nn.Parameter(torch.ones(2, 2)),
                "grad": torch.ones(3).requires_grad_(), "nested": [1, 2.5, "s", None, True, (1, (2,))],
                "size": torch.Size([2, 3]), "big": 2 ** 70, "neg": -5, "od": OrderedDict(a=1)})
    out = _tg_load(_torch_bytes(obj, _use_new_zipfile_serialization=not legacy))
    assert list(out) == list(obj)
    for k, v in obj.items():
        if isinstance(v, torch.Tensor):
            _assert_same(out[k], v)
        else:
            assert out[k] == v and type(out[k]).__name__ == type(v).__name__
    assert isinstance(out["param"], tg.nn.Parameter) and isinstance(out["size"], tg.Size)
    assert out["view"].stride() == base[1:, ::2].stride()


def test_shared_storages_stay_shared():
    base = torch.arange(12.0)
    obj = {"a": base, "b": base[2:8].view(2, 3), "c": base.view(3, 4).t()}
    out = _tg_load(_torch_bytes(obj))
    assert out["b"].data_ptr() == out["a"].data_ptr() + 2 * 4
    assert out["c"].data_ptr() == out["a"].data_ptr()
    out["a"][3] = -1.0
    assert out["b"][0, 1].item() == -1.0 and out["c"][3, 0].item() == -1.0


def test_tg_zip_checkpoints_load_in_torch(tmp_path):
    obj = {f"t_{i.name}": tg.from_dlpack(_torch_sample(i, (3, 2), 1)) for i in DTYPES}
    w = tg.randn(3, 4)
    obj.update({"strided": w.t(), "param": tg.nn.Parameter(tg.ones(2)), "zero_d": tg.tensor(3.5),
                "empty": tg.zeros(0, 3), "tied_a": w, "tied_b": w, "list": [1, -2 ** 40, 0.5, "x", None],
                "tuple": (True, False), "size": tg.Size([4, 5]), "od": OrderedDict(k=tg.ones(1))})
    path = tmp_path / "tg.pt"
    tg.save(obj, path, format="torch")
    ref = torch.load(path, weights_only=True)
    assert list(ref) == list(obj)
    for k, v in obj.items():
        if isinstance(v, tg.Tensor):
            _assert_same(v, ref[k])
    assert isinstance(ref["param"], torch.nn.Parameter) and ref["size"] == torch.Size([4, 5])
    assert ref["list"] == obj["list"] and ref["tuple"] == (True, False)
    assert isinstance(ref["od"], OrderedDict)
    assert ref["tied_a"].data_ptr() == ref["tied_b"].data_ptr()  # one storage for tied tensors
    with zipfile.ZipFile(path) as zf:  # records are 64-byte aligned, as torch writes them
        for info in zf.infolist():
            if "/data/" in info.filename:
                start = info.header_offset + 30 + len(info.filename) + \
                    int.from_bytes(path.read_bytes()[info.header_offset + 28:info.header_offset + 30], "little")
                assert start % 64 == 0
    assert tg.load(path)["list"] == obj["list"]  # and tg reads its own torch files


def _torch_mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def _tg_mlp():
    return tg.nn.Sequential(tg.nn.Linear(5, 8), tg.nn.ReLU(), tg.nn.Linear(8, 3))


def test_a_torch_trained_model_gives_the_same_outputs_in_tg_and_back(tmp_path):
    model = _torch_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 5), torch.randn(16, 3)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)

    mine = _tg_mlp()
    mine.load_state_dict(tg.load(path))
    with torch.no_grad():
        expected = model(x).numpy()
    got = mine(tg.from_dlpack(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)

    back_path = tmp_path / "back.pt"
    tg.save(mine.state_dict(), back_path, format="torch")
    back = _torch_mlp()
    back.load_state_dict(torch.load(back_path, weights_only=True))
    with torch.no_grad():
        np.testing.assert_array_equal(back(x).numpy(), expected)


# ---------------------------------------------------------------- hostile checkpoints
_RAN = []


def _record_call(*args):
    _RAN.append(args)
    return 0


class _Payload:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("fn,args,name", [
    (os.system, ("echo pwned",), "posix.system"),
    (_record_call, ("ran",), "test_torch_checkpoint._record_call"),
    (eval, ("1+1",), "builtins.eval"),
    (getattr, ("text", "upper"), "builtins.getattr"),
])
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_pickles_that_run_code_are_refused_naming_the_global(fn, args, name, legacy):
    data = _torch_bytes({"w": torch.ones(2), "evil": _Payload(fn, args)},
                        _use_new_zipfile_serialization=not legacy)
    with pytest.raises(tg.SerializationError, match=f"refusing the global .*{name.split('.')[-1]}"):
        _tg_load(data)
    assert _RAN == []
    with pytest.raises(pickle.UnpicklingError):  # torch's own weights_only loader agrees
        torch.load(io.BytesIO(data), weights_only=True)


def test_raw_global_opcodes_are_refused():
    for module, name in [("os", "system"), ("subprocess", "Popen"), ("builtins", "__import__"),
                         ("torch", "load"), ("numpy", "frombuffer")]:
        payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x02\x00\x00\x00lsq\x00\x85R."
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("archive/data.pkl", payload)
        with pytest.raises(tg.SerializationError, match=f"{module}.{name}"):
            _tg_load(buf.getvalue())


def test_every_truncation_of_a_checkpoint_is_an_error():
    data = _torch_bytes({"a": torch.arange(6.0), "b": [1, 2]})
    for n in range(0, len(data), 3):
        with pytest.raises(tg.SerializationError):
            _tg_load(data[:n])


def _rewrite(data, name, new):
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            payload = new if info.filename == name else src.read(info.filename)
            if payload is not None:
                zf.writestr(info.filename, payload, compress_type=info.compress_type)
    return buf.getvalue()


def test_forged_records_are_refused_before_allocating():
    data = _torch_bytes({"a": torch.arange(6.0)})
    # the storage record is shorter than the storage the pickle declares
    with pytest.raises(tg.SerializationError, match="should hold 24 bytes"):
        _tg_load(_rewrite(data, "archive/data/0", b"\0" * 8))
    with pytest.raises(tg.SerializationError, match="no record"):
        _tg_load(_rewrite(data, "archive/data/0", None))
    # a tensor that reaches past its storage
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    forged = pkl.replace(b"K\x06\x85", b"K\x07\x85")  # size (6,) -> (7,)
    assert forged != pkl
    with pytest.raises(tg.SerializationError, match="does not fit"):
        _tg_load(_rewrite(data, "archive/data.pkl", forged))
    # a compressed record (torch never writes one) could inflate: refused
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
            zf.writestr(info.filename, zipfile.ZipFile(io.BytesIO(data)).read(info.filename))
    with pytest.raises(tg.SerializationError, match="compressed"):
        _tg_load(buf.getvalue())
    with pytest.raises(tg.SerializationError, match="data.pkl"):
        _tg_load(_rewrite(data, "archive/data.pkl", None))


def test_save_format_errors():
    with pytest.raises(ValueError, match="format"):
        tg.save({}, io.BytesIO(), format="onnx")
    with pytest.raises(TypeError, match="cannot save an object of type"):
        tg.save({"f": print}, io.BytesIO(), format="torch")


def _zip_with_pickle(payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    return buf.getvalue()


@pytest.mark.parametrize("payload,match", [
    (b"\x80\x02r\xff\xff\xff\x7f.", "memo index"),  # LONG_BINPUT 2**31: a 16 GB memo table
    (b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little") + b"xx.", "malformed pickle"),  # BINBYTES8
    (b"\x80\x05\x96" + (2).to_bytes(8, "little") + b"xx.", "BYTEARRAY8"),
    (b"\x80\x02\x82\x01.", "EXT1"),
    (b"\x80\x02(cos\nsystem\nX\x02\x00\x00\x00lso.", "OBJ"),
    (b"\x80\x02", "malformed pickle"),
])
def test_pickles_are_checked_before_unpickling(payload, match):
    with pytest.raises(tg.SerializationError, match=match):
        _tg_load(_zip_with_pickle(payload))


def test_random_byte_damage_raises_serialization_errors_only():
    rng = np.random.default_rng(0)
    base = torch.arange(12.0)
    obj = {"a": base, "b": base[2:8].view(2, 3), "p": torch.nn.Parameter(torch.ones(2)),
           "l": [1, "x", 2.5, (1,)], "i": torch.arange(3)}
    for legacy in (False, True):
        data = _torch_bytes(obj, _use_new_zipfile_serialization=not legacy)
        refused = 0
        for _ in range(400):
            bad = bytearray(data)
            for i in rng.integers(0, len(bad), rng.integers(1, 4)):
                bad[i] = rng.integers(0, 256)
            try:
                _tg_load(bytes(bad))  # a byte in tensor data or a string loads fine
            except tg.SerializationError:
                refused += 1
        assert 100 < refused < 400

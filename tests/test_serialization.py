# tg.save / tg.load: round trips of tensors and state_dicts, and rejection of bad or hostile files.
import hashlib
import io
import json
import math
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_ext as tg
from tinygrad_ext import serialization as ser

DTYPES = [tg.float32, tg.float64, tg.int64, tg.bool]


def _roundtrip(obj):
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    out = tg.load(buf)
    assert buf.read() == b""  # load consumed exactly the saved bytes
    return out


def _assert_same_tensor(a, b):
    assert isinstance(b, tg.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    # Empty tensors: tg's is_contiguous() is False for a (3, 0, 2) shape even fresh from
    # tg.empty (torch says True); the core's check does not special-case numel() == 0.
    assert b.is_contiguous() or b.numel() == 0
    np.testing.assert_array_equal(a.detach().numpy(), b.numpy() if not b.requires_grad
                                  else b.detach().numpy())


def _sample(dtype, shape):
    gen = np.random.default_rng(0)
    if dtype == tg.bool:
        return tg.from_numpy(np.asarray(gen.random(shape) > 0.5))
    if dtype == tg.int64:
        return tg.from_numpy(gen.integers(-2**62, 2**62, size=shape, dtype=np.int64))
    np_dt = np.float32 if dtype == tg.float32 else np.float64
    return tg.from_numpy(gen.standard_normal(shape).astype(np_dt))


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_tensor_roundtrip_every_dtype_and_shape(dtype, shape):
    t = _sample(dtype, shape)
    out = _roundtrip(t)
    _assert_same_tensor(t, out)
    assert not out.requires_grad


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_non_contiguous_tensors_are_saved_contiguous(dtype):
    base = _sample(dtype, (4, 6))
    for view in (base.t(), base[:, ::2], base[1:3, 1:5].t(), base[0:1].expand(3, 6)):
        assert not view.is_contiguous() or view is base
        out = _roundtrip(view)
        _assert_same_tensor(view, out)


def test_special_float_values_roundtrip_bit_exactly():
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4028235e38], np.float32)
    out = _roundtrip(tg.from_numpy(vals)).numpy()
    assert out.tobytes() == vals.tobytes()
    scal = _roundtrip([math.inf, -math.inf, -0.0, 1e300, 0.1, 1.0, 1])
    assert scal[0] == math.inf and scal[1] == -math.inf
    assert math.copysign(1, scal[2]) == -1 and scal[3] == 1e300 and scal[4] == 0.1
    assert type(scal[5]) is float and type(scal[6]) is int
    assert math.isnan(_roundtrip(math.nan))


def test_nested_structures_keep_types():
    obj = {"a": [1, 2.5, None, True, False, "x"], 3: (tg.ones(2), {"b": OrderedDict(c=[()])}),
           "big": 2**100, "neg": -7, "empty": {}, "s": "ünïcødé \u2603", "tup": (1, (2, [3]))}
    out = _roundtrip(obj)
    assert type(out) is dict and list(out) == list(obj)
    assert out["a"] == [1, 2.5, None, True, False, "x"]
    assert [type(v) for v in out["a"][:5]] == [int, float, type(None), bool, bool]
    assert type(out[3]) is tuple and type(out[3][1]["b"]) is OrderedDict
    assert out[3][1]["b"]["c"] == [()]
    _assert_same_tensor(tg.ones(2), out[3][0])
    assert out["big"] == 2**100 and out["neg"] == -7 and out["empty"] == {}
    assert out["s"] == obj["s"] and out["tup"] == (1, (2, [3]))


def test_requires_grad_and_parameters_are_restored():
    p = tg.nn.Parameter(tg.randn(3))
    leaf = tg.randn(2, requires_grad=True)
    out = _roundtrip({"p": p, "leaf": leaf, "size": tg.ones(2, 3).shape})
    assert isinstance(out["p"], tg.nn.Parameter) and out["p"].requires_grad
    assert out["leaf"].requires_grad and not isinstance(out["leaf"], tg.nn.Parameter)
    assert out["size"] == (2, 3)
    _assert_same_tensor(p, out["p"])


def test_loaded_tensors_do_not_alias_the_saved_ones():
    t = tg.zeros(3)
    out = _roundtrip(t)
    out.add_(1)
    assert t.tolist() == [0.0, 0.0, 0.0]


def test_path_and_several_objects_in_one_stream(tmp_path):
    path = tmp_path / "ckpt.tg"
    tg.save({"w": tg.arange(4)}, path)
    assert tg.load(path)["w"].tolist() == [0, 1, 2, 3]
    tg.save([1], str(path))  # str path too, overwriting atomically
    assert tg.load(str(path)) == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.tg"]  # no temporary left behind
    with open(path, "wb") as f:
        tg.save("first", f)
        tg.save(tg.eye(2), f)
    with open(path, "rb") as f:
        assert tg.load(f) == "first"
        _assert_same_tensor(tg.eye(2), tg.load(f))


def test_file_starts_with_documented_prefix():
    buf = io.BytesIO()
    tg.save({"x": tg.ones(3)}, buf)
    raw = buf.getvalue()
    magic, version, flags, hlen, dlen = struct.unpack_from("<8sIIQQ", raw)
    assert magic == b"\x89TGSAVE\n" and version == 1 and flags == 0
    header = json.loads(raw[32:32 + hlen])
    node = header["root"]["items"][0][1]
    assert node["dtype"] == "float32" and node["shape"] == [3] and node["nbytes"] == 12
    data_start = 32 + hlen + (-(32 + hlen)) % 64
    assert len(raw) == data_start + dlen + 32
    np.testing.assert_array_equal(
        np.frombuffer(raw, "<f4", 3, data_start + node["offset"]), np.ones(3, np.float32))


# ---------------------------------------------------------------- state_dicts
class _Net(tg.nn.Module):
    """Two layers plus an int64 step buffer and a float64 running-mean buffer."""

    def __init__(self):
        super().__init__()
        self.body = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 1))
        self.register_buffer("seen", tg.zeros((), dtype=tg.int64))
        self.register_buffer("running", tg.zeros(4, dtype=tg.float64))

    def forward(self, x):
        with tg.no_grad():
            self.seen.add_(1)
            self.running.mul_(0.9).add_(x.mean(0).double() * 0.1)
        return self.body(x + self.running.float())


def _model():
    tg.manual_seed(0)
    return _Net()


def _train(model, opt, sched, steps, seed):
    gen = np.random.default_rng(seed)
    for _ in range(steps):
        x = tg.from_numpy(gen.standard_normal((16, 4)).astype(np.float32))
        y = tg.from_numpy(gen.standard_normal((16, 1)).astype(np.float32))
        opt.zero_grad()
        loss = tg.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("make_opt", [
    lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: tg.optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: tg.optim.AdamW(ps, lr=0.01),
    lambda ps: tg.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
], ids=["sgd", "adam", "adamw", "rmsprop"])
def test_checkpoint_resumes_training_identically(make_opt, tmp_path):
    model = _model()
    opt = make_opt(model.parameters())
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    _train(model, opt, sched, 3, seed=1)
    tg.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
             "epoch": 3}, tmp_path / "ckpt")
    expected = _train(model, opt, sched, 4, seed=2)

    ckpt = tg.load(tmp_path / "ckpt")
    assert type(ckpt["model"]) is OrderedDict and ckpt["epoch"] == 3
    model2 = _model()
    model2.load_state_dict(ckpt["model"])
    opt2 = make_opt(model2.parameters())
    opt2.load_state_dict(ckpt["opt"])
    sched2 = tg.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(ckpt["sched"])
    got = _train(model2, opt2, sched2, 4, seed=2)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)
    assert model2.seen.item() == 7 and model2.running.tolist() == model.running.tolist()


def test_module_state_dict_roundtrip_keys_dtypes_and_buffers():
    model = _model().double()
    sd = model.state_dict()
    out = _roundtrip(sd)
    assert type(out) is OrderedDict and list(out) == list(sd)
    for k in sd:
        _assert_same_tensor(sd[k], out[k])
    assert out["seen"].dtype == tg.int64 and out["seen"].shape == ()
    assert out["running"].dtype == tg.float64


def test_scheduler_state_dicts_roundtrip():
    lrs = tg.optim.lr_scheduler
    p = [tg.nn.Parameter(tg.ones(2))]

    def build(opt):
        return [lrs.MultiStepLR(opt, [2, 4]), lrs.CosineAnnealingLR(opt, 5, eta_min=0.01),
                lrs.ReduceLROnPlateau(opt, patience=1), lrs.OneCycleLR(opt, 1.0, total_steps=20),
                lrs.CosineAnnealingWarmRestarts(opt, 3, 2),
                lrs.LambdaLR(opt, lambda e: 0.9 ** e),
                lrs.SequentialLR(opt, [lrs.ConstantLR(opt, 0.5, 2), lrs.ExponentialLR(opt, 0.9)],
                                 milestones=[2])]
    for i in range(7):
        opt = tg.optim.SGD(p, lr=0.1, momentum=0.9)
        sched = build(opt)[i]
        for _ in range(3):
            opt.step()
            sched.step(1.0) if isinstance(sched, lrs.ReduceLROnPlateau) else sched.step()
        sd = sched.state_dict()
        out = _roundtrip(sd)
        assert out == sd, type(sched).__name__
        opt2 = tg.optim.SGD([tg.nn.Parameter(tg.ones(2))], lr=0.1, momentum=0.9)
        sched2 = build(opt2)[i]
        sched2.load_state_dict(out)
        assert sched2.state_dict() == sd


# ---------------------------------------------------------------- bad input on save
class _Thing:
    pass


@pytest.mark.parametrize("obj, name", [
    (_Thing(), "_Thing"), ({"a": {1, 2}}, "set"), ([np.ones(2)], "ndarray"), (b"raw", "bytes"),
    (lambda: 0, "function"), ({1.5: 0}, "float"), ({(1, 2): 0}, "tuple"), ({True: 0}, "bool"),
])
def test_save_rejects_unsupported_types_naming_them(obj, name):
    with pytest.raises(TypeError, match=name):
        tg.save(obj, io.BytesIO())


def test_save_rejects_cycles_and_text_files(tmp_path):
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        tg.save(a, io.BytesIO())
    with pytest.raises(TypeError, match="binary mode"):
        tg.save([1], io.StringIO())
    with pytest.raises(TypeError, match="path or a binary file"):
        tg.save([1], 42)


def test_failed_save_to_path_leaves_existing_file_intact(tmp_path):
    path = tmp_path / "keep"
    tg.save([1], path)
    with pytest.raises(TypeError):
        tg.save([object()], path)
    assert tg.load(path) == [1] and len(list(tmp_path.iterdir())) == 1


# ---------------------------------------------------------------- bad files on load
def _saved(obj=None):
    buf = io.BytesIO()
    tg.save({"w": tg.arange(10.0), "n": 3} if obj is None else obj, buf)
    return buf.getvalue()


def _load_bytes(raw):
    return tg.load(io.BytesIO(raw))


def _forge(header, data=b"", version=1, flags=0):
    """A well-formed file (valid checksum) around an arbitrary header: tests the validation
    that must hold even for files whose author computed the checksum."""
    hb = json.dumps(header).encode()
    body = struct.pack("<8sIIQQ", ser.MAGIC, version, flags, len(hb), len(data)) + hb
    body += b"\0" * ((-len(body)) % 64) + data
    return body + hashlib.sha256(body).digest()


def test_serialization_error_is_a_runtime_error():
    assert issubclass(tg.SerializationError, RuntimeError)


@pytest.mark.parametrize("cut", [0, 3, 8, 20, 32, 40, -33, -1])
def test_truncated_files_are_rejected(cut):
    raw = _saved()
    with pytest.raises(tg.SerializationError, match="truncated|bad magic|empty") as e:
        _load_bytes(raw[:cut] if cut >= 0 else raw[:len(raw) + cut])
    if cut > 8 or cut < 0:
        assert "truncated" in str(e.value)


def test_empty_file_is_rejected():
    with pytest.raises(tg.SerializationError, match="empty"):
        _load_bytes(b"")


def test_truncated_non_seekable_stream_is_rejected():
    class Stream(io.RawIOBase):
        def __init__(self, raw):
            self.inner = io.BytesIO(raw)

        def readable(self):
            return True

        def readinto(self, b):
            return self.inner.readinto(b)

    raw = _saved()
    assert tg.load(io.BufferedReader(Stream(raw)))["n"] == 3
    with pytest.raises(tg.SerializationError, match="truncated"):
        tg.load(io.BufferedReader(Stream(raw[:-10])))


def test_every_flipped_byte_is_detected():
    raw = _saved()
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x40
        with pytest.raises(tg.SerializationError):
            _load_bytes(bytes(bad))


def test_flipped_data_byte_reports_checksum_mismatch():
    raw = bytearray(_saved())
    raw[-40] ^= 1
    with pytest.raises(tg.SerializationError, match="checksum mismatch"):
        _load_bytes(bytes(raw))


def test_wrong_magic_version_and_flags():
    raw = _saved()
    with pytest.raises(tg.SerializationError, match="bad magic"):
        _load_bytes(b"NOTMAGIC" + raw[8:])
    with pytest.raises(tg.SerializationError, match="version 7"):
        _load_bytes(_forge({"format": "tinygrad_ext.save", "root": 1}, version=7))
    with pytest.raises(tg.SerializationError, match="flags"):
        _load_bytes(_forge({"format": "tinygrad_ext.save", "root": 1}, flags=1))
    ok = {"format": "tinygrad_ext.save", "root": {"t": "list", "items": [1]}}
    assert _load_bytes(_forge(ok)) == [1]


def test_huge_declared_lengths_are_rejected_before_reading():
    raw = bytearray(_saved())
    struct.pack_into("<Q", raw, 24, 2**63)  # data length
    with pytest.raises(tg.SerializationError, match="truncated"):
        _load_bytes(bytes(raw))
    struct.pack_into("<QQ", raw, 16, 2**62, 0)  # header length
    with pytest.raises(tg.SerializationError, match="truncated"):
        _load_bytes(bytes(raw))


def _tensor_node(**kw):
    node = {"t": "tensor", "dtype": "float32", "shape": [2], "offset": 0, "nbytes": 8,
            "requires_grad": False, "parameter": False}
    node.update(kw)
    return {"format": "tinygrad_ext.save", "root": node}


@pytest.mark.parametrize("kw, msg", [
    (dict(shape=[2**40, 2**40]), "needs"),          # absurd shape: size checked, nothing allocated
    (dict(shape=[2**40, 2**40], nbytes=2**82), "outside"),
    (dict(shape=[-1]), "non-negative"),
    (dict(shape=[2.0]), "non-negative"),
    (dict(shape="2"), "shape"),
    (dict(offset=8), "outside"),
    (dict(offset=-8), "offset"),
    (dict(nbytes=4), "needs"),
    (dict(dtype="float16"), "dtype"),
    (dict(dtype="object"), "dtype"),
    (dict(requires_grad="yes"), "requires_grad"),
    (dict(dtype="int64", shape=[1], requires_grad=True), "requires_grad"),
])
def test_forged_tensor_metadata_is_validated(kw, msg):
    with pytest.raises(tg.SerializationError, match=msg):
        _load_bytes(_forge(_tensor_node(**kw), data=b"\0" * 8))
    assert _load_bytes(_forge(_tensor_node(), data=b"\0" * 8)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("header, msg", [
    ({"format": "tinygrad_ext.save", "root": {"t": "pickle", "data": "gASV"}}, "unknown node"),
    ({"format": "tinygrad_ext.save", "root": {"t": "dict", "items": [[1.5, 0]]}}, "keys"),
    ({"format": "tinygrad_ext.save", "root": {"t": "list"}}, "items"),
    ({"format": "tinygrad_ext.save", "root": {"t": "float", "v": "1e999"}}, "float"),
    ({"format": "other", "root": 1}, "format"),
    ([1, 2], "format"),
])
def test_forged_structure_is_validated(header, msg):
    with pytest.raises(tg.SerializationError, match=msg):
        _load_bytes(_forge(header))


def test_deeply_nested_and_non_json_headers_are_rejected():
    deep = {"format": "tinygrad_ext.save", "root": 0}
    for _ in range(300):
        deep["root"] = {"t": "list", "items": [deep["root"]]}
    with pytest.raises(tg.SerializationError, match="deeper"):
        _load_bytes(_forge(deep))
    with pytest.raises(tg.SerializationError, match="malformed header"):
        _load_bytes(_forge({"format": "tinygrad_ext.save", "root": float("nan")}))  # NaN token


_EXECUTED = []


def _mark_executed(*args):
    _EXECUTED.append(args)
    return 0


class _Evil:
    def __reduce__(self):
        return (_mark_executed, ("pwned",))


def test_pickle_payloads_are_never_executed(tmp_path):
    payload = pickle.dumps({"w": _Evil()})
    assert pickle.loads(payload) is not None and _EXECUTED  # the payload really does run code
    _EXECUTED.clear()
    path = tmp_path / "evil.pt"
    path.write_bytes(payload)
    with pytest.raises(tg.SerializationError, match="pickle"):
        tg.load(path)
    # Behind a valid magic, prefix and checksum: as a header, as tensor bytes, as a node.
    body = struct.pack("<8sIIQQ", ser.MAGIC, 1, 0, len(payload), 0) + payload
    body += b"\0" * ((-len(body)) % 64)
    with pytest.raises(tg.SerializationError, match="malformed header"):
        _load_bytes(body + hashlib.sha256(body).digest())
    data = payload + b"\0" * ((-len(payload)) % 8)
    out = _load_bytes(_forge(_tensor_node(dtype="int64", shape=[len(data) // 8],
                                          nbytes=len(data)), data=data))
    assert out.numpy().tobytes() == data  # just bytes, never interpreted
    with pytest.raises(tg.SerializationError, match="unknown node"):
        _load_bytes(_forge({"format": "tinygrad_ext.save",
                            "root": {"t": "pickle", "data": payload.hex()}}))
    assert _EXECUTED == []


def test_torch_save_file_goes_to_the_torch_reader(tmp_path):
    # (tests/test_torch_checkpoint.py covers that reader; here: tg.load dispatches to it)
    import torch
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    np.testing.assert_array_equal(tg.load(path)["w"].numpy(), np.ones(2, np.float32))


def test_load_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="path or a binary file"):
        tg.load(3.5)
    with pytest.raises(TypeError, match="binary mode"):
        tg.load(io.StringIO("x"))
    with pytest.raises(RuntimeError, match="not compiled with CUDA"):
        tg.load(io.BytesIO(_saved()), map_location="cuda")
    assert tg.load(io.BytesIO(_saved()), map_location="cpu", weights_only=True)["n"] == 3
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "missing")

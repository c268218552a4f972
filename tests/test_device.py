"""Devices: tg.device against torch.device, device= on every factory, Tensor.to in all of torch's
forms, the same-device check of multi-tensor ops, tg.cuda, Module.to, load(map_location=...)."""
import io
import pickle

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F

NO_CUDA = "tinygrad_ext not compiled with CUDA enabled"
MISMATCH = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


def raises_like_torch(tg_fn, torch_fn):
    """Both raise; returns (tg's exception, torch's exception)."""
    with pytest.raises(Exception) as theirs:
        torch_fn()
    with pytest.raises(Exception) as ours:
        tg_fn()
    return ours.value, theirs.value


# ---------------------------------------------------------------- tg.device
DEVICE_ARGS = [(("cpu",), {}), (("cpu", 0), {}), (("cpu:1",), {}), (("cuda",), {}), (("cuda:1",), {}),
               (("cuda", 3), {}), (("cuda:0",), {}), ((), {"type": "cuda", "index": 2}),
               (("cuda",), {"index": 0})]


@pytest.mark.parametrize("args,kwargs", DEVICE_ARGS)
def test_device_matches_torch(args, kwargs):
    ours, theirs = tg.device(*args, **kwargs), torch.device(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert tg.device(ours) == ours
    assert tg.device(str(ours)) == ours


def test_device_equality_and_hash_as_torch():
    devices = [(a, k) for a, k in DEVICE_ARGS]
    for a1, k1 in devices:
        for a2, k2 in devices:
            same = tg.device(*a1, **k1) == tg.device(*a2, **k2)
            assert same == (torch.device(*a1, **k1) == torch.device(*a2, **k2))
            if same:
                assert hash(tg.device(*a1, **k1)) == hash(tg.device(*a2, **k2))
    assert (tg.device("cpu") == "cpu") == (torch.device("cpu") == "cpu") == False  # noqa: E712
    table = {tg.device("cpu"): "host", tg.device("cuda", 0): "gpu"}
    assert table[tg.device("cpu")] == "host" and table[tg.device("cuda:0")] == "gpu"


# The same exception type and message as torch (messages that name torch's own device list excepted).
@pytest.mark.parametrize("args", [("cuda:x",), ("cuda:-1",), ("cuda:01",), (" cpu",), ("cuda:",), ("",),
                                  ("cuda:1:2",), ("cuda1",), ("cuda:1", 1), ("cuda", -1), ("cuda", True),
                                  ("cuda", "1"), (0,), (-1,), ("cuda:99999999999",)])
def test_bad_device_errors_match_torch(args):
    ours, theirs = raises_like_torch(lambda: tg.device(*args), lambda: torch.device(*args))
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("bad,type_name", [("foo", "foo"), ("CPU", "CPU"), ("meta:0", "meta")])
def test_unknown_device_type(bad, type_name):
    with pytest.raises(RuntimeError, match=f"Expected one of cpu, cuda device type at start of device string: {type_name}$"):
        tg.device(bad)


@pytest.mark.parametrize("bad", [None, 1.0, [0]])
def test_device_argument_types(bad):
    ours, theirs = raises_like_torch(lambda: tg.device(bad), lambda: torch.device(bad))
    assert type(ours) is type(theirs) is TypeError


# ---------------------------------------------------------------- device= on every factory
x0 = tg.arange(6.0).reshape(2, 3)
FACTORIES = {
    "tensor": lambda d: tg.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda d: tg.as_tensor([1, 2], device=d),
    "zeros": lambda d: tg.zeros(2, 3, device=d),
    "ones": lambda d: tg.ones((2, 3), device=d),
    "empty": lambda d: tg.empty(2, device=d),
    "full": lambda d: tg.full((2,), 7, device=d),
    "arange": lambda d: tg.arange(5, device=d),
    "linspace": lambda d: tg.linspace(0, 1, 5, device=d),
    "eye": lambda d: tg.eye(3, device=d),
    "rand": lambda d: tg.rand(2, device=d),
    "randn": lambda d: tg.randn(2, device=d),
    "randint": lambda d: tg.randint(0, 5, (3,), device=d),
    "randperm": lambda d: tg.randperm(4, device=d),
    "normal": lambda d: tg.normal(0.0, 1.0, (3,), device=d),
    "zeros_like": lambda d: tg.zeros_like(x0, device=d),
    "ones_like": lambda d: tg.ones_like(x0, device=d),
    "empty_like": lambda d: tg.empty_like(x0, device=d),
    "full_like": lambda d: tg.full_like(x0, 2.5, device=d),
    "rand_like": lambda d: tg.rand_like(x0, device=d),
    "randn_like": lambda d: tg.randn_like(x0, device=d),
    "new_zeros": lambda d: x0.new_zeros(2, 2, device=d),
    "new_ones": lambda d: x0.new_ones((2,), device=d),
    "new_empty": lambda d: x0.new_empty(3, device=d),
    "new_full": lambda d: x0.new_full((2,), 4.0, device=d),
    "new_tensor": lambda d: x0.new_tensor([1, 2], device=d),
}
DETERMINISTIC = {"tensor", "as_tensor", "zeros", "ones", "full", "arange", "linspace", "eye", "zeros_like",
                 "ones_like", "full_like", "new_zeros", "new_ones", "new_full", "new_tensor"}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("device", ["cpu", "cpu:0", tg.device("cpu"), tg.device("cpu", 1), None])
def test_factory_on_cpu(name, device):
    t = FACTORIES[name](device)
    assert t.device == tg.device("cpu") and t.is_cpu and not t.is_cuda and t.get_device() == -1
    if name in DETERMINISTIC:
        np.testing.assert_array_equal(t.numpy(), FACTORIES[name](None).numpy())
        assert t.dtype == FACTORIES[name](None).dtype


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("device", ["cuda", "cuda:1", tg.device("cuda", 0)])
def test_factory_on_cuda_raises(name, device):
    with pytest.raises(RuntimeError, match=f"{NO_CUDA}: {name}\\(\\) asked for device '{tg.device(device)}'"):
        FACTORIES[name](device)


@pytest.mark.parametrize("name", ["zeros", "full", "zeros_like", "new_tensor"])
def test_factory_bad_device(name):
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        FACTORIES[name]("gpu")
    with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'device' must be tinygrad_ext.device, not float"):
        FACTORIES[name](1.5)
    ours, theirs = raises_like_torch(lambda: FACTORIES[name](0), lambda: torch.zeros(1, device=0))
    assert type(ours) is type(theirs) and str(ours) == str(theirs)


def test_layers_take_device():
    assert tg.nn.Linear(2, 3, device="cpu").weight.device == tg.device("cpu")
    assert tg.nn.Embedding(4, 2, device=tg.device("cpu")).weight.device == tg.device("cpu")
    for make in (lambda: tg.nn.Linear(2, 3, device="cuda"), lambda: tg.nn.Embedding(4, 2, device="cuda:0")):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            make()


# ---------------------------------------------------------------- Tensor.to in all of torch's forms
# Each case: f(module, x, other) on both libraries, with x a float32 [2, 3] tensor and other int64.
TO_CASES = {
    "device": lambda m, x, o: x.to("cpu"),
    "device_object": lambda m, x, o: x.to(m.device("cpu")),
    "device_indexed": lambda m, x, o: x.to("cpu:0"),
    "dtype_same": lambda m, x, o: x.to(m.float32),
    "dtype": lambda m, x, o: x.to(m.float64),
    "python_type": lambda m, x, o: x.to(int),
    "device_dtype": lambda m, x, o: x.to("cpu", m.float64),
    "device_dtype_same": lambda m, x, o: x.to(m.device("cpu"), m.float32),
    "other": lambda m, x, o: x.to(o),
    "other_same": lambda m, x, o: x.to(x),
    "keywords": lambda m, x, o: x.to(device="cpu", dtype=m.float64, non_blocking=True, copy=False),
    "keyword_dtype": lambda m, x, o: x.to(dtype=m.float32),
    "keyword_none": lambda m, x, o: x.to(device=None, dtype=None),
    "none": lambda m, x, o: x.to(None),
    "empty": lambda m, x, o: x.to(),
    "copy": lambda m, x, o: x.to("cpu", copy=True),
    "copy_positional": lambda m, x, o: x.to("cpu", m.float32, False, True),
    "dtype_copy_positional": lambda m, x, o: x.to(m.float32, False, True),
    "other_copy": lambda m, x, o: x.to(x, copy=True),
    "dtype_non_blocking": lambda m, x, o: x.to(m.float64, non_blocking=True),
    "preserve_format": lambda m, x, o: x.to("cpu", memory_format=m.preserve_format),
    "contiguous_format": lambda m, x, o: x.to(memory_format=m.contiguous_format),
    "transposed_contiguous": lambda m, x, o: x.t().to(memory_format=m.contiguous_format),
    "transposed_dtype": lambda m, x, o: x.t().to(m.float64, memory_format=m.contiguous_format),
    "cpu": lambda m, x, o: x.cpu(),
    "cpu_format": lambda m, x, o: x.cpu(memory_format=m.preserve_format),
}


@pytest.mark.parametrize("case", sorted(TO_CASES))
def test_to_matches_torch(case):
    fn = TO_CASES[case]
    x, xt = tg.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    ours, theirs = fn(tg, x, tg.tensor([1])), fn(torch, xt, torch.tensor([1]))
    base, tbase = (x.t(), xt.t()) if case.startswith("transposed") else (x, xt)
    assert (ours is base) == (theirs is tbase)
    assert (ours.data_ptr() == base.data_ptr()) == (theirs.data_ptr() == tbase.data_ptr())
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.device == tg.device(str(theirs.device))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("call", [lambda m, x: x.to("cpu", "cpu"), lambda m, x: x.to(m.float64, dtype=m.float64),
                                  lambda m, x: x.to(foo=1), lambda m, x: x.to(x, m.float64),
                                  lambda m, x: x.to("cpu", 1), lambda m, x: x.to(m.float64, 1),
                                  lambda m, x: x.to("cpu", m.float32, False, True, True),
                                  lambda m, x: x.to(m.float32, device="cpu"), lambda m, x: x.to("cpu", copy=1)])
def test_to_bad_arguments_raise_type_error_as_torch(call):
    ours, theirs = raises_like_torch(lambda: call(tg, tg.ones(2)), lambda: call(torch, torch.ones(2)))
    assert type(ours) is type(theirs) is TypeError
    assert "to() received an invalid combination of arguments" in str(ours)


def test_to_int_device_as_torch_without_accelerator():
    ours, theirs = raises_like_torch(lambda: tg.ones(2).to(0), lambda: torch.ones(2).to(0))
    assert type(ours) is type(theirs) and str(ours) == str(theirs)


@pytest.mark.parametrize("call", [lambda x: x.to("cuda"), lambda x: x.to("cuda:1", tg.float64),
                                  lambda x: x.to(device=tg.device("cuda")), lambda x: x.cuda(),
                                  lambda x: x.cuda(0), lambda x: x.cuda("cuda:1", non_blocking=True)])
def test_to_cuda_raises(call):
    with pytest.raises(RuntimeError, match=NO_CUDA):
        call(tg.ones(2))


def test_cuda_rejects_other_devices():
    with pytest.raises(RuntimeError, match="Invalid device, must be cuda device"):
        tg.ones(2).cuda("cpu")


def test_channels_last_is_accepted_with_torch_rank_checks():
    x = tg.arange(24.0).reshape(1, 2, 3, 4)
    y = x.to(memory_format=tg.channels_last)  # row-major still: the values are what matter
    assert y.tolist() == x.tolist()
    for mine, theirs in ((tg.ones(2, 3, 4), torch.ones(2, 3, 4)),):
        with pytest.raises(RuntimeError) as expected:
            theirs.to(memory_format=torch.channels_last)
        with pytest.raises(RuntimeError, match=str(expected.value).split("\n")[0]):
            mine.to(memory_format=tg.channels_last)
        with pytest.raises(RuntimeError, match="required rank 5"):
            mine.contiguous(memory_format=tg.channels_last_3d)


def test_to_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(tg.float64) * tg.tensor([3.0, 4.0], dtype=tg.float64)
    z = x.to("cpu", copy=True) * 2
    (y.sum() + z.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])
    assert x.grad.dtype == tg.float32


def test_memory_format_names():
    for name in ("preserve_format", "contiguous_format", "channels_last", "channels_last_3d"):
        assert repr(getattr(tg, name)) == repr(getattr(torch, name)).replace("torch", "tinygrad_ext")


def test_cpu_tensor_repr_has_no_device():
    assert repr(tg.tensor([1.0, 2.0], device="cpu")) == repr(torch.tensor([1.0, 2.0], device="cpu"))


# ---------------------------------------------------------------- the same-device check
def on_cuda(t, index=0):
    """t's memory labelled as CUDA memory (a test hook): lets a CPU-only build exercise the checks."""
    return tg._C._relabel_device_for_testing(t, tg.device("cuda", index))


def test_relabelled_tensor_reports_its_device():
    c = on_cuda(tg.ones(2), 1)
    assert c.device == tg.device("cuda:1") and c.is_cuda and not c.is_cpu and c.get_device() == 1
    assert c[0].device == tg.device("cuda:1")  # views share the storage and its device
    ours, theirs = raises_like_torch(lambda: c.numpy(), lambda: torch.empty(2, device="meta").numpy())
    assert type(ours) is type(theirs) is TypeError
    assert str(ours) == str(theirs).replace("meta", "cuda:1")
    for leave in (lambda: c.cpu(), lambda: c.to("cpu"), lambda: tg.zeros_like(c), lambda: c.new_zeros(2)):
        with pytest.raises(RuntimeError, match=NO_CUDA):  # its memory would need the CUDA backend
            leave()


a2, b2, i2 = tg.ones(2, 2), tg.ones(2, 2), tg.tensor([[0, 1], [1, 0]])
MULTI_TENSOR_OPS = {
    "add": (lambda a, b: a + b, (a2, b2)),
    "mul": (lambda a, b: tg.mul(a, b), (a2, b2)),
    "sub": (lambda a, b: a - b, (a2, b2)),
    "div": (lambda a, b: a / b, (a2, b2)),
    "pow": (lambda a, b: a ** b, (a2, b2)),
    "maximum": (lambda a, b: tg.maximum(a, b), (a2, b2)),
    "lt": (lambda a, b: a < b, (a2, b2)),
    "in-place op": (lambda a, b: a.add_(b), (a2.clone(), b2)),
    "where": (lambda c, a: tg.where(c, a, a), (a2 > 0, b2)),
    "mm": (lambda a, b: tg.mm(a, b), (a2, b2)),
    "matmul": (lambda a, b: a @ b, (a2, b2)),
    "bmm": (lambda a, b: tg.bmm(a, b), (a2[None], b2[None])),
    "addmm": (lambda a, b: tg.addmm(a, b, b), (a2, b2)),
    "mv": (lambda a, b: tg.mv(a, b), (a2, b2[0])),
    "dot": (lambda a, b: tg.dot(a, b), (a2[0], b2[0])),
    "outer": (lambda a, b: tg.outer(a, b), (a2[0], b2[0])),
    "cat": (lambda a, b: tg.cat([a, b]), (a2, b2)),
    "stack": (lambda a, b: tg.stack([a, b]), (a2, b2)),
    "index": (lambda a, i: a[i], (a2, i2)),
    "index_put_": (lambda a, v: a.index_put_((tg.tensor([0]),), v), (a2.clone(), b2[0])),
    "index_select": (lambda a, i: tg.index_select(a, 0, i), (a2, i2[0])),
    "gather": (lambda a, i: tg.gather(a, 1, i), (a2, i2)),
    "scatter": (lambda a, i: a.scatter(1, i, a2), (a2, i2)),
    "scatter_add": (lambda a, i: a.scatter_add(1, i, a2), (a2, i2)),
    "masked_select": (lambda a, m: tg.masked_select(a, m), (a2, a2 > 0)),
    "cross_entropy": (lambda a, t: F.cross_entropy(a, t), (a2, i2[0])),
    "nll_loss": (lambda a, t: F.nll_loss(a, t), (a2, i2[0])),
    "binary_cross_entropy": (lambda a, b: F.binary_cross_entropy(a, b), (a2 * 0.5, b2 * 0.5)),
    "binary_cross_entropy_with_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b), (a2, b2)),
    "embedding": (lambda w, i: F.embedding(i, w), (a2, i2)),
}


@pytest.mark.parametrize("name", sorted(MULTI_TENSOR_OPS))
def test_multi_tensor_ops_check_devices(name):
    fn, (a, b) = MULTI_TENSOR_OPS[name]
    fn(a.clone() if name.endswith("_") or name == "in-place op" else a, b)  # same device: runs
    with pytest.raises(RuntimeError) as err:
        fn(a, on_cuda(b))
    assert str(err.value).startswith(MISMATCH.format("cpu", "cuda:0"))
    assert str(err.value).endswith(f"(when checking arguments for {name})")


@pytest.mark.parametrize("name", ["add", "where", "mm", "cat", "gather", "embedding", "cross_entropy"])
def test_mismatch_between_two_cuda_devices(name):
    fn, (a, b) = MULTI_TENSOR_OPS[name]
    with pytest.raises(RuntimeError, match=MISMATCH.format("cuda:1", "cuda:0")):
        fn(on_cuda(a, 1), on_cuda(b, 0))


def test_mismatch_names_the_first_device_first():
    with pytest.raises(RuntimeError, match=MISMATCH.format("cuda:0", "cpu")):
        on_cuda(tg.ones(2)) + tg.ones(2)


def test_optional_operands_are_checked():
    x, t, w = tg.ones(2, 3), tg.tensor([0, 2]), tg.ones(3)
    with pytest.raises(RuntimeError, match=MISMATCH.format("cpu", "cuda:0")):
        F.cross_entropy(x, t, weight=on_cuda(w))
    with pytest.raises(RuntimeError, match=MISMATCH.format("cpu", "cuda:0")):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=on_cuda(w))


# ---------------------------------------------------------------- tg.cuda
def test_cuda_module_without_cuda():
    assert tg.cuda.is_available() is torch.cuda.is_available() is False
    assert tg.cuda.device_count() == torch.cuda.device_count() == 0
    assert tg.cuda.is_initialized() is False
    assert tg.cuda.manual_seed(3) is None and tg.cuda.manual_seed_all(3) is None
    with pytest.raises(ValueError):
        tg.cuda.manual_seed("not a seed")
    for call in (tg.cuda.current_device, tg.cuda.synchronize, tg.cuda.get_device_name, lambda: tg.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            call()


# ---------------------------------------------------------------- Module.to / cpu / cuda
def test_module_to_matches_torch():
    ours, theirs = tg.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    w = ours.weight
    assert ours.to("cpu") is ours and ours.weight is w and ours.weight.dtype == tg.float32
    assert ours.cpu() is ours and ours.weight is w
    assert ours.to(tg.device("cpu"), tg.float64) is ours and ours.weight is w
    assert ours.weight.dtype == tg.float64 == ours.bias.dtype
    ours.to(tg.ones(1, dtype=tg.float32))
    theirs.to(torch.ones(1, dtype=torch.float32))
    assert str(ours.weight.dtype).split(".")[1] == str(theirs.weight.dtype).split(".")[1]
    assert ours.to(dtype=tg.float64, non_blocking=True).weight.dtype == tg.float64
    err, terr = raises_like_torch(lambda: ours.to(tg.int64), lambda: theirs.to(torch.int64))
    assert type(err) is type(terr) is TypeError
    assert str(err) == str(terr).replace("torch", "tinygrad_ext")
    for move in (lambda: ours.to("cuda"), lambda: ours.cuda(), lambda: ours.to("cuda:0", tg.float32)):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            move()


def test_module_to_keeps_integer_buffers():
    bn = tg.nn.Module()
    bn.register_buffer("count", tg.tensor([3]))
    bn.register_buffer("scale", tg.tensor([0.5]))
    bn.to(tg.float64)
    assert bn.count.dtype == tg.int64 and bn.scale.dtype == tg.float64


# ---------------------------------------------------------------- tg.load(map_location=...)
def saved():
    buf = io.BytesIO()
    tg.save({"w": tg.arange(4.0), "n": 3}, buf)
    return io.BytesIO(buf.getvalue())


@pytest.mark.parametrize("location", [None, "cpu", tg.device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cpu"},
                                      {"cpu": tg.device("cpu")}, lambda t, loc: t, lambda t, loc: None])
def test_load_map_location_to_cpu(location):
    out = tg.load(saved(), map_location=location)
    assert out["n"] == 3 and out["w"].device == tg.device("cpu")
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(4.0))


def test_load_map_location_callable_sees_cpu_location():
    seen = []
    tg.load(saved(), map_location=lambda t, loc: seen.append((t.shape, loc)))
    assert seen == [((4,), "cpu")]
    out = tg.load(saved(), map_location=lambda t, loc: t * 2)
    np.testing.assert_array_equal(out["w"].numpy(), 2 * np.arange(4.0))


@pytest.mark.parametrize("location,error,match", [
    ("cuda", RuntimeError, NO_CUDA), (tg.device("cuda", 0), RuntimeError, NO_CUDA),
    ({"cpu": "cuda:0"}, RuntimeError, NO_CUDA), (lambda t, loc: t.cuda(), RuntimeError, NO_CUDA),
    ("foo", RuntimeError, "Expected one of cpu, cuda"), (3, TypeError, "map_location must be"),
    (lambda t, loc: "cpu", TypeError, "must return a tensor or None")])
def test_load_map_location_errors(location, error, match):
    with pytest.raises(error, match=match):
        tg.load(saved(), map_location=location)


# ---------------------------------------------------------------- DataLoader(pin_memory=True)
def test_pin_memory_warns_as_torch_without_accelerator():
    data = np.arange(6.0, dtype=np.float32)
    ours = tg.utils.data.DataLoader(tg.utils.data.TensorDataset(tg.tensor(data)), batch_size=4, pin_memory=True)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(data)), batch_size=4,
                                         pin_memory=True)
    with pytest.warns(UserWarning) as our_warnings:
        batches = [b[0].numpy() for b in ours]
    with pytest.warns(UserWarning) as their_warnings:
        expected = [b[0].numpy() for b in theirs]
    assert [str(w.message) for w in our_warnings] == [str(w.message) for w in their_warnings]
    for got, want in zip(batches, expected, strict=True):
        np.testing.assert_array_equal(got, want)

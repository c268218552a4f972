# DLPack and the numpy array protocol: zero-copy exchange with numpy and torch, lifetimes, flags.
import ctypes
import gc
import warnings
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ext as tg
from tinygrad_ext._dtype_table import _ROWS, INFOS

# Every dtype tg has that numpy and torch know too.
DTYPES = [i for i in INFOS if i.numpy is not None and hasattr(torch, i.name)]


def _sample(info, shape):
    rng = np.random.default_rng(0)
    a = np.asarray(rng.standard_normal(shape) * 50)
    return np.asarray(a > 0 if info.name == "bool" else a.astype(info.numpy))


def _capsule_header(capsule, name):
    """(version major, minor, flags) of a versioned capsule, read through the ABI."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    p = get(capsule, name)
    major, minor = ctypes.cast(p, ctypes.POINTER(ctypes.c_uint32))[0:2]
    return major, minor, ctypes.cast(p + 24, ctypes.POINTER(ctypes.c_uint64))[0]


@pytest.mark.parametrize("info", DTYPES, ids=lambda i: i.name)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (5,), (3, 4), (2, 3, 4)])
def test_numpy_and_torch_to_tg_share_memory(info, shape):
    a = _sample(info, shape)
    for producer in (a, torch.from_numpy(a)):
        t = tg.from_dlpack(producer)
        assert t.dtype == info.dtype and tuple(t.shape) == shape
        np.testing.assert_array_equal(t.numpy(), a)
        if a.size:
            assert t.data_ptr() == a.ctypes.data  # the same memory, not a copy


@pytest.mark.parametrize("info", DTYPES, ids=lambda i: i.name)
def test_tg_to_numpy_and_torch_share_memory(info):
    t = tg.from_numpy(_sample(info, (4, 6)))
    for consumer in (np.from_dlpack, torch.from_dlpack,
                     lambda x: torch.utils.dlpack.from_dlpack(tg.utils.dlpack.to_dlpack(x))):
        out = consumer(t)
        arr = out.numpy() if isinstance(out, torch.Tensor) else out
        assert str(out.dtype).rsplit(".", 1)[-1] == info.name
        np.testing.assert_array_equal(arr, t.numpy())
        assert arr.ctypes.data == t.data_ptr()


def test_strides_are_kept_both_ways():
    base = torch.arange(60.0).reshape(3, 4, 5)
    for view in (base.permute(2, 0, 1), base[:, 1:3, ::2], base[1]):
        t = tg.from_dlpack(view)
        assert t.stride() == view.stride() and t.data_ptr() == view.data_ptr()
        np.testing.assert_array_equal(t.numpy(), view.numpy())
    t = tg.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)[1:, :, ::2]
    for out in (torch.from_dlpack(t), np.from_dlpack(t)):
        strides = out.stride() if isinstance(out, torch.Tensor) else tuple(s // 4 for s in out.strides)
        assert strides == t.stride()
        np.testing.assert_array_equal(np.asarray(out), t.numpy())


@settings(max_examples=60)
@given(data=st.data())
def test_any_numpy_view_round_trips(data):
    base = np.arange(4 * 5 * 3, dtype=np.float64).reshape(data.draw(st.sampled_from(
        [(60,), (4, 15), (4, 5, 3)])))
    view = base[data.draw(hnp.basic_indices(base.shape, allow_newaxis=True))]
    if not isinstance(view, np.ndarray):
        view = np.asarray(view)
    t = tg.from_dlpack(view)
    np.testing.assert_array_equal(t.numpy(), view)
    if view.size and all(s >= 0 for s in view.strides):
        assert t.data_ptr() == view.ctypes.data  # shared unless a stride is negative
    for out in (np.from_dlpack(t), torch.from_dlpack(t).numpy()):
        np.testing.assert_array_equal(out, view)


def test_writes_are_seen_by_both_sides():
    a = np.zeros(4)
    t = tg.from_dlpack(a)
    t[1] = 5.0
    assert a[1] == 5.0
    back = torch.from_dlpack(t)
    back[2] = 7.0
    assert t[2].item() == 7.0 and a[2] == 7.0


def test_producer_deleted_while_consumer_holds_the_data():
    a = np.arange(1000.0)
    alive = weakref.ref(a)
    t = tg.from_dlpack(a)
    del a
    gc.collect()
    assert alive() is not None and t.sum().item() == sum(range(1000))
    del t
    gc.collect()
    assert alive() is None  # the consumer called the producer's deleter

    src = tg.arange(100.0)
    ptr = src.data_ptr()
    out = torch.from_dlpack(src)
    del src
    gc.collect()
    assert out.data_ptr() == ptr and out.sum().item() == sum(range(100))

    x = torch.arange(50.0)
    t = tg.from_dlpack(x)
    del x
    gc.collect()
    assert t.sum().item() == sum(range(50))


def test_unconsumed_capsule_frees_the_tensor():
    a = np.ones(10)
    alive = weakref.ref(a)
    t = tg.from_numpy(a)
    capsules = [t.__dlpack__(), t.__dlpack__(max_version=(1, 0))]
    del a, t
    gc.collect()
    assert alive() is not None
    del capsules
    gc.collect()
    assert alive() is None


def test_capsule_kinds_versions_and_flags():
    t = tg.ones(3)
    assert "dltensor" in repr(t.__dlpack__()) and "versioned" not in repr(t.__dlpack__())
    versioned = t.__dlpack__(max_version=(1, 3))
    assert "dltensor_versioned" in repr(versioned)
    assert _capsule_header(versioned, b"dltensor_versioned") == (1, 0, 0)
    copied = t.__dlpack__(max_version=(1, 0), copy=True)
    assert _capsule_header(copied, b"dltensor_versioned")[2] == 2  # IS_COPIED
    assert tg.from_dlpack(copied).data_ptr() != t.data_ptr()
    assert tg.from_dlpack(t.__dlpack__(copy=True)).data_ptr() != t.data_ptr()
    assert tg.from_dlpack(versioned).data_ptr() == t.data_ptr()
    assert "dltensor" in repr(t.__dlpack__(max_version=(0, 8)))
    assert t.__dlpack_device__() == (1, 0) == torch.ones(1).__dlpack_device__()


def test_read_only_memory_is_copied():
    a = np.arange(6.0)
    a.flags.writeable = False
    t = tg.from_dlpack(a)  # numpy marks the versioned capsule READ_ONLY
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.data_ptr() != a.ctypes.data
    t[0] = 9.0
    assert a[0] == 0.0


def test_negative_strides_are_copied_in_order():
    a = np.arange(12.0).reshape(3, 4)[::-1, ::-2]
    np.testing.assert_array_equal(tg.from_dlpack(a).numpy(), a)


def test_errors():
    t = tg.ones(2)
    with pytest.raises(BufferError, match="require gradient"):
        tg.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError, match="require gradient"):
        torch.ones(2, requires_grad=True).__dlpack__()  # the same error in torch
    with pytest.raises(BufferError, match="device"):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(BufferError, match="stream"):
        t.__dlpack__(stream=1)
    capsule = torch.ones(2).__dlpack__()
    tg.from_dlpack(capsule)
    with pytest.raises(ValueError, match="already consumed"):
        tg.from_dlpack(capsule)
    with pytest.raises(TypeError, match="DLPack capsule"):
        tg.from_dlpack([1, 2])
    with pytest.raises(TypeError, match="unsupported DLPack dtype"):
        tg.from_dlpack(np.ones(2, np.complex64) if not hasattr(tg, "complex64") else
                       np.ones(2, np.float16).view(np.uint16) if not hasattr(tg, "uint16") else
                       np.ones(2, np.complex128))


def test_dtype_table_matches_torch_and_safetensors():
    # every row, including dtypes tg does not have yet, so they work the day they land
    import safetensors.torch as st
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    for name, numpy_name, dlpack, safetensors_name, storage in _ROWS:
        dtype = getattr(torch, name)
        capsule = torch.zeros(1, dtype=dtype).__dlpack__()
        code_bits = ctypes.cast(get(capsule, b"dltensor") + 20, ctypes.POINTER(ctypes.c_uint8))
        assert (code_bits[0], code_bits[1]) == dlpack, name
        if safetensors_name:
            assert st._TYPES[safetensors_name] is dtype
        if numpy_name:
            assert torch.zeros(1, dtype=dtype).numpy().dtype == np.dtype(numpy_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # TypedStorage is deprecated
            try:
                expected = torch.storage.TypedStorage(dtype=dtype)._pickle_storage_type()
            except KeyError:  # saved as an untyped storage plus the dtype
                expected = None
        assert storage == expected, name


# ---------------------------------------------------------------- numpy protocol
def test_asarray_shares_memory_and_copy_semantics():
    t = tg.arange(6.0).reshape(2, 3)
    a = np.asarray(t)
    assert a.ctypes.data == t.data_ptr()
    assert np.array(t, copy=False).ctypes.data == t.data_ptr()
    assert np.array(t, copy=True).ctypes.data != t.data_ptr()
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="avoid copy"):
        np.array(t, dtype=np.float64, copy=False)
    # (torch's __array__ predates numpy 2's copy keyword; tg follows numpy 2)


def _check_array_protocol(lib):
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(lib.ones(2, requires_grad=True))
    # ufuncs on tensors give tensors back (__array_wrap__)
    a = np.ones(3)
    assert isinstance(np.add(a, lib.ones(3)), lib.Tensor)
    assert isinstance(np.sin(lib.ones(3)), lib.Tensor)
    # np_array + tensor: numpy defers to the tensor (__array_priority__), which refuses it
    with pytest.raises(TypeError):
        a + lib.ones(3)
    with pytest.raises(TypeError):
        a * lib.ones(3)
    assert isinstance(np.concatenate([lib.ones(2), lib.ones(2)]), np.ndarray)


def test_array_protocol_matches_torch():
    assert tg.Tensor.__array_priority__ == torch.Tensor.__array_priority__
    _check_array_protocol(tg)
    with warnings.catch_warnings():  # torch's __array_wrap__ has numpy 1's signature
        warnings.simplefilter("ignore", DeprecationWarning)
        _check_array_protocol(torch)
    np.testing.assert_allclose(np.sin(tg.arange(4.0)).numpy(), np.sin(np.arange(4.0)))


@pytest.mark.parametrize("expr", ["t + a", "t - a", "t * a", "t / a", "t ** a", "t == a", "t != a",
                                  "t + a0", "t * ai", "t + af32", "t0 + a0"])
def test_tensor_op_ndarray_matches_torch(expr):
    """`tensor OP ndarray` behaves as torch's: the operator defers to numpy, which computes with its
    own promotion (float32 tensor + int32 array -> float64) and wraps the result back in a tensor;
    == compares with the array's values; != falls back to Python's identity test in both."""
    arrays = {"a": np.array([0.5, 2.0, -1.0]), "a0": np.array(2.0),
              "ai": np.array([1, 2, 3], dtype=np.int32), "af32": np.array([1, 2, 3], dtype=np.float32)}
    results = {}
    for lib in (tg, torch):
        env = dict(arrays, t=lib.tensor([1.0, 2.0, 3.0]), t0=lib.tensor(1.5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            results[lib] = eval(expr, {}, env)
    got, want = results[tg], results[torch]
    if not isinstance(want, torch.Tensor):  # t != a: both sides decline; Python compares identities
        assert type(got) is type(want) and got == want
        return
    assert isinstance(got, tg.Tensor)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())

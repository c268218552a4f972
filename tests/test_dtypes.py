"""The dtype seam against torch: every dtype, promotion over all pairs and operand kinds, casts
(bit-exact), arithmetic computed wide and rounded once, reductions, printing, numpy and save/load."""
import io
import itertools

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.helpers import NP_OF_TG, TG_OF_TORCH, TORCH_OF_TG

pytestmark = pytest.mark.torch

ALL = list(TG_OF_TORCH.values())
INTS = [tg.uint8, tg.int8, tg.int16, tg.int32, tg.int64]
FLOATS = [tg.float16, tg.bfloat16, tg.float32, tg.float64]


def to_tg(t):
    """A torch tensor as a tg tensor of the same dtype, bit for bit (bfloat16 through its bits)."""
    if t.dtype == torch.bfloat16:
        return tg.from_numpy(t.view(torch.int16).numpy().copy()).view(tg.bfloat16)
    return tg.from_numpy(t.numpy().copy())


def bits(x):
    """The raw bits of a tg or torch tensor as int64 numpy values (NaN payloads included)."""
    lib = tg if isinstance(x, tg.Tensor) else torch
    if x.dtype.is_floating_point:
        x = x.view({2: lib.int16, 4: lib.int32, 8: lib.int64}[x.dtype.itemsize])
    return x.numpy().astype(np.int64)


def assert_same(tg_t, torch_t, msg=""):
    """Same dtype, shape and bits (NaNs compared as NaN, whatever their payload)."""
    assert tg_t.dtype == TG_OF_TORCH[torch_t.dtype], f"{msg}: {tg_t.dtype} != {torch_t.dtype}"
    assert tuple(tg_t.shape) == tuple(torch_t.shape), msg
    if torch_t.dtype.is_floating_point:
        nan = torch_t.isnan().numpy()
        mine = np.isnan(tg_t.float().numpy()) if tg_t.dtype == tg.bfloat16 else np.isnan(tg_t.numpy())
        assert (mine == nan).all(), msg
        np.testing.assert_array_equal(bits(tg_t)[~nan], bits(torch_t)[~nan], err_msg=msg)
    else:
        np.testing.assert_array_equal(tg_t.numpy(), torch_t.numpy(), err_msg=msg)


def sample(dtype, n=64, seed=0):
    """A torch tensor of `dtype` with ordinary values, edges (0, extremes) and, for floats, inf/NaN."""
    g = torch.Generator().manual_seed(seed)
    if dtype == torch.bool:
        return torch.rand(n, generator=g) > 0.5
    if dtype.is_floating_point:
        t = (torch.randn(n, generator=g, dtype=torch.float64) * 8).to(dtype)
        t[:4] = torch.tensor([0.0, -0.0, float("inf"), float("nan")], dtype=dtype)
        return t
    info = torch.iinfo(dtype)
    t = torch.randint(max(info.min, -1000), min(info.max, 1000), (n,), generator=g, dtype=torch.int64).to(dtype)
    t[:3] = torch.tensor([info.min, info.max, 0], dtype=dtype)
    return t


def test_dtype_objects_match_torch():
    for tgd, td in TORCH_OF_TG.items():
        assert tgd.itemsize == td.itemsize
        assert tgd.is_floating_point == td.is_floating_point
        assert tgd.is_signed == td.is_signed
        assert repr(tgd) == repr(td).replace("torch.", "tinygrad_ext.")
    assert (tg.short, tg.int, tg.half, tg.long, tg.double, tg.float) == (
        tg.int16, tg.int32, tg.float16, tg.int64, tg.float64, tg.float32)
    assert not hasattr(tg, "byte") and not hasattr(tg, "char")  # torch has neither alias


def test_promote_types_and_can_cast_every_pair():
    for a, b in itertools.product(ALL, ALL):
        assert tg.promote_types(a, b) == TG_OF_TORCH[torch.promote_types(TORCH_OF_TG[a], TORCH_OF_TG[b])], (a, b)
        assert tg.can_cast(a, b) == torch.can_cast(TORCH_OF_TG[a], TORCH_OF_TG[b]), (a, b)


@pytest.mark.parametrize("shape_a,shape_b", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
def test_result_type_tensors_every_pair(shape_a, shape_b):
    for a, b in itertools.product(ALL, ALL):
        ta, tb = torch.zeros(shape_a, dtype=TORCH_OF_TG[a]), torch.zeros(shape_b, dtype=TORCH_OF_TG[b])
        expected = TG_OF_TORCH[torch.result_type(ta, tb)]
        assert tg.result_type(tg.zeros(shape_a, dtype=a), tg.zeros(shape_b, dtype=b)) == expected, (a, b)
        # the operators follow the same rule
        assert (tg.zeros(shape_a, dtype=a) == tg.zeros(shape_b, dtype=b)).dtype == tg.bool
        if a != tg.bool or b != tg.bool:
            assert (tg.zeros(shape_a, dtype=a) * tg.zeros(shape_b, dtype=b)).dtype == expected, (a, b)


@pytest.mark.parametrize("scalar", [True, 3, 2.5])
@pytest.mark.parametrize("shape", [(2,), ()])
def test_result_type_with_python_scalars(scalar, shape):
    for a in ALL:
        expected = TG_OF_TORCH[torch.result_type(torch.zeros(shape, dtype=TORCH_OF_TG[a]), scalar)]
        assert tg.result_type(tg.zeros(shape, dtype=a), scalar) == expected, (a, scalar)
        if a != tg.bool or not isinstance(scalar, bool):
            assert (tg.zeros(shape, dtype=a) * scalar).dtype == expected, (a, scalar)


def test_casts_between_every_pair_are_bit_exact():
    for src, dst in itertools.product(ALL, ALL):
        t = sample(TORCH_OF_TG[src], seed=1)
        if src in FLOATS and dst not in FLOATS and dst != tg.bool:
            # float -> int is defined by torch only for values the target holds (finite, in range)
            info = torch.iinfo(TORCH_OF_TG[dst])
            d = t.double()
            t = d[torch.isfinite(d)].clamp(info.min, info.max).trunc().to(t.dtype)
            t = t[(t.double() >= info.min) & (t.double() <= info.max)]
        assert_same(to_tg(t).to(dst), t.to(TORCH_OF_TG[dst]), f"{src} -> {dst}")


def test_float32_to_16_bit_rounding_over_many_bit_patterns():
    # random float32 bit patterns (all exponents: subnormals, overflow, NaN payloads, ties)
    rng = np.random.default_rng(0)
    raw = rng.integers(-2**31, 2**31, size=200_000, dtype=np.int64).astype(np.int32)
    ties = (rng.integers(0, 2**16, size=4096, dtype=np.int64) << 13 | 0x1000).astype(np.int32)  # half ties
    raw = np.concatenate([raw, ties, (raw[:4096] & ~0xffff) | 0x8000])  # bfloat16 ties
    f = torch.from_numpy(raw.view(np.float32).copy())
    x = tg.from_numpy(raw.view(np.float32).copy())
    for dt in (tg.float16, tg.bfloat16):
        assert_same(x.to(dt), f.to(TORCH_OF_TG[dt]), str(dt))
        assert_same(x.to(dt).float(), f.to(TORCH_OF_TG[dt]).float(), f"{dt} -> float32")


BINARY = {
    "add": (lambda a, b: a + b), "sub": (lambda a, b: a - b), "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b), "maximum": (lambda a, b: a.maximum(b)), "lt": (lambda a, b: a < b),
    "eq": (lambda a, b: a == b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_on_every_dtype_pair(name):
    fn = BINARY[name]
    for a, b in itertools.product(ALL, ALL):
        if name == "sub" and tg.bool in (a, b):
            continue  # torch refuses bool subtraction; tests/test_core_ops.py checks the error
        ta, tb = sample(TORCH_OF_TG[a], 32, 2), sample(TORCH_OF_TG[b], 32, 3)
        expected = fn(ta, tb)
        assert_same(fn(to_tg(ta), to_tg(tb)), expected, f"{name} {a} {b}")


@pytest.mark.parametrize("dtype", INTS)
def test_integer_semantics(dtype):
    td = TORCH_OF_TG[dtype]
    a, b = sample(td, 64, 4), sample(td, 64, 5)
    b = torch.where(b == 0, torch.ones_like(b), b)
    for name, fn in {"floordiv": lambda x, y: x // y, "remainder": lambda x, y: x % y,
                     "fmod": lambda x, y: x.fmod(y), "pow3": lambda x, y: x ** 3,
                     "neg": lambda x, y: -x, "abs": lambda x, y: x.abs(), "mul_wrap": lambda x, y: x * y}.items():
        if name in ("neg",) and dtype == tg.uint8:
            continue
        assert_same(fn(to_tg(a), to_tg(b)), fn(a, b), f"{name} {dtype}")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        to_tg(a) // tg.zeros(64, dtype=dtype)


@pytest.mark.parametrize("dtype", [tg.float16, tg.bfloat16])
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "neg", "abs", "relu", "square"])
def test_unary_ops_on_16_bit_floats_round_once(dtype, name):
    t = sample(TORCH_OF_TG[dtype], 256, 6)
    assert_same(getattr(to_tg(t), name)(), getattr(t, name)(), f"{name} {dtype}")
    assert_same(to_tg(t) ** 2, t ** 2, f"pow {dtype}")


@pytest.mark.parametrize("dtype", ALL)
def test_reductions_and_where(dtype):
    t = sample(TORCH_OF_TG[dtype], 48, 7).reshape(6, 8)
    if dtype.is_floating_point:
        t = torch.nan_to_num(t, nan=1.0, posinf=2.0)
    x = to_tg(t)
    s_tg, s_t = x.sum(1), t.sum(1)
    assert s_tg.dtype == TG_OF_TORCH[s_t.dtype]
    np.testing.assert_allclose(s_tg.double().numpy(), s_t.double().numpy(), rtol=1e-2 if dtype in (tg.float16, tg.bfloat16) else 1e-6)
    if dtype != tg.bool:
        assert_same(x.amax(0), t.amax(0), f"amax {dtype}")
        assert_same(x.argmax(1), t.argmax(1), f"argmax {dtype}")
    mask = sample(torch.bool, 48, 8).reshape(6, 8)
    assert_same(tg.where(to_tg(mask), x, x.flip(0)), torch.where(mask, t, t.flip(0)), f"where {dtype}")


@pytest.mark.parametrize("dtype", ALL)
def test_creation_and_conversion_methods(dtype):
    td = TORCH_OF_TG[dtype]
    for make in (lambda m, d: m.zeros(2, 3, dtype=d), lambda m, d: m.ones(4, dtype=d),
                 lambda m, d: m.full((2,), 7, dtype=d), lambda m, d: m.arange(5, dtype=d),
                 lambda m, d: m.eye(3, dtype=d), lambda m, d: m.tensor([[1, 0], [3, 4]], dtype=d)):
        try:
            expected = make(torch, td)
        except NotImplementedError as e:  # arange of bool
            with pytest.raises(NotImplementedError, match=str(e).split('"')[1]):
                make(tg, dtype)
            continue
        assert_same(make(tg, dtype), expected, str(dtype))
    x = tg.tensor([1.5, -2.25, 300.0])
    for method in ("byte", "char", "short", "int", "half", "bfloat16", "float", "double", "long", "bool"):
        assert_same(getattr(x, method)(), getattr(torch.tensor([1.5, -2.25, 300.0]), method)(), method)
    assert tg.zeros(1, dtype=dtype).type() == torch.zeros(1, dtype=td).type()  # torch's string, as the issue asks


@pytest.mark.parametrize("dtype", [d for d in ALL if d != tg.bool and not d.is_floating_point])
def test_arange_with_fractional_arguments_in_every_integer_dtype(dtype):
    # integer dtypes truncate start and step to int64; int64 takes its count from the truncated
    # bounds too (a step that truncates to 0 is an error there), the narrower integers do not
    td = TORCH_OF_TG[dtype]
    for args in [(0, 5, 1.5), (0, 5, 0.7), (0.5, 5.5, 1.5), (5, 0, -1.5), (0, 5.5, 2), (0.9, 3), (-3, 4, 0.7),
                 (0, 2.5), (-2.5, 3.5, 0.5), (1, 100, 7)]:
        try:
            expected = torch.arange(*args, dtype=td)
        except ValueError as e:
            with pytest.raises(ValueError, match=str(e)):
                tg.arange(*args, dtype=dtype)
            continue
        assert_same(tg.arange(*args, dtype=dtype), expected, f"arange{args} {dtype}")


@pytest.mark.parametrize("dtype", ALL)
def test_printing_item_and_tolist(dtype):
    t = torch.tensor([[0.0, 1.5, -2.0], [3.25, 100.0, 7.0]]).to(TORCH_OF_TG[dtype])
    x = to_tg(t)
    assert repr(x) == repr(t).replace("torch.", "tinygrad_ext.")
    assert x.tolist() == t.tolist()
    assert x[0, 1].item() == t[0, 1].item() and type(x[0, 1].item()) is type(t[0, 1].item())


def test_numpy_interop_every_numpy_dtype():
    for dtype, np_type in NP_OF_TG.items():
        arr = np.arange(6).reshape(2, 3).astype(np_type)
        x = tg.from_numpy(arr)
        assert x.dtype == dtype and x.numpy().dtype == arr.dtype
        assert np.shares_memory(x.numpy(), arr)
        assert tg.tensor(arr).dtype == TG_OF_TORCH[torch.tensor(arr).dtype]  # numpy's type is kept
        assert tg.as_tensor(arr).dtype == dtype
    with pytest.raises(TypeError, match="BFloat16"):
        tg.zeros(2, dtype=tg.bfloat16).numpy()
    with pytest.raises(TypeError, match="uint16"):
        tg.from_numpy(np.zeros(2, dtype=np.uint16))


def test_finfo_iinfo_match_torch():
    for dtype in FLOATS:
        mine, theirs = tg.finfo(dtype), torch.finfo(TORCH_OF_TG[dtype])
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(mine, field) == getattr(theirs, field), (dtype, field)
        assert repr(mine) == repr(theirs)
    for dtype in INTS:
        mine, theirs = tg.iinfo(dtype), torch.iinfo(TORCH_OF_TG[dtype])
        assert (mine.bits, mine.min, mine.max, mine.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)
        assert repr(mine) == repr(theirs)
    assert repr(tg.finfo()) == repr(torch.finfo())
    with pytest.raises(TypeError):
        tg.finfo(tg.int32)
    with pytest.raises(TypeError):
        tg.iinfo(tg.float32)
    with pytest.raises(TypeError):
        tg.iinfo(tg.bool)


def test_save_load_every_dtype_and_view_dtype():
    state = {str(d): to_tg(sample(TORCH_OF_TG[d], 10, 9)) for d in ALL}
    buf = io.BytesIO()
    tg.save(state, buf)
    buf.seek(0)
    back = tg.load(buf)
    for k, v in state.items():
        assert back[k].dtype == v.dtype
        np.testing.assert_array_equal(bits(back[k]), bits(v))
    h = tg.tensor([1.0, -2.0], dtype=tg.float16)
    assert h.view(tg.int16).tolist() == torch.tensor([1.0, -2.0], dtype=torch.float16).view(torch.int16).tolist()
    with pytest.raises(RuntimeError, match="element size"):
        h.view(tg.int32)


def test_16_bit_storage_holds_two_bytes_per_element():
    for dtype in (tg.float16, tg.bfloat16, tg.int16):
        x = tg.zeros(1000, dtype=dtype)
        assert x.dtype.itemsize == 2
        assert x.view(tg.int16).numpy().nbytes == 2000


def test_ops_without_a_kernel_raise_naming_the_dtype():
    # an op without a kernel for a dtype says so in torch's "not implemented" form (torch has no
    # integer histogram or logcumsumexp either, and raises the same)
    x = tg.ones(3, dtype=tg.int8)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Char'"):
        tg.histc(x)
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Char'"):
        tg.logcumsumexp(x, 0)

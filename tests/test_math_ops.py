"""Elementwise math, logical ops, binary/ternary math and small linear algebra vs PyTorch and
finite differences (hypothesis for shapes, broadcasting and non-contiguous inputs)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ext as tg
from tinygrad_ext.autograd import gradcheck

SETTINGS = settings(max_examples=12, deadline=None)


def tgt(arr, requires_grad=False):
    return tg.tensor(np.asarray(arr), requires_grad=requires_grad)


def tht(arr, requires_grad=False):
    return torch.tensor(np.asarray(arr), requires_grad=requires_grad)


def np_of(x):
    return x.detach().numpy() if isinstance(x, tg.Tensor) else x.detach().cpu().numpy()


def assert_same(a, b, rtol=1e-6, atol=1e-7):
    """Same shape, dtype (by name) and values (NaN where torch has NaN)."""
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
    np.testing.assert_allclose(np_of(a).astype(np.float64), np_of(b).astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def values(shape, lo, hi, dtype=np.float64):
    return hnp.arrays(dtype, shape, elements=st.floats(lo, hi, allow_nan=False, width=64 if dtype == np.float64 else 32))


# op name -> (domain low, high): kept inside the domain and away from kinks and poles
UNARY = {
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "exp2": (-3, 3), "expm1": (-3, 3),
    "log2": (0.2, 5), "log10": (0.2, 5), "log1p": (-0.8, 5), "rsqrt": (0.2, 5), "reciprocal": (0.3, 4),
    "square": (-3, 3), "sign": (-3, 3), "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3),
    "trunc": (-3, 3), "frac": (-3, 3), "erf": (-2, 2),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(data=st.data())
def test_unary_forward_and_grad_match_torch(name, data):
    lo, hi = UNARY[name]
    arr = data.draw(shapes.flatmap(lambda s: values(s, lo, hi)))
    x, xt = tgt(arr, True), tht(arr, True)
    y, yt = getattr(tg, name)(x), getattr(torch, name)(xt)
    assert_same(y, yt, rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(0).standard_normal(arr.shape)
    y.backward(tgt(g))
    yt.backward(tht(g))
    assert_same(x.grad, xt.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck_and_float32_noncontiguous(name):
    lo, hi = UNARY[name]
    rng = np.random.default_rng(1)
    arr = rng.uniform(lo, hi, (3, 4))
    if name in ("floor", "ceil", "round", "trunc", "frac"):
        arr = np.floor(arr) + rng.uniform(0.1, 0.4, arr.shape)  # away from the jumps
    assert gradcheck(getattr(tg, name), (tgt(arr, True),))
    # a transposed (non-contiguous) float32 view, and the method form
    a32 = arr.astype(np.float32)
    x = tgt(a32).t()
    assert not x.is_contiguous()
    assert_same(getattr(x, name)(), getattr(tht(a32).t(), name)(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sin", "exp2", "rsqrt", "reciprocal", "erf", "log1p", "floor", "sign", "square"])
def test_unary_dtype_rules_for_integers(name):
    arr = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)
    assert_same(getattr(tg, name)(tgt(arr)), getattr(torch, name)(tht(arr)), rtol=1e-6)


def test_unary_on_zero_d_and_empty():
    assert_same(tg.sin(tg.tensor(0.5)), torch.sin(torch.tensor(0.5)))
    assert_same(tg.cosh(tg.zeros(0, 3)), torch.cosh(torch.zeros(0, 3)))
    assert tg.tan(tg.zeros(2, 0)).shape == (2, 0)


def test_round_half_to_even_and_decimals():
    arr = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.23456, -7.891, 1234.5678])
    for d in (0, 1, 2, -1, -2):
        assert_same(tg.round(tgt(arr), decimals=d), torch.round(tht(arr), decimals=d), rtol=1e-12)
    assert_same(tgt(arr).round(), tht(arr).round())


def test_unary_nan_and_inf():
    arr = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
    for name in ("sin", "exp2", "expm1", "log1p", "sign", "floor", "erf", "rsqrt", "reciprocal", "trunc", "frac"):
        with np.errstate(all="ignore"):
            assert_same(getattr(tg, name)(tgt(arr)), getattr(torch, name)(tht(arr)))
    for name in ("isnan", "isinf", "isfinite"):
        assert_same(getattr(tg, name)(tgt(arr)), getattr(torch, name)(tht(arr)))
        assert_same(getattr(tg, name)(tgt(np.arange(3))), getattr(torch, name)(tht(np.arange(3))))


def test_frac_of_integers_raises():
    with pytest.raises(RuntimeError, match="frac"):
        tg.frac(tg.tensor([1, 2]))


def test_unary_inplace_forms():
    arr = np.array([0.3, 0.7, 1.1])
    x = tgt(arr)
    ptr = x.data_ptr()
    assert x.sin_() is x and x.data_ptr() == ptr
    np.testing.assert_allclose(x.numpy(), np.sin(arr))
    leaf = tgt(arr, True)
    with pytest.raises(RuntimeError, match="in-place"):
        leaf.exp2_()
    # an in-place op inside the graph is differentiated through
    w = tgt(arr, True)
    y = w * 2
    y.cos_()
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), -2 * np.sin(2 * arr))


# ---- logical and bitwise ----

broadcast_pair = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)


@SETTINGS
@given(shapes=broadcast_pair, seed=st.integers(0, 2**16))
def test_logical_ops_broadcast_and_mixed_dtypes(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-1, 2, shapes.input_shapes[0]).astype(np.float64)
    a[a == -1] = np.nan  # NaN counts as true
    b = rng.integers(0, 2, shapes.input_shapes[1]).astype(np.int64)
    for name in ("logical_and", "logical_or", "logical_xor"):
        assert_same(getattr(tg, name)(tgt(a), tgt(b)), getattr(torch, name)(tht(a), tht(b)))
        assert_same(getattr(tgt(a), name)(tgt(b)), getattr(tht(a), name)(tht(b)))
    assert_same(tg.logical_not(tgt(a)), torch.logical_not(tht(a)))


def test_bool_operators_and_bitwise_ints():
    a = np.array([[True, False, True]])
    b = np.array([[True], [False]])
    for op in ("__and__", "__or__", "__xor__"):
        assert_same(getattr(tgt(a), op)(tgt(b)), getattr(tht(a), op)(tht(b)))
    assert_same(~tgt(a), ~tht(a))
    i, j = np.array([5, -3, 12]), np.array([3, 6, -1])
    assert_same(tgt(i) & tgt(j), tht(i) & tht(j))
    assert_same(tgt(i) | 6, tht(i) | 6)
    assert_same(tgt(i) ^ tgt(j), tht(i) ^ tht(j))
    assert_same(~tgt(i), ~tht(i))
    x = tgt(a)
    x &= tgt(np.array([[False, True, True]]))
    assert x.tolist() == [[False, False, True]]
    with pytest.raises(RuntimeError, match="bitwise_and"):
        tg.ones(2) & tg.ones(2)


# ---- binary math ----

@SETTINGS
@given(shapes=broadcast_pair, seed=st.integers(0, 2**16))
def test_fmod_remainder_floor_divide_float(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-5, 5, shapes.input_shapes[0])
    b = rng.choice([-1, 1], shapes.input_shapes[1]) * rng.uniform(0.5, 2, shapes.input_shapes[1])
    for name in ("fmod", "remainder", "floor_divide"):
        assert_same(getattr(tg, name)(tgt(a), tgt(b)), getattr(torch, name)(tht(a), tht(b)), rtol=1e-12, atol=1e-12)
    assert_same(tgt(a) % 1.5, tht(a) % 1.5, atol=1e-12)
    assert_same(tgt(a) // -1.5, tht(a) // -1.5)
    assert_same(2.5 % tgt(b), 2.5 % tht(b), atol=1e-12)


def test_fmod_remainder_floor_divide_int_and_zero_division():
    a, b = np.array([7, -7, 7, -7, 0]), np.array([3, 3, -3, -3, 5])
    for name in ("fmod", "remainder", "floor_divide"):
        assert_same(getattr(tg, name)(tgt(a), tgt(b)), getattr(torch, name)(tht(a), tht(b)))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(tg, name)(tgt(a), tg.tensor(0))
    assert_same(tgt(a) % 4, tht(a) % 4)
    assert_same(tgt(a) // 4, tht(a) // 4)


def test_binary_math_gradients():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.1, 0.4, (3, 4)) + rng.integers(-3, 3, (3, 4))  # a / b away from integers
    b = np.full((1, 4), 1.0) * np.array([1.0, -1.0, 1.0, -1.0])
    for name in ("fmod", "remainder", "atan2"):
        x, y = tgt(a, True), tgt(b * 1.3, True)
        assert gradcheck(getattr(tg, name), (x, y))
        xt, yt = tht(a, True), tht(b * 1.3, True)
        getattr(tg, name)(x, y).sum().backward()
        getattr(torch, name)(xt, yt).sum().backward()
        assert_same(x.grad, xt.grad, atol=1e-12)
        assert_same(y.grad, yt.grad, atol=1e-12)
    assert_same(tg.atan2(tgt([1, -2]), tgt([3, 4])), torch.atan2(tht([1, -2]), tht([3, 4])))


def test_lerp_addcmul_addcdiv_addmm():
    rng = np.random.default_rng(4)
    a, b, w = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.uniform(0, 1, (3,))
    assert_same(tg.lerp(tgt(a), tgt(b), 0.3), torch.lerp(tht(a), tht(b), 0.3))
    assert_same(tgt(a).lerp(tgt(b), tgt(w)), tht(a).lerp(tht(b), tht(w)))
    assert gradcheck(tg.lerp, (tgt(a, True), tgt(b, True), tgt(w, True)))
    t1, t2 = rng.standard_normal((2, 1)), rng.uniform(1, 2, (3,))
    assert_same(tg.addcmul(tgt(a), tgt(t1), tgt(t2), value=0.5), torch.addcmul(tht(a), tht(t1), tht(t2), value=0.5))
    assert_same(tg.addcdiv(tgt(a), tgt(t1), tgt(t2), value=-2), torch.addcdiv(tht(a), tht(t1), tht(t2), value=-2))
    assert gradcheck(lambda *x: tg.addcdiv(*x, value=0.7), (tgt(a, True), tgt(t1, True), tgt(t2, True)))
    m1, m2, bias = rng.standard_normal((2, 4)), rng.standard_normal((4, 3)), rng.standard_normal((3,))
    assert_same(tg.addmm(tgt(bias), tgt(m1), tgt(m2), beta=0.5, alpha=2),
                torch.addmm(tht(bias), tht(m1), tht(m2), beta=0.5, alpha=2), rtol=1e-12)
    nan_bias = np.full((3,), np.nan)
    assert_same(tg.addmm(tgt(nan_bias), tgt(m1), tgt(m2), beta=0), torch.addmm(tht(nan_bias), tht(m1), tht(m2), beta=0))
    assert gradcheck(lambda i, x, y: tg.addmm(i, x, y, beta=0.5, alpha=1.5), (tgt(bias, True), tgt(m1, True), tgt(m2, True)))
    x = tgt(a)
    x.addcmul_(tgt(t1), tgt(t2))
    assert_same(x, tht(a).addcmul_(tht(t1), tht(t2)))


@SETTINGS
@given(m=st.integers(0, 7), k=st.integers(0, 20), n=st.integers(0, 40),
       bias_kind=st.sampled_from(["row", "column", "full", "scalar"]), t1=st.booleans(), t2=st.booleans(),
       beta=st.sampled_from([0.0, 1.0, -0.5]), alpha=st.sampled_from([1.0, 2.5]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 16))
def test_addmm_fused_gemm_matches_torch(m, k, n, bias_kind, t1, t2, beta, alpha, dtype, seed):
    """The GEMM that accumulates into the broadcast input: every bias broadcast, transposed operands
    (no copies), zero sizes, beta = 0 / 1 / other, float32 and float64; values and gradients."""
    rng = np.random.default_rng(seed)
    bias_shape = {"row": (n,), "column": (m, 1), "full": (m, n), "scalar": ()}[bias_kind]
    arrays = [rng.standard_normal(s).astype(dtype) for s in (bias_shape, (k, m) if t1 else (m, k),
                                                            (n, k) if t2 else (k, n))]
    up = rng.standard_normal((m, n)).astype(dtype)

    def run(lib, make):
        b, x, y = (make(a, True) for a in arrays)
        out = lib.addmm(b, x.t() if t1 else x, y.t() if t2 else y, beta=beta, alpha=alpha)
        out.backward(make(up))
        return out, b.grad, x.grad, y.grad

    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(run(tg, tgt), run(torch, tht)):
        assert_same(a, b, **tol)


def test_addmm_gradcheck_with_transposed_operands():
    rng = np.random.default_rng(5)
    bias, m1, m2 = rng.standard_normal((3, 1)), rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    assert gradcheck(lambda i, x, y: tg.addmm(i, x.t(), y.t(), beta=-0.5, alpha=1.5),
                     (tgt(bias, True), tgt(m1, True), tgt(m2, True)))


def test_clamp_with_tensor_bounds_and_grad():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4))
    lo, hi = np.full((4,), -0.5), np.full((3, 1), 0.6)
    x, xt = tgt(a, True), tht(a, True)
    tg.clamp(x, tgt(lo), tgt(hi)).sum().backward()
    torch.clamp(xt, tht(lo), tht(hi)).sum().backward()
    assert_same(x.grad, xt.grad)
    assert_same(tg.clip(tgt(a), min=-0.2), torch.clip(tht(a), min=-0.2))


# ---- linear algebra ----

def test_bmm_mv_dot_outer_matrix_power_match_torch_and_gradcheck():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2))
    assert_same(tg.bmm(tgt(a), tgt(b)), torch.bmm(tht(a), tht(b)), rtol=1e-12)
    assert gradcheck(tg.bmm, (tgt(a, True), tgt(b, True)))
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert_same(tg.mv(tgt(m), tgt(v)), torch.mv(tht(m), tht(v)), rtol=1e-12)
    assert gradcheck(tg.mv, (tgt(m, True), tgt(v, True)))
    assert_same(tg.dot(tgt(v), tgt(v)), torch.dot(tht(v), tht(v)), rtol=1e-12)
    assert gradcheck(tg.dot, (tgt(v, True), tgt(v * 2, True)))
    assert_same(tgt(v).outer(tgt(m[0, :3])), tht(v).outer(tht(m[0, :3])))
    assert gradcheck(tg.outer, (tgt(v, True), tgt(m[0], True)))
    sq = rng.standard_normal((2, 3, 3)) * 0.5
    for n in (0, 1, 2, 3, 5):
        assert_same(tg.matrix_power(tgt(sq), n), torch.matrix_power(tht(sq), n), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x: tg.matrix_power(x, 3), (tgt(sq[0], True),))
    assert_same(tg.dot(tgt([1, 2]), tgt([3, 4])), torch.dot(tht([1, 2]), tht([3, 4])))


def test_linear_algebra_errors_name_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"dot: 1D tensors expected, but got 2D and 2D"):
        tg.dot(tg.ones(2, 2), tg.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"bmm: .*\[2, 3\]"):
        tg.bmm(tg.ones(2, 3), tg.ones(2, 3, 1))
    with pytest.raises(RuntimeError, match=r"mv: size mismatch"):
        tg.mv(tg.ones(2, 3), tg.ones(4))
    with pytest.raises(RuntimeError, match=r"matrix_power: .*\[2, 3\]"):
        tg.matrix_power(tg.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="outer"):
        tg.outer(tg.ones(2, 2), tg.ones(2))


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]), ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ii", [(3, 3)]), ("ij,j", [(2, 3), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk", [(2, 3), (3, 2)]), ("ijk->kj", [(2, 3, 4)]),
]


@pytest.mark.parametrize("eq,shapes_", EINSUM)
def test_einsum_matches_torch_with_gradients(eq, shapes_):
    rng = np.random.default_rng(7)
    arrs = [rng.standard_normal(s) for s in shapes_]
    xs, ts = [tgt(a, True) for a in arrs], [tht(a, True) for a in arrs]
    y, yt = tg.einsum(eq, *xs), torch.einsum(eq, *ts)
    assert_same(y, yt, rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(yt.shape)
    y.backward(tgt(g))
    yt.backward(tht(g))
    for x, t in zip(xs, ts):
        assert_same(x.grad, t.grad, rtol=1e-10, atol=1e-12)


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="einsum"):
        tg.einsum("ij,jk->ik", tg.ones(2, 3), tg.ones(4, 2))
    with pytest.raises(RuntimeError, match="einsum"):
        tg.einsum("ijk->i", tg.ones(2, 3))


# ---- comparisons ----

def test_isclose_allclose_equal_with_nan_and_inf():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0, np.inf])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, np.inf, 0.0, 2.1, 1e308])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2, "rtol": 0}):
        assert_same(tg.isclose(tgt(a), tgt(b), **kw), torch.isclose(tht(a), tht(b), **kw))
        assert tg.allclose(tgt(a[:1]), tgt(b[:1]), **kw) == torch.allclose(tht(a[:1]), tht(b[:1]), **kw)
    assert tg.allclose(tgt(a), tgt(a), equal_nan=True) and not tg.allclose(tgt(a), tgt(a))
    assert_same(tg.isclose(tgt([1, 2]), tgt([1, 3])), torch.isclose(tht([1, 2]), tht([1, 3])))
    assert tg.equal(tgt([1.0, 2.0]), tgt([1.0, 2.0])) is True
    assert tg.equal(tgt([1.0, 2.0]), tgt([[1.0, 2.0]])) is False
    assert tg.equal(tgt([np.nan]), tgt([np.nan])) is False
    with pytest.raises(RuntimeError, match="isclose"):
        tg.isclose(tg.ones(2), tg.ones(2, dtype=tg.float64))


@SETTINGS
@given(shapes=broadcast_pair, seed=st.integers(0, 2**16))
def test_comparisons_propagate_nan_like_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.choice([np.nan, 1.0, 2.0], shapes.input_shapes[0])
    b = rng.choice([np.nan, 1.0, 2.0], shapes.input_shapes[1])
    for op in ("eq", "ne", "lt", "ge"):
        assert_same(getattr(tg, op)(tgt(a), tgt(b)), getattr(torch, op)(tht(a), tht(b)))
    assert_same(tg.isclose(tgt(a), tgt(b), equal_nan=True), torch.isclose(tht(a), tht(b), equal_nan=True))

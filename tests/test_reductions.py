"""Reductions of the math family (prod, var/std, norm, logsumexp, cumsum/cumprod, all/any,
count_nonzero, sort/argsort/topk/kthvalue/median) vs PyTorch and finite differences."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ext as tg
from tinygrad_ext.autograd import gradcheck

SETTINGS = settings(max_examples=15, deadline=None)


def tgt(arr, requires_grad=False):
    return tg.tensor(np.asarray(arr), requires_grad=requires_grad)


def tht(arr, requires_grad=False):
    return torch.tensor(np.asarray(arr), requires_grad=requires_grad)


def np_of(x):
    return x.detach().numpy()


def assert_same(a, b, rtol=1e-9, atol=1e-12):
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
    np.testing.assert_allclose(np_of(a).astype(np.float64), np_of(b).astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True)


@st.composite
def array_and_dim(draw, min_dims=1, min_side=1, lo=-3.0, hi=3.0, distinct=False):
    """A float64 array, a dim (possibly negative), keepdim and whether to make it non-contiguous."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    arr = rng.uniform(lo, hi, shape)
    if distinct:  # well separated values: no ties, no kinks
        arr = rng.permutation(np.arange(arr.size, dtype=np.float64)).reshape(shape) * 0.5 - arr.size / 4
    dim = draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
    return arr, dim, draw(st.booleans()), draw(st.booleans())


def pair(arr, transposed):
    """tg and torch leaves with arr's values; `transposed` makes tg's a non-contiguous view."""
    if transposed and arr.ndim >= 2:
        base = tgt(np.ascontiguousarray(arr.swapaxes(-1, -2)))
        x = base.transpose(-1, -2)
    else:
        x = tgt(arr)
    return x, tht(arr)


def check_grad(fn_tg, fn_torch, arr, rtol=1e-9, atol=1e-12, index=None):
    """Gradients of sum(out * G) for a random G, compared with torch."""
    x, xt = tgt(arr, True), tht(arr, True)
    y, yt = fn_tg(x), fn_torch(xt)
    if index is not None:
        y, yt = y[index], yt[index]
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    y.backward(tgt(g))
    yt.backward(tht(g))
    assert_same(x.grad, xt.grad, rtol=rtol, atol=atol)


# ---- prod ----

@SETTINGS
@given(case=array_and_dim(min_side=0))
def test_prod_matches_torch(case):
    arr, dim, keepdim, transposed = case
    x, xt = pair(arr, transposed)
    assert_same(tg.prod(x), torch.prod(xt))
    assert_same(x.prod(dim, keepdim=keepdim), xt.prod(dim, keepdim=keepdim))
    if arr.size:
        check_grad(lambda t: t.prod(dim, keepdim), lambda t: t.prod(dim, keepdim), arr)


def test_prod_gradient_with_zeros_and_dtypes():
    arr = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, 2.0, -1.0]])
    check_grad(lambda t: t.prod(1), lambda t: t.prod(1), arr)
    check_grad(lambda t: t.prod(), lambda t: t.prod(), arr[:1])
    check_grad(lambda t: t.prod(), lambda t: t.prod(), arr)
    assert gradcheck(lambda t: t.prod(0), (tgt(arr + 0.5, True),))
    assert_same(tg.prod(tgt([[1, 2], [3, 4]]), 0), torch.prod(tht([[1, 2], [3, 4]]), 0))
    assert_same(tg.prod(tgt([True, True])), torch.prod(tht([True, True])))
    assert_same(tg.prod(tgt([1, 2]), dtype=tg.float64), torch.prod(tht([1, 2]), dtype=torch.float64))
    assert_same(tg.prod(tg.tensor(3.0), 0), torch.prod(torch.tensor(3.0), 0))


# ---- var / std ----

@SETTINGS
@given(case=array_and_dim(min_side=3), correction=st.sampled_from([0, 1, 2]))
def test_var_std_match_torch(case, correction):
    arr, dim, keepdim, transposed = case
    x, xt = pair(arr, transposed)
    for name in ("var", "std"):
        assert_same(getattr(tg, name)(x, dim, correction=correction, keepdim=keepdim),
                    getattr(torch, name)(xt, dim, correction=correction, keepdim=keepdim))
        assert_same(getattr(x, name)(), getattr(xt, name)())
        assert_same(getattr(x, name)(dim, False, keepdim), getattr(xt, name)(dim, False, keepdim))
        check_grad(lambda t: getattr(t, name)(dim, keepdim=keepdim, correction=correction),
                   lambda t: getattr(t, name)(dim, keepdim=keepdim, correction=correction), arr)


def test_var_std_signatures_gradcheck_and_errors():
    arr = np.random.default_rng(2).standard_normal((3, 4))
    assert_same(tg.var(tgt(arr), False), torch.var(tht(arr), False))
    assert_same(tg.std(tgt(arr), (0, 1), keepdim=True), torch.std(tht(arr), (0, 1), keepdim=True))
    assert_same(tgt(arr).var(dim=-1, unbiased=True), tht(arr).var(dim=-1, unbiased=True))
    assert gradcheck(lambda t: tg.std(t, 0), (tgt(arr, True),))
    assert gradcheck(lambda t: tg.var(t, (0, 1), correction=0), (tgt(arr, True),))
    with pytest.raises(IndexError, match="var.*range"):
        tg.var(tgt(arr), 2)
    with pytest.raises(RuntimeError, match="var.*int64"):
        tg.var(tg.tensor([1, 2]))


# ---- norm ----

@SETTINGS
@given(case=array_and_dim(), p=st.sampled_from([1, 2, 3, float("inf"), float("-inf"), "fro", 0, 0.5]))
def test_norm_matches_torch(case, p):
    arr, dim, keepdim, transposed = case
    x, xt = pair(arr, transposed)
    assert_same(tg.norm(x, p), torch.norm(xt, p))
    assert_same(x.norm(p, dim, keepdim), xt.norm(p, dim, keepdim))
    if p == 0:  # torch leaves .grad None here; ours is an explicit zero gradient
        x = tgt(arr, True)
        x.norm(p, dim, keepdim).sum().backward()
        assert not x.grad.numpy().any()
        return
    check_grad(lambda t: t.norm(p, dim, keepdim), lambda t: t.norm(p, dim, keepdim), arr, rtol=1e-7, atol=1e-10)


def test_norm_zero_vector_gradient_and_errors():
    check_grad(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert gradcheck(lambda t: tg.norm(t, 2, 1), (tgt(np.random.default_rng(3).standard_normal((2, 3)), True),))
    with pytest.raises(RuntimeError, match="norm.*int64"):
        tg.norm(tg.tensor([1, 2]))


# ---- logsumexp ----

@SETTINGS
@given(case=array_and_dim(lo=-50, hi=50))
def test_logsumexp_matches_torch(case):
    arr, dim, keepdim, transposed = case
    x, xt = pair(arr, transposed)
    assert_same(tg.logsumexp(x, dim, keepdim), torch.logsumexp(xt, dim, keepdim))
    if arr.ndim >= 2:
        assert_same(x.logsumexp((0, -1), keepdim), xt.logsumexp((0, -1), keepdim))
    check_grad(lambda t: t.logsumexp(dim, keepdim), lambda t: t.logsumexp(dim, keepdim), arr)


def test_logsumexp_is_stable_and_handles_infinities():
    big = np.array([[1e4, 1e4 + 1.0, -1e4], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0]])
    assert_same(tg.logsumexp(tgt(big), 1), torch.logsumexp(tht(big), 1))
    check_grad(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), big[:1])
    assert_same(tg.logsumexp(tg.zeros(2, 0), 1), torch.logsumexp(torch.zeros(2, 0), 1))
    assert_same(tg.logsumexp(tgt([1, 2]), 0), torch.logsumexp(tht([1, 2]), 0), rtol=1e-6)
    assert gradcheck(lambda t: tg.logsumexp(t, 0), (tgt(np.random.default_rng(4).standard_normal((3, 2)), True),))


# ---- cumsum / cumprod ----

@SETTINGS
@given(case=array_and_dim(min_dims=0, min_side=0))
def test_cumsum_cumprod_match_torch(case):
    arr, dim, _, transposed = case
    x, xt = pair(arr, transposed)
    for name in ("cumsum", "cumprod"):
        assert_same(getattr(tg, name)(x, dim), getattr(torch, name)(xt, dim))
        check_grad(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), arr)


def test_cumprod_gradient_with_zeros_dtypes_and_inplace():
    arr = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 0.0]])
    check_grad(lambda t: t.cumprod(1), lambda t: t.cumprod(1), arr)
    assert gradcheck(lambda t: t.cumprod(0), (tgt(arr + 0.3, True),))
    assert gradcheck(lambda t: t.cumsum(-1), (tgt(arr, True),))
    ints = np.array([[1, 2, 3], [4, 5, 6]])
    for name in ("cumsum", "cumprod"):
        assert_same(getattr(tg, name)(tgt(ints), 1), getattr(torch, name)(tht(ints), 1))
        assert_same(getattr(tg, name)(tgt(ints > 2), 0), getattr(torch, name)(tht(ints > 2), 0))
        assert_same(getattr(tg, name)(tgt(ints), 0, dtype=tg.float64), getattr(torch, name)(tht(ints), 0, dtype=torch.float64))
    x = tgt(arr)
    x.cumsum_(0)
    assert_same(x, tht(arr).cumsum_(0))
    with pytest.raises(IndexError, match="cumsum.*range"):
        tg.cumsum(tgt(arr), 2)


# ---- all / any / count_nonzero ----

@SETTINGS
@given(case=array_and_dim(min_dims=0, min_side=0))
def test_all_any_count_nonzero(case):
    arr, dim, keepdim, transposed = case
    rng = np.random.default_rng(arr.size)
    vals = rng.choice([0.0, 1.0, np.nan, -2.0], arr.shape)
    x, xt = pair(vals, transposed)
    for name in ("all", "any"):
        assert_same(getattr(tg, name)(x), getattr(torch, name)(xt))
        assert_same(getattr(x, name)(dim, keepdim), getattr(xt, name)(dim, keepdim))
        assert_same(getattr(x > 0, name)(dim), getattr(xt > 0, name)(dim))
    assert_same(tg.count_nonzero(x), torch.count_nonzero(xt))
    assert_same(tg.count_nonzero(x, dim), torch.count_nonzero(xt, dim))


# ---- sort / argsort / topk / kthvalue / median ----

@SETTINGS
@given(case=array_and_dim(min_dims=0, min_side=0, distinct=True), descending=st.booleans())
def test_sort_argsort_match_torch(case, descending):
    arr, dim, _, transposed = case
    x, xt = pair(arr, transposed)
    v, i = tg.sort(x, dim, descending)
    vt, it = torch.sort(xt, dim, descending)
    assert_same(v, vt)
    assert_same(i, it)
    assert_same(x.argsort(dim, descending), xt.argsort(dim, descending))
    check_grad(lambda t: t.sort(dim, descending).values, lambda t: t.sort(dim, descending).values, arr)


@SETTINGS
@given(case=array_and_dim(min_dims=0, distinct=True), largest=st.booleans(), data=st.data())
def test_topk_kthvalue_median_match_torch(case, largest, data):
    arr, dim, keepdim, transposed = case
    x, xt = pair(arr, transposed)
    n = arr.shape[dim] if arr.ndim else 1
    k = data.draw(st.integers(0, n))
    r, rt = tg.topk(x, k, dim, largest), torch.topk(xt, k, dim, largest)
    assert_same(r.values, rt.values)
    assert_same(r.indices, rt.indices)
    check_grad(lambda t: t.topk(k, dim, largest).values, lambda t: t.topk(k, dim, largest).values, arr)
    kk = max(k, 1)
    r, rt = tg.kthvalue(x, kk, dim, keepdim), torch.kthvalue(xt, kk, dim, keepdim)
    assert_same(r.values, rt.values)
    assert_same(r.indices, rt.indices)
    check_grad(lambda t: t.kthvalue(kk, dim, keepdim)[0], lambda t: t.kthvalue(kk, dim, keepdim)[0], arr)
    r, rt = tg.median(x, dim, keepdim), torch.median(xt, dim, keepdim)
    assert_same(r.values, rt.values)
    assert_same(r.indices, rt.indices)
    assert_same(x.median(), xt.median())
    check_grad(lambda t: t.median(dim, keepdim).values, lambda t: t.median(dim, keepdim).values, arr)
    check_grad(lambda t: t.median(), lambda t: t.median(), arr)


def test_ties_stable_sort_matches_torch_and_tie_indices_are_valid():
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 3, (4, 40)).astype(np.float64)
    for desc in (False, True):
        v, i = tg.sort(tgt(arr), 1, desc, stable=True)
        vt, it = torch.sort(tht(arr), dim=1, descending=desc, stable=True)
        assert_same(v, vt)
        assert_same(i, it)
        assert_same(tgt(arr).argsort(1, desc, stable=True), tht(arr).argsort(dim=1, descending=desc, stable=True))
    # torch's index among equal values for topk/kthvalue/median depends on its selection
    # algorithm; the values must match and each index must point at an element with that value.
    for (v, i), (vt, _) in [(tg.topk(tgt(arr), 5), torch.topk(tht(arr), 5)),
                            (tg.kthvalue(tgt(arr), 7), torch.kthvalue(tht(arr), 7)),
                            (tg.median(tgt(arr), 1), torch.median(tht(arr), 1))]:
        assert_same(v, vt)
        picked = np.take_along_axis(arr, np.atleast_2d(i.numpy().reshape(v.shape[0], -1)), 1).reshape(v.shape)
        np.testing.assert_array_equal(picked, v.numpy())
    # small rows: torch's tie choice is the first occurrence, as ours
    small = np.array([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0]])
    assert_same(tg.median(tgt(small), 1).indices, torch.median(tht(small), 1).indices)
    assert_same(tg.topk(tgt(small), 1, largest=False).indices, torch.topk(tht(small), 1, largest=False).indices)


def test_nan_handling_in_order_statistics():
    arr = np.array([[1.0, np.nan, 0.0, np.nan, 5.0], [2.0, 1.0, 3.0, 0.0, -1.0]])
    for desc in (False, True):
        v, i = tg.sort(tgt(arr), 1, desc)
        vt, it = torch.sort(tht(arr), 1, desc)
        assert_same(v, vt)
        assert_same(i, it)
    for tgf, thf in [(lambda t: tg.topk(t, 2), lambda t: torch.topk(t, 2)),
                     (lambda t: tg.kthvalue(t, 4), lambda t: torch.kthvalue(t, 4)),
                     (lambda t: tg.median(t, 1), lambda t: torch.median(t, 1))]:
        r, rt = tgf(tgt(arr)), thf(tht(arr))
        assert_same(r[0], rt[0])
        assert_same(r[1], rt[1])
    assert_same(tg.median(tgt(arr)), torch.median(tht(arr)))
    check_grad(lambda t: t.median(), lambda t: t.median(), arr)
    assert_same(tg.median(tg.zeros(0)), torch.median(torch.zeros(0)))


def test_order_statistics_shapes_and_errors():
    x = tgt(np.arange(6.0).reshape(2, 3))
    assert type(tg.sort(x)).__name__ == "sort" and tg.sort(x)._fields == ("values", "indices")
    assert type(tg.topk(x, 1)).__name__ == "topk"
    s = tg.sort(tg.tensor(3.0))
    assert s.values.shape == () and s.indices.item() == 0
    assert_same(tg.sort(tg.zeros(2, 0)).indices, torch.sort(torch.zeros(2, 0)).indices)
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range .*\[2, 3\]"):
        tg.topk(x, 4)
    with pytest.raises(RuntimeError, match="kthvalue.*out of range"):
        tg.kthvalue(x, 0)
    with pytest.raises(IndexError, match=r"sort: Dimension out of range .*got 2"):
        tg.sort(x, 2)
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0 to have non-zero size"):
        tg.median(tg.zeros(0, 3), 0)
    assert gradcheck(lambda t: tg.topk(t, 2).values, (tgt(np.array([[0.3, 2.0, -1.0], [5.0, 0.1, 0.2]]), True),))
    assert gradcheck(lambda t: tg.sort(t, 0, True).values, (tgt(np.array([[0.3, 2.0], [5.0, 0.1]]), True),))


@pytest.mark.parametrize("name,fn", [
    ("logsumexp", lambda m, t: m.logsumexp(t, 1)), ("cumsum", lambda m, t: m.cumsum(t * t, 0)),
    ("cumprod", lambda m, t: m.cumprod(t, 1)), ("prod", lambda m, t: m.prod(t, 0)),
    ("var", lambda m, t: m.var(t, 1)), ("norm", lambda m, t: m.norm(t, 2, 1)),
    ("sort", lambda m, t: m.sort(t * t, 1)[0][:, :2]), ("sin", lambda m, t: m.sin(t) * t),
    ("atan2", lambda m, t: m.atan2(t, t + 3)),
])
def test_second_derivatives_match_torch(name, fn):
    """create_graph=True: the backward formulas are themselves differentiable."""
    arr = np.array([[0.3, -1.2, 2.0], [1.1, 0.7, -0.4]])
    x, xt = tgt(arr, True), tht(arr, True)
    (g,) = tg.autograd.grad(fn(tg, x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(fn(torch, xt).sum(), xt, create_graph=True)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    assert_same(g, gt)
    assert_same(x.grad, xt.grad, rtol=1e-8)

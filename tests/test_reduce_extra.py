"""Products, reductions and scans beyond the core set (cpp/src/ops/{products_extra,reduce_extra,scan}.cpp,
python/tinygrad_ext/linalg.py): values and gradients against torch, float64 gradcheck and
double-backward checks, and torch's errors for bad input."""
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from helpers import Input, compare, gradcheck_inputs

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def gradgradcheck(fn, *arrays):
    """The gradient of sum(fn(x) * w) is itself differentiable: gradcheck of x -> d/dx."""
    w = tg.tensor(rand(*np.shape(fn(*[tg.tensor(a) for a in arrays]))))

    def first_grads(*xs):
        with tg.enable_grad():  # gradcheck evaluates its finite differences without grad
            out = fn(*xs)
            return tg.autograd.grad([(out * w).sum()], list(xs), create_graph=True)[0]

    gradcheck_inputs(first_grads, *arrays)


# ---- products ----

PRODUCTS = [
    ("addmv", lambda lib, x, m, v: lib.addmv(x, m, v, beta=0.5, alpha=2.0), [(3,), (3, 4), (4,)]),
    ("addmv_bcast", lambda lib, x, m, v: lib.addmv(x, m, v), [(1,), (3, 4), (4,)]),
    ("addr", lambda lib, x, a, b: x.addr(a, b, beta=2, alpha=0.5), [(3, 4), (3,), (4,)]),
    ("addbmm", lambda lib, x, a, b: lib.addbmm(x, a, b, alpha=1.5), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    ("baddbmm", lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=-1), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    ("kron", lambda lib, a, b: lib.kron(a, b), [(2, 3), (3, 2)]),
    ("kron_ranks", lambda lib, a, b: lib.kron(a, b), [(2,), (3, 2, 2)]),
    ("cross", lambda lib, a, b: lib.cross(a, b, dim=1), [(2, 3), (2, 3)]),
    ("linalg_cross", lambda lib, a, b: lib.linalg.cross(a, b), [(4, 3), (1, 3)]),
    ("tensordot_int", lambda lib, a, b: lib.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_pairs", lambda lib, a, b: lib.tensordot(a, b, dims=([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)]),
    ("tensordot_0", lambda lib, a, b: lib.tensordot(a, b, 0), [(2,), (3,)]),
    ("inner", lambda lib, a, b: lib.inner(a, b), [(2, 3), (4, 3)]),
    ("inner_scalar", lambda lib, a, b: a.inner(b), [(), (2, 3)]),
    ("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4,)]),
    ("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
]


@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[p[0] for p in PRODUCTS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_match_torch(name, fn, shapes, dtype):
    compare(lambda *xs: fn(tg, *xs), lambda *xs: fn(torch, *xs), *[rand(*s, dtype=dtype) for s in shapes])


@pytest.mark.parametrize("name,fn,shapes", PRODUCTS[:8] + PRODUCTS[9:11], ids=[p[0] for p in PRODUCTS[:8] + PRODUCTS[9:11]])
def test_products_gradcheck_and_double_backward(name, fn, shapes):
    arrays = [rand(*s) for s in shapes]
    gradcheck_inputs(lambda *xs: fn(tg, *xs), *arrays)
    gradgradcheck(lambda *xs: fn(tg, *xs), *arrays)


def test_products_non_contiguous_and_integer():
    compare(lambda m, v: tg.addmv(tg.zeros(3, dtype=tg.float64), m, v), lambda m, v: torch.addmv(torch.zeros(3, dtype=torch.float64), m, v),
            Input(rand(3, 4), layout="T"), rand(4))
    a = rng.integers(-5, 5, (2, 3))
    b = rng.integers(-5, 5, (3, 2))
    compare(lambda a, b: tg.kron(a, b), lambda a, b: torch.kron(a, b), a, b)
    compare(lambda a, b: tg.tensordot(a, b, 1), lambda a, b: torch.tensordot(a, b, 1), a, b)


@pytest.mark.parametrize("beta,alpha", [(1.5, 2.7), (-1.5, 2), (0.2, 0.6), (True, -2.9)])
def test_integer_products_truncate_float_scalars(beta, alpha):
    # integer tensors: torch truncates a float beta and alpha toward zero (addr refuses them instead)
    x, m, v = rng.integers(-5, 5, 3), rng.integers(-5, 5, (3, 4)), rng.integers(-5, 5, 4)
    b1, b2 = rng.integers(-5, 5, (2, 3, 4)), rng.integers(-5, 5, (2, 4, 5))
    kw = dict(beta=beta, alpha=alpha)
    compare(lambda x, m, v: tg.addmv(x, m, v, **kw), lambda x, m, v: torch.addmv(x, m, v, **kw), x, m, v)
    compare(lambda x, a, b: tg.addbmm(x, a, b, **kw), lambda x, a, b: torch.addbmm(x, a, b, **kw),
            rng.integers(-5, 5, (3, 5)), b1, b2)
    compare(lambda x, a, b: tg.baddbmm(x, a, b, **kw), lambda x, a, b: torch.baddbmm(x, a, b, **kw),
            rng.integers(-5, 5, (2, 3, 5)), b1, b2)
    ints = [tg.tensor(rng.integers(-5, 5, n)) for n in ((3, 4), 3, 4)]
    if isinstance(beta, float):
        with pytest.raises(RuntimeError, match="argument beta must not be a floating point number"):
            tg.addr(*ints, beta=beta)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        tg.addr(*ints, beta=1, alpha=0.5)


def test_addmv_beta_zero_ignores_nan():
    x = np.full(3, np.nan)
    compare(lambda x, m, v: tg.addmv(x, m, v, beta=0), lambda x, m, v: torch.addmv(x, m, v, beta=0), x, rand(3, 2), rand(2))


def test_product_errors():
    with pytest.raises(RuntimeError, match="must have length 3"):
        tg.linalg.cross(tg.randn(2, 4), tg.randn(2, 4))
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        tg.tensordot(tg.randn(2, 3), tg.randn(2, 3), dims=([0], [1]))
    with pytest.raises(RuntimeError):
        tg.addbmm(tg.randn(3, 5), tg.randn(3, 4), tg.randn(4, 5))
    with pytest.raises(RuntimeError, match="expected at least 2 tensors"):
        tg.linalg.multi_dot([tg.randn(2, 2)])
    with pytest.raises(TypeError):
        tg.addmv(tg.randn(2), tg.randn(2, 2), None)


# ---- reductions ----

def _with_nans(shape):
    a = rand(*shape)
    a.flat[::3] = np.nan
    return a


REDUCTIONS = [
    ("nansum_all", lambda lib, x: lib.nansum(x), (3, 4)),
    ("nansum_dim", lambda lib, x: x.nansum(dim=(0, 2), keepdim=True), (2, 3, 4)),
    ("nanmean_dim", lambda lib, x: lib.nanmean(x, 1), (3, 4)),
    ("nanmean_all", lambda lib, x: x.nanmean(), (3, 4)),
    ("dist_2", lambda lib, x: lib.dist(x, x.flip(0) * 0.5), (3, 4)),
    ("dist_1", lambda lib, x: x.dist(x * 0.5 + 1, p=1), (3, 4)),
    ("dist_inf", lambda lib, x: lib.dist(x, x * 0.3, math.inf), (5,)),
    ("diff", lambda lib, x: lib.diff(x), (3, 5)),
    ("diff_n2_dim0", lambda lib, x: x.diff(n=2, dim=0), (4, 3)),
    ("diff_pre_app", lambda lib, x: lib.diff(x, dim=1, prepend=x[:, :1] * 2, append=x[:, :2]), (3, 4)),
    ("diff_big_n", lambda lib, x: lib.diff(x, n=7), (2, 4)),
    ("logcumsumexp", lambda lib, x: lib.logcumsumexp(x, 1), (3, 5)),
    ("logcumsumexp_0d", lambda lib, x: x.logcumsumexp(0), ()),
    ("vector_norm", lambda lib, x: lib.linalg.vector_norm(x, 3, dim=1), (3, 4)),
    ("vector_norm_inf", lambda lib, x: lib.linalg.vector_norm(x, -math.inf), (3, 4)),
    ("matrix_norm_fro", lambda lib, x: lib.linalg.matrix_norm(x), (2, 3, 4)),
    ("matrix_norm_1", lambda lib, x: lib.linalg.matrix_norm(x, 1, keepdim=True), (2, 3, 4)),
    ("matrix_norm_-inf", lambda lib, x: lib.linalg.matrix_norm(x, -math.inf, dim=(0, 2)), (2, 3, 4)),
    ("linalg_norm", lambda lib, x: lib.linalg.norm(x), (3, 4)),
    ("linalg_norm_ord_matrix", lambda lib, x: lib.linalg.norm(x, math.inf), (3, 4)),
    ("linalg_norm_dim", lambda lib, x: lib.linalg.norm(x, 1, dim=0), (3, 4)),
]


@pytest.mark.parametrize("name,fn,shape", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reductions_match_torch(name, fn, shape, dtype):
    compare(lambda x: fn(tg, x), lambda x: fn(torch, x), rand(*shape, dtype=dtype))
    if len(shape) == 2:  # a transposed view
        compare(lambda x: fn(tg, x), lambda x: fn(torch, x), Input(rand(*shape, dtype=dtype), layout="T"))


@pytest.mark.parametrize("name,fn,shape", [r for r in REDUCTIONS if r[0] not in ("dist_inf", "vector_norm_inf", "matrix_norm_1", "matrix_norm_-inf", "linalg_norm_ord_matrix")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_reductions_gradcheck_and_double_backward(name, fn, shape):
    gradcheck_inputs(lambda x: fn(tg, x), rand(*shape))
    if name != "diff_big_n":
        gradgradcheck(lambda x: fn(tg, x), rand(*shape))


@pytest.mark.parametrize("fn", [lambda lib, x: lib.nansum(x, 0), lambda lib, x: lib.nanmean(x, 1, keepdim=True),
                                lambda lib, x: lib.nanmean(x)])
def test_nan_reductions_ignore_nans_with_zero_gradient(fn):
    compare(lambda x: fn(tg, x), lambda x: fn(torch, x), _with_nans((3, 4)))


def test_nan_reductions_all_nan_row_and_integer():
    # an all-NaN row: mean NaN; torch's gradient there is NaN (inf * 0), tg's zero, so values only
    a = np.array([[np.nan, np.nan], [1.0, np.nan]])
    compare(lambda x: tg.nanmean(x, 1), lambda x: torch.nanmean(x, 1), a, check_grad=False)
    compare(lambda x: tg.nanmean(x[1:], 1), lambda x: torch.nanmean(x[1:], 1), a)
    ints = rng.integers(-5, 5, (3, 4))
    compare(lambda x: tg.nansum(x, 1), lambda x: torch.nansum(x, 1), ints)
    compare(lambda x: tg.nansum(x, dtype=tg.float64), lambda x: torch.nansum(x, dtype=torch.float64), ints)
    with pytest.raises(RuntimeError, match="nanmean"):
        tg.nanmean(tg.tensor(ints))


def test_logcumsumexp_second_derivative_matches_torch():
    # the upstream gradient has both signs: each sign's terms go through a reversed logcumsumexp, and
    # a row where one sign is absent must stay finite in the double backward
    x, g, v = (torch.randn(4, 5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(s)) for s in range(3))
    g[0, :, 3:] = g[0, :, 3:].abs()  # positive tail: no negative term after position 3
    x.requires_grad_(), g.requires_grad_()
    gx_t, = torch.autograd.grad(torch.logcumsumexp(x, 2), x, g, create_graph=True)
    want = torch.autograd.grad(gx_t, (x, g), v)
    xg, gg = tg.from_numpy(x.detach().numpy()).requires_grad_(), tg.from_numpy(g.detach().numpy()).requires_grad_()
    gx_g, = tg.autograd.grad(tg.logcumsumexp(xg, 2), xg, gg, create_graph=True)
    got = tg.autograd.grad(gx_g, (xg, gg), tg.from_numpy(v.numpy()))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_logcumsumexp_wide_range_and_infinities():
    a = np.array([[-1000.0, 0.0, 1000.0, -np.inf], [np.inf, 1.0, -np.inf, 2.0]])
    compare(lambda x: tg.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1), a, check_grad=False)
    compare(lambda x: tg.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1), np.array([[-1000.0, 0.0, 3.0]]))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        tg.logcumsumexp(tg.tensor([1, 2]), 0)


def test_diff_bool_integer_and_errors():
    b = np.array([True, False, False, True])
    compare(lambda x: tg.diff(x), lambda x: torch.diff(x), b)
    compare(lambda x: x.diff(), lambda x: x.diff(), rng.integers(-9, 9, (2, 5)))
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        tg.diff(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative"):
        tg.diff(tg.randn(3), n=-1)
    with pytest.raises(IndexError):
        tg.diff(tg.randn(3), dim=2)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (1, False), (-1, True), (0, False)])
def test_aminmax(dim, keepdim):
    x = rand(3, 4)
    x[1, 2] = x[1, 0]  # a tie
    compare(lambda x: tuple(tg.aminmax(x, dim=dim, keepdim=keepdim)), lambda x: tuple(torch.aminmax(x, dim=dim, keepdim=keepdim)), x)
    r = tg.aminmax(tg.tensor(x), dim=dim, keepdim=keepdim)
    assert type(r).__name__ == "aminmax" and r.min is r[0] and r.max is r[1]
    ints = rng.integers(-5, 5, (3, 4))
    compare(lambda x: tuple(x.aminmax(dim=dim, keepdim=keepdim)), lambda x: tuple(x.aminmax(dim=dim, keepdim=keepdim)), ints)


def test_aminmax_errors_and_0d():
    compare(lambda x: tuple(tg.aminmax(x, dim=0)), lambda x: tuple(torch.aminmax(x, dim=0)), np.array(2.5))
    with pytest.raises(RuntimeError, match="empty"):
        tg.aminmax(tg.zeros(0))
    with pytest.raises(IndexError):
        tg.aminmax(tg.zeros(2, 0), dim=1)


# ---- scans with positions ----

@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cummax_cummin_match_torch_with_ties_and_nan(op, dtype):
    x = np.array([[1.0, 3.0, 3.0, 2.0, 5.0, 5.0], [4.0, np.nan, 1.0, np.nan, 7.0, 0.0]], dtype=dtype)
    compare(lambda x: tuple(getattr(tg, op)(x, 1)), lambda x: tuple(getattr(torch, op)(x, 1)), x)
    compare(lambda x: tuple(getattr(x, op)(0)), lambda x: tuple(getattr(x, op)(0)), Input(rand(4, 3, dtype=dtype), layout="T"))
    r = getattr(tg, op)(tg.tensor(x), -1)
    assert type(r).__name__ == op and r.values is r[0] and r.indices is r[1]


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_integer_bool_empty_0d_and_gradcheck(op):
    for x in (rng.integers(-3, 3, (3, 5)), rng.integers(0, 2, (3, 5)).astype(bool), np.zeros((0, 3)), np.array(1.5)):
        compare(lambda x: tuple(getattr(tg, op)(x, 0)), lambda x: tuple(getattr(torch, op)(x, 0)), x)
    gradcheck_inputs(lambda x: getattr(tg, op)(x, 1).values, rand(3, 5))
    gradgradcheck(lambda x: getattr(tg, op)(x, 1).values, rand(3, 5))
    with pytest.raises(IndexError):
        getattr(tg, op)(tg.randn(3), 1)


def test_linalg_norm_errors():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.linalg.vector_norm(tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tg.linalg.matrix_norm(tg.randn(3))
    with pytest.raises(RuntimeError, match="1D or 2D"):
        tg.linalg.norm(tg.randn(2, 2, 2), 1)
    compare(lambda x: tg.linalg.vector_norm(x, dtype=tg.float64), lambda x: torch.linalg.vector_norm(x, dtype=torch.float64),
            rand(3, dtype=np.float32))


# ---- distances, renorm, trapezoid ----

DISTANCES = [
    ("cdist_2", lambda lib, a, b: lib.cdist(a, b), [(4, 3), (5, 3)]),
    ("cdist_1_batched", lambda lib, a, b: lib.cdist(a, b, p=1), [(2, 4, 3), (1, 5, 3)]),
    ("cdist_3", lambda lib, a, b: lib.cdist(a, b, 3.0), [(4, 2), (3, 2)]),
    ("renorm", lambda lib, a: a.renorm(2, 0, 1.0), [(3, 4)]),
    ("renorm_p1_dim1", lambda lib, a: lib.renorm(a, 1, 1, 2.0), [(2, 3, 4)]),
    ("trapezoid_dx", lambda lib, y: lib.trapezoid(y, dx=0.5), [(3, 5)]),
    ("trapezoid_x", lambda lib, y, x: lib.trapezoid(y, x, dim=0), [(4, 3), (4,)]),
    ("trapz", lambda lib, y: lib.trapz(y, dim=0), [(4, 3)]),
    ("cumulative_trapezoid", lambda lib, y: lib.cumulative_trapezoid(y, dx=2.0), [(3, 5)]),
    ("cumulative_trapezoid_x", lambda lib, y, x: lib.cumulative_trapezoid(y, x), [(3, 5), (3, 5)]),
]


@pytest.mark.parametrize("name,fn,shapes", DISTANCES, ids=[d[0] for d in DISTANCES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distances_match_torch(name, fn, shapes, dtype):
    compare(lambda *xs: fn(tg, *xs), lambda *xs: fn(torch, *xs), *[rand(*s, dtype=dtype) for s in shapes])


@pytest.mark.parametrize("name,fn,shapes", DISTANCES, ids=[d[0] for d in DISTANCES])
def test_distances_gradcheck_and_double_backward(name, fn, shapes):
    arrays = [rand(*s) for s in shapes]
    gradcheck_inputs(lambda *xs: fn(tg, *xs), *arrays)
    if not name.startswith("cdist_1"):
        gradgradcheck(lambda *xs: fn(tg, *xs), *arrays)


def test_cdist_zero_distance_gradient_is_zero():
    a = rand(3, 2)
    compare(lambda a, b: tg.cdist(a, b), lambda a, b: torch.cdist(a, b), a, a[[0, 2]].copy())


def test_distance_errors_and_integer_trapezoid():
    with pytest.raises(RuntimeError, match="same number of columns"):
        tg.cdist(tg.randn(2, 3), tg.randn(2, 4))
    with pytest.raises(RuntimeError, match="at least 2D"):
        tg.cdist(tg.randn(3), tg.randn(2, 3))
    with pytest.raises(RuntimeError, match="maxnorm"):
        tg.renorm(tg.randn(2, 2), 2, 0, -1.0)
    ints = rng.integers(-5, 5, (2, 4))
    compare(lambda y: tg.trapezoid(y), lambda y: torch.trapezoid(y), ints)
    compare(lambda y: tg.cumulative_trapezoid(y, dim=0), lambda y: torch.cumulative_trapezoid(y, dim=0), ints)
    compare(lambda y: tg.trapezoid(y, dim=1), lambda y: torch.trapezoid(y, dim=1), np.zeros((2, 0)))


# ---- counting and searching ----

def test_searchsorted_and_bucketize_match_torch():
    seq = np.sort(rand(6))
    vals = np.concatenate([rand(5), seq[[1, 3]], [np.nan, np.inf]])
    for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"}):
        compare(lambda s, v: tg.searchsorted(s, v, **kw), lambda s, v: torch.searchsorted(s, v, **kw), seq, vals)
    rows = np.sort(rand(3, 5), axis=1)
    compare(lambda s, v: tg.searchsorted(s, v, right=True), lambda s, v: torch.searchsorted(s, v, right=True), rows, rand(3, 4))
    unsorted = rand(3, 5)
    sorter = np.argsort(unsorted, axis=1)
    compare(lambda s, v, o: tg.searchsorted(s, v, sorter=o), lambda s, v, o: torch.searchsorted(s, v, sorter=o),
            unsorted, rand(3, 2), Input(sorter, requires_grad=False))
    ints = np.array([1, 3, 5, 7])
    compare(lambda s, v: tg.searchsorted(s, v), lambda s, v: torch.searchsorted(s, v), ints, np.array([[0.5, 3.0], [7.0, 9.0]]))
    assert tg.searchsorted(tg.tensor(ints), 4).item() == 2
    r = tg.searchsorted(tg.tensor(ints), tg.tensor([4]), out_int32=True)
    assert r.dtype == tg.int32 and r.tolist() == [2]
    for right in (False, True):
        compare(lambda x, b: tg.bucketize(x, b, right=right), lambda x, b: torch.bucketize(x.contiguous(), b, right=right),
                Input(rand(3, 4), layout="T"), seq)
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        tg.searchsorted(tg.tensor(seq), tg.tensor(vals), right=True, side="left")
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        tg.searchsorted(tg.tensor(rows), tg.tensor(rand(2, 4)))


def test_bincount_and_histc_match_torch():
    x = rng.integers(0, 6, 20)
    compare(lambda x: tg.bincount(x), lambda x: torch.bincount(x), x)
    compare(lambda x: x.bincount(minlength=10), lambda x: x.bincount(minlength=10), x)
    for w in (rand(20, dtype=np.float32), rand(20), rng.integers(0, 3, 20)):
        compare(lambda x, w: tg.bincount(x, w), lambda x, w: torch.bincount(x, w), x, Input(w, requires_grad=False))
    compare(lambda x: tg.bincount(x), lambda x: torch.bincount(x), np.zeros(0, dtype=np.int64))
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.bincount(tg.tensor([1, -1]))
    with pytest.raises(NotImplementedError):
        tg.bincount(tg.tensor([1.0]))
    for dtype in (np.float32, np.float64):
        y = rand(50, dtype=dtype)
        compare(lambda y: tg.histc(y, bins=7), lambda y: torch.histc(y, bins=7), y, check_grad=False)
        y[3] = np.nan  # ignored with a given range; an error when the range comes from the data
        compare(lambda y: y.histc(5, min=-1, max=1), lambda y: y.histc(5, min=-1, max=1), y, check_grad=False)
        with pytest.raises(RuntimeError, match="not finite"):
            tg.histc(tg.tensor(y))
    compare(lambda y: tg.histc(y, 3), lambda y: torch.histc(y, 3), np.full(4, 2.0), check_grad=False)
    with pytest.raises(NotImplementedError):
        tg.histc(tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        tg.histc(tg.randn(3), min=1, max=0)


@pytest.mark.parametrize("np_dtype,th_dtype", [(np.int32, torch.int32), (np.uint8, torch.uint8), (np.float16, torch.float16)])
def test_narrow_dtypes_compute_widened(np_dtype, th_dtype):
    """int32/uint8/float16 inputs run through the compute dtypes and keep torch's result dtypes. (tensordot,
    cummax, cummin and float16 nansum are left out: mm, gather and isnan have no kernels for these
    dtypes yet.)"""
    a = (rng.integers(0, 6, (3, 4))).astype(np_dtype)
    b = (rng.integers(0, 6, (4, 2))).astype(np_dtype)
    cases = [
        (lambda lib, x, y: lib.kron(x, y)),
        (lambda lib, x, y: lib.diff(x, dim=0)),
        (lambda lib, x, y: lib.searchsorted(lib.arange(6).to(x.dtype), x)),
        (lambda lib, x, y: lib.aminmax(x, dim=1).max),
    ]
    if np_dtype == np.float16:
        cases += [(lambda lib, x, y: lib.logcumsumexp(x, 1)), (lambda lib, x, y: lib.histc(x, 4))]
    else:
        cases += [(lambda lib, x, y: lib.bincount(x.flatten())), (lambda lib, x, y: lib.nansum(x, 1))]
    for fn in cases:
        got = fn(tg, tg.tensor(a), tg.tensor(b))
        want = fn(torch, torch.tensor(a), torch.tensor(b))
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=1e-3)

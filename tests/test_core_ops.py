"""Property tests of every differentiable core op: NumPy forward, torch values+grads, gradcheck."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
from tests.helpers import Input, assert_close, compare, gradcheck_inputs
from tests.strategies import broadcast_pairs, inputs, layouts, nonempty_shapes, shapes, values

# name -> (function of (lib, x), numpy function, value domain)
UNARY = {
    "neg": (lambda m, x: m.neg(x), np.negative, "any"),
    "neg_op": (lambda m, x: -x, np.negative, "any"),
    "abs": (lambda m, x: m.abs(x), np.abs, "nonzero"),
    "exp": (lambda m, x: m.exp(x), np.exp, "any"),
    "log": (lambda m, x: m.log(x), np.log, "positive"),
    "sqrt": (lambda m, x: m.sqrt(x), np.sqrt, "positive"),
    "relu": (lambda m, x: m.relu(x), lambda a: np.maximum(a, 0), "nonzero"),
    "sigmoid": (lambda m, x: m.sigmoid(x), lambda a: 1 / (1 + np.exp(-a)), "any"),
    "tanh": (lambda m, x: m.tanh(x), np.tanh, "any"),
    "pow2": (lambda m, x: x ** 2, lambda a: a ** 2, "any"),
    "pow3": (lambda m, x: m.pow(x, 3), lambda a: a ** 3, "any"),
    "pow_half": (lambda m, x: x.pow(0.5), np.sqrt, "positive"),
    "pow_neg": (lambda m, x: x ** -1.5, lambda a: a ** -1.5, "positive"),
    "rpow": (lambda m, x: 2.0 ** x, lambda a: 2.0 ** a, "any"),
}

BINARY = {
    "add": (lambda m, a, b: a + b, np.add, "any"),
    "add_alpha": (lambda m, a, b: m.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, "any"),
    "sub": (lambda m, a, b: a - b, np.subtract, "any"),
    "mul": (lambda m, a, b: a * b, np.multiply, "any"),
    "div": (lambda m, a, b: a / b, np.divide, "nonzero"),
    "pow": (lambda m, a, b: m.pow(a, b), np.power, "positive"),
    "maximum": (lambda m, a, b: m.maximum(a, b), np.maximum, "any"),
    "minimum": (lambda m, a, b: m.minimum(a, b), np.minimum, "any"),
}

SCALAR_BINARY = {
    "add_s": (lambda m, a: a + 1.5, lambda a: a + 1.5),
    "radd_s": (lambda m, a: 1.5 + a, lambda a: 1.5 + a),
    "sub_s": (lambda m, a: a - 2, lambda a: a - 2),
    "rsub_s": (lambda m, a: 2 - a, lambda a: 2 - a),
    "mul_s": (lambda m, a: a * -3, lambda a: a * -3),
    "div_s": (lambda m, a: a / 4, lambda a: a / 4),
    "rdiv_s": (lambda m, a: 4 / a, lambda a: 4 / a),
}


def _np(x):
    return x.detach().numpy()


def check_all(fn, np_fn, ins, upstream="random"):
    """Forward vs NumPy, values and gradients vs torch, and gradcheck."""
    out = compare(lambda *xs: fn(tg, *xs), lambda *xs: fn(torch, *xs), *ins, upstream=upstream)
    if np_fn is not None:
        assert_close(_np(out), np_fn(*[i.array for i in ins]), msg="numpy forward")
    gradcheck_inputs(lambda *xs: fn(tg, *xs), *ins)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary(name, data):
    fn, np_fn, domain = UNARY[name]
    shape = data.draw(shapes())
    x = data.draw(inputs(shape, domain))
    check_all(fn, np_fn, [x])


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_float32(name, data):
    fn, np_fn, domain = UNARY[name]
    x = data.draw(inputs(data.draw(shapes()), domain, dtype=np.float32))
    compare(lambda a: fn(tg, a), lambda a: fn(torch, a), x)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_broadcast(name, data):
    fn, np_fn, domain = BINARY[name]
    sa, sb = data.draw(broadcast_pairs())
    a = data.draw(inputs(sa, domain))
    b = data.draw(inputs(sb, domain))
    check_all(fn, np_fn, [a, b])


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_float32(name, data):
    fn, _, domain = BINARY[name]
    sa, sb = data.draw(broadcast_pairs())
    a = data.draw(inputs(sa, domain, dtype=np.float32))
    b = data.draw(inputs(sb, domain, dtype=np.float32))
    compare(lambda x, y: fn(tg, x, y), lambda x, y: fn(torch, x, y), a, b)


@pytest.mark.parametrize("name", sorted(SCALAR_BINARY))
@given(data=st.data())
def test_binary_with_python_scalar(name, data):
    fn, np_fn = SCALAR_BINARY[name]
    x = data.draw(inputs(data.draw(shapes()), "nonzero"))
    check_all(fn, np_fn, [x])


def test_maximum_minimum_ties_follow_torch():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    for f in (lambda m, x, y: m.maximum(x, y), lambda m, x, y: m.minimum(x, y)):
        compare(lambda x, y: f(tg, x, y), lambda x, y: f(torch, x, y), a, b)


def test_kinks_follow_torch():
    x = np.array([0.0, -0.0, 1.0, -2.0])
    for f in (lambda m, t: m.relu(t), lambda m, t: m.abs(t), lambda m, t: m.sqrt(m.abs(t) + 1)):
        compare(lambda t: f(tg, t), lambda t: f(torch, t), x, upstream="sum")
    # pow at a zero base: torch gives grad 0 for x**2 at 0, inf for x**0.5 at 0
    compare(lambda t: t ** 2, lambda t: t ** 2, np.array([0.0, 1.0]))
    compare(lambda t: t ** 0.5, lambda t: t ** 0.5, np.array([0.0, 4.0]), upstream="sum")
    compare(lambda t: t ** 0, lambda t: t ** 0, np.array([0.0, 4.0]), upstream="sum")


# ---- comparisons ----
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", COMPARISONS)
@given(pair=broadcast_pairs(), seed=st.integers(0, 1000))
def test_comparisons_return_bool(name, pair, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, pair[0]).astype(np.float64)
    b = rng.integers(-2, 3, pair[1]).astype(np.float64)
    out = compare(lambda x, y: getattr(tg, name)(x, y), lambda x, y: getattr(torch, name)(x, y), a, b)
    assert out.dtype == tg.bool
    assert not out.requires_grad
    op = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}[name]
    compare(lambda x: getattr(x, op)(1), lambda x: getattr(x, op)(1), a)
    assert_close(_np(getattr(tg, name)(tg.tensor(a), tg.tensor(b))), getattr(np, {"eq": "equal", "ne": "not_equal",
                 "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}[name])(a, b))


# ---- reductions ----
@st.composite
def reduce_case(draw, allow_empty=True):
    shape = draw(shapes(1, 3, 0 if allow_empty else 1, 3))
    nd = len(shape)
    dims = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple)))
    keepdim = draw(st.booleans())
    x = draw(inputs(shape, "any"))
    return x, dims, keepdim


def _np_axis(dims):
    return dims if dims is None or isinstance(dims, int) else tuple(dims)


@pytest.mark.parametrize("name", ["sum", "mean"])
@given(case=reduce_case())
def test_sum_mean(name, case):
    x, dims, keepdim = case
    if dims is None:
        fn = lambda m, t: getattr(t, name)()
        np_fn = lambda a: getattr(np, name)(a)
    else:
        fn = lambda m, t: getattr(m, name)(t, dims, keepdim=keepdim)
        np_fn = lambda a: getattr(np, name)(a, axis=_np_axis(dims), keepdims=keepdim)
    if name == "mean" and x.array.size == 0:
        # mean over nothing is NaN in both libraries; no gradient to check numerically
        compare(lambda t: fn(tg, t), lambda t: fn(torch, t), x)
        return
    check_all(fn, np_fn, [x])


@pytest.mark.parametrize("name", ["amax", "amin"])
@given(case=reduce_case(allow_empty=False))
def test_amax_amin(name, case):
    x, dims, keepdim = case
    d = () if dims is None else dims
    fn = lambda m, t: getattr(m, name)(t, d, keepdim=keepdim)
    np_fn = lambda a: getattr(np, name)(a, axis=None if dims is None else _np_axis(dims), keepdims=keepdim)
    check_all(fn, np_fn, [x])


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=reduce_case(allow_empty=False))
def test_max_min_dim(name, case):
    x, dims, keepdim = case
    dim = dims if isinstance(dims, int) else 0
    out = compare(lambda t: getattr(t, name)(dim, keepdim), lambda t: getattr(t, name)(dim, keepdim), x)
    assert out.indices.dtype == tg.int64
    assert_close(_np(out.values), getattr(np, name)(x.array, axis=dim, keepdims=keepdim))
    assert_close(_np(out.indices), getattr(np, "arg" + name)(x.array, axis=dim, keepdims=keepdim))
    gradcheck_inputs(lambda t: getattr(t, name)(dim, keepdim)[0], x)
    # the all-elements form
    compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)
    compare(lambda t: t.argmax(dim, keepdim), lambda t: t.argmax(dim, keepdim), x)


def test_reduction_ties_follow_torch():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for f in (lambda t: t.amax(1), lambda t: t.amin(0), lambda t: t.max(1)[0], lambda t: t.max(),
              lambda t: t.min(), lambda t: t.min(1, True)[0]):
        compare(f, f, a)


def test_empty_reductions_raise_like_torch():
    for f in (lambda t: t.amax(0), lambda t: t.max(), lambda t: t.max(0), lambda t: t.argmax()):
        with pytest.raises((RuntimeError, IndexError)):
            f(torch.zeros(0, 3))
        with pytest.raises((RuntimeError, IndexError)):
            f(tg.zeros(0, 3))


# ---- matmul ----
@st.composite
def matmul_case(draw):
    kind = draw(st.sampled_from(["1d1d", "1d2d", "2d1d", "2d2d", "batched", "batched1d"]))
    n, k, m = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    if kind == "1d1d":
        sa, sb = (k,), (k,)
    elif kind == "1d2d":
        sa, sb = (k,), (k, m)
    elif kind == "2d1d":
        sa, sb = (n, k), (k,)
    elif kind == "2d2d":
        sa, sb = (n, k), (k, m)
    else:
        ba, bb = draw(broadcast_pairs(max_dims=2, min_side=1, max_side=2))
        sa = tuple(ba) + (n, k)
        sb = (k,) if kind == "batched1d" else tuple(bb) + (k, m)
    return draw(inputs(sa)), draw(inputs(sb))


@given(case=matmul_case())
def test_matmul(case):
    a, b = case
    check_all(lambda m, x, y: m.matmul(x, y), np.matmul, [a, b])
    compare(lambda x, y: x @ y, lambda x, y: x @ y, a, b)


@given(data=st.data())
def test_mm(data):
    n, k, m = (data.draw(st.integers(0, 4)) for _ in range(3))
    a, b = data.draw(inputs((n, k))), data.draw(inputs((k, m)))
    check_all(lambda mod, x, y: mod.mm(x, y), np.matmul, [a, b])


def test_matmul_float32_larger():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 37, 65)).astype(np.float32), rng.standard_normal((65, 29)).astype(np.float32)
    compare(lambda x, y: x @ y, lambda x, y: x @ y, a, b)


def test_matmul_shape_errors():
    for sa, sb in [((2, 3), (4, 5)), ((3,), (4,)), ((2, 2, 3), (2, 4, 5)), ((), (3,))]:
        with pytest.raises(RuntimeError):
            torch.matmul(torch.zeros(sa), torch.zeros(sb))
        with pytest.raises(RuntimeError) as info:
            tg.matmul(tg.zeros(sa), tg.zeros(sb))
        assert any(w in str(info.value) for w in ("matmul", "mm", "shape", "size")), str(info.value)
    with pytest.raises(RuntimeError):
        tg.mm(tg.zeros(2, 3, 4), tg.zeros(4, 2))


# ---- views ----
@st.composite
def view_case(draw):
    shape = draw(shapes(1, 3, 0, 3))
    x = draw(inputs(shape, layout="contig"))
    nd = len(shape)
    kind = draw(st.sampled_from(["view", "reshape", "reshape_nc", "permute", "transpose", "t", "expand",
                                 "squeeze", "squeeze_dim", "unsqueeze", "flatten", "slice", "select",
                                 "T", "mT", "narrow", "index_neg"]))
    if kind == "view":
        return x, lambda t: t.view(-1)
    if kind == "reshape":
        return x, lambda t: t.reshape(tuple(reversed(shape)))
    if kind == "reshape_nc":
        x.layout = "T" if nd >= 2 else "step"
        return x, lambda t: t.reshape(-1)
    if kind == "permute":
        perm = draw(st.permutations(range(nd)))
        return x, lambda t: t.permute(*perm)
    if kind == "transpose":
        d0, d1 = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
        return x, lambda t: t.transpose(d0, d1)
    if kind in ("t", "T", "mT"):
        if nd > 2 or (kind == "mT" and nd < 2):
            return x, lambda t: t.transpose(0, -1)
        return x, (lambda t: t.t()) if kind == "t" else (lambda t: getattr(t, kind))
    if kind == "expand":
        new = tuple(3 if s == 1 and draw(st.booleans()) else s for s in shape)
        lead = (2,) if draw(st.booleans()) else ()
        return x, lambda t: t.expand(*(lead + new))
    if kind == "squeeze":
        return x, lambda t: t.squeeze()
    if kind == "squeeze_dim":
        d = draw(st.integers(-nd, nd - 1))
        return x, lambda t: t.squeeze(d)
    if kind == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return x, lambda t: t.unsqueeze(d)
    if kind == "flatten":
        s = draw(st.integers(0, nd - 1))
        e = draw(st.integers(s, nd - 1))
        return x, lambda t: t.flatten(s, e)
    if kind == "slice":
        start, stop = draw(st.integers(-4, 4)), draw(st.integers(-4, 4))
        step = draw(st.integers(1, 3))
        return x, lambda t: t[start:stop:step]
    if kind == "select":
        if shape[0] == 0:
            return x, lambda t: t[:, ...]
        i = draw(st.integers(-shape[0], shape[0] - 1))
        return x, lambda t: t[i]
    if kind == "narrow":
        d = draw(st.integers(0, nd - 1))
        start = draw(st.integers(0, shape[d]))
        length = draw(st.integers(0, shape[d] - start))
        return x, lambda t: t.narrow(d, start, length)
    return x, lambda t: t[..., ::-1 + 2] if nd else t


@given(case=view_case())
def test_views(case):
    x, fn = case
    out = compare(fn, fn, x)
    # a view of a contiguous leaf reads the same memory as numpy's view (forward matches NumPy)
    np_out = fn(torch.tensor(x.array)).numpy()
    assert_close(_np(out), np_out)
    if x.array.size:
        gradcheck_inputs(fn, x)


@given(data=st.data())
def test_views_share_memory_and_version(data):
    x = tg.arange(12.0).reshape(3, 4)
    v = data.draw(st.sampled_from([lambda t: t.t(), lambda t: t[1], lambda t: t.view(4, 3),
                                   lambda t: t[:, 1:3], lambda t: t.unsqueeze(0).expand(2, 3, 4)]))(x)
    before = x._version
    x.add_(1)
    assert v._version == x._version == before + 1
    assert_close(_np(v), v.contiguous().numpy())
    assert float(v.reshape(-1)[0]) >= 1.0


def test_view_errors_match_torch():
    for f in (lambda t: t.view(5), lambda t: t.t().view(-1), lambda t: t.permute(0, 0),
              lambda t: t.expand(3, 3), lambda t: t.transpose(0, 2), lambda t: t.squeeze(3),
              lambda t: t.reshape(-1, -1), lambda t: t.select(0, 5), lambda t: t.view(-1, 0)):
        with pytest.raises(Exception) as th:
            f(torch.zeros(2, 3))
        with pytest.raises(type(th.value)):
            f(tg.zeros(2, 3))


@pytest.mark.parametrize("which", ["T", "step"])
@given(data=st.data())
def test_noncontiguous_chain(which, data):
    x = data.draw(inputs(data.draw(nonempty_shapes(2, 3)), layout=which))
    fn = lambda t: ((t * 2).exp().sum(-1, keepdim=True) / (t.abs() + 1)).tanh()
    check_all(lambda m, t: fn(t), None, [x])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 16), st.sampled_from(["dense", "scalar_x", "scalar_y", "strided", "broadcast"]),
       st.sampled_from([np.float32, np.float64, np.int64, np.bool_]), st.integers(1, 3000))
def test_where_select_paths_match_torch(seed, layout, dtype, n):
    """where(cond, x, y) over every inner-loop path of the kernel (contiguous, either side a 0-d scalar,
    strided, broadcast) with a random mask, all dtypes; gradients to both sides for floats."""
    rng = np.random.default_rng(seed)
    cond = rng.random((n, 2)) < 0.5
    x, y = (rng.standard_normal((n, 2)) * 5).astype(dtype), (rng.standard_normal((n, 2)) * 5).astype(dtype)
    if layout == "scalar_x":
        x = x[0, 0]
    elif layout == "scalar_y":
        y = y[0, 0]
    elif layout == "broadcast":
        x, y = x[:1], y[:, :1]
    floating = dtype in (np.float32, np.float64)

    def run(lib, make):
        c, a, b = make(cond), make(np.asarray(x)), make(np.asarray(y))
        if floating:
            a.requires_grad_(), b.requires_grad_()
        if layout == "strided":
            c, a0, b0 = c.t().contiguous().t(), a, b
            out = lib.where(c, a0.t().contiguous().t(), b0.t().contiguous().t())
        else:
            out = lib.where(c, a, b)
        if floating:
            out.backward(make(np.arange(out.numel(), dtype=dtype).reshape(tuple(out.shape))))
            return out.detach(), a.grad, b.grad
        return (out,)

    for got, want in zip(run(tg, tg.tensor), run(torch, torch.tensor)):
        assert_close(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(784, 256), (64, 1024), (1024, 33), (3, 40, 17), (2, 3, 128, 64)])
def test_contiguous_of_transposed_views_is_exact(dtype, shape):
    """contiguous() of a view transposed over its last two dims (the tiled copy, with and without the
    cache-set-conflict buffer), including strided leading dims, for every dtype."""
    arr = (np.random.default_rng(sum(shape)).standard_normal(shape) * 100).astype(dtype)
    x = tg.from_numpy(arr)
    np.testing.assert_array_equal(x.transpose(-1, -2).contiguous().numpy(), np.swapaxes(arr, -1, -2))
    if len(shape) > 2:
        y = x[::2] if shape[0] > 1 else x
        np.testing.assert_array_equal(y.transpose(-1, -2).contiguous().numpy(),
                                      np.swapaxes(arr[::2] if shape[0] > 1 else arr, -1, -2))
        np.testing.assert_array_equal(x.movedim(0, -1).transpose(-1, -2).contiguous().numpy(),
                                      np.swapaxes(np.moveaxis(arr, 0, -1), -1, -2))

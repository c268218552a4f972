# Tests for advanced indexing (__getitem__/__setitem__ with tensors, lists, ranges, masks) and the
# index ops (index_select, gather, scatter, scatter_add, masked_*, take_along_dim, nonzero, where).
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
from tinygrad_ext.autograd import gradcheck
from shape_helpers import assert_same, check_grads, leaf, pair, shapes, values

SETTINGS = settings(max_examples=40, deadline=None)


def both(fn, *pairs):
    """fn applied to the tg members and to the torch members of (tg, torch) pairs."""
    return fn(*[p[0] for p in pairs]), fn(*[p[1] for p in pairs])


# ---------------------------------------------------------------- the lessons' pattern
def test_lesson_range_and_label_tensor():
    y_hat_np = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    (a, b), _ = leaf(y_hat_np)
    y = [0, 2]
    out_a, out_b = a[range(len(a)), tg.tensor(y)], b[range(len(b)), torch.tensor(y)]
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a, b)])
    # cross-entropy as in d2l: -log(y_hat[range(n), y])
    assert_same(-tg.log(a.detach()[range(2), tg.tensor(y)]), -torch.log(b.detach()[range(2), torch.tensor(y)]))


# ---------------------------------------------------------------- __getitem__ property test
@st.composite
def advanced_index(draw):
    shape = draw(shapes(1, 4, 1, 4))
    bshape = draw(shapes(1, 2, 1, 3))
    n_items = draw(st.integers(1, len(shape)))
    items_tg, items_torch = [], []
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    has_adv = False
    ellipsis = draw(st.booleans()) and n_items < len(shape)
    first = len(shape) - n_items if ellipsis else 0  # with a leading Ellipsis, items index the last dims
    for d in range(first, first + n_items):
        n = shape[d]
        kind = draw(st.sampled_from(["slice", "int", "tensor", "list", "none"]))
        if kind == "none":
            items_tg.append(None)
            items_torch.append(None)
            kind = "slice"
        if kind == "slice":
            start = draw(st.integers(-n - 1, n + 1))
            stop = draw(st.integers(-n - 1, n + 1))
            step = draw(st.integers(1, 3))
            items_tg.append(slice(start, stop, step))
            items_torch.append(slice(start, stop, step))
        elif kind == "int":
            i = int(rng.integers(-n, n))
            items_tg.append(i)
            items_torch.append(i)
        elif kind == "tensor":
            ishape = tuple(s if rng.random() < 0.7 else 1 for s in bshape)
            arr = rng.integers(-n, n, size=ishape)
            items_tg.append(tg.tensor(arr))
            items_torch.append(torch.tensor(arr))
            has_adv = True
        else:
            arr = rng.integers(-n, n, size=bshape[-1]).tolist()
            items_tg.append(arr)
            items_torch.append(torch.tensor(arr))
            has_adv = True
    if ellipsis:
        items_tg.insert(0, Ellipsis)
        items_torch.insert(0, Ellipsis)
    return shape, tuple(items_tg), tuple(items_torch), seed, draw(st.booleans()), has_adv


@SETTINGS
@given(advanced_index())
def test_getitem_matches_torch(case):
    shape, idx_tg, idx_torch, seed, noncontig, _ = case
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    out_a, out_b = a[idx_tg], b[idx_torch]
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0)], seed)


@SETTINGS
@given(shapes(1, 3, 1, 4), st.integers(0, 2), st.integers(0, 2**16), st.booleans())
def test_bool_mask_index_matches_torch(shape, start, seed, as_list):
    start = min(start, len(shape) - 1)
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, len(shape) - start + 1))
    mask = rng.random(shape[start:start + k]) < 0.5
    (a0, b0), (a, b) = leaf(values(shape, seed))
    prefix = (slice(None),) * start
    m_tg = mask.tolist() if as_list and k == 1 else tg.tensor(mask)
    out_a, out_b = a[prefix + (m_tg,)], b[prefix + (torch.tensor(mask),)]
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0)], seed)


def test_getitem_special_forms():
    x_np = np.arange(24.0).reshape(2, 3, 4)
    x, xt = pair(x_np)
    cases = [
        (x > 20, xt > 20),
        (np.array([0, 1, 1]), np.array([0, 1, 1])),
        (([[0, 1], [1, 0]], [[0], [2]]), (torch.tensor([[0, 1], [1, 0]]), torch.tensor([[0], [2]]))),
        ((slice(None), True), (slice(None), True)),
        ((tg.tensor(True),), (torch.tensor(True),)),
        ((False,), (False,)),
        ((None, [0, 1], None, [1, 2]), (None, torch.tensor([0, 1]), None, torch.tensor([1, 2]))),
        ((slice(None), 0, slice(None), ), (slice(None), 0, slice(None))),
        ((0, slice(None), [1, 3]), (0, slice(None), torch.tensor([1, 3]))),
        ((tg.tensor(1), [0, 2]), (torch.tensor(1), torch.tensor([0, 2]))),
        (([],), (torch.tensor([], dtype=torch.long),)),
        ((range(0, 2), range(1, 3)), (torch.arange(0, 2), torch.arange(1, 3))),
    ]
    for i_tg, i_t in cases:
        assert_same(x[i_tg], xt[i_t])


def test_getitem_zero_size_and_zero_dim():
    x, xt = pair(np.zeros((0, 3)))
    assert_same(x[tg.tensor([], dtype=tg.int64)], xt[torch.tensor([], dtype=torch.long)])
    assert_same(x[:, [0, 2]], xt[:, [0, 2]])
    s, st_ = pair(np.array(5.0))
    assert_same(s[None], st_[None])
    assert_same(s[tg.tensor(True)], st_[torch.tensor(True)])


def test_getitem_errors():
    x = tg.zeros(2, 3)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[tg.tensor([1.0])]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x[[5]]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 1 with size 3"):
        x[:, [0, -4]]
    with pytest.raises(IndexError, match="shape mismatch: indexing tensors could not be broadcast together with shapes \\[2\\], \\[3\\]"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="The shape of the mask \\[3\\] at index 0 does not match"):
        x[tg.tensor([True, False, True])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[[0], [0], [0]]
    with pytest.raises(IndexError):
        x["a"]


# ---------------------------------------------------------------- __setitem__
@SETTINGS
@given(shapes(1, 3, 1, 4), st.integers(0, 2), st.integers(0, 2**16), st.sampled_from(["scalar", "full", "row"]),
       st.booleans())
def test_setitem_matches_torch(shape, dim, seed, value_kind, use_mask):
    dim = min(dim, len(shape) - 1)
    rng = np.random.default_rng(seed)
    n = shape[dim]
    prefix = (slice(None),) * dim
    if use_mask:
        m = rng.random(n) < 0.5
        i_tg, i_t = prefix + (tg.tensor(m),), prefix + (torch.tensor(m),)
    else:
        ix = rng.permutation(n)[: int(rng.integers(1, n + 1))] - n * (rng.random() < 0.5)  # unique, maybe negative
        i_tg, i_t = prefix + (ix.tolist(),), prefix + (torch.tensor(ix),)
    (a0, b0), _ = leaf(values(shape, seed))
    a, b = a0 * 1, b0 * 1  # non-leaves: in-place allowed
    target_shape = tuple(b[i_t].shape)
    if value_kind == "scalar":
        a[i_tg] = 7.5
        b[i_t] = 7.5
        leaves = [(a0, b0)]
    else:
        vshape = target_shape if value_kind == "full" else target_shape[-1:]
        (va, vb), _ = leaf(values(vshape, seed + 1))
        a[i_tg] = va
        b[i_t] = vb
        leaves = [(a0, b0), (va, vb)]
    assert_same(a, b)
    check_grads(a, b, leaves, seed)


def test_setitem_mixed_and_errors():
    x, xt = pair(np.arange(12.0).reshape(3, 4))
    x[[0, 2], 1:] = tg.tensor([7.0, 8, 9], dtype=tg.float64)
    xt[[0, 2], 1:] = torch.tensor([7.0, 8, 9], dtype=torch.float64)
    assert_same(x, xt)
    x[x > 8] = 0.0
    xt[xt > 8] = 0.0
    assert_same(x, xt)
    x[range(3), [0, 1, 2]] = -1.0
    xt[range(3), [0, 1, 2]] = -1.0
    assert_same(x, xt)
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape \\[3\\] cannot be broadcast to indexing result of shape \\[2, 4\\]"):
        x[[0, 2]] = tg.zeros(3)
    with pytest.raises(IndexError, match="out of bounds"):
        x[[3]] = 1.0


def test_setitem_and_getitem_gradcheck():
    x = tg.tensor(values((3, 4), 1), requires_grad=True)
    v = tg.tensor(values((2, 4), 2), requires_grad=True)

    def set_fn(x, v):
        y = x * 1
        y[[2, 0]] = v
        return y

    assert gradcheck(set_fn, (x, v))
    assert gradcheck(lambda x: x[[0, 0, 2], 1:], (x,))  # repeated index: gradients accumulate
    assert gradcheck(lambda x: x[x.detach() > 0], (x,))


def test_getitem_double_backward():
    x = tg.tensor(values((3, 4), 3), requires_grad=True)
    xt = torch.tensor(values((3, 4), 3), requires_grad=True)
    (g,) = tg.autograd.grad((x[[0, 0, 1]] ** 2).sum(), [x], create_graph=True)
    (gt,) = torch.autograd.grad((xt[[0, 0, 1]] ** 2).sum(), [xt], create_graph=True)
    assert_same(g, gt)
    (gg,) = tg.autograd.grad((g ** 2).sum(), [x])
    (ggt,) = torch.autograd.grad((gt ** 2).sum(), [xt])
    assert_same(gg, ggt)


# ---------------------------------------------------------------- index_select
@SETTINGS
@given(shapes(1, 4, 0, 4), st.integers(-4, 3), st.integers(0, 2**16), st.booleans(), st.integers(0, 6))
def test_index_select_matches_torch(shape, dim, seed, noncontig, k):
    dim = dim % len(shape) - len(shape) * (dim < 0)
    n = shape[dim]
    idx = np.random.default_rng(seed).integers(0, n, size=k) if n else np.zeros(0, np.int64)
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    out_a, out_b = tg.index_select(a, dim, tg.tensor(idx, dtype=tg.int64)), torch.index_select(b, dim, torch.tensor(idx, dtype=torch.long))
    assert_same(out_a, out_b)
    assert_same(a.index_select(dim, tg.tensor(idx, dtype=tg.int64)), out_b)
    check_grads(out_a, out_b, [(a0, b0)], seed)


def test_index_select_rows_fast_path_and_dtypes():
    rng = np.random.default_rng(0)
    big = rng.standard_normal((5000, 17)).astype(np.float32)
    idx = rng.integers(0, 5000, size=4000)
    assert_same(tg.index_select(tg.tensor(big), 0, tg.tensor(idx)), torch.index_select(torch.tensor(big), 0, torch.tensor(idx)))
    for arr in [np.arange(6).reshape(3, 2), np.arange(6).reshape(3, 2) % 2 == 0]:
        a, b = pair(arr)
        assert_same(a.index_select(0, tg.tensor([2, 0])), b.index_select(0, torch.tensor([2, 0])))
    assert gradcheck(lambda x: x.index_select(1, tg.tensor([1, 1, 0])), (tg.tensor(values((2, 3), 4), requires_grad=True),))
    # rows of a strided view are still contiguous: the row copy takes them with the view's row stride
    a, b = tg.tensor(big)[1::3], torch.tensor(big)[1::3]
    assert_same(a.index_select(0, tg.tensor(idx % 1666)), b.index_select(0, torch.tensor(idx % 1666)))


def test_index_select_errors():
    x = tg.zeros(3, 2)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, tg.tensor([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(0, tg.tensor([0.0]))
    with pytest.raises(IndexError, match="index 3 is out of range for dimension 0 with size 3"):
        x.index_select(0, tg.tensor([3]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.index_select(2, tg.tensor([0]))


# ---------------------------------------------------------------- gather / scatter / scatter_add
@st.composite
def gather_case(draw):
    shape = draw(shapes(1, 3, 1, 4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    d = dim % len(shape)
    ishape = tuple(int(rng.integers(0, s + 1)) if i != d else int(rng.integers(0, s + 2)) for i, s in enumerate(shape))
    # unique positions along dim (so scatter is deterministic): a permutation per line, cut short
    index = np.argsort(rng.random(ishape[:d] + (shape[d],) + ishape[d + 1:]), axis=d)
    index = np.take(index, np.arange(min(ishape[d], shape[d])), axis=d)
    return shape, dim, index, seed, draw(st.booleans())


@SETTINGS
@given(gather_case())
def test_gather_matches_torch(case):
    shape, dim, index, seed, noncontig = case
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    out_a, out_b = tg.gather(a, dim, tg.tensor(index, dtype=tg.int64)), torch.gather(b, dim, torch.tensor(index, dtype=torch.long))
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0)], seed)


@SETTINGS
@given(gather_case(), st.booleans())
def test_scatter_and_scatter_add_match_torch(case, add):
    shape, dim, index, seed, noncontig = case
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    (sa, sb), _ = leaf(values(index.shape, seed + 1))
    ia, ib = tg.tensor(index, dtype=tg.int64), torch.tensor(index, dtype=torch.long)
    if add:
        out_a, out_b = tg.scatter_add(a, dim, ia, sa), torch.scatter_add(b, dim, ib, sb)
    else:
        out_a, out_b = a.scatter(dim, ia, sa), b.scatter(dim, ib, sb)
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0), (sa, sb)], seed)
    assert_same(a.detach().scatter(dim, ia, value=2.5), b.detach().scatter(dim, ib, value=2.5))


def test_scatter_add_duplicates_inplace_and_gradcheck():
    x, xt = pair(np.zeros((2, 4)))
    idx = [[0, 0, 3], [1, 1, 1]]
    src = np.arange(6.0).reshape(2, 3)
    x.scatter_add_(1, tg.tensor(idx), tg.tensor(src))
    xt.scatter_add_(1, torch.tensor(idx), torch.tensor(src))
    assert_same(x, xt)
    x.scatter_(1, tg.tensor([[2], [0]]), tg.tensor([[9.0], [8.0]], dtype=tg.float64))
    xt.scatter_(1, torch.tensor([[2], [0]]), torch.tensor([[9.0], [8.0]], dtype=torch.float64))
    assert_same(x, xt)
    inp = tg.tensor(values((3, 4), 5), requires_grad=True)
    s = tg.tensor(values((3, 2), 6), requires_grad=True)
    i = tg.tensor([[0, 3], [1, 1], [2, 0]])
    assert gradcheck(lambda inp, s: tg.scatter_add(inp, 1, i, s), (inp, s))
    assert gradcheck(lambda inp: tg.gather(inp, 1, i), (inp,))
    assert gradcheck(lambda inp, s: tg.scatter(inp, 1, tg.tensor([[0, 3], [1, 2], [2, 0]]), s), (inp, s))


def test_gather_scatter_errors():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="index 7 is out of bounds for dimension 1 with size 3"):
        tg.gather(x, 1, tg.tensor([[7]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tg.gather(x, 1, tg.tensor([0]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        tg.gather(x, 1, tg.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        tg.gather(x, 1, tg.zeros(3, 1, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        tg.scatter(x, 0, tg.tensor([[0]]), tg.ones(1, 1, dtype=tg.int64))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.gather(x, 2, tg.tensor([[0]]))


# ---------------------------------------------------------------- masked ops, take_along_dim, nonzero
@SETTINGS
@given(shapes(0, 3, 0, 4), st.integers(0, 2**16), st.booleans())
def test_masked_fill_select_match_torch(shape, seed, trailing_mask):
    rng = np.random.default_rng(seed)
    mshape = shape[len(shape) // 2:] if trailing_mask else shape
    mask = rng.random(mshape) < 0.5
    (a0, b0), (a, b) = leaf(values(shape, seed))
    ma, mb = tg.tensor(mask), torch.tensor(mask)
    out_a, out_b = a.masked_fill(ma, -2.0), b.masked_fill(mb, -2.0)
    assert_same(out_a, out_b)
    sel_a, sel_b = tg.masked_select(a, ma), torch.masked_select(b, mb)
    assert_same(sel_a, sel_b)
    check_grads((out_a, sel_a), (out_b, sel_b), [(a0, b0)], seed)
    ca, cb = a.detach().clone(), b.detach().clone()
    ca.masked_fill_(ma, tg.tensor(3.0))
    cb.masked_fill_(mb, torch.tensor(3.0))
    assert_same(ca, cb)


def test_masked_fill_errors_and_value_grad():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(tg.ones(3, dtype=tg.int64), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(tg.ones(3, dtype=tg.bool), tg.ones(2))
    with pytest.raises(RuntimeError, match="must match the size"):
        x.masked_fill(tg.ones(4, dtype=tg.bool), 1.0)
    v = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    m = tg.tensor([[True, False, True], [False, False, True]])
    assert gradcheck(lambda x, v: x.masked_fill(m, v), (tg.tensor(values((2, 3), 0), requires_grad=True), v))
    ints, ints_t = pair(np.arange(6).reshape(2, 3))
    assert_same(ints.masked_fill(m, 2.7), ints_t.masked_fill(torch.tensor(m.numpy()), 2.7))


@SETTINGS
@given(shapes(1, 3, 1, 4), st.integers(0, 2**16), st.booleans())
def test_take_along_dim_matches_torch(shape, seed, with_dim):
    rng = np.random.default_rng(seed)
    (a0, b0), (a, b) = leaf(values(shape, seed))
    if with_dim:
        dim = int(rng.integers(-len(shape), len(shape)))
        ishape = tuple(1 if rng.random() < 0.3 else s for s in shape)
        ishape = ishape[:dim % len(shape)] + (int(rng.integers(0, 4)),) + ishape[dim % len(shape) + 1:]
        idx = rng.integers(0, shape[dim], size=ishape)
        out_a = tg.take_along_dim(a, tg.tensor(idx, dtype=tg.int64), dim)
        out_b = torch.take_along_dim(b, torch.tensor(idx, dtype=torch.long), dim)
    else:
        idx = rng.integers(0, b.numel(), size=(3,))
        out_a, out_b = a.take_along_dim(tg.tensor(idx)), b.take_along_dim(torch.tensor(idx))
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0)], seed)


@SETTINGS
@given(shapes(0, 4, 0, 4), st.integers(0, 2**16), st.sampled_from([np.float32, np.int64, np.bool_]), st.booleans())
def test_nonzero_and_where_match_torch(shape, seed, dtype, noncontig):
    arr = (np.random.default_rng(seed).integers(0, 3, size=shape) * (np.random.default_rng(seed + 1).random(shape) < 0.5)).astype(dtype)
    a, b = pair(arr, noncontig)
    assert_same(tg.nonzero(a), torch.nonzero(b))
    assert_same(a.nonzero(as_tuple=True), torch.nonzero(b, as_tuple=True))
    if dtype == np.bool_:
        assert_same(tg.where(a), torch.where(b))


def test_nonzero_zero_dim_and_index_put():
    for v in (0.0, 3.0):
        a, b = pair(np.array(v))
        assert_same(tg.nonzero(a), torch.nonzero(b))
        assert_same(tg.nonzero(a, as_tuple=True), torch.nonzero(b, as_tuple=True))
    (a0, b0), _ = leaf(values((3, 2), 0))
    (va, vb), _ = leaf(values((2,), 1))
    ia, ib = (tg.tensor([0, 0]), tg.tensor([1, 1])), (torch.tensor([0, 0]), torch.tensor([1, 1]))
    out_a, out_b = a0.index_put(ia, va, accumulate=True), b0.index_put(ib, vb, accumulate=True)
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [(a0, b0), (va, vb)])

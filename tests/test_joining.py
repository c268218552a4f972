# Tests for joining and shape ops: cat/concat, stack, split, chunk, unbind, repeat/tile, flip, roll,
# movedim, unflatten, narrow, tril/triu, diag (forward and gradients against PyTorch, gradcheck, errors).
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
from tinygrad_ext.autograd import gradcheck
from shape_helpers import assert_same, check_grads, leaf, pair, shapes, values

SETTINGS = settings(max_examples=30, deadline=None)


def dims_of(n):
    return st.integers(-n, n - 1)


# ---------------------------------------------------------------- cat / stack
@SETTINGS
@given(shapes(1, 4, 0, 3), st.integers(1, 3), st.integers(-4, 3), st.integers(0, 2**16), st.booleans())
def test_cat_matches_torch(shape, count, dim, seed, noncontig):
    dim = dim % len(shape) - len(shape) * (dim < 0)
    rng = np.random.default_rng(seed)
    leaves, ins_tg, ins_torch = [], [], []
    for i in range(count):
        s = list(shape)
        s[dim] = int(rng.integers(0, 4))
        (a0, b0), (a, b) = leaf(values(tuple(s), seed + i), noncontig)
        leaves.append((a0, b0))
        ins_tg.append(a)
        ins_torch.append(b)
    out_a, out_b = tg.cat(ins_tg, dim), torch.cat(ins_torch, dim)
    assert_same(out_a, out_b)
    assert_same(tg.concat(tuple(ins_tg), dim=dim), torch.concat(tuple(ins_torch), dim=dim))
    check_grads(out_a, out_b, leaves, seed)


@SETTINGS
@given(shapes(0, 3, 0, 3), st.integers(1, 3), st.integers(-4, 3), st.integers(0, 2**16), st.booleans())
def test_stack_matches_torch(shape, count, dim, seed, noncontig):
    n = len(shape) + 1
    dim = dim % n - n * (dim < 0)
    pairs = [leaf(values(shape, seed + i), noncontig) for i in range(count)]
    out_a, out_b = tg.stack([p[1][0] for p in pairs], dim), torch.stack([p[1][1] for p in pairs], dim)
    assert_same(out_a, out_b)
    check_grads(out_a, out_b, [p[0] for p in pairs], seed)


def test_cat_dtypes_legacy_empty_and_gradcheck():
    i, it = pair(np.arange(4).reshape(2, 2))
    f, ft = pair(np.ones((1, 2), np.float32))
    b, bt = pair(np.ones((1, 2), np.bool_))
    assert_same(tg.cat([i, f]), torch.cat([it, ft]))
    assert_same(tg.cat([b, i]), torch.cat([bt, it]))
    e, et = pair(np.zeros(0, np.float32))
    assert_same(tg.cat([f, e, f], 0), torch.cat([ft, et, ft], 0))
    assert_same(tg.cat([e, e]), torch.cat([et, et]))
    x = tg.tensor(values((2, 3), 0), requires_grad=True)
    y = tg.tensor(values((2, 1), 1), requires_grad=True)
    assert gradcheck(lambda x, y: tg.cat([x, y, x], 1), (x, y))
    assert gradcheck(lambda x: tg.stack([x, x * 2], -1), (x,))


def test_cat_stack_errors():
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        tg.cat([])
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        tg.cat([tg.zeros(2, 3), tg.zeros(3)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1"):
        tg.cat([tg.zeros(2, 3), tg.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 0\\) cannot be concatenated"):
        tg.cat([tg.tensor(1.0)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.cat([tg.zeros(2, 3)], 2)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size, but got \\[2\\] at entry 0 and \\[3\\] at entry 1"):
        tg.stack([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(TypeError):
        tg.cat(tg.zeros(2))


# ---------------------------------------------------------------- split / chunk / unbind
@SETTINGS
@given(shapes(1, 3, 0, 5), st.integers(-3, 2), st.integers(1, 4), st.integers(0, 2**16), st.booleans())
def test_split_chunk_unbind_match_torch(shape, dim, k, seed, noncontig):
    dim = dim % len(shape) - len(shape) * (dim < 0)
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, shape[dim] + 1, size=2))
    sizes = [int(cuts[0]), int(cuts[1] - cuts[0]), int(shape[dim] - cuts[1])]
    results = [
        (tg.split(a, k, dim), torch.split(b, k, dim)),
        (a.split(sizes, dim), b.split(sizes, dim)),
        (tg.chunk(a, k, dim), torch.chunk(b, k, dim)),
        (a.unbind(dim), b.unbind(dim)),
    ]
    for out_a, out_b in results:
        assert isinstance(out_a, tuple)
        assert_same(out_a, out_b)
    check_grads(results[1][0] + results[3][0], results[1][1] + results[3][1], [(a0, b0)], seed)


def test_split_errors():
    x = tg.zeros(3, 2)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 3"):
        tg.split(x, [1, 1])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        x.chunk(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.unbind(2)


# ---------------------------------------------------------------- repeat / tile / flip / roll
@SETTINGS
@given(shapes(0, 3, 0, 3), st.lists(st.integers(0, 3), min_size=1, max_size=4), st.integers(0, 2**16), st.booleans())
def test_repeat_tile_match_torch(shape, reps, seed, noncontig):
    reps = [1] * max(0, len(shape) - len(reps)) + reps
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    out_a, out_b = a.repeat(*reps), b.repeat(*reps)
    assert_same(out_a, out_b)
    assert_same(a.repeat(tuple(reps)), b.repeat(tuple(reps)))
    assert_same(tg.tile(a, (2,)), torch.tile(b, (2,)))
    check_grads(out_a, out_b, [(a0, b0)], seed)


@SETTINGS
@given(shapes(1, 4, 0, 4), st.integers(0, 2**16), st.booleans())
def test_flip_roll_match_torch(shape, seed, noncontig):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    dims = [int(d) - nd * int(rng.random() < 0.5) for d in rng.permutation(nd)[: int(rng.integers(0, nd + 1))]]
    shifts = [int(s) for s in rng.integers(-6, 7, size=len(dims))]
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    f_a, f_b = tg.flip(a, dims), torch.flip(b, dims)
    assert_same(f_a, f_b)
    assert_same(a.flip(*dims), b.flip(*dims)) if dims else None
    if dims:
        r_a, r_b = tg.roll(a, shifts, dims), torch.roll(b, shifts, dims)
    else:  # torch requires shifts; without dims the flattened tensor is rolled
        r_a, r_b = tg.roll(a, 2), torch.roll(b, 2)
    assert_same(r_a, r_b)
    r2_a, r2_b = a.roll(shifts[0] if shifts else 3), b.roll(shifts[0] if shifts else 3)
    assert_same(r2_a, r2_b)
    check_grads((f_a, r_a, r2_a), (f_b, r_b, r2_b), [(a0, b0)], seed)


def test_flip_roll_repeat_gradcheck_and_errors():
    x = tg.tensor(values((2, 3), 0), requires_grad=True)
    assert gradcheck(lambda x: x.flip(0, 1), (x,))
    assert gradcheck(lambda x: x.roll((1, -1), (0, 1)), (x,))
    assert gradcheck(lambda x: x.repeat(2, 1, 2), (x,))
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        tg.roll(x, (1, 2), (0,))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        tg.flip(x, (0, 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.flip(x, (2,))


# ---------------------------------------------------------------- movedim / unflatten / narrow
@SETTINGS
@given(shapes(1, 4, 1, 3), st.integers(0, 2**16))
def test_movedim_unflatten_narrow_match_torch(shape, seed):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    k = int(rng.integers(1, nd + 1))
    src = [int(d) for d in rng.permutation(nd)[:k]]
    dst = [int(d) - nd * int(rng.random() < 0.5) for d in rng.permutation(nd)[:k]]
    (a0, b0), (a, b) = leaf(values(shape, seed))
    m_a, m_b = tg.movedim(a, src, dst), torch.movedim(b, src, dst)
    assert_same(m_a, m_b)
    assert_same(a.moveaxis(src[0], dst[0]), b.moveaxis(src[0], dst[0]))
    d = int(rng.integers(-nd, nd))
    u_a, u_b = a.unflatten(d, (1, shape[d], 1)), b.unflatten(d, (1, shape[d], 1))
    assert_same(u_a, u_b)
    assert_same(tg.unflatten(a, d, (-1, 1)), torch.unflatten(b, d, (-1, 1)))
    start = int(rng.integers(-shape[d], shape[d] + 1))
    length = int(rng.integers(0, shape[d] - (start % shape[d] if start < 0 else start) + 1))
    n_a, n_b = tg.narrow(a, d, start, length), torch.narrow(b, d, start, length)
    assert_same(n_a, n_b)
    check_grads((m_a, u_a, n_a), (m_b, u_b, n_b), [(a0, b0)], seed)


def test_movedim_unflatten_narrow_errors():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="should contain the same number of dims as destination"):
        tg.movedim(x, (0, 1), (1,))
    with pytest.raises(RuntimeError, match="repeated dim in `source`"):
        tg.movedim(x, (0, 0), (0, 1))
    with pytest.raises(RuntimeError, match="unflatten: Provided sizes \\[2, 2\\] don't multiply up to the size of dim 1 \\(3\\)"):
        x.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match="out of bounds"):
        tg.narrow(x, 0, 5, 0)


# ---------------------------------------------------------------- tril / triu / diag
@SETTINGS
@given(shapes(2, 4, 0, 4), st.integers(-4, 4), st.integers(0, 2**16), st.booleans())
def test_tril_triu_match_torch(shape, k, seed, noncontig):
    (a0, b0), (a, b) = leaf(values(shape, seed), noncontig)
    lo_a, lo_b = tg.tril(a, k), torch.tril(b, k)
    up_a, up_b = a.triu(diagonal=k), b.triu(diagonal=k)
    assert_same(lo_a, lo_b)
    assert_same(up_a, up_b)
    check_grads((lo_a, up_a), (lo_b, up_b), [(a0, b0)], seed)
    ca, cb = a.detach().clone(), b.detach().clone()
    assert_same(ca.tril_(k), cb.tril_(k))
    assert_same(ca.triu_(-k), cb.triu_(-k))


@SETTINGS
@given(st.integers(0, 4), st.integers(0, 4), st.integers(-5, 5), st.integers(0, 2**16), st.booleans())
def test_diag_matches_torch(r, c, k, seed, noncontig):
    (a0, b0), (a, b) = leaf(values((r, c), seed), noncontig)
    d_a, d_b = tg.diag(a, k), torch.diag(b, k)
    assert_same(d_a, d_b)
    (v0, w0), _ = leaf(values((r,), seed + 1))
    e_a, e_b = v0.diag(k), w0.diag(k)
    assert_same(e_a, e_b)
    check_grads((d_a, e_a), (d_b, e_b), [(a0, b0), (v0, w0)], seed)


def test_tril_diag_gradcheck_and_errors():
    x = tg.tensor(values((3, 4), 0), requires_grad=True)
    v = tg.tensor(values((3,), 1), requires_grad=True)
    assert gradcheck(lambda x: tg.tril(x, -1) + tg.triu(x, 2), (x,))
    assert gradcheck(lambda x: tg.diag(x, 1), (x,))
    assert gradcheck(lambda v: tg.diag(v, -2), (v,))
    # double backward through diag
    (g,) = tg.autograd.grad((tg.diag(x) ** 2).sum(), [x], create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), [x])
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    (gt,) = torch.autograd.grad((torch.diag(xt) ** 2).sum(), [xt], create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), [xt])
    assert_same(gg, ggt)
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        tg.tril(tg.ones(3))
    with pytest.raises(RuntimeError, match="diag\\(\\): Supports 1D or 2D tensors. Got 3D"):
        tg.diag(tg.ones(2, 2, 2))


def test_zero_dim_inputs():
    s, st_ = pair(np.array(3.0))
    assert_same(tg.stack([s, s]), torch.stack([st_, st_]))
    assert_same(s.repeat(2, 3), st_.repeat(2, 3))
    assert_same(tg.flip(s, ()), torch.flip(st_, ()))
    assert_same(tg.movedim(s, (), ()), torch.movedim(st_, (), ()))
    with pytest.raises(RuntimeError):
        tg.split(s, 1)

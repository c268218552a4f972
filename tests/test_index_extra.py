"""Reducing scatters, the index_* family, take/put, masked_scatter and repeat_interleave against torch:
values, dtypes and gradients (duplicate indices, non-contiguous inputs), float64 gradcheck, in-place
forms and errors for bad indices."""
import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from helpers import Input, TG_OF_TORCH, assert_tensor_matches, compare, gradcheck_inputs

RNG = np.random.default_rng(0)
DUP_INDEX = np.array([0, 2, 0, 3, 2], dtype=np.int64)  # positions along dim 0 of a 4-row self


def lib_index(lib, array):
    return lib.tensor(array)


@pytest.mark.parametrize("layout", ["contig", "T"])
def test_index_add_duplicates_alpha(layout):
    x, src = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))
    compare(lambda a, s: tg.index_add(a, 0, lib_index(tg, DUP_INDEX), s, alpha=2.5),
            lambda a, s: torch.index_add(a, 0, lib_index(torch, DUP_INDEX), s, alpha=2.5),
            Input(x, layout=layout), Input(src, layout=layout))
    gradcheck_inputs(lambda a, s: tg.index_add(a, 0, tg.tensor(DUP_INDEX), s), Input(x, layout=layout), src)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_copy_and_fill(dim):
    x = RNG.standard_normal((3, 4))
    idx = np.array([2, 0], dtype=np.int64)
    src_shape = (2, 4) if dim == 0 else (3, 2)
    src = RNG.standard_normal(src_shape)
    compare(lambda a, s: a.index_copy(dim, tg.tensor(idx), s), lambda a, s: a.index_copy(dim, torch.tensor(idx), s),
            Input(x, layout="T"), src)
    fill_idx = np.array([-1, 0], dtype=np.int64)  # index_fill wraps negative indices
    compare(lambda a: a.index_fill(dim, tg.tensor(fill_idx), -3.0),
            lambda a: a.index_fill(dim, torch.tensor(fill_idx), -3.0), x)
    value = np.array(1.5)  # a 0-d tensor value gets a gradient (torch's path for it takes no negative index)
    compare(lambda a, v: tg.index_fill(a, dim, tg.tensor(fill_idx + 1), v),
            lambda a, v: torch.index_fill(a, dim, torch.tensor(fill_idx + 1), v), x, value)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    x, src = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))
    compare(lambda a, s: a.index_reduce(0, tg.tensor(DUP_INDEX), s, reduce, include_self=include_self),
            lambda a, s: a.index_reduce(0, torch.tensor(DUP_INDEX), s, reduce, include_self=include_self),
            Input(x, layout="T"), src)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_grads(reduce, include_self):
    x, src = RNG.standard_normal((3, 5)), RNG.standard_normal((4, 5))
    src[1, 2] = 0.0  # a single zero factor (prod's special case)
    index = RNG.integers(0, 3, (4, 5))
    compare(lambda a, s: a.scatter_reduce(0, tg.tensor(index), s, reduce, include_self=include_self),
            lambda a, s: a.scatter_reduce(0, torch.tensor(index), s, reduce, include_self=include_self),
            x, Input(src, layout="step"))
    # an index smaller than src scatters src's leading part (torch has no gradient for src then)
    compare(lambda a, s: a.scatter_reduce(0, tg.tensor(index[:3, :4]), s, reduce, include_self=include_self),
            lambda a, s: a.scatter_reduce(0, torch.tensor(index[:3, :4]), s, reduce, include_self=include_self),
            x, src, check_grad=False)
    gradcheck_inputs(lambda a, s: tg.scatter_reduce(a, 0, tg.tensor(index), s, reduce, include_self=include_self),
                     x, src)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.uint8, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_dtypes(dtype, reduce):
    x = torch.randint(1, 5, (3, 4)).to(dtype)
    src = torch.randint(1, 5, (5, 4)).to(dtype)
    index = torch.randint(0, 3, (5, 4))
    ours = tg.tensor(x.float().numpy()).to(TG_OF_TORCH[dtype]).scatter_reduce(
        0, tg.tensor(index.numpy()), tg.tensor(src.float().numpy()).to(TG_OF_TORCH[dtype]), reduce, include_self=False)
    theirs = x.scatter_reduce(0, index, src, reduce, include_self=False)
    assert ours.dtype == TG_OF_TORCH[dtype]
    assert_tensor_matches(ours.to(tg.float32), theirs.float(), reduce)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_legacy_reduce(reduce):
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    index = RNG.integers(0, 3, (3, 4))
    compare(lambda a, s: a.scatter(0, tg.tensor(index), s, reduce=reduce),
            lambda a, s: a.scatter(0, torch.tensor(index), s, reduce=reduce), x, src, check_grad=False)
    compare(lambda a: tg.scatter(a, 1, tg.tensor(index), 2.0, reduce=reduce),
            lambda a: torch.scatter(a, 1, torch.tensor(index), 2.0, reduce=reduce), x, check_grad=False)


def test_take_and_put():
    x = RNG.standard_normal((3, 4))
    idx = np.array([[0, -1], [11, 5]], dtype=np.int64)
    compare(lambda a: tg.take(a, tg.tensor(idx)), lambda a: torch.take(a, torch.tensor(idx)), Input(x, layout="T"))
    vals = RNG.standard_normal((2, 2))
    dup = np.array([[1, 1], [-1, 3]], dtype=np.int64)
    compare(lambda a, v: a.put(tg.tensor(dup), v, accumulate=True),
            lambda a, v: a.put(torch.tensor(dup), v, accumulate=True), Input(x, layout="T"), vals)
    gradcheck_inputs(lambda a, v: tg.put(a, tg.tensor(idx[::-1].copy() % 7), v), x, vals)
    for op in (lambda lib, a: lib.take(a, lib.tensor([12])), lambda lib, a: a.put(lib.tensor([-13]), lib.ones(1, dtype=a.dtype))):
        with pytest.raises(IndexError, match="out of range"):
            op(torch, torch.tensor(x))
        with pytest.raises(IndexError, match="out of range"):
            op(tg, tg.tensor(x))


def test_masked_scatter():
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 4))
    mask = RNG.random((1, 4)) > 0.4  # broadcast along rows
    compare(lambda a, s: a.masked_scatter(tg.tensor(mask), s), lambda a, s: a.masked_scatter(torch.tensor(mask), s),
            Input(x, layout="T"), src)
    with pytest.raises(RuntimeError, match="boolean masks"):
        tg.tensor(x).masked_scatter(tg.tensor(mask.astype(np.int64)), tg.tensor(src))


def test_repeat_interleave_forms():
    x = RNG.standard_normal((3, 2))
    reps = np.array([2, 0, 3], dtype=np.int64)
    compare(lambda a: a.repeat_interleave(tg.tensor(reps), dim=0, output_size=5),
            lambda a: a.repeat_interleave(torch.tensor(reps), dim=0, output_size=5), Input(x, layout="T"))
    compare(lambda a: tg.repeat_interleave(a, 2), lambda a: torch.repeat_interleave(a, 2), x)
    compare(lambda a: tg.repeat_interleave(a, 3, dim=-1), lambda a: torch.repeat_interleave(a, 3, dim=-1), x)
    assert_tensor_matches(tg.repeat_interleave(tg.tensor(reps)), torch.repeat_interleave(torch.tensor(reps)))
    with pytest.raises(RuntimeError, match="negative"):
        tg.repeat_interleave(tg.tensor(x), tg.tensor([1, -1, 2]), dim=0)


def test_inplace_forms_write_into_self():
    idx = tg.tensor(DUP_INDEX)
    a = tg.zeros(4, 2)
    assert a.index_add_(0, idx, tg.ones(5, 2)) is a
    assert_tensor_matches(a, torch.zeros(4, 2).index_add_(0, torch.tensor(DUP_INDEX), torch.ones(5, 2)))
    b = tg.ones(4, 2)
    b.scatter_reduce_(0, tg.tensor([[0, 1], [0, 1]]), tg.full((2, 2), 3.0), "prod")
    assert_tensor_matches(b, torch.ones(4, 2).scatter_reduce_(0, torch.tensor([[0, 1], [0, 1]]), torch.full((2, 2), 3.0), "prod"))
    c = tg.zeros(2, 3)
    c.index_fill_(1, tg.tensor([0, 2]), 7)
    c.masked_scatter_(tg.tensor([[True, False, False], [False, True, False]]), tg.tensor([5.0, 6.0]))
    assert c.tolist() == [[5.0, 0.0, 7.0], [7.0, 6.0, 7.0]]


@pytest.mark.parametrize("dtype", [torch.int16, torch.float16, torch.bfloat16, torch.uint8])
def test_two_byte_and_small_dtypes_in_advanced_indexing(dtype):
    # a 2-byte element used to be copied as 8 bytes (wrong values, writes past the end)
    x = torch.arange(24).reshape(4, 6).to(dtype)
    ours = tg.arange(24).reshape(4, 6).to(TG_OF_TORCH[dtype])
    idx = [3, 0, 2]
    ones = tg.ones(2, 6).to(TG_OF_TORCH[dtype])

    def same(a, b):
        assert a.dtype == TG_OF_TORCH[b.dtype]
        assert_tensor_matches(a.to(tg.float64), b.double())

    same(ours[tg.tensor(idx)], x[torch.tensor(idx)])
    same(ours.index_select(1, tg.tensor(idx)), x.index_select(1, torch.tensor(idx)))
    assert_tensor_matches(ours.nonzero(), x.nonzero())
    same(ours.scatter_add(0, tg.tensor([[1] * 6, [1] * 6]), ones),
         x.scatter_add(0, torch.tensor([[1] * 6, [1] * 6]), torch.ones(2, 6).to(dtype)))
    same(ours.index_put((tg.tensor([0, 0]),), ones[0], accumulate=True),
         x.index_put((torch.tensor([0, 0]),), torch.ones(6).to(dtype), accumulate=True))


@pytest.mark.parametrize("op, error", [
    (lambda lib, x: x.index_add(0, lib.tensor([4]), lib.ones(1, 3)), RuntimeError),
    (lambda lib, x: x.index_add(0, lib.tensor([-1]), lib.ones(1, 3)), RuntimeError),
    (lambda lib, x: x.index_copy(0, lib.tensor([4]), lib.ones(1, 3)), IndexError),
    (lambda lib, x: x.index_fill(0, lib.tensor([-5]), 1.0), IndexError),
    (lambda lib, x: x.index_reduce(0, lib.tensor([4]), lib.ones(1, 3), "amax"), IndexError),
    (lambda lib, x: x.scatter_reduce(0, lib.tensor([[4]]), lib.ones(1, 3), "sum"), RuntimeError),
    (lambda lib, x: x.scatter_reduce(0, lib.tensor([[0]]), lib.ones(1, 3), "maximum"), RuntimeError),
    (lambda lib, x: x.index_add(0, lib.tensor([0, 1]), lib.ones(3, 3)), RuntimeError),
    (lambda lib, x: x.index_add(0, lib.tensor([0.0]), lib.ones(1, 3)), RuntimeError),
])
def test_bad_indices_raise_as_torch(op, error):
    x = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(error):
        op(torch, torch.tensor(x))
    with pytest.raises(error):
        op(tg, tg.tensor(x))


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_and_unique_consecutive(dim):
    x = np.array([[3, 1, 3], [1, 1, 2], [3, 1, 3], [3, 1, 3]], dtype=np.int64)
    for fn in ("unique", "unique_consecutive"):
        ours = getattr(tg, fn)(tg.tensor(x), return_inverse=True, return_counts=True, dim=dim)
        theirs = getattr(torch, fn)(torch.tensor(x), return_inverse=True, return_counts=True, dim=dim)
        for a, b in zip(ours, theirs):
            assert_tensor_matches(a, b, fn)
    f = np.array([2.0, np.nan, -1.0, 2.0, np.nan], dtype=np.float32)  # NaNs are never equal
    assert_tensor_matches(tg.tensor(f).unique(return_counts=True)[1], torch.tensor(f).unique(return_counts=True)[1])
    assert_tensor_matches(tg.tensor(f).unique(), torch.tensor(f).unique())


def test_isin_argwhere_nonzero_static_msort():
    x = RNG.integers(0, 6, (4, 5))
    test = np.array([1, 4, 4], dtype=np.int64)
    assert_tensor_matches(tg.isin(tg.tensor(x), tg.tensor(test)), torch.isin(torch.tensor(x), torch.tensor(test)))
    assert_tensor_matches(tg.isin(tg.tensor(x), 3, invert=True), torch.isin(torch.tensor(x), 3, invert=True))
    assert_tensor_matches(tg.argwhere(tg.tensor(x)), torch.argwhere(torch.tensor(x)))
    for size in (0, 3, 30):
        assert_tensor_matches(tg.nonzero_static(tg.tensor(x), size=size, fill_value=-7),
                              torch.nonzero_static(torch.tensor(x), size=size, fill_value=-7))
    compare(tg.msort, torch.msort, Input(RNG.standard_normal((4, 3)), layout="T"))


@pytest.mark.parametrize("dim, size, step", [(0, 2, 1), (1, 3, 2), (-1, 1, 3)])
def test_unfold_is_a_view_with_gradients(dim, size, step):
    x = RNG.standard_normal((4, 5))
    compare(lambda a: a.unfold(dim, size, step), lambda a: a.unfold(dim, size, step), Input(x, layout="T"))
    gradcheck_inputs(lambda a: a.unfold(dim, size, step) * 2, Input(x, layout="T"))
    base = tg.zeros(4, 5)
    base.unfold(dim, size, step).fill_(1.0)  # writes through to base
    ref = torch.zeros(4, 5)
    ref.unfold(dim, size, step).fill_(1.0)
    assert_tensor_matches(base, ref)


def test_as_strided_family():
    x = RNG.standard_normal((3, 4))
    args = ((2, 2), (1, 3), 1)
    compare(lambda a: a.as_strided(*args), lambda a: a.as_strided(*args), x)
    compare(lambda a: tg.as_strided_copy(a, *args), lambda a: torch.as_strided_copy(a, *args), x)
    src = RNG.standard_normal((2, 2))
    # torch's own gradient of as_strided_scatter for self is wrong (g at the scattered places): check
    # the values against torch and the gradients numerically
    compare(lambda a, s: tg.as_strided_scatter(a, s, *args), lambda a, s: torch.as_strided_scatter(a, s, *args), x, src,
            check_grad=False)
    gradcheck_inputs(lambda a, s: a.as_strided_scatter(s, *args), x, src)
    gradcheck_inputs(lambda a: tg.as_strided(a, (3, 2), (2, 1), 2), x)
    with pytest.raises(RuntimeError):
        tg.tensor(x).as_strided((4, 4), (4, 1))


def test_view_scatters():
    x = RNG.standard_normal((3, 4, 5))
    cases = [
        ("select_scatter", (RNG.standard_normal((3, 5)),), dict(dim=1, index=-1)),
        ("slice_scatter", (RNG.standard_normal((3, 2, 5)),), dict(dim=1, start=1, end=None, step=2)),
        ("diagonal_scatter", (RNG.standard_normal((5, 3)),), dict(offset=-1, dim1=1, dim2=0)),
    ]
    for name, (src,), kw in cases:
        compare(lambda a, s: getattr(tg, name)(a, s, **kw), lambda a, s: getattr(torch, name)(a, s, **kw),
                Input(x, layout="T"), src)
        gradcheck_inputs(lambda a, s: getattr(a, name)(s, **kw), x, src)
    with pytest.raises(RuntimeError, match="size"):
        tg.select_scatter(tg.tensor(x), tg.zeros(2, 2), 0, 0)

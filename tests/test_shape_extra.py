# Shape/view and creation ops of cpp/src/ops/shape_extra.cpp and python/tinygrad_ext/_shape_extra.py:
# values and gradients against torch (non-contiguous inputs too), float64 gradcheck, storage
# sharing of the views, the in-place view ops' versions and histories, and torch's errors.
import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from helpers import Input, TG_OF_TORCH, assert_tensor_matches, compare, gradcheck_inputs

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape)


LAYOUTS = ["contig", "T", "step"]


# ---------------------------------------------------------------- diagonals
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("offset,dim1,dim2", [(0, 0, 1), (1, 0, 1), (-2, 1, 0), (2, -1, 0), (0, 0, 2), (-1, 2, 1), (9, 0, 1)])
def test_diagonal_matches_torch(layout, offset, dim1, dim2):
    x = Input(arr(4, 5, 3), layout=layout)
    compare(lambda t: tg.diagonal(t, offset, dim1, dim2), lambda t: torch.diagonal(t, offset, dim1, dim2), x)
    compare(lambda t: t.diagonal(offset=offset, dim1=dim1, dim2=dim2) * 2,
            lambda t: t.diagonal(offset=offset, dim1=dim1, dim2=dim2) * 2, x)
    gradcheck_inputs(lambda t: tg.diagonal(t, offset, dim1, dim2), x)


def test_diagonal_is_a_view_of_its_input():
    x = tg.arange(12.).reshape(3, 4).clone()
    d = x.diagonal(1)
    assert d._base is x and d.stride() == (5,)
    d.mul_(10)  # writes through to x, bumping the shared version
    assert x.tolist() == [[0, 10, 2, 3], [4, 5, 60, 7], [8, 9, 10, 110]]
    assert x._version == d._version == 1


def test_diagonal_and_diag_embed_second_derivatives():
    a, w = arr(3, 4), arr(3, 4)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.diag_embed(lib.diagonal(x, -1) ** 3, 1)
        (g,) = lib.autograd.grad(y.sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.tensor(w)).sum(), [x])
        results.append(gg.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.parametrize("offset,dim1,dim2", [(0, -2, -1), (1, 0, 2), (-2, 2, 0), (0, 1, -1)])
def test_diag_embed_diagflat_trace(offset, dim1, dim2):
    x = Input(arr(2, 3), layout="T")
    compare(lambda t: tg.diag_embed(t, offset, dim1, dim2), lambda t: torch.diag_embed(t, offset, dim1, dim2), x)
    gradcheck_inputs(lambda t: tg.diag_embed(t, offset, dim1, dim2), x)
    compare(lambda t: tg.diagflat(t, offset), lambda t: torch.diagflat(t, offset), x)
    compare(lambda t: tg.trace(t), lambda t: torch.trace(t), Input(arr(3, 5), layout="step"))
    compare(lambda t: tg.linalg.diagonal(t, offset=offset), lambda t: torch.linalg.diagonal(t, offset=offset), x)


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int32, torch.int64, torch.float16, torch.bfloat16])
def test_diagonal_ops_every_dtype(dtype):
    t = (torch.arange(24).reshape(2, 3, 4) % 3).to(dtype)
    g = tg.tensor(t.float().numpy()).to(TG_OF_TORCH[dtype])

    def same(a, e):  # bfloat16, which numpy lacks, compared as float32 (exact)
        assert a.dtype == TG_OF_TORCH[e.dtype]
        assert_tensor_matches(a.float(), e.float()) if e.dtype == torch.bfloat16 else assert_tensor_matches(a, e)
    same(tg.diagonal(g, 1, 1, 2), torch.diagonal(t, 1, 1, 2))
    same(tg.diag_embed(g, -1), torch.diag_embed(t, -1))
    if dtype != torch.bool:  # torch has no bool trace
        same(tg.trace(g[0]), torch.trace(t[0]))


def test_diagonal_errors():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="cannot be identical"):
        tg.diagonal(x, 0, 1, -1)
    with pytest.raises(IndexError):
        tg.diagonal(x, 0, 0, 2)
    with pytest.raises(RuntimeError):
        tg.trace(tg.zeros(3))
    with pytest.raises(IndexError):
        tg.diag_embed(tg.tensor(1.0))


# ---------------------------------------------------------------- stacks and splits
def test_atleast_and_stacks():
    a, b, c = tg.tensor(1.5), tg.arange(3.), tg.ones(3, 1)
    ta, tb, tc = torch.tensor(1.5), torch.arange(3.), torch.ones(3, 1)
    for n in (1, 2, 3):
        f, g = getattr(tg, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
        for x, y in ((a, ta), (b, tb), (c, tc)):
            assert_tensor_matches(f(x), g(y))
        assert [tuple(t.shape) for t in f(a, b, c)] == [tuple(t.shape) for t in g(ta, tb, tc)]
    x = Input(arr(3, 4), layout="T")
    y = Input(arr(3, 4))
    for name in ("hstack", "vstack", "dstack", "column_stack", "row_stack"):
        compare(lambda p, q: getattr(tg, name)([p, q]), lambda p, q: getattr(torch, name)([p, q]), x, y)
    compare(lambda p, q: tg.hstack((p[0], q[1])), lambda p, q: torch.hstack((p[0], q[1])), x, y)
    compare(lambda p, q: tg.column_stack((p[:, 0], q)), lambda p, q: torch.column_stack((p[:, 0], q)), x, y)


@pytest.mark.parametrize("sections", [3, 4, [1, 3], [2, 2, 9], (0, -1)])
def test_tensor_split_and_friends(sections):
    x = Input(arr(5, 6, 4), layout="step")
    compare(lambda t: tg.tensor_split(t, sections, 1), lambda t: torch.tensor_split(t, sections, 1), x)
    compare(lambda t: t.tensor_split(tg.tensor(sections), dim=-1), lambda t: t.tensor_split(torch.tensor(sections), dim=-1), x)
    if isinstance(sections, list):
        for name in ("hsplit", "vsplit", "dsplit"):
            compare(lambda t: getattr(tg, name)(t, sections), lambda t: getattr(torch, name)(t, sections), x)
    parts = tg.tensor_split(x.make(tg)[1], sections, 0)
    assert all(p._base is not None for p in parts)  # views of the input
    with pytest.raises(RuntimeError, match="not divisible"):
        tg.hsplit(tg.zeros(2, 5), 2)
    with pytest.raises(RuntimeError):
        tg.vsplit(tg.zeros(4), 2)
    with pytest.raises(RuntimeError):
        tg.tensor_split(tg.tensor(1.0), 2)


def test_split_with_sizes_and_copies():
    x = Input(arr(6, 4), layout="T")
    compare(lambda t: tg.split_with_sizes(t, [2, 4], 0), lambda t: torch.split_with_sizes(t, [2, 4], 0), x)
    compare(lambda t: t.split_with_sizes([1, 3], dim=1), lambda t: t.split_with_sizes([1, 3], dim=1), x)
    compare(lambda t: tg.split_with_sizes_copy(t, [2, 4]), lambda t: torch.split_with_sizes_copy(t, [2, 4]), x)
    compare(lambda t: tg.unbind_copy(t, 1), lambda t: torch.unbind_copy(t, 1), x)


# ---------------------------------------------------------------- flips, rotations, broadcasting
@pytest.mark.parametrize("k,dims", [(1, (0, 1)), (2, (1, 2)), (3, (2, 0)), (-1, (0, 2)), (4, (0, 1)), (5, (1, -1))])
def test_rot90(k, dims):
    x = Input(arr(2, 3, 4), layout="T")
    compare(lambda t: tg.rot90(t, k, dims), lambda t: torch.rot90(t, k, dims), x)
    compare(lambda t: t.rot90(k, dims), lambda t: t.rot90(k, dims), x)
    gradcheck_inputs(lambda t: tg.rot90(t, k, dims), x)


def test_flips_and_errors():
    x = Input(arr(3, 4), layout="step")
    compare(tg.flipud, torch.flipud, x)
    compare(tg.fliplr, torch.fliplr, x)
    compare(lambda t: t.flip(dims=(0, 1)), lambda t: t.flip(dims=(0, 1)), x)
    compare(lambda t: t.flip(1), lambda t: t.flip(1), x)
    with pytest.raises(RuntimeError):
        tg.fliplr(tg.zeros(3))
    with pytest.raises(RuntimeError):
        tg.rot90(tg.zeros(3, 3), 1, (0, 0))
    with pytest.raises(RuntimeError):
        tg.rot90(tg.zeros(3, 3), 1, (0, 1, 2))


def test_broadcasting_and_flattening():
    x, y = Input(arr(3, 1)), Input(arr(1, 4), layout="T")
    compare(lambda t: tg.broadcast_to(t, (2, 3, 4)), lambda t: torch.broadcast_to(t, (2, 3, 4)), x)
    compare(lambda p, q: tg.broadcast_tensors(p, q), lambda p, q: torch.broadcast_tensors(p, q), x, y)
    b = tg.broadcast_to(x.make(tg)[1], (2, 3, 4))
    assert b.stride() == (0, 1, 0)  # a view, not a copy
    z = Input(arr(2, 3, 4), layout="T")
    for size in [(3, 1), (1, 4), (1, 1, 1), (2, 3, 4), ()]:
        compare(lambda t: t.sum_to_size(size), lambda t: t.sum_to_size(size), z)
    compare(tg.ravel, torch.ravel, z)
    with pytest.raises(RuntimeError):
        tg.zeros(2, 3).sum_to_size(4)
    idx = torch.tensor([[0, 5], [23, 11]])
    for shape in [(2, 3, 4), 24, (4, 6)]:
        for a, e in zip(tg.unravel_index(tg.tensor(idx.numpy()), shape), torch.unravel_index(idx, shape)):
            assert_tensor_matches(a, e)
    with pytest.raises(TypeError):
        tg.unravel_index(tg.tensor([1.0]), (2, 2))
    with pytest.raises(ValueError):
        tg.unravel_index(tg.tensor([1]), (2, -2))


# ---------------------------------------------------------------- in-place view ops
@pytest.mark.parametrize("shape,name,args", [((3, 4), "t_", ()), ((1, 3, 4), "transpose_", (0, 2)),
                                              ((1, 3, 4), "swapdims_", (1, 2)), ((1, 3, 1), "squeeze_", ()),
                                              ((1, 3, 1), "squeeze_", ((0, 2),)), ((1, 3, 4), "squeeze_", (0,)),
                                              ((3, 4), "unsqueeze_", (-1,)), ((3, 4), "swapaxes_", (0, 1))])
def test_inplace_view_ops_match_torch(shape, name, args):
    a = arr(*shape)
    results = []
    for lib in (tg, torch):
        leaf = lib.tensor(a, requires_grad=True)
        x = leaf * 1
        assert getattr(x, name)(*args) is x and x._version == 1
        weights = lib.tensor(np.arange(x.numel(), dtype=np.float64).reshape(tuple(x.shape)))
        (x * weights).sum().backward()
        results.append((tuple(x.shape), x.stride(), leaf.grad.numpy().tolist()))
    assert results[0] == results[1]


def test_t_inplace_shares_storage_and_errors():
    x = tg.arange(6.).reshape(2, 3).clone()
    y = x.t()
    assert y.t_() is y and y._base is x and y.shape == (2, 3) and y.stride() == (3, 1)
    assert x._version == 1  # the version counter is shared by the view and its base
    leaf = tg.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.t_()
    with pytest.raises(RuntimeError):
        tg.zeros(2, 3, 4).t_()
    with pytest.raises(IndexError):
        tg.zeros(2, 3).transpose_(0, 2)
    with pytest.raises(RuntimeError, match="multiple times"):
        tg.zeros(1, 2).squeeze_((0, -2))
    with tg.no_grad():
        leaf.unsqueeze_(0)
    assert leaf.shape == (1, 2, 3)


def test_squeeze_multiple_dims():
    x = Input(arr(1, 3, 1, 2), layout="T")
    for dims in [(0, 2), (-2,), (1, 3), (), [0, -1]]:
        compare(lambda t: tg.squeeze(t, dims), lambda t: torch.squeeze(t, dims), x)
        compare(lambda t: t.squeeze(dim=dims), lambda t: t.squeeze(dim=dims), x)


# ---------------------------------------------------------------- *_copy variants
@pytest.mark.parametrize("name,args", [("t_copy", ()), ("transpose_copy", (0, 1)), ("permute_copy", ((1, 0),)),
                                       ("expand_copy", ((2, 3, 4),)), ("view_copy", ((4, 3),)), ("alias_copy", ()),
                                       ("narrow_copy", (1, 1, 2)), ("squeeze_copy", ()), ("unsqueeze_copy", (1,)),
                                       ("diagonal_copy", ())])
def test_copy_variants(name, args):
    x = Input(arr(3, 4))
    out = compare(lambda t: getattr(tg, name)(t, *args), lambda t: getattr(torch, name)(t, *args), x)
    assert out._base is None and out.is_contiguous()


# ---------------------------------------------------------------- resize_ and creation
def test_resize_grows_shared_storage():
    x = tg.arange(6.)
    v = x[2:]
    v.resize_(2, 2)
    assert v.stride() == (2, 1) and v.tolist() == [[2, 3], [4, 5]]
    x.resize_(3, 4)  # larger: the storage grows in place, the view keeps reading it
    x[0, 2] = 7.0
    assert x.shape == (3, 4) and x.view(-1)[:6].tolist() == [0, 1, 7, 3, 4, 5] and v[0, 0].item() == 7.0
    y = tg.zeros(5, dtype=tg.int16)
    assert y.resize_as_(tg.zeros(2, 2)).shape == (2, 2) and y.dtype == tg.int16
    with pytest.raises(RuntimeError, match="require grad"):
        tg.zeros(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError):
        tg.zeros(2).resize_(-1)


def test_creation_ops():
    e = tg.empty_strided((2, 3), (1, 2), dtype=tg.float64)
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype == tg.float64
    assert tg.zeros(2).new_empty_strided((3, 2), (1, 3)).stride() == (1, 3)
    p = tg.empty_permuted((2, 3, 4), (2, 0, 1))
    assert p.shape == torch.empty_permuted((2, 3, 4), (2, 0, 1)).shape
    assert p.stride() == torch.empty_permuted((2, 3, 4), (2, 0, 1)).stride()
    with pytest.raises(RuntimeError):
        tg.empty_strided((2, 3), (1,))
    s = tg.scalar_tensor(3)
    assert s.dtype == tg.float32 and s.shape == () and s.item() == 3.0
    for row, col, off in [(3, 4, 0), (4, 3, 1), (5, 5, -2), (0, 3, 0), (3, 3, 9)]:
        assert_tensor_matches(tg.tril_indices(row, col, off), torch.tril_indices(row, col, off))
        assert_tensor_matches(tg.triu_indices(row, col, off, dtype=tg.int32),
                              torch.triu_indices(row, col, off, dtype=torch.int32))
    with pytest.raises(RuntimeError):
        tg.tril_indices(-1, 2)
    x = tg.tensor([1.0, 2.0])
    assert tg.fill(x, 5).tolist() == [5.0, 5.0] and x.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- grids and combinations
@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_and_cartesian_prod(indexing):
    a, b, c = Input(arr(2)), Input(arr(3), layout="step"), Input(arr(4))
    compare(lambda p, q, r: tg.meshgrid(p, q, r, indexing=indexing),
            lambda p, q, r: torch.meshgrid(p, q, r, indexing=indexing), a, b, c)
    compare(lambda p, q: tg.meshgrid([p, q], indexing=indexing), lambda p, q: torch.meshgrid([p, q], indexing=indexing), a, b)
    compare(lambda p, q: tg.cartesian_prod(p, q), lambda p, q: torch.cartesian_prod(p, q), a, b)
    g = tg.meshgrid(a.make(tg)[1], b.make(tg)[1], indexing=indexing)
    assert 0 in g[0].stride()  # expanded views, not copies
    with pytest.raises(RuntimeError):
        tg.meshgrid(tg.zeros(2, 2), tg.zeros(2))


@pytest.mark.parametrize("r,with_replacement", [(2, False), (3, True), (0, False), (5, False), (1, True)])
def test_combinations(r, with_replacement):
    x = Input(arr(4))
    compare(lambda t: tg.combinations(t, r, with_replacement), lambda t: torch.combinations(t, r, with_replacement), x)


def test_block_diag():
    a, b, c = Input(arr(2, 3), layout="T"), Input(arr(3)), Input(np.array(1.5))
    compare(lambda p, q, s: tg.block_diag(p, q, s), lambda p, q, s: torch.block_diag(p, q, s), a, b, c)
    gradcheck_inputs(lambda p, q: tg.block_diag(p, q), a, b)
    mixed = tg.block_diag(tg.ones(1, 1, dtype=tg.int32), tg.ones(1, 1, dtype=tg.float64))
    assert mixed.dtype == tg.float64
    with pytest.raises(RuntimeError):
        tg.block_diag(tg.zeros(1, 1, 1))


# ---------------------------------------------------------------- reflected operators
def test_rsub_rdiv_rmatmul():
    x, y = Input(arr(3, 3)), Input(arr(3, 3), layout="T")
    compare(lambda p, q: tg.rsub(p, q, alpha=2), lambda p, q: torch.rsub(p, q, alpha=2), x, y)
    compare(lambda p: tg.rsub(p, 2.5), lambda p: torch.rsub(p, 2.5), x)
    compare(lambda p: p.__rdiv__(2.0), lambda p: p.__rdiv__(2.0), x)
    compare(lambda p, q: p.__rmatmul__(q), lambda p, q: p.__rmatmul__(q), x, y)
    with pytest.raises(TypeError):
        tg.Tensor.__rdiv__(2, tg.ones(2))


def test_stack_out_and_view_copy_dtype():
    a, b = tg.ones(2, 3), tg.zeros(2, 3)
    out = tg.empty(0)
    assert tg.vstack([a, b], out=out) is out and out.shape == (4, 3) and out.sum().item() == 6.0
    assert tg.hstack((a, b), out=out).shape == (2, 6) and tg.dstack([a, b], out=out).shape == (2, 3, 2)
    assert tg.column_stack([a, b], out=out).shape == (2, 6)
    x = tg.tensor([1.0, 2.0])
    assert tg.view_copy(x, dtype=tg.int32).tolist() == torch.view_copy(torch.tensor([1.0, 2.0]), dtype=torch.int32).tolist()


def test_out_and_size_keywords():
    out = tg.empty(0, dtype=tg.float64)
    assert tg.diag_embed(tg.ones(2, dtype=tg.float64), 1, out=out) is out and out.shape == (3, 3)
    assert out.tolist() == torch.diag_embed(torch.ones(2, dtype=torch.float64), 1).tolist()
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        tg.vstack([tg.ones(2, requires_grad=True)], out=tg.empty(0))
    assert tg.zeros(6).resize_(size=(2, 3)).shape == (2, 3)

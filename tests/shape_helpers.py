"""Helpers for the indexing/joining tests: paired tg/torch tensors (optionally non-contiguous) and a
check that runs one function on both libraries and compares values, dtypes and gradients."""
import numpy as np
import torch
from hypothesis import strategies as st

import tinygrad_ext as tg

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
               np.dtype(np.int64): torch.int64, np.dtype(np.bool_): torch.bool}
TG_DTYPE = {torch.float32: tg.float32, torch.float64: tg.float64, torch.int64: tg.int64, torch.bool: tg.bool}


def pair(arr, noncontig=False):
    """The same values as a tg tensor and a torch tensor; non-contiguous ones are permuted views
    of a reversed-axes copy (same values, reversed strides)."""
    arr = np.asarray(arr)
    if noncontig and arr.ndim >= 2:
        perm = list(range(arr.ndim))[::-1]
        base = np.ascontiguousarray(arr.transpose(perm))
        a = tg.tensor(base).permute(perm)
        b = torch.from_numpy(base.copy()).permute(perm)
    else:
        a, b = tg.tensor(arr), torch.from_numpy(np.array(arr, order="C"))  # (ascontiguousarray makes 0-d 1-d)
    return a, b


def leaf(arr, noncontig=False):
    """A float leaf requiring grad (non-contiguous when asked) on both sides."""
    arr = np.asarray(arr)
    if noncontig and arr.ndim >= 2:
        perm = list(range(arr.ndim))[::-1]
        base = np.ascontiguousarray(arr.transpose(perm))
        a0 = tg.tensor(base, requires_grad=True)
        b0 = torch.tensor(base, requires_grad=True)
        return (a0, b0), (a0.permute(perm), b0.permute(perm))
    a0 = tg.tensor(arr, requires_grad=True)
    b0 = torch.tensor(arr, requires_grad=True)
    return (a0, b0), (a0, b0)


def assert_same(a, b, rtol=1e-6, atol=1e-6):
    """tg result a equals torch result b: type, shape, dtype and values (tuples element-wise)."""
    if isinstance(b, (tuple, list)):
        assert isinstance(a, type(b)) or isinstance(a, (tuple, list)), (type(a), type(b))
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
        return
    assert isinstance(a, tg.Tensor), type(a)
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert a.dtype == TG_DTYPE[b.dtype], (a.dtype, b.dtype)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def check_grads(out_tg, out_torch, leaves, seed=0):
    """Backpropagates the same random upstream gradient through both outputs and compares the
    gradients of each (tg, torch) leaf pair."""
    outs_tg = list(out_tg) if isinstance(out_tg, (tuple, list)) else [out_tg]
    outs_torch = list(out_torch) if isinstance(out_torch, (tuple, list)) else [out_torch]
    rng = np.random.default_rng(seed)
    total_tg, total_torch = None, None
    for a, b in zip(outs_tg, outs_torch):
        if not b.requires_grad:
            continue
        g = rng.standard_normal(tuple(b.shape))
        ga = tg.tensor(g, dtype=a.dtype)
        gb = torch.tensor(g, dtype=b.dtype)
        ta, tb = (a * ga).sum(), (b * gb).sum()
        total_tg = ta if total_tg is None else total_tg + ta
        total_torch = tb if total_torch is None else total_torch + tb
    if total_torch is None:
        return
    total_tg.backward()
    total_torch.backward()
    for a, b in leaves:
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy()), "tg has a gradient torch does not"
            continue
        assert a.grad is not None, "tg leaf got no gradient"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-6)


def shapes(min_dims=1, max_dims=4, min_side=0, max_side=4):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)

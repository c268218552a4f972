"""Shared helpers for the tg.nn tests: copy tensors between torch and tg, compare values and gradients."""
import numpy as np
import torch

import tinygrad_ext as tg


def to_tg(t, requires_grad=None):
    """A tg copy of a torch tensor (same dtype and values); requires_grad follows t unless given."""
    x = tg.from_numpy(t.detach().numpy().copy())
    if requires_grad if requires_grad is not None else t.requires_grad:
        x.requires_grad_(True)
    return x


def dtype_name(dt):
    return str(dt).split(".")[-1]


def assert_close(x, t, rtol=1e-5, atol=1e-6, check_dtype=True):
    """x (tg) equals t (torch) in shape, dtype and values (NaN where torch has NaN)."""
    assert tuple(x.shape) == tuple(t.shape), f"shape {tuple(x.shape)} != torch {tuple(t.shape)}"
    if check_dtype:
        assert dtype_name(x.dtype) == dtype_name(t.dtype), f"dtype {x.dtype} != torch {t.dtype}"
    np.testing.assert_allclose(x.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


def compare(fn_tg, fn_torch, *inputs, rtol=1e-5, atol=1e-6, seed=0):
    """Runs fn on copies of the torch `inputs` in both libraries; checks the output and, through a random
    upstream gradient, the gradient of every floating input that requires grad."""
    tg_inputs = [to_tg(t) if isinstance(t, torch.Tensor) else t for t in inputs]
    out_t = fn_torch(*inputs)
    out_g = fn_tg(*tg_inputs)
    assert_close(out_g, out_t, rtol, atol)
    needs = [i for i, t in enumerate(inputs) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not needs or not out_t.requires_grad:
        return out_g
    gen = torch.Generator().manual_seed(seed)
    up = torch.randn(out_t.shape, generator=gen, dtype=out_t.dtype)
    grads_t = torch.autograd.grad(out_t, [inputs[i] for i in needs], up, allow_unused=True)
    out_g.backward(to_tg(up))
    for i, gt in zip(needs, grads_t):
        gg = tg_inputs[i].grad
        if gt is None:
            assert gg is None or np.allclose(gg.numpy(), 0), f"input {i}: torch has no gradient"
        else:
            assert gg is not None, f"input {i}: tg produced no gradient"
            assert_close(gg, gt, rtol, atol)
    return out_g


def rand_t(shape, dtype=torch.float64, scale=1.0, requires_grad=True, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=gen, dtype=dtype) * scale).requires_grad_(requires_grad)

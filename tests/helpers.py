"""Shared test helpers: run one function on tinygrad_ext and torch and compare values and gradients."""
import numpy as np
import torch

import tinygrad_ext as tg

TG_OF_TORCH = {torch.float32: tg.float32, torch.float64: tg.float64, torch.int64: tg.int64,
               torch.bool: tg.bool, torch.float16: tg.float16, torch.bfloat16: tg.bfloat16,
               torch.uint8: tg.uint8, torch.int8: tg.int8, torch.int16: tg.int16, torch.int32: tg.int32}
TORCH_OF_TG = {v: k for k, v in TG_OF_TORCH.items()}
NP_OF_TG = {tg.float32: np.float32, tg.float64: np.float64, tg.int64: np.int64, tg.bool: np.bool_,
            tg.float16: np.float16, tg.uint8: np.uint8, tg.int8: np.int8, tg.int16: np.int16,
            tg.int32: np.int32}


def tol(dtype):
    """(rtol, atol) for a dtype: 1e-6 in float64, 1e-5 relative in float32, exact otherwise."""
    if dtype in (np.float64, tg.float64, torch.float64):
        return 1e-6, 1e-6
    if dtype in (np.float32, tg.float32, torch.float32):
        return 1e-5, 1e-5
    return 0, 0


def assert_close(actual, expected, dtype=None, msg=""):
    """Values equal within the dtype's tolerance, NaN where NaN, infinities matching."""
    a = np.asarray(actual)
    e = np.asarray(expected)
    assert a.shape == e.shape, f"{msg}: shape {a.shape} != {e.shape}"
    rtol, atol = tol(dtype if dtype is not None else e.dtype)
    scale = max(1.0, float(np.max(np.abs(e[np.isfinite(e)]), initial=0.0))) if e.dtype.kind == "f" else 1.0
    np.testing.assert_allclose(a.astype(np.float64) if a.dtype != np.bool_ else a,
                               e.astype(np.float64) if e.dtype != np.bool_ else e,
                               rtol=rtol, atol=atol * scale, equal_nan=True, err_msg=msg)


def assert_tensor_matches(tg_t, torch_t, msg=""):
    """Same shape, same dtype, same values."""
    assert isinstance(tg_t, tg.Tensor), f"{msg}: expected a tinygrad_ext Tensor, got {type(tg_t)}"
    assert tuple(tg_t.shape) == tuple(torch_t.shape), f"{msg}: shape {tuple(tg_t.shape)} != {tuple(torch_t.shape)}"
    assert tg_t.dtype == TG_OF_TORCH[torch_t.dtype], f"{msg}: dtype {tg_t.dtype} != {torch_t.dtype}"
    assert_close(tg_t.detach().numpy(), torch_t.detach().numpy(), torch_t.dtype, msg)


class Input:
    """A numpy array handed to both libraries, optionally through a non-contiguous layout.

    layout: "contig" (the leaf itself), "T" (leaf holds the array transposed; the function sees
    `.transpose(-1, -2)`), "step" (leaf is twice as long in dim 0; the function sees `[::2]`)."""

    def __init__(self, array, requires_grad=None, layout="contig"):
        self.array = np.asarray(array)
        self.requires_grad = self.array.dtype.kind == "f" if requires_grad is None else requires_grad
        self.layout = layout if self.array.ndim >= (2 if layout == "T" else 1) else "contig"

    def _base(self):
        a = self.array
        if self.layout == "T":
            return np.ascontiguousarray(a.swapaxes(-1, -2))
        if self.layout == "step":
            base = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
            base[::2] = a
            return base
        return a.copy()

    def _view(self, t):
        if self.layout == "T":
            return t.transpose(-1, -2)
        if self.layout == "step":
            return t[::2]
        return t

    def make(self, lib):
        """(leaf, what the function receives) in `lib` (tinygrad_ext or torch)."""
        leaf = lib.tensor(self._base(), requires_grad=self.requires_grad)
        return leaf, self._view(leaf)


def _as_inputs(inputs):
    return [x if isinstance(x, Input) else Input(x) for x in inputs]


def _float_outputs(outs):
    return [o for o in outs if o.dtype in (torch.float32, torch.float64) and o.requires_grad]


def compare(fn_tg, fn_torch, *inputs, upstream="random", seed=0, check_grad=True):
    """Runs fn_tg on tinygrad_ext tensors and fn_torch on torch tensors built from the same inputs.

    Asserts equal shapes, dtypes and values of every output, then backpropagates (the `.sum()` of
    the outputs, or a random upstream gradient) and asserts equal leaf gradients. Returns the
    tinygrad_ext outputs."""
    ins = _as_inputs(inputs)
    tg_pairs = [i.make(tg) for i in ins]
    th_pairs = [i.make(torch) for i in ins]
    out_tg = fn_tg(*[v for _, v in tg_pairs])
    out_th = fn_torch(*[v for _, v in th_pairs])
    tg_list = list(out_tg) if isinstance(out_tg, (tuple, list)) else [out_tg]
    th_list = list(out_th) if isinstance(out_th, (tuple, list)) else [out_th]
    assert len(tg_list) == len(th_list), "different number of outputs"
    for k, (a, b) in enumerate(zip(tg_list, th_list)):
        assert_tensor_matches(a, b, f"output {k}")
    if not check_grad:
        return out_tg
    th_diff = _float_outputs(th_list)
    if not th_diff:
        for a in tg_list:
            assert not a.requires_grad, "tinygrad_ext output requires grad where torch's does not"
        return out_tg
    rng = np.random.default_rng(seed)
    tg_roots, th_roots, tg_grads, th_grads = [], [], [], []
    for a, b in zip(tg_list, th_list):
        if b.dtype not in (torch.float32, torch.float64) or not b.requires_grad:
            continue
        assert a.requires_grad, "torch output requires grad, tinygrad_ext's does not"
        if upstream == "sum":
            g = np.ones(tuple(b.shape))
        else:
            g = rng.standard_normal(tuple(b.shape))
        np_dt = NP_OF_TG[a.dtype]
        tg_roots.append(a)
        th_roots.append(b)
        tg_grads.append(tg.tensor(g.astype(np_dt)))
        th_grads.append(torch.tensor(g.astype(np_dt)))
    if upstream == "sum":
        sum(r.sum() for r in tg_roots).backward()
        sum(r.sum() for r in th_roots).backward()
    else:
        tg.autograd.backward(tg_roots, tg_grads)
        torch.autograd.backward(th_roots, th_grads)
    for k, ((leaf_tg, _), (leaf_th, _)) in enumerate(zip(tg_pairs, th_pairs)):
        if not leaf_th.requires_grad:
            continue
        if leaf_th.grad is None:
            assert leaf_tg.grad is None, f"grad of input {k}: torch has None"
            continue
        assert leaf_tg.grad is not None, f"grad of input {k} is None, torch has one"
        assert_tensor_matches(leaf_tg.grad, leaf_th.grad, f"grad of input {k}")
    return out_tg


def gradcheck_inputs(fn, *inputs):
    """tg.autograd.gradcheck of fn composed with each input's layout, in float64."""
    ins = _as_inputs([Input(i.array.astype(np.float64), i.requires_grad, i.layout) if isinstance(i, Input)
                      else Input(np.asarray(i, dtype=np.float64)) for i in inputs])
    pairs = [i.make(tg) for i in ins]
    leaves = [leaf for leaf, _ in pairs]

    def composed(*ls):
        return fn(*[i._view(l) for i, l in zip(ins, ls)])

    assert tg.autograd.gradcheck(composed, leaves)

"""Normalization functions and modules (layer/group/instance/rms/local-response norm) against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tests.nn_helpers import assert_close, compare, rand_t, to_tg


def gradgradcheck(fn, *inputs):
    """gradcheck of the first derivatives (taken with create_graph) in a random direction: double backward."""
    outs = fn(*inputs)
    up = tg.tensor(np.random.default_rng(1).standard_normal(tuple(outs.shape)), requires_grad=True)

    def first(*args):
        xs, u = args[:-1], args[-1]
        with tg.enable_grad():
            gs = tg.autograd.grad([fn(*xs)], list(xs), [u], create_graph=True, allow_unused=True)
        return sum((g * g).sum() for g in gs if g is not None)

    assert tg.autograd.gradcheck(first, list(inputs) + [up])


def leaf(t, layout="contig"):
    """A float64 tg leaf (returned for gradcheck) and what the function sees: t itself or a transposed view."""
    if layout == "T":
        base = to_tg(t.detach().transpose(-1, -2).contiguous(), True)
        return base, lambda b: b.transpose(-1, -2)
    return to_tg(t.detach(), True), lambda b: b


# ---- functional, values and gradients ----
@settings(max_examples=12)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), norm=st.lists(st.integers(1, 5), min_size=1,
       max_size=2), affine=st.booleans(), transposed=st.booleans(), dt=st.sampled_from([torch.float32, torch.float64]))
def test_layer_norm_matches_torch(lead, norm, affine, transposed, dt):
    x = rand_t(lead + norm, dt, scale=3.0)
    if transposed and x.dim() >= 2:
        x = x.detach().transpose(-1, -2).contiguous().transpose(-1, -2).requires_grad_(True)
    ns = tuple(x.shape[len(lead):])
    w, b = (rand_t(ns, dt, seed=1), rand_t(ns, dt, seed=2)) if affine else (None, None)
    tol = dict(rtol=1e-4, atol=1e-5) if dt == torch.float32 else {}
    compare(lambda x, w, b: F.layer_norm(x, ns, w, b, 1e-3), lambda x, w, b: TF.layer_norm(x, ns, w, b, 1e-3),
            x, w, b, **tol)


@settings(max_examples=12)
@given(n=st.integers(2, 3), groups=st.integers(1, 3), per=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 4), min_size=0, max_size=3), affine=st.booleans())
def test_group_norm_matches_torch(n, groups, per, spatial, affine):
    c = groups * per
    x = rand_t([n, c] + spatial, scale=2.0)
    w, b = (rand_t((c,), seed=1), rand_t((c,), seed=2)) if affine else (None, None)
    compare(lambda x, w, b: F.group_norm(x, groups, w, b), lambda x, w, b: TF.group_norm(x, groups, w, b), x, w, b)


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 5), (3, 5)), ((3, 1), (1,)), ((0, 4), (4,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(shape, ns, eps):
    for dt in (torch.float32, torch.float64):
        x = rand_t(shape, dt)
        w = rand_t(ns, dt, seed=3)
        compare(lambda x, w: F.rms_norm(x, ns, w, eps), lambda x, w: TF.rms_norm(x, ns, w, eps), x, w,
                rtol=1e-4, atol=1e-5)
        compare(lambda x: F.rms_norm(x, list(ns)), lambda x: TF.rms_norm(x, list(ns)), x, rtol=1e-4, atol=1e-5)


def test_layer_norm_large_mean_is_accurate():
    # one-pass statistics stay accurate when |mean| >> std (a naive sum of squares would cancel): float32
    # results within 1e-3 of float64 on the same inputs (torch's own float32 kernel is 3e-2 off here)
    x = torch.randn(4, 4096, generator=torch.Generator().manual_seed(0)) * 1e-2 + 1e4
    exact = TF.layer_norm(x.double(), (4096,)).float()
    assert_close(F.layer_norm(to_tg(x), (4096,)), exact, rtol=0, atol=1e-3)
    assert_close(F.group_norm(to_tg(x.reshape(2, 4, 2048)), 2), exact.reshape(2, 4, 2048), rtol=0, atol=1e-3)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 4, 3, 3), (1, 2, 2, 2, 3)])
def test_instance_norm_matches_torch(shape):
    c = shape[1]
    x = rand_t(shape, scale=2.0)
    w, b = rand_t((c,), seed=1), rand_t((c,), seed=2)
    compare(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
            x, w, b)
    rm_t, rv_t = torch.rand(c, dtype=torch.float64), torch.rand(c, dtype=torch.float64) + 0.5
    rm, rv = to_tg(rm_t), to_tg(rv_t)
    for _ in range(3):  # running statistics after several training steps
        compare(lambda x: F.instance_norm(x, rm, rv, momentum=0.2), lambda x: TF.instance_norm(x, rm_t, rv_t, momentum=0.2),
                x)
    assert_close(rm, rm_t)
    assert_close(rv, rv_t)
    compare(lambda x, w: F.instance_norm(x, rm, rv, w, None, use_input_stats=False),
            lambda x, w: TF.instance_norm(x, rm_t, rv_t, w, None, use_input_stats=False), x, w)


@pytest.mark.parametrize("shape", [(2, 7, 3), (2, 5, 2, 3), (1, 4, 2, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 9])
def test_local_response_norm_matches_torch(shape, size):
    x = rand_t(shape, scale=3.0)
    compare(lambda x: F.local_response_norm(x, size, 0.3, 0.75, 2.0),
            lambda x: TF.local_response_norm(x, size, 0.3, 0.75, 2.0), x)


# ---- float64 gradcheck and double backward ----
@pytest.mark.parametrize("layout", ["contig", "T"])
def test_norm_gradcheck(layout):
    x, view = leaf(rand_t((3, 4), scale=2.0), layout)
    w, b = to_tg(rand_t((4,), seed=1)), to_tg(rand_t((4,), seed=2))
    assert tg.autograd.gradcheck(lambda x, w, b: F.layer_norm(view(x), (4,), w, b), [x, w, b])
    assert tg.autograd.gradcheck(lambda x, w: F.rms_norm(view(x), (4,), w), [x, w])
    x4 = to_tg(rand_t((2, 4, 3), scale=2.0))
    assert tg.autograd.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x4, w, b])
    assert tg.autograd.gradcheck(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0), [x4])
    gradgradcheck(lambda x, w, b: F.layer_norm(view(x), (4,), w, b), x, w, b)
    gradgradcheck(lambda x, w: F.rms_norm(view(x), (4,), w), x, w)
    gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), x4, w, b)
    gradgradcheck(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0), x4)


# ---- bad input: torch's exception types ----
@pytest.mark.parametrize("call", [
    lambda F, x: F.layer_norm(x, (5,)),
    lambda F, x: F.layer_norm(x, ()),
    lambda F, x: F.layer_norm(x, (4,), x.new_ones(3)),
    lambda F, x: F.layer_norm(x.long(), (4,)),
    lambda F, x: F.layer_norm(x, (4,), x.new_ones(4).double()),
    lambda F, x: F.group_norm(x, 2),
    lambda F, x: F.group_norm(x, 0),
    lambda F, x: F.group_norm(x[:1, :1, :1], 1),
    lambda F, x: F.group_norm(x[0, 0], 1),
    lambda F, x: F.group_norm(x, 3, x.new_ones(4)),
    lambda F, x: F.rms_norm(x, (4,), x.new_ones(3)),
    lambda F, x: F.local_response_norm(x[0], 2),
    lambda F, x: F.local_response_norm(x, 0),
    lambda F, x: F.instance_norm(x[:, :, :1]),
    lambda F, x: F.instance_norm(x[0, 0]),
    lambda F, x: F.layer_norm(None, (4,)),
])
def test_norm_bad_input_raises_like_torch(call):
    xt = torch.randn(2, 3, 4)
    with pytest.raises(Exception) as expected:
        call(TF, xt)
    with pytest.raises(expected.type):
        call(F, to_tg(xt))

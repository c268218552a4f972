"""batch_norm and BatchNorm1d/2d/3d against torch: training/eval, running statistics, gradients, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tests.nn_helpers import assert_close, compare, rand_t, to_tg


@given(st.integers(2, 5), st.integers(1, 4), st.lists(st.integers(1, 4), max_size=3), st.booleans(), st.booleans(),
       st.sampled_from([0.1, 0.5, 0.0]))
def test_training_matches_torch(n, c, spatial, affine, strided, momentum):
    shape = [n, c] + spatial
    x = rand_t(shape[:-1] + [shape[-1] * 2] if strided else shape, seed=1, scale=3.0)
    view = (lambda t: t[..., ::2]) if strided else (lambda t: t)
    w, b = rand_t((c,), seed=2), rand_t((c,), seed=3)
    rm_t, rv_t = torch.randn(c, dtype=torch.float64), torch.rand(c, dtype=torch.float64) + 0.5
    rm, rv = to_tg(rm_t), to_tg(rv_t)
    params = (w, b) if affine else ()

    def run(lib_f, mean, var):
        return lambda x, *wb: lib_f(view(x), mean, var, *(wb or (None, None)), training=True, momentum=momentum)

    compare(run(F.batch_norm, rm, rv), run(TF.batch_norm, rm_t, rv_t), x, *params, rtol=1e-7, atol=1e-9)
    assert_close(rm, rm_t, 1e-7, 1e-9)
    assert_close(rv, rv_t, 1e-7, 1e-9)


@pytest.mark.parametrize("affine", [True, False])
def test_eval_matches_torch(affine):
    x, w, b = rand_t((3, 4, 5), seed=1), rand_t((4,), seed=2), rand_t((4,), seed=3)
    rm, rv = torch.randn(4, dtype=torch.float64), torch.rand(4, dtype=torch.float64) + 0.5
    params = (w, b) if affine else ()
    compare(lambda x, *wb: F.batch_norm(x, to_tg(rm), to_tg(rv), *(wb or (None, None))),
            lambda x, *wb: TF.batch_norm(x, rm, rv, *(wb or (None, None))), x, *params, rtol=1e-7, atol=1e-9)


def test_no_running_stats_and_float32():
    x = rand_t((8, 3, 4, 4), torch.float32, seed=4)
    compare(lambda x: F.batch_norm(x, None, None, training=True), lambda x: TF.batch_norm(x, None, None, training=True),
            x, rtol=1e-4, atol=1e-5)


def test_gradcheck_and_double_backward():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    w = tg.tensor(rng.standard_normal(3), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3), requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    xt, wt, bt = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, w, b))
    up = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    gx, gw = torch.autograd.grad(TF.batch_norm(xt, None, None, wt, bt, training=True), (xt, wt), up, create_graph=True)
    (gx.square().sum() + gw.square().sum()).backward()
    gxg, gwg = tg.autograd.grad(F.batch_norm(x, None, None, w, b, training=True), (x, w), to_tg(up), create_graph=True)
    assert_close(gxg, gx, 1e-7, 1e-9)
    (gxg.square().sum() + gwg.square().sum()).backward()
    assert_close(x.grad, xt.grad, 1e-6, 1e-8)
    assert_close(w.grad, wt.grad, 1e-6, 1e-8)


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (6, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm3d", (2, 3, 3, 4, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_module_running_stats_over_steps(cls, shape, momentum):
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(3, momentum=momentum)
    m = getattr(nn, cls)(3, momentum=momentum)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-1, 1)
    m.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for step in range(4):
        x = torch.randn(shape) * (step + 1) + step
        assert_close(m(to_tg(x)), tm(x), 1e-5, 1e-5)
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v, 1e-5, 1e-6)
    m.eval()
    tm.eval()
    x = torch.randn(shape)
    assert_close(m(to_tg(x)), tm(x), 1e-5, 1e-5)
    assert int(m.num_batches_tracked) == 4


def test_module_options():
    for kw in (dict(affine=False), dict(track_running_stats=False), dict(bias=False), dict(eps=1e-3, momentum=0.3)):
        tm, m = torch.nn.BatchNorm2d(4, **kw), nn.BatchNorm2d(4, **kw)
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
        x = torch.randn(3, 4, 2, 2)
        assert_close(m(to_tg(x)), tm(x), 1e-5, 1e-5)
        m.eval()
        tm.eval()
        assert_close(m(to_tg(x)), tm(x), 1e-5, 1e-5)


ERRORS = [
    (lambda: F.batch_norm(tg.randn(2, 3, 4), tg.zeros(4), tg.ones(3)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    (lambda: F.batch_norm(tg.randn(2, 3, 4), tg.zeros(3), tg.ones(2)), RuntimeError,
     "running_var should contain 3 elements not 2"),
    (lambda: F.batch_norm(tg.randn(2, 3, 4), tg.zeros(3), tg.ones(3), tg.ones(4)), RuntimeError,
     "weight should contain 3 elements not 4"),
    (lambda: F.batch_norm(tg.randn(1, 3, 1, 1), None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training"),
    (lambda: F.batch_norm(tg.randn(2, 3), None, None, training=False), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda: nn.BatchNorm2d(3)(tg.randn(3, 4, 4)), ValueError, "expected 4D input \\(got 3D input\\)"),
    (lambda: nn.BatchNorm1d(3)(tg.randn(2, 3, 4, 4)), ValueError, "expected 2D or 3D input"),
    (lambda: nn.BatchNorm3d(3)(tg.randn(2, 3, 4, 4)), ValueError, "expected 5D input"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_bad_input(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()

"""Pooling against torch: max/avg/adaptive/lp pools and max_unpool in 1-3d, values, indices, gradients, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tests.nn_helpers import assert_close, compare, rand_t, to_tg


def _fns(name):
    return getattr(F, name), getattr(TF, name)


@st.composite
def pool_cases(draw):
    nsp = draw(st.integers(1, 3))
    k = [draw(st.integers(1, 3)) for _ in range(nsp)]
    s = [draw(st.integers(1, 3)) for _ in range(nsp)]
    p = [draw(st.integers(0, ki // 2)) for ki in k]
    d = [draw(st.integers(1, 2)) for _ in range(nsp)]
    size = [draw(st.integers(di * (ki - 1) + 1, di * (ki - 1) + 5)) for ki, di in zip(k, d)]
    return dict(nsp=nsp, n=draw(st.integers(0, 2)), c=draw(st.integers(1, 3)), k=k, s=s, p=p, d=d, size=size,
                ceil=draw(st.booleans()), strided=draw(st.booleans()))


def _input(c):
    shape = [c["n"], c["c"]] + c["size"]
    if c["strided"]:
        shape[-1] *= 2
    # distinct values: max pooling's gradient is then unambiguous
    gen = torch.Generator().manual_seed(0)
    return torch.randperm(int(np.prod(shape)), generator=gen).reshape(shape).double().div(7).requires_grad_()


def _view(x, c):
    return x[..., ::2] if c["strided"] else x


@given(pool_cases())
def test_max_pool_matches_torch(c):
    ftg, fth = _fns(f"max_pool{c['nsp']}d")
    args = dict(kernel_size=c["k"], stride=c["s"], padding=c["p"], dilation=c["d"], ceil_mode=c["ceil"])
    compare(lambda x: ftg(_view(x, c), **args), lambda x: fth(_view(x, c), **args), _input(c))
    out_tg = ftg(to_tg(_view(_input(c), c)), return_indices=True, **args)[1]
    out_th = fth(_view(_input(c), c), return_indices=True, **args)[1]
    assert np.array_equal(out_tg.numpy(), out_th.numpy()) and out_tg.dtype == tg.int64


@given(pool_cases(), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool_matches_torch(c, count_include_pad, divisor):
    ftg, fth = _fns(f"avg_pool{c['nsp']}d")
    args = dict(kernel_size=c["k"], stride=c["s"], padding=c["p"], ceil_mode=c["ceil"],
                count_include_pad=count_include_pad)
    if c["nsp"] > 1:
        args["divisor_override"] = divisor
    compare(lambda x: ftg(_view(x, c), **args), lambda x: fth(_view(x, c), **args), _input(c), rtol=1e-7, atol=1e-9)


@given(st.integers(1, 3), st.data())
def test_adaptive_pools_match_torch(nsp, data):
    size = [data.draw(st.integers(1, 7)) for _ in range(nsp)]
    out = [data.draw(st.integers(1, 8)) for _ in range(nsp)]
    c = dict(nsp=nsp, n=data.draw(st.integers(0, 2)), c=2, size=size, strided=data.draw(st.booleans()))
    for kind in ("avg", "max"):
        ftg, fth = _fns(f"adaptive_{kind}_pool{nsp}d")
        compare(lambda x: ftg(_view(x, c), out), lambda x: fth(_view(x, c), out), _input(c), rtol=1e-7, atol=1e-9)
    ftg, fth = _fns(f"adaptive_max_pool{nsp}d")
    i_tg = ftg(to_tg(_view(_input(c), c)), out, return_indices=True)[1]
    i_th = fth(_view(_input(c), c), out, return_indices=True)[1]
    assert np.array_equal(i_tg.numpy(), i_th.numpy())


def test_adaptive_none_entries_and_unbatched():
    x = rand_t((3, 6, 5))
    compare(lambda x: F.adaptive_avg_pool2d(x, (None, 2)), lambda x: TF.adaptive_avg_pool2d(x, (None, 2)), x)
    compare(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), x)
    compare(lambda x: tg.max_pool1d(x, 2), lambda x: torch.max_pool1d(x, 2), x)
    compare(lambda x: tg.avg_pool1d(x, 3, 1, 1), lambda x: torch.avg_pool1d(x, 3, 1, 1), x)


@pytest.mark.parametrize("nsp", [1, 2, 3])
@pytest.mark.parametrize("norm_type,ceil", [(2.0, False), (3.0, True), (1.5, False)])
def test_lp_pool(nsp, norm_type, ceil):
    x = rand_t([2, 3] + [7] * nsp).abs().detach().add(0.1).requires_grad_()
    ftg, fth = _fns(f"lp_pool{nsp}d")
    compare(lambda x: ftg(x, norm_type, 2, ceil_mode=ceil), lambda x: fth(x, norm_type, 2, ceil_mode=ceil), x)


@pytest.mark.parametrize("nsp", [1, 2, 3])
@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1)])
def test_max_unpool_roundtrip(nsp, k, s, p):
    size = [8 if k == 2 else 7] * nsp  # so the default output size covers every index
    x = _input(dict(n=2, c=3, size=size, strided=False))
    mp_tg, mp_th = _fns(f"max_pool{nsp}d")
    up_tg, up_th = _fns(f"max_unpool{nsp}d")
    o_th, i_th = mp_th(x, k, s, p, return_indices=True)
    o_tg, i_tg = mp_tg(to_tg(x), k, s, p, return_indices=True)
    compare(lambda o: up_tg(o, i_tg, k, s, p, output_size=size), lambda o: up_th(o, i_th, k, s, p, output_size=size),
            o_th.detach().requires_grad_())
    compare(lambda o: up_tg(o, i_tg, k, s, p), lambda o: up_th(o, i_th, k, s, p), o_th.detach().requires_grad_())


def test_gradcheck_and_double_backward():
    x = tg.tensor(np.random.default_rng(0).permutation(60).reshape(1, 3, 4, 5) / 7.0, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x])
    assert tg.autograd.gradcheck(lambda x: F.max_pool2d(x, 2, 1, dilation=(1, 2)), [x])
    assert tg.autograd.gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [x])
    assert tg.autograd.gradcheck(lambda x: F.adaptive_max_pool2d(x, (3, 2)), [x])
    for name in ("avg_pool2d", "max_pool2d"):
        ftg, fth = _fns(name)
        xt = torch.tensor(x.detach().numpy(), requires_grad=True)
        (g,) = torch.autograd.grad(fth(xt, 2, 1).square().sum(), xt, create_graph=True)
        g.square().sum().backward()
        xg = to_tg(xt)
        (gg,) = tg.autograd.grad(ftg(xg, 2, 1).square().sum(), xg, create_graph=True)
        gg.square().sum().backward()
        assert_close(gg, g, 1e-7, 1e-9)
        assert_close(xg.grad, xt.grad, 1e-7, 1e-9)


def test_nan_propagates_like_torch():
    x = torch.tensor([[[1.0, float("nan"), 3.0, 2.0, float("-inf"), float("-inf")]]])
    v, i = F.max_pool1d(to_tg(x), 2, return_indices=True)
    tv, ti = TF.max_pool1d(x, 2, return_indices=True)
    assert_close(v, tv)
    assert np.array_equal(i.numpy(), ti.numpy())


MODULES = ["MaxPool1d(3, 2, 1)", "MaxPool2d(2)", "MaxPool3d((2, 1, 2), dilation=2, ceil_mode=True)",
           "AvgPool1d(3, 2, 1)", "AvgPool2d(3, 2, 1, count_include_pad=False)", "AvgPool3d(2, divisor_override=3)",
           "AdaptiveAvgPool1d(3)", "AdaptiveAvgPool2d((2, None))", "AdaptiveAvgPool3d(1)", "AdaptiveMaxPool1d(3)",
           "AdaptiveMaxPool2d(2)", "AdaptiveMaxPool3d((1, 2, 3))", "LPPool1d(2, 3)", "LPPool2d(3, (2, 3), 1)",
           "LPPool3d(2, 2)"]


@pytest.mark.parametrize("ctor", MODULES)
def test_modules(ctor):
    m, tm = eval("nn." + ctor), eval("torch.nn." + ctor)
    assert repr(m) == repr(tm)
    nsp = int(ctor.split("(")[0][-2])
    x = rand_t([2, 3] + [8] * nsp).abs().detach().add(0.1).requires_grad_()
    compare(m, tm, x)


def test_max_unpool_module():
    x = _input(dict(n=1, c=2, size=[6, 6], strided=False))
    o, i = torch.nn.MaxPool2d(2, return_indices=True)(x)
    m, tm = nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    assert repr(m) == repr(tm)
    assert_close(m(to_tg(o), to_tg(i)), tm(o, i))
    assert_close(m(to_tg(o), to_tg(i), output_size=[1, 2, 7, 7]), tm(o, i, output_size=[1, 2, 7, 7]))


ERRORS = [
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), 3, padding=2), RuntimeError, "pad should be at most half"),
    (lambda: F.avg_pool2d(tg.randn(2, 3, 4, 4), 3, padding=2), RuntimeError, "pad should be at most half"),
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), 5), RuntimeError, "Output size is too small"),
    (lambda: F.avg_pool2d(tg.randn(2, 3, 4, 4), 5), RuntimeError, "Output size is too small"),
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), 2, dilation=0), RuntimeError, "dilation"),
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), 0), RuntimeError, "kernel size should be greater than zero"),
    (lambda: F.max_pool2d(tg.randn(4, 4), 2), RuntimeError, "Expected 3D"),
    (lambda: F.adaptive_avg_pool2d(tg.randn(4, 4), 2), RuntimeError, "Expected 3D"),
    (lambda: F.max_pool2d(tg.randn(2, 0, 4, 4), 2), RuntimeError, "non-zero"),
    (lambda: F.avg_pool2d(tg.randn(2, 3, 4, 4), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.max_pool2d(tg.randn(2, 3, 4, 4), (2, 2, 2)), RuntimeError, "kernel_size"),
    (lambda: F.max_unpool2d(tg.randn(2, 3, 4, 4), tg.zeros(2, 3, 4, 4, dtype=tg.int64) + 100, 2), RuntimeError,
     "Found an invalid max index: 100"),
    (lambda: F.max_unpool2d(tg.randn(2, 3, 4, 4), tg.zeros(2, 3, 4, 3, dtype=tg.int64), 2), RuntimeError,
     "Expected shape of indices"),
    (lambda: F.max_unpool2d(tg.randn(2, 3, 4, 4), tg.zeros(2, 3, 4, 4), 2), RuntimeError, "int64"),
    (lambda: F.max_unpool2d(tg.randn(2, 3, 4, 4), tg.zeros(2, 3, 4, 4, dtype=tg.int64), 2, output_size=(3, 3)),
     ValueError, "invalid output_size"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_bad_input(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_zero_batch():
    x = rand_t((0, 3, 4, 4))
    compare(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), x)
    compare(lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: TF.adaptive_avg_pool2d(x, 3), x)
    assert tuple(F.adaptive_avg_pool2d(tg.randn(2, 3, 4, 4), (0, 2)).shape) == (2, 3, 0, 2)


# ---- fractional max pooling ----
def _distinct(shape):
    """float64 values, all distinct (the maximum and its index are unambiguous), requiring grad."""
    gen = torch.Generator().manual_seed(0)
    return torch.randperm(int(np.prod(shape)), generator=gen).reshape(shape).double().div(7).requires_grad_()


@pytest.mark.parametrize("nsp", [2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_fractional_max_pool_matches_torch_with_given_samples(nsp, batched):
    shape = ([2] if batched else []) + [3] + ([9, 8] if nsp == 2 else [7, 6, 8])
    x = _distinct(shape)
    samples = torch.rand((2 if batched else 1, 3, nsp), generator=torch.Generator().manual_seed(3),
                         dtype=torch.float64)
    fn, fn_t = _fns(f"fractional_max_pool{nsp}d")
    for kw in [dict(kernel_size=2, output_size=3), dict(kernel_size=(3,) * nsp, output_ratio=(0.5,) * nsp),
               dict(kernel_size=2, output_size=[5, 4, 5][:nsp])]:
        compare(lambda x: fn(x, **kw, _random_samples=to_tg(samples)),
                lambda x: fn_t(x, **kw, _random_samples=samples), x)
        _, idx = fn(to_tg(x), **kw, return_indices=True, _random_samples=to_tg(samples))
        _, idx_t = fn_t(x, **kw, return_indices=True, _random_samples=samples)
        np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())


def test_fractional_max_pool_draws_samples_and_is_differentiable():
    x = to_tg(_distinct([2, 3, 10, 10]))
    out, idx = F.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5), return_indices=True)
    assert tuple(out.shape) == (2, 3, 5, 5) and idx.dtype == tg.int64
    picked = np.take_along_axis(x.detach().numpy().reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2)
    np.testing.assert_array_equal(out.detach().numpy(), picked.reshape(2, 3, 5, 5))
    samples = tg.full((2, 3, 2), 0.4, dtype=tg.float64)
    assert tg.autograd.gradcheck(lambda t: F.fractional_max_pool2d(t, 2, output_size=3, _random_samples=samples), [x])
    m = nn.FractionalMaxPool3d(2, output_ratio=0.5)
    assert tuple(m(tg.randn(1, 2, 6, 6, 6)).shape) == (1, 2, 3, 3, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)


@pytest.mark.parametrize("call", [
    lambda F, x, lib: F.fractional_max_pool2d(x, 3, output_size=8),
    lambda F, x, lib: F.fractional_max_pool2d(x, 3),
    lambda F, x, lib: F.fractional_max_pool2d(x, (3, 3, 3), output_size=2),
    lambda F, x, lib: F.fractional_max_pool2d(x, 3, output_size=2, _random_samples=lib.rand(1, 3, 2).double()),
    lambda F, x, lib: F.fractional_max_pool2d(x, 3, output_size=2, _random_samples=lib.rand(2, 3, 3).double()),
    lambda F, x, lib: F.fractional_max_pool2d(x, 3, output_size=2, _random_samples=lib.rand(2, 3, 2)),
    lambda F, x, lib: F.fractional_max_pool3d(x.unsqueeze(2), 2, output_size=(1, 2, 2)),
])
def test_fractional_max_pool_bad_input_raises_like_torch(call):
    x = torch.randn(2, 3, 9, 9, dtype=torch.float64)
    with pytest.raises(Exception) as expected:
        call(TF, x, torch)
    with pytest.raises(type(expected.value)) as got:
        call(F, to_tg(x), tg)
    assert str(got.value) == str(expected.value)


def test_max_pool2d_with_indices_backward_aten_op():
    x = _distinct([2, 3, 7, 6])
    out, idx = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
    gy = rand_t(tuple(out.shape), seed=4)
    args = ([3, 3], [2, 2], [1, 1], [1, 1], False)
    expected = torch.ops.aten.max_pool2d_with_indices_backward.default(gy, x, *args, idx)
    gy_g, x_g = to_tg(gy), to_tg(x)
    got = tg.ops.aten.max_pool2d_with_indices_backward.default(gy_g, x_g, *args, to_tg(idx))
    assert_close(got, expected)
    # linear in grad_output (its gradient gathers at the indices), constant in the input
    v = rand_t(tuple(x.shape), seed=5, requires_grad=False)
    expected_g = torch.autograd.grad([expected], [gy, x], [v])
    got_g = tg.autograd.grad([got], [gy_g, x_g], [to_tg(v)])
    for a, e in zip(got_g, expected_g):
        assert_close(a, e)

"""tg.nn.init: gains and fans equal torch's; distributions within statistical bounds; no autograd history."""
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
import tinygrad_ext.nn as nn
from tinygrad_ext.nn import init

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                                        ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3, 3), (7, 1, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(tg.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.empty(3))


def stats_ok(t, mean, std, n_sigma=5):
    v = t.detach().numpy().ravel().astype(np.float64)
    n = v.size
    assert abs(v.mean() - mean) < n_sigma * std / math.sqrt(n)
    # the sample std of n normal-ish values has standard error about std / sqrt(2 n)
    assert abs(v.std() - std) < n_sigma * std * math.sqrt(2.0 / n) + 1e-12


def test_simple_initialisers():
    w = tg.empty(3, 4)
    assert init.constant_(w, 2.5) is w and np.all(w.numpy() == 2.5)
    assert np.all(init.ones_(w).numpy() == 1) and np.all(init.zeros_(w).numpy() == 0)
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4, dtype=np.float32))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(tg.empty(2, 2, 2))
    big = tg.empty(400, 500)
    init.uniform_(big, -2.0, 3.0)
    v = big.numpy()
    assert v.min() >= -2.0 and v.max() <= 3.0
    stats_ok(big, 0.5, 5 / math.sqrt(12))
    stats_ok(init.normal_(big, 1.0, 0.5), 1.0, 0.5)


@pytest.mark.parametrize("fn,kwargs", [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}), ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
])
def test_fan_based_initialisers(fn, kwargs):
    shape = (300, 200, 3)
    fan_in, fan_out = 200 * 3, 300 * 3
    if fn.startswith("xavier"):
        std = kwargs.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = fan_out if kwargs.get("mode") == "fan_out" else fan_in
        std = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0)) / math.sqrt(fan)
    p = nn.Parameter(tg.empty(*shape))
    out = getattr(init, fn)(p, **kwargs)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    stats_ok(p, 0.0, std)
    if fn.endswith("uniform_"):
        assert np.abs(p.detach().numpy()).max() <= math.sqrt(3) * std * (1 + 1e-6)


def test_kaiming_errors_and_empty():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(tg.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(tg.empty(0, 3))


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 1.2), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal(mean, std, a, b):
    t = init.trunc_normal_(tg.empty(200, 300), mean, std, a, b)
    v = t.numpy().astype(np.float64)
    assert v.min() >= a and v.max() <= b
    # moments of the truncated normal: with alpha, beta standardized bounds and Z = Phi(beta) - Phi(alpha)
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    Z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / Z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / Z - ((pdf(al) - pdf(be)) / Z) ** 2)
    stats_ok(t, m, math.sqrt(var))


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal(shape):
    t = init.orthogonal_(tg.empty(*shape, dtype=tg.float64), gain=2.0)
    q = t.numpy().reshape(shape[0], -1) / 2.0
    small = min(q.shape)
    gram = q @ q.T if q.shape[0] == small else q.T @ q
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)


def test_init_records_no_history():
    p = nn.Parameter(tg.empty(4, 4))
    for fn in (init.xavier_normal_, init.orthogonal_, init.zeros_, init.trunc_normal_, init.eye_):
        fn(p)
        assert p.grad_fn is None and p.is_leaf


@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
                                init.kaiming_uniform_, init.kaiming_normal_, init.trunc_normal_, init.orthogonal_])
def test_generator_makes_init_reproducible(fn):
    a, b = tg.empty(5, 4), tg.empty(5, 4)
    fn(a, generator=tg.Generator().manual_seed(7))
    tg.randn(3)  # the default generator moves on; the explicit one decides the values
    fn(b, generator=tg.Generator().manual_seed(7))
    assert np.array_equal(a.numpy(), b.numpy())
    fn(b, generator=tg.Generator().manual_seed(8))
    assert not np.array_equal(a.numpy(), b.numpy())

"""Random ops drawn from tg's own generator: shapes, dtypes and torch's errors, plus statistics of
large seeded samples. Each bound is a multiple of the sampling error (about 6 standard errors of the
mean or variance, so a correct sampler essentially never fails), and the seed makes every run the same."""
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg

N = 200_000


@pytest.fixture(autouse=True)
def seeded():
    tg.manual_seed(1234)


def assert_mean_var(x, mean, var, n=N):
    """Sample mean within 6 standard errors of `mean`; sample variance within 6 of its own (using the
    normal approximation with a generous kurtosis factor of 10)."""
    x = np.asarray(x, dtype=np.float64)
    assert abs(x.mean() - mean) < 6 * math.sqrt(var / n), (x.mean(), mean)
    assert abs(x.var() - var) < 6 * var * math.sqrt(10 / n), (x.var(), var)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64, tg.float16, tg.bfloat16])
def test_continuous_fills(dtype):
    t = tg.empty(N, dtype=dtype)
    assert t.exponential_(2.0) is t and t.dtype == dtype
    assert_mean_var(t.float().numpy(), 0.5, 0.25)
    assert t.float().numpy().min() >= 0
    t.log_normal_(0.2, 0.5)
    assert_mean_var(t.float().numpy(), math.exp(0.2 + 0.125), (math.exp(0.25) - 1) * math.exp(0.4 + 0.25))
    t.cauchy_(1.0, 2.0)  # no mean: its median and quartiles instead (median +- sigma)
    q = np.quantile(t.float().numpy(), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(q, [-1.0, 1.0, 3.0], atol=0.05)
    t.normal_(3.0, 2.0)
    assert_mean_var(t.float().numpy(), 3.0, 4.0)
    t.uniform_(-1.0, 3.0)
    assert_mean_var(t.float().numpy(), 1.0, 16 / 12)


@pytest.mark.parametrize("dtype", [tg.float32, tg.int64, tg.int16, tg.uint8])
def test_geometric(dtype):
    t = tg.empty(N, dtype=dtype).geometric_(0.25)
    x = t.numpy()
    assert t.dtype == dtype and x.min() >= 1
    assert_mean_var(x, 4.0, 0.75 / 0.0625)


@pytest.mark.parametrize("dtype", [tg.int64, tg.int8, tg.uint8, tg.float32, tg.float16, tg.float64])
def test_random_(dtype):
    t = tg.empty(N, dtype=dtype)
    x = t.random_(-3, 5).numpy() if dtype != tg.uint8 else t.random_(2, 10).numpy().astype(np.int64) - 5
    assert set(np.unique(x).astype(int)) == set(range(-3, 5))
    assert_mean_var(x, 0.5, (8 ** 2 - 1) / 12)
    assert t.random_(7).numpy().max() == 6 and t.numpy().min() == 0
    top = {tg.int8: 127, tg.uint8: 255, tg.float16: 2 ** 11, tg.float32: 2 ** 24}.get(dtype)
    if top is not None:  # random_() covers [0, top]
        x = t.random_().float().numpy()
        assert x.min() >= 0 and x.max() <= top and x.max() > 0.99 * top
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=2"):
        t.random_(5, 2)


def test_bernoulli():
    p = tg.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=tg.float64).expand(N // 5, 5).contiguous()
    out = tg.bernoulli(p)
    assert out.dtype == tg.float64 and out.shape == p.shape
    freq = out.numpy().mean(0)
    np.testing.assert_allclose(freq, [0.0, 0.1, 0.5, 0.9, 1.0], atol=6 * math.sqrt(0.25 / (N // 5)))
    assert set(np.unique(out.numpy())) <= {0.0, 1.0}
    assert_mean_var(tg.bernoulli(tg.zeros(N), 0.3).numpy(), 0.3, 0.21)
    assert_mean_var(p.bernoulli().numpy()[:, 2], 0.5, 0.25, N // 5)
    t = tg.empty(N, dtype=tg.float16)
    assert_mean_var(t.bernoulli_(0.2).float().numpy(), 0.2, 0.16)
    assert_mean_var(tg.empty(N, dtype=tg.int64).bernoulli_(tg.full((N,), 0.7)).numpy(), 0.7, 0.21)
    x = tg.tensor([0.2, 0.8], requires_grad=True)  # no gradient flows through the draws
    tg.bernoulli(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_bernoulli_errors_match_torch():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
            lib.bernoulli(lib.zeros(3), 1.5)
        with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
            lib.bernoulli(lib.tensor([1.5]))
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            lib.bernoulli(lib.tensor([1]))


def test_multinomial_with_replacement():
    w = tg.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 0.0, 2.0]])
    out = tg.multinomial(w, N // 2, replacement=True)
    assert out.dtype == tg.int64 and out.shape == (2, N // 2)
    counts = np.bincount(out.numpy()[0], minlength=4) / (N // 2)
    np.testing.assert_allclose(counts, [0.125, 0.0, 0.375, 0.5], atol=6 * math.sqrt(0.25 / (N // 2)))
    assert (out.numpy()[1] == 3).all()
    assert w[0].multinomial(5, True).shape == (5,)


def test_multinomial_without_replacement():
    w = tg.tensor([1.0, 2.0, 3.0, 4.0, 0.0], dtype=tg.float64)
    draws = np.stack([tg.multinomial(w, 4).numpy() for _ in range(4000)])
    assert all(sorted(row) == [0, 1, 2, 3] for row in draws)  # distinct, never the zero weight
    # the first draw follows the weights; the second draw of category 3 given a first draw of 0 is 4/9
    first = np.bincount(draws[:, 0], minlength=5) / 4000
    np.testing.assert_allclose(first, [0.1, 0.2, 0.3, 0.4, 0.0], atol=6 * math.sqrt(0.25 / 4000))
    # asking for more than the positive weights fills in with the zero-weight categories
    assert sorted(tg.multinomial(tg.tensor([0.0, 1.0, 0.0]), 3).tolist()) == [0, 1, 2]


@pytest.mark.parametrize("args, kwargs, match", [
    ((tg.ones(1, 2, 3), 2), {}, "prob_dist must be 1 or 2 dim"),
    ((tg.ones(2, dtype=tg.int64), 2), {}, "multinomial only supports floating-point dtypes for input"),
    ((tg.ones(2), 0), {}, "cannot sample n_sample <= 0 samples"),
    ((tg.ones(2), 3), {}, "cannot sample n_sample > prob_dist.size"),
    ((tg.tensor([1.0, -1.0, 2.0]), 2), {}, "probability tensor contains either `inf`, `nan` or element < 0"),
    ((tg.tensor([1.0, math.nan, 2.0]), 2), {"replacement": True}, "probability tensor contains"),
    ((tg.zeros(3), 2), {}, r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    ((tg.zeros(3), 2), {"replacement": True}, "invalid multinomial distribution"),
    ((tg.ones(2), 2), {"out": tg.zeros(2)}, "multinomial expects Long tensor out"),
])
def test_multinomial_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=match):
        tg.multinomial(*args, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda t: t.exponential_(0), "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda t: t.geometric_(1.5), r"geometric_ expects p to be in \(0, 1\), but got p=1.5"),
    (lambda t: t.cauchy_(0, -1), "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda t: t.log_normal_(0, 0), "log_normal_ expects std > 0.0, but found std=0"),
])
def test_fill_errors_match_torch(call, match):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match=match):
            call(lib.zeros(3))


def test_in_place_fills_on_tracked_tensors():
    leaf = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.exponential_()
    y = leaf * 2
    y.cauchy_()
    y.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [0.0, 0.0, 0.0])


def test_seeding_reproduces_draws():
    tg.manual_seed(7)
    a = [tg.empty(50).exponential_(), tg.multinomial(tg.ones(10), 5), tg.randint_like(tg.zeros(4), 3, 9)]
    tg.manual_seed(7)
    b = [tg.empty(50).exponential_(), tg.multinomial(tg.ones(10), 5), tg.randint_like(tg.zeros(4), 3, 9)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_randint_like_and_sixteen_bit_factories():
    x = tg.randint_like(tg.zeros(N, dtype=tg.float16), 10)
    assert x.dtype == tg.float16 and x.shape == (N,)
    assert_mean_var(x.float().numpy(), 4.5, 99 / 12)
    y = tg.randint_like(tg.zeros(N, dtype=tg.int32), -4, 4, dtype=tg.int16)
    assert y.dtype == tg.int16 and y.numpy().min() == -4 and y.numpy().max() == 3
    for dtype in (tg.uint8, tg.int8, tg.int16, tg.int32, tg.float16, tg.bfloat16):
        z = tg.randint(0, 7, (N,), dtype=dtype)
        assert z.dtype == dtype
        assert_mean_var(z.float().numpy(), 3.0, 4.0)
    for dtype in (tg.float16, tg.bfloat16):
        assert_mean_var(tg.randn(N, dtype=dtype).float().numpy(), 0.0, 1.0)
        assert_mean_var(tg.rand_like(tg.zeros(N, dtype=dtype)).float().numpy(), 0.5, 1 / 12)
        assert_mean_var(tg.randn_like(tg.zeros(N, dtype=dtype)).float().numpy(), 0.0, 1.0)
        assert_mean_var(tg.normal(2.0, 3.0, (N,), dtype=dtype).float().numpy(), 2.0, 9.0)

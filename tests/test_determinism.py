"""Parallel kernels give the same bits on 1 and 2 threads; large tensors index with int64."""
import numpy as np
import pytest

import tinygrad_ext as tg


@pytest.fixture
def restore_threads():
    n = tg.get_num_threads()
    yield
    tg.set_num_threads(n)


def _results(a, b, v, m):
    return [(a @ b).numpy().copy(), v.sum().numpy().copy(), m.sum(dim=1).numpy().copy(),
            m.sum(dim=0).numpy().copy(), v.exp().numpy().copy(), m.amax(dim=1).numpy().copy()]


def test_bit_identical_across_thread_counts(restore_threads):
    tg.use_deterministic_algorithms(True)
    assert tg.are_deterministic_algorithms_enabled()
    tg.manual_seed(0)
    a, b = tg.randn(300, 500), tg.randn(500, 400)
    v, m = tg.randn(3_000_000), tg.randn(1500, 1500)
    tg.set_num_threads(1)
    one = _results(a, b, v, m)
    tg.set_num_threads(2)
    two = _results(a, b, v, m)
    for x, y in zip(one, two):
        assert np.array_equal(x, y)
    tg.use_deterministic_algorithms(False)
    assert not tg.are_deterministic_algorithms_enabled()


def test_float32_sum_of_1e7_is_accurate():
    x = tg.rand(10_000_000)
    exact = float(x.double().sum())
    assert abs(float(x.sum()) - exact) <= 1e-6 * abs(exact)


@pytest.mark.slow
def test_more_than_2_31_elements_index_with_int64():
    n = 2**31 + 16
    x = tg.zeros(n, dtype=tg.bool)
    x[-1] = True
    x[2**31 + 3] = True
    assert x.sum().item() == 2
    assert x.nonzero().reshape(-1).tolist() == [2**31 + 3, n - 1]
    assert x[n - 1].item() is True and x[-2].item() is False
    assert x[2**31:].sum().item() == 2
    del x

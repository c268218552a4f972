"""The storage allocator: large blocks are recycled through a bounded cache, never handed out dirty
where a value is promised, and given back to the system on request or above the limit."""
import gc
import os
import threading

import numpy as np
import pytest

import tinygrad_ext as tg

MB = 1 << 20


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(autouse=True)
def fresh_cache():
    gc.collect()
    limit = tg._C._allocator_stats()["cache_limit"]
    tg._C._empty_cache()
    yield
    tg._C._set_cache_limit(limit)
    tg._C._empty_cache()


def test_same_shaped_temporaries_reuse_one_block():
    a = tg.rand(4 * MB)  # 16 MiB
    b = tg.rand(4 * MB)
    before = tg._C._allocator_stats()
    for _ in range(10):
        c = a + b
        del c
    after = tg._C._allocator_stats()
    assert after["mapped"] - before["mapped"] <= 1  # the first result maps, the other nine reuse
    assert after["reused"] - before["reused"] >= 9
    assert after["cached_bytes"] >= 16 * MB


def test_reused_blocks_hold_the_promised_values():
    n = 3 * MB
    big = tg.full((n,), 7.5)
    del big
    assert tg._C._allocator_stats()["cached_bytes"] >= 4 * n
    z = tg.zeros(n)
    assert tg._C._allocator_stats()["reused"] >= 1
    assert float(z.abs().max()) == 0.0
    del z
    o = tg.ones(n, dtype=tg.float32)
    assert float(o.min()) == 1.0 and float(o.max()) == 1.0
    r = tg.arange(n, dtype=tg.float64)  # 24 MiB: a different block size, still exact values
    np.testing.assert_array_equal(r.numpy()[-3:], np.arange(n - 3, n, dtype=np.float64))


def test_cache_respects_its_limit_and_empties():
    tg._C._set_cache_limit(8 * MB)
    x = tg.rand(4 * MB)  # 16 MiB: above a quarter of the limit, never cached
    del x
    assert tg._C._allocator_stats()["cached_bytes"] == 0
    ys = [tg.rand(MB // 2) for _ in range(6)]  # six 2 MiB blocks; at most 8 MiB stay cached
    del ys
    s = tg._C._allocator_stats()
    assert 0 < s["cached_bytes"] <= 8 * MB
    tg._C._empty_cache()
    assert tg._C._allocator_stats()["cached_bytes"] == 0
    tg._C._set_cache_limit(0)
    y = tg.rand(MB)
    del y
    assert tg._C._allocator_stats()["cached_bytes"] == 0


def test_memory_goes_back_to_the_system():
    tg._C._set_cache_limit(0)
    base = _rss_bytes()
    x = tg.ones(64 * MB)  # 256 MiB, touched
    assert _rss_bytes() - base > 200 * MB
    del x
    assert _rss_bytes() - base < 32 * MB


def test_blocks_freed_on_other_threads_are_reused_safely():
    tg._C._set_cache_limit(256 * MB)
    errors = []

    def work(seed):
        try:
            g = tg.Generator().manual_seed(seed)
            for _ in range(20):
                a = tg.rand(MB, generator=g)
                s = (a * 2).sum()
                expected = float(a.double().sum()) * 2
                assert abs(float(s) - expected) <= 1e-4 * expected
        except Exception as e:  # reported below: a thread's assertion must fail the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert tg._C._allocator_stats()["reused"] > 0


def test_small_blocks_cross_threads_and_come_back_clean():
    """Small storages (per-thread free lists): made on one thread, dropped on another, then reused
    for new tensors that must hold exactly their own values."""
    made = []

    def producer():
        for k in range(2000):
            made.append(tg.full((k % 300 + 1,), float(k)))

    t = threading.Thread(target=producer)
    t.start()
    t.join()
    for k, x in enumerate(made):
        assert x.numel() == k % 300 + 1 and float(x.min()) == float(x.max()) == float(k)
    del made
    gc.collect()
    fresh = [tg.zeros(n) for n in range(1, 301)] + [tg.arange(n, dtype=tg.int64) for n in range(1, 301)]
    for n, z in enumerate(fresh[:300], start=1):
        assert z.numel() == n and float(z.abs().sum()) == 0.0
    for n, r in enumerate(fresh[300:], start=1):
        assert r.tolist() == list(range(n))

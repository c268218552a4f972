"""Threading: the GEMM's 2-D partition gives the same bits on any thread count and matches torch; the
cost model gives small work one thread and never more threads than CPUs (unless a test allows it)."""
import numpy as np
import pytest
import torch

import tinygrad_ext as tg

from tests.helpers import assert_close

THREADS = (1, 2, 3, 4, 7)
C = tg._C


@pytest.fixture
def threads():
    """Sets tg's thread count; lets loops use more threads than CPUs, so a 2-CPU machine still runs
    the 7-thread partitions. Restores both afterwards."""
    saved = tg.get_num_threads()
    C._set_allow_oversubscription(True)
    yield tg.set_num_threads
    C._set_allow_oversubscription(False)
    tg.set_num_threads(saved)


def _operands(rng, m, k, n, trans_a, trans_b, dtype, batch=()):
    """Arrays for op(A) [.., m, k] and op(B) [.., k, n]; a transposed operand is stored transposed."""
    a = rng.standard_normal(batch + ((k, m) if trans_a else (m, k))).astype(dtype)
    b = rng.standard_normal(batch + ((n, k) if trans_b else (k, n))).astype(dtype)
    return a, b


def _product(lib, a, b, trans_a, trans_b):
    x, y = lib.from_numpy(a), lib.from_numpy(b)
    return (x.transpose(-1, -2) if trans_a else x) @ (y.transpose(-1, -2) if trans_b else y)


# (m, k, n): odd sizes off every tile and block edge; enough work to be split over 7 threads;
# K crosses the kc block (256/384), N crosses the nc panel (4096), M is a few rows or many.
SHAPES = [(301, 517, 263), (13, 300, 4133), (1000, 77, 211), (37, 1029, 129), (7, 4001, 601)]


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_bit_identical_across_thread_counts_and_matches_torch(threads, m, k, n, trans_a, trans_b):
    rng = np.random.default_rng(m * 7 + n)
    a, b = _operands(rng, m, k, n, trans_a, trans_b, np.float32)
    results = []
    for t in THREADS:
        threads(t)
        results.append(_product(tg, a, b, trans_a, trans_b).numpy())
    assert C._planned_threads("gemm", [m, n, k]) > 1  # the partition under test really is parallel
    for t, r in zip(THREADS[1:], results[1:]):
        assert np.array_equal(results[0], r), f"{t} threads differ from 1 thread"
    expected = _product(torch, a.astype(np.float64), b.astype(np.float64), trans_a, trans_b).numpy()
    assert_close(results[0], expected, np.float32, f"{m}x{k} @ {k}x{n}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_addmm_with_bias_bit_identical_across_thread_counts(threads, dtype):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((257, 385)).astype(dtype), rng.standard_normal((131, 385)).astype(dtype)
    bias = rng.standard_normal(131).astype(dtype)
    results = []
    for t in THREADS:
        threads(t)
        results.append(tg.addmm(tg.from_numpy(bias), tg.from_numpy(x), tg.from_numpy(w).t(),
                                beta=0.5, alpha=1.5).numpy())
    for r in results[1:]:
        assert np.array_equal(results[0], r)
    expected = torch.addmm(torch.from_numpy(bias), torch.from_numpy(x), torch.from_numpy(w).t(), beta=0.5, alpha=1.5)
    assert_close(results[0], expected.numpy(), dtype)


@pytest.mark.parametrize("batch,m,k,n,trans_a,trans_b", [
    ((512,), 23, 31, 19, False, False),    # small matrices: split by batch entry
    ((9, 61), 5, 17, 6, True, False),      # two batch dims, narrow outputs
    ((300,), 40, 33, 40, False, True),
    ((3,), 250, 260, 270, True, True),     # large entries: each split itself
])
def test_batched_matmul_bit_identical_across_thread_counts_and_matches_torch(threads, batch, m, k, n,
                                                                             trans_a, trans_b):
    rng = np.random.default_rng(m + n)
    a, b = _operands(rng, m, k, n, trans_a, trans_b, np.float32, batch)
    results = []
    for t in THREADS:
        threads(t)
        results.append(_product(tg, a, b, trans_a, trans_b).numpy())
    for r in results[1:]:
        assert np.array_equal(results[0], r)
    expected = _product(torch, a.astype(np.float64), b.astype(np.float64), trans_a, trans_b).numpy()
    assert_close(results[0], expected, np.float32)


def test_batched_matmul_of_small_matrices_splits_the_batch(threads):
    threads(4)
    # 512 entries of 23x31 @ 31x19: enough work in all for several threads, too little in each
    assert C._planned_threads("gemm", [23, 19, 31]) == 1
    assert C._planned_threads("bmm", [512, 23, 19, 31]) > 1
    assert C._planned_threads("bmm", [3, 250, 270, 260]) == 1  # large entries: split inside instead
    assert C._planned_threads("gemm", [250, 270, 260]) > 1


@pytest.mark.parametrize("kind,small,large", [
    ("elementwise", [1000], [1 << 24]),
    ("optimizer", [10_000], [1 << 24]),
    ("reduce_rows", [64, 64], [4096, 4096]),
    ("gather", [256, 784], [1 << 16, 784]),
    ("gemm", [64, 64, 64], [1024, 1024, 1024]),
    ("bmm", [8, 16, 16, 16], [4096, 32, 32, 32]),
])
def test_cost_model_gives_small_work_one_thread(threads, kind, small, large):
    for t in (1, 2, 4, 16):
        threads(t)
        assert C._planned_threads(kind, small) == 1, (kind, small, t)
        assert C._planned_threads(kind, large) == t, (kind, large, t)


def test_cost_model_threads_grow_with_work_and_setting(threads):
    for kind, sizes in [("elementwise", lambda s: [s]), ("gemm", lambda s: [s // 64, 64, 64])]:
        for t in (2, 4, 16):
            threads(t)
            counts = [C._planned_threads(kind, sizes(s)) for s in (1 << p for p in range(10, 28))]
            assert counts == sorted(counts) and 1 <= min(counts) and max(counts) <= t, (kind, t, counts)


def test_threads_capped_at_cpus_unless_oversubscription_allowed():
    saved = tg.get_num_threads()
    try:
        tg.set_num_threads(4 * C._hardware_threads())
        assert C._planned_threads("elementwise", [1 << 30]) == C._hardware_threads()
        assert C._planned_threads("gemm", [4096, 4096, 4096]) <= C._hardware_threads()
        assert tg.get_num_threads() == 4 * C._hardware_threads()  # the setting itself is kept
    finally:
        tg.set_num_threads(saved)


def test_planned_threads_rejects_bad_queries():
    with pytest.raises(ValueError, match="unknown kind"):
        C._planned_threads("conv", [1])
    with pytest.raises(ValueError, match="expected 3 sizes"):
        C._planned_threads("gemm", [1, 2])


def test_gemm_blocks_come_from_the_caches():
    caches = C._cache_sizes()
    assert caches["source"] in ("cpuid", "sysconf", "default")
    assert caches["l1d"] > 0 and caches["l2"] > 0
    for f64 in (False, True):
        mc, kc, nc = C._gemm_blocks(f64)
        itemsize = 8 if f64 else 4
        assert mc > 0 and kc >= 16 and nc > 0
        assert mc * kc * itemsize <= caches["l2"]  # the A block fits the core's L2


def _openmp_settings(env_extra):
    """libgomp's settings as it prints them at load (OMP_DISPLAY_ENV) when a fresh interpreter imports
    tinygrad_ext, and whether OMP_WAIT_POLICY is left in that interpreter's environment."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_extra, OMP_DISPLAY_ENV="verbose",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    code = "import os, tinygrad_ext; print(os.environ.get('OMP_WAIT_POLICY'))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr, done.stdout.strip()


def test_openmp_wait_policy_is_passive_unless_the_user_chose_one():
    # libgomp's own default spins 300000 times; the passive policy does not spin at all
    shown, left = _openmp_settings({})
    assert "GOMP_SPINCOUNT = '0'" in shown and left == "None"
    shown, left = _openmp_settings({"OMP_WAIT_POLICY": "active"})
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in shown and left == "active"
    shown, _ = _openmp_settings({"GOMP_SPINCOUNT": "100000"})
    assert "GOMP_SPINCOUNT = '100000'" in shown

"""Reliability: hostile inputs, NaN/Inf, deep graphs, leaks, resident memory and threads."""
import gc
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.helpers import compare



class BrokenIndex:
    def __index__(self):
        raise TypeError("broken __index__")


class WrongIndex:
    def __index__(self):
        return "not an int"


WRONG_TYPES = [
    lambda: tg.zeros("a"), lambda: tg.zeros(None), lambda: tg.zeros(BrokenIndex()), lambda: tg.zeros(2, WrongIndex()),
    lambda: tg.ones(2.5), lambda: tg.ones(4).view("a"), lambda: tg.ones(4).view(None), lambda: tg.ones(4).reshape(BrokenIndex()),
    lambda: tg.ones(4).sum("a"), lambda: tg.ones(2) + None, lambda: tg.ones(2) + "a", lambda: tg.ones(2) * object(),
    lambda: tg.tensor(object()), lambda: tg.tensor("abc"), lambda: tg.ones(2, 2).permute("a", 1),
    lambda: tg.ones(2, 2).transpose(None, 1), lambda: tg.ones(2).__setitem__(0, "a"), lambda: tg.zeros(2, dtype="float32"),
    lambda: tg.zeros(2).to("cpu", "nope"), lambda: tg.ones(1).squeeze("a"), lambda: tg.ones(2, 2).flatten(0.5),
    lambda: tg.from_numpy([1, 2]), lambda: tg.from_numpy(np.array([object()])), lambda: tg.full((2,), "x"),
    lambda: tg.arange("a"), lambda: tg.ones(2).clamp("a"), lambda: tg.ones(2).fill_("a"), lambda: tg.where(tg.ones(2) > 0, "a", 1.0),
    lambda: tg.ones(2).expand("a"), lambda: tg.ones(2, 2).matmul("a"), lambda: tg.ones(2).pow(None),
    lambda: tg.ones(2).unsqueeze(BrokenIndex()), lambda: tg.ones(2).max("a"),
]


@pytest.mark.parametrize("i", range(len(WRONG_TYPES)))
def test_wrong_types_raise_type_error(i):
    with pytest.raises(TypeError):
        WRONG_TYPES[i]()


HUGE = [
    lambda: tg.empty(2**40, 2**20), lambda: tg.zeros(2**62), lambda: tg.zeros(2**40, 2**40), lambda: tg.empty(2**31, 2**31, 2**31),
    lambda: tg.randn(2**40, 2**30), lambda: tg.rand(2**45), lambda: tg.arange(0, 1e30), lambda: tg.linspace(0, 1, 2**62),
    lambda: tg.eye(2**40), lambda: tg.randperm(2**62), lambda: tg.full((2**40, 2**40), 1.0), lambda: tg.ones(1).expand(2**62, 2**62),
    lambda: tg.ones(1, 1).expand(2**31, 1) @ tg.ones(1, 1).expand(1, 2**31), lambda: tg.ones(1).expand(2**40).contiguous(),
    lambda: tg.ones(1).expand(2**40) + 1, lambda: tg.ones(2**20).view(1, 1).expand(2**40, 2**20).sum(),
]


@pytest.mark.parametrize("i", range(len(HUGE)))
def test_impossible_sizes_raise_not_crash(i):
    with pytest.raises((MemoryError, RuntimeError)):
        HUGE[i]()


NEGATIVE = [lambda: tg.zeros(2, -3), lambda: tg.ones(4).view(-2, 2), lambda: tg.ones(1).expand(-2), lambda: tg.rand(-1),
            lambda: tg.randint(0, 5, (-1,)), lambda: tg.eye(-1), lambda: tg.empty(-5), lambda: tg.randperm(-3),
            lambda: tg.ones(2).expand(2, -5), lambda: tg.linspace(0, 1, -2), lambda: tg.full((-1, 2), 0.0)]


@pytest.mark.parametrize("i", range(len(NEGATIVE)))
def test_negative_sizes_raise(i):
    with pytest.raises(RuntimeError):
        NEGATIVE[i]()


def test_int64_overflow_in_shape_products():
    for shape in [(2**32, 2**32), (2**62, 4), (3, 2**62), (2**21, 2**21, 2**21)]:
        with pytest.raises(RuntimeError, match="overflow"):
            tg.zeros(*shape)
    with pytest.raises(RuntimeError):
        tg.ones(1, 1).expand(2**32, 2**32)
    with pytest.raises((RuntimeError, TypeError)):
        tg.zeros(2**64)


SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e300, -1e-300])
NAN_OPS = [
    lambda x: -x, lambda x: x.abs(), lambda x: x.exp(), lambda x: x.log(), lambda x: x.sqrt(), lambda x: x.relu(),
    lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x ** 2, lambda x: x ** 0.5, lambda x: x + x, lambda x: x * x,
    lambda x: x / x, lambda x: x - x.view(3, 3).t().reshape(-1), lambda x: x / x.view(3, 3).t().reshape(-1),
    lambda x: x.abs().pow(x.view(3, 3).t().reshape(-1)), lambda x: x.sum(), lambda x: x.mean(), lambda x: x.amax(0),
    lambda x: x.amin(0), lambda x: x.max(), lambda x: x.min(), lambda x: x.max(0)[0], lambda x: x.argmax(),
    lambda x: x.view(3, 3) @ x.view(3, 3), lambda x: x.view(3, 3).t().reshape(-1), lambda x: x > 0, lambda x: x == x,
    lambda x: x.clamp(-1, 1), lambda x: x * 0, lambda x: 1 / x,
]


# Known gradient differences at special values (forward values match): reported, not yet fixed.
NAN_KNOWN = {
    9: "x ** 0.5 backward at -inf / -0.0: torch gives nan / -inf, tinygrad_ext 0 / inf",
    28: "clamp backward at NaN: torch gives 0 (mask lo <= x <= hi), tinygrad_ext passes the gradient",
}


@pytest.mark.parametrize("i", range(len(NAN_OPS)))
@pytest.mark.parametrize("dt", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_inf_through_core_ops(i, dt, request):
    if i in NAN_KNOWN:
        request.applymarker(pytest.mark.xfail(reason=NAN_KNOWN[i], strict=True))
    f = NAN_OPS[i]
    compare(f, f, SPECIALS.astype(dt), upstream="sum")


def test_maximum_minimum_propagate_nan():
    a, b = np.array([np.nan, 1.0, np.inf]), np.array([0.0, np.nan, np.nan])
    compare(tg.maximum, torch.maximum, a, b, upstream="sum")
    compare(tg.minimum, torch.minimum, a, b, upstream="sum")


def test_from_numpy_read_only_and_misaligned_arrays_are_copied():
    ro = np.arange(6.0)
    ro.flags.writeable = False
    t = tg.from_numpy(ro)
    t.add_(1)  # must not write into read-only memory
    assert ro.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and t.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    buf = np.zeros(8 * 5 + 1, dtype=np.uint8)
    mis = buf[1:].view(np.float64)
    mis[:] = [1, 2, 3, 4, 5]
    assert mis.ctypes.data % 8 != 0
    t = tg.from_numpy(mis)
    assert t.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert (t * 2).sum().item() == 30.0
    odd = np.zeros(10, dtype=np.float32).view(np.dtype([("a", np.float32), ("b", np.float32)]))["a"]
    t = tg.from_numpy(odd)
    assert t.shape == (5,)
    bc = np.broadcast_to(np.arange(3.0), (4, 3))  # read-only, stride 0
    t = tg.from_numpy(bc)
    assert t.sum().item() == 12.0


def test_tensor_mutated_in_backward_hook():
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        other = m.tensor([5.0, 5.0, 5.0])

        def hook(g):
            other.mul_(2)  # mutate an unrelated tensor
            g.mul_(3)       # mutate the incoming gradient in place
            return None

        y = x * 2
        y.register_hook(hook)
        (y * y).sum().backward()
        return x.grad, other
    (a1, a2), (b1, b2) = run(tg), run(torch)
    assert a1.tolist() == b1.tolist() and a2.tolist() == b2.tolist()


def test_saved_tensor_mutated_in_hook_is_detected():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    def hook(g):
        y.add_(1)

    z.register_hook(hook)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()


def test_grad_readable_after_graph_freed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    del y
    gc.collect()
    g = x.grad
    assert np.allclose(g.numpy(), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    assert g.grad_fn is None


DEEP_SCRIPT = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {path!r})
    import tinygrad_ext as tg
    N = 100_000
    def work():
        x = tg.ones(1, requires_grad=True)
        y = x
        for _ in range(N):
            y = y * 1.0
        y.sum().backward()
        assert x.grad.item() == 1.0, x.grad
        z = x
        for _ in range(N):
            z = z + 0.0
        del z  # deleting an un-run chain of 100k nodes
        w = x
        for _ in range(N):
            w = w.exp().log()
        del w, y
        assert tg._C._live_node_count() == 0, tg._C._live_node_count()
        print("ok")
    threading.stack_size(512 * 1024)  # a small C stack: recursion over the chain would overflow it
    t = threading.Thread(target=work)
    t.start(); t.join()
""")


def test_deep_graph_backward_and_deletion_do_not_overflow_the_stack():
    # the subprocess imports the same tinygrad_ext these tests imported (installed or in-tree)
    script = DEEP_SCRIPT.format(path=os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__))))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, (r.returncode, r.stderr[-2000:])


def test_dropping_a_graph_frees_every_tensor_and_node():
    gc.collect()
    t0, n0 = tg._C._live_tensor_count(), tg._C._live_node_count()
    x = tg.randn(4, 3, requires_grad=True)
    w = tg.randn(3, 2, requires_grad=True)
    h = (x @ w).relu()
    h.retain_grad()
    loss = (h.sigmoid() * h).sum() + h.exp().mean()
    loss.register_hook(lambda g: g)
    assert tg._C._live_node_count() > n0
    loss.backward(retain_graph=True)
    del x, w, h, loss
    gc.collect()
    assert tg._C._live_node_count() == n0
    assert tg._C._live_tensor_count() == t0
    # a graph never run backward, with a create_graph second derivative
    x = tg.randn(5, dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    del x, g, gg
    gc.collect()
    assert tg._C._live_node_count() == n0 and tg._C._live_tensor_count() == t0


def _rss_pages():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1])


def _train_mlp(steps, seed, lr=0.05):
    """A tiny MLP (matmul + relu + squared-error sum) trained by manual SGD under no_grad."""
    g = tg.Generator().manual_seed(seed)
    x = tg.randn(32, 8, generator=g)
    y = tg.randn(32, 1, generator=g)
    w1 = (tg.randn(8, 16, generator=g) * 0.3).requires_grad_()
    w2 = (tg.randn(16, 1, generator=g) * 0.3).requires_grad_()
    losses = []
    for _ in range(steps):
        loss = (((x @ w1).relu() @ w2 - y) ** 2).sum() / 32
        loss.backward()
        with tg.no_grad():
            for p in (w1, w2):
                p.sub_(p.grad * lr)
                p.grad.zero_()
        losses.append(loss.item())
    return losses, w1.detach().clone(), w2.detach().clone()


def test_training_loop_resident_memory_is_flat():
    _train_mlp(200, 0)  # warm up allocator and caches
    gc.collect()
    before = _rss_pages()
    t0, n0 = tg._C._live_tensor_count(), tg._C._live_node_count()
    losses = _train_mlp(3000, 0)[0]
    gc.collect()
    after = _rss_pages()
    assert losses[-1] < losses[0]
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    assert (after - before) * page_kb < 4096, f"resident memory grew by {(after - before) * page_kb} KiB"
    assert tg._C._live_tensor_count() == t0 and tg._C._live_node_count() == n0


def test_two_training_threads_match_sequential_runs():
    seq = [_train_mlp(300, s) for s in (1, 2)]
    par = [None, None]

    def run(k):
        par[k] = _train_mlp(300, k + 1)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (ls, a1, a2), (lp, b1, b2) in zip(seq, par):
        assert ls == lp
        assert np.array_equal(a1.numpy(), b1.numpy()) and np.array_equal(a2.numpy(), b2.numpy())


def test_no_grad_in_one_thread_does_not_affect_another():
    stop = threading.Event()
    seen = []

    def background():
        with tg.no_grad():
            while not stop.is_set():
                tg.ones(2, requires_grad=True) * 2

    t = threading.Thread(target=background)
    t.start()
    try:
        for _ in range(200):
            x = tg.ones(2, requires_grad=True)
            seen.append((x * 2).requires_grad and tg.is_grad_enabled())
    finally:
        stop.set()
        t.join()
    assert all(seen)

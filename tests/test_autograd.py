"""Autograd engine semantics vs torch: accumulation, retain_graph, grad modes, versions, hooks, grad()."""
import gc
import threading

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.helpers import assert_close, assert_tensor_matches, compare


def both(fn):
    """Runs fn(lib) for tinygrad_ext and torch and returns both results."""
    return fn(tg), fn(torch)


def test_gradients_accumulate_over_two_backward_calls():
    def run(m):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        (x * 3).sum().backward()
        return x.grad
    a, b = both(run)
    assert_tensor_matches(a, b)


def test_shared_subexpressions():
    def run(m):
        x = m.tensor([[1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        y = x * 2
        z = y + y  # a + a
        w = (z * y).exp().sum() + y.sum()  # y reused by three consumers
        w.backward()
        return x.grad
    a, b = both(run)
    assert_tensor_matches(a, b)
    compare(lambda x: x + x, lambda x: x + x, np.array([1.0, 2.0]))
    compare(lambda x: x * x * x, lambda x: x * x * x, np.array([1.0, 2.0]))


def test_second_backward_without_retain_graph_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_second_backward():
    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    a, b = both(run)
    assert_tensor_matches(a, b)


def test_no_grad_context_and_decorator():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            z = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @tg.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert tg.is_grad_enabled()

    @tg.enable_grad()
    def g(t):
        return t * 3

    with tg.no_grad():
        assert g(x).requires_grad


def test_set_grad_enabled():
    x = tg.ones(2, requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    tg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()


def test_no_grad_exits_on_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_detach_and_data():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0  # shares memory
    assert x[0].item() == 5.0
    y = (x * 2).detach()
    assert y.grad_fn is None
    x.data.mul_(2)  # .data: no version bump visible to autograd, no error
    assert x.tolist() == [10.0, 4.0]
    x.data = tg.tensor([7.0, 8.0])
    assert x.tolist() == [7.0, 8.0] and x.requires_grad
    z = tg.ones(2, requires_grad=True)
    w = z.exp()
    z.data.add_(1)  # torch does not detect this either
    w.sum().backward()
    assert z.grad is not None


def test_modifying_saved_tensor_in_place_raises_naming_the_op():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.exp()  # exp saves its output
    z.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0") as info:
        z.sum().backward()
    assert "modified by an inplace operation" in str(info.value)
    a = x * 1
    b = a * a  # saves a
    a.mul_(3)
    with pytest.raises(RuntimeError, match="inplace"):
        b.sum().backward()


def test_inplace_on_view_bumps_shared_version():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = y * y
    y[1:].add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()


def test_inplace_gradients_match_torch():
    def run(m):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        y.add_(x)
        y.mul_(x)
        y.sub_(1).div_(2)
        y.pow_(2)
        name = y.grad_fn.name()
        y.clamp_(-1, 10)
        y.sum().backward()
        return x.grad, y, name
    (ga, ya, na), (gb, yb, nb) = both(run)
    assert_tensor_matches(ga, gb)
    assert_tensor_matches(ya, yb)
    assert na == nb


def test_inplace_on_view_of_nonleaf_updates_base_gradient():
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y[1:].mul_(2)
        y.sum().backward()
        return x.grad
    a, b = both(run)
    assert_tensor_matches(a, b)


def test_setitem_on_nonleaf_gradients_match_torch():
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = m.tensor([4.0, 5.0, 6.0], requires_grad=True)
        y = x * 2
        y[0] = 5.0
        y[1:] = w[1:] * 3
        (y * y).sum().backward()
        return x.grad, w.grad
    (a1, a2), (b1, b2) = both(run)
    assert_tensor_matches(a1, b1)
    assert_tensor_matches(a2, b2)


def test_inplace_on_leaf_requiring_grad_raises():
    x = tg.ones(2, requires_grad=True)
    for f in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(), lambda t: t.fill_(3),
              lambda t: t.copy_(tg.zeros(2)), lambda t: t.normal_(), lambda t: t.uniform_()):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f(x)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0
    with tg.no_grad():
        x.add_(1)  # allowed under no_grad
    assert x.tolist() == [2.0, 2.0]


def test_nonscalar_backward_needs_gradient():
    x = tg.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    y.backward(tg.ones(2, 3))
    assert x.grad.tolist() == [[2.0] * 3] * 2
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(tg.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).sum().backward()


def test_second_derivative_with_create_graph():
    def run(m):
        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = (x ** 3).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x)
        return g, h, x
    (g, h, x), (gt, ht, _) = both(run)
    assert_tensor_matches(h, ht)
    assert_close(h.numpy(), 6 * x.detach().numpy())
    assert_tensor_matches(g, gt)
    assert x.grad is None  # grad() does not touch .grad


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
def test_create_graph_backward_accumulates_differentiable_grad():
    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        x.tanh().mul(x).sum().backward(create_graph=True)
        g = x.grad
        assert g.requires_grad
        x.grad = None
        g.sum().backward()
        return x.grad
    a, b = both(run)
    assert_tensor_matches(a, b)


def test_autograd_grad_options():
    x = tg.ones(2, requires_grad=True)
    u = tg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = tg.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]
    gx, gu = tg.autograd.grad(y, [x, u], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]
    v = x * 3
    (gv,) = tg.autograd.grad(v, x, grad_outputs=tg.tensor([1.0, 2.0]))
    assert gv.tolist() == [3.0, 6.0]


def test_retain_grad():
    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        z = y * y
        z.sum().backward()
        assert y.retains_grad
        return y.grad, x.grad
    (a1, a2), (b1, b2) = both(run)
    assert_tensor_matches(a1, b1)
    assert_tensor_matches(a2, b2)


def test_nonleaf_grad_is_none_without_retain_grad():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    assert y.grad is None


def test_register_hook_leaf_and_nonleaf_and_removal():
    def run(m):
        seen = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        hx = x.register_hook(lambda g: g * 10)
        y = x * x
        y.register_hook(lambda g: seen.append(g.clone()) or g + 1)
        y.sum().backward()
        first = x.grad.clone()
        hx.remove()
        x.grad = None
        (x * x).sum().backward()
        return first, x.grad, seen[0]
    (a1, a2, a3), (b1, b2, b3) = both(run)
    for a, b in ((a1, b1), (a2, b2), (a3, b3)):
        assert_tensor_matches(a, b)


def test_hook_returning_none_keeps_gradient():
    x = tg.ones(2, requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    assert calls == [1] and x.grad.tolist() == [2.0, 2.0]


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        tg.ones(2).register_hook(lambda g: g)


GRAD_FN_CASES = [
    lambda m, x: x + x, lambda m, x: x * 2, lambda m, x: x - 1, lambda m, x: x / 2, lambda m, x: x.sum(),
    lambda m, x: x.mean(), lambda m, x: x.exp(), lambda m, x: x.log(), lambda m, x: x.sqrt(), lambda m, x: -x,
    lambda m, x: x.relu(), lambda m, x: x.sigmoid(), lambda m, x: x.tanh(), lambda m, x: x ** 2,
    lambda m, x: x ** x, lambda m, x: x.abs(), lambda m, x: x.view(4), lambda m, x: x.reshape(4),
    lambda m, x: x.t(), lambda m, x: x.transpose(0, 1), lambda m, x: x.permute(1, 0), lambda m, x: x @ x,
    lambda m, x: x.mm(x), lambda m, x: x.expand(3, 2, 2), lambda m, x: x.unsqueeze(0), lambda m, x: x.squeeze(),
    lambda m, x: x[0], lambda m, x: x[:, 1:], lambda m, x: x.amax(0), lambda m, x: x.max(), lambda m, x: x.max(0)[0],
    lambda m, x: m.maximum(x, x * 2), lambda m, x: x.flatten(), lambda m, x: x.clone(), lambda m, x: x.sum(0),
    lambda m, x: x.double(), lambda m, x: x.contiguous() * 1, lambda m, x: 2 - x, lambda m, x: 2 / x,
    lambda m, x: x.min(), lambda m, x: x.amin(1),
]


@pytest.mark.parametrize("i", range(len(GRAD_FN_CASES)))
def test_grad_fn_names_match_torch(i):
    def run(m):
        x = m.tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True)
        return GRAD_FN_CASES[i](m, x).grad_fn
    a, b = both(run)
    assert a.name() == b.name()
    assert repr(a).split(" object")[0] == repr(b).split(" object")[0]


def test_next_functions_walk_the_graph():
    x = tg.ones(2, requires_grad=True)
    y = (x * 2).exp()
    nf = y.grad_fn.next_functions
    assert nf[0][0].name() == "MulBackward0"
    leaf = nf[0][0].next_functions[0][0]
    assert leaf.name() == "AccumulateGrad" and leaf.variable is x


def test_integer_tensors_cannot_require_grad():
    for t in (tg.tensor([1, 2]), tg.tensor([True])):
        with pytest.raises(RuntimeError, match="floating point"):
            t.requires_grad_(True)
        with pytest.raises(RuntimeError):
            t.requires_grad = True
    with pytest.raises(RuntimeError):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)
    x = tg.ones(2, requires_grad=True)
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad


def test_requires_grad_on_nonleaf_raises():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)


def test_grad_mode_is_thread_local():
    results = {}
    barrier = threading.Barrier(2)

    def worker_no_grad():
        with tg.no_grad():
            barrier.wait()
            barrier.wait()
            results["no_grad"] = (tg.ones(1, requires_grad=True) * 2).requires_grad

    def worker_grad():
        barrier.wait()
        results["grad_enabled"] = tg.is_grad_enabled()
        results["grad"] = (tg.ones(1, requires_grad=True) * 2).requires_grad
        barrier.wait()

    threads = [threading.Thread(target=worker_no_grad), threading.Thread(target=worker_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"no_grad": False, "grad_enabled": True, "grad": True}
    assert tg.is_grad_enabled()


def test_grad_dtype_matches_tensor_dtype():
    x = tg.ones(2, dtype=tg.float64, requires_grad=True)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == tg.float64
    y = tg.ones(2, requires_grad=True)
    (y * tg.ones(2, dtype=tg.float64)).sum().backward()
    assert y.grad.dtype == tg.float32


def test_grad_setter_and_zeroing():
    x = tg.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    assert x.grad is None
    with pytest.raises((RuntimeError, TypeError)):
        x.grad = tg.ones(3)


def test_retain_grad_follows_inplace_ops_like_torch():
    """retain_grad on a non-leaf: after an in-place op (on the tensor, or on the base of a view that
    retains grad) .grad is the gradient of the current value; register_hook stays on the old one."""
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y.mul_(3)
        b = x * 1
        v = b[1:]
        v.retain_grad()
        b.mul_(2)
        ((y * y).sum() + (v * 5).sum()).backward()
        return y.grad, v.grad, x.grad, seen[0]
    for a, b in zip(*both(run)):
        assert_tensor_matches(a, b)
    gc.collect()
    t0 = tg._C._live_tensor_count()
    run(tg)
    gc.collect()
    assert tg._C._live_tensor_count() == t0

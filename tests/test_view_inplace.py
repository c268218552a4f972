"""In-place ops on views vs torch: the base's history is rebased (CopySlices), views regenerate theirs
(AsStridedBackward0), overwritten values get no gradient, and torch's errors for views made in no_grad
mode or by multi-output ops."""
import gc

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.helpers import assert_tensor_matches


def x_of(m, shape=(3, 4), dtype=None):
    values = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float64).reshape(shape) / 4
    return m.tensor(values.tolist(), dtype=dtype or m.float32, requires_grad=True)


def w_of(m, values):
    return m.tensor(values, requires_grad=True)


def check(program):
    """Runs program(lib) -> (loss, tensors...) on both libraries; backward of loss; compares the
    loss, the returned tensors and their gradients."""
    results = []
    for m in (tg, torch):
        loss, *tensors = program(m)
        loss.backward()
        results.append((loss, tensors))
    (la, ta), (lb, tb) = results
    assert_tensor_matches(la, lb, "loss")
    for i, (a, b) in enumerate(zip(ta, tb)):
        assert_tensor_matches(a, b, f"tensor {i}")
        assert (a.grad is None) == (b.grad is None), f"tensor {i}: grad is None in only one library"
        if b.grad is not None:
            assert_tensor_matches(a.grad, b.grad, f"grad of tensor {i}")


def prog_slice_mul(m):
    x = x_of(m)
    y = x * 1
    y[1:].mul_(2)
    return (y * y).sum(), x


def prog_slice_with_step(m):
    x = x_of(m)
    y = x * 2 + 1
    y[:, ::2].add_(1.5)
    y[::2, 1::3].mul_(-2)
    return (y * y).sum(), x


def prog_view_of_view(m):
    x = x_of(m)
    y = x * 2
    v = y[1:]
    vv = v[:, 1:3]
    vv.mul_(3)
    return (y * y).sum() + (v * v).sum() + vv.sum(), x


def prog_transpose_then_inplace(m):
    x = x_of(m)
    w = w_of(m, [1.0, -2.0, 3.0])
    y = x * 3 - 1
    yt = y.t()
    yt[2].mul_(w)
    return (y * y).sum() + yt.sum(), x, w


def prog_select(m):
    x = x_of(m)
    w = w_of(m, [0.5, 1.0, 1.5, 2.0])
    y = x * x
    y[0].add_(w)
    y[:, 2].sub_(w[:3] * 2)
    return (y * y).sum(), x, w


def prog_diagonal_strided(m):
    x = x_of(m, (3, 3))
    y = x * 1
    y.reshape(-1)[::4].mul_(10)  # the main diagonal: stride 4 in the flat view
    return (y * y.t()).sum(), x


def prog_copy_fill_zero(m):
    x = x_of(m)
    w = w_of(m, [1.0, 2.0, 3.0, 4.0])
    y = x * 3
    y[0].copy_(w)
    y[1, 1:].fill_(7)
    y[2, ::2].zero_()
    return (y * y).sum(), x, w


def prog_fill_with_tensor(m):
    x = x_of(m)
    s = m.tensor(2.5, requires_grad=True)
    y = x * 1
    y[1].fill_(s * 2)
    return (y * y).sum(), x, s


def prog_other_operand_requires_grad(m):
    x = x_of(m, (4,))
    w = w_of(m, [2.0, 3.0, 4.0])
    y = x * 1
    y[1:].mul_(w)
    return (y * y).sum(), x, w


def prog_base_without_grad_receives_grad(m):
    w = w_of(m, [2.0, 3.0])
    b = m.zeros(3)
    b[1:].copy_(w)
    c = m.ones(3)
    c[:2].mul_(w)
    return (b * c).sum() + (b * b).sum(), w


def prog_view_used_after_base_modified(m):
    x = x_of(m)
    y = x * 1
    v = y[1:]
    y.mul_(2)
    y.add_(1)
    return (v * v).sum(), x


def prog_base_used_after_view_modified(m):
    x = x_of(m)
    y = x * 1
    v = y[:, 1]
    v.mul_(5)
    return (y.exp()).sum() + v.sum(), x


def prog_successive_ops_on_different_views(m):
    x = x_of(m)
    w = w_of(m, [1.0, -1.0])
    y = x * 1
    a, b = y[:2], y[1:]
    a.mul_(2)
    b.t()[1].add_(w)
    a[:, ::2].div_(3)
    y.t()[0].mul_(y.t()[3].clone())
    return (y * y).sum() + (a * b[0]).sum(), x, w


def prog_unsqueeze_and_view(m):
    x = x_of(m)
    y = x * 1
    y.unsqueeze(0)[0, 1:, :2].mul_(3)
    y.view(2, 6)[1].add_(1)
    y.reshape(12)[5:].mul_(0.5)
    return (y * y).sum(), x


def prog_setitem_on_view(m):
    x = x_of(m)
    w = w_of(m, [4.0, 5.0])
    y = x * 2
    v = y[1:]
    v[0, :2] = w * 3
    return (y * y).sum(), x, w


def prog_mixed_dtype_operand(m):
    x = x_of(m)
    w = w_of(m, [1.0, 2.0, 3.0, 4.0]).double()
    y = x * 1
    y[1:].add_(w)
    return (y * y).sum(), x


def prog_empty_view(m):
    x = x_of(m)
    y = x * 1
    y[3:].mul_(2)
    return (y * y).sum(), x


def prog_inplace_on_base_then_view(m):
    x = x_of(m)
    w = w_of(m, [3.0, 4.0, 5.0, 6.0])
    y = x * 1
    v = y[2]
    y.mul_(y.clone())
    v.mul_(w)
    return (y * y).sum() + (v * v).sum(), x, w


PROGRAMS = [prog_slice_mul, prog_slice_with_step, prog_view_of_view, prog_transpose_then_inplace, prog_select,
            prog_diagonal_strided, prog_copy_fill_zero, prog_fill_with_tensor, prog_other_operand_requires_grad,
            prog_base_without_grad_receives_grad, prog_view_used_after_base_modified,
            prog_base_used_after_view_modified, prog_successive_ops_on_different_views, prog_unsqueeze_and_view,
            prog_setitem_on_view, prog_mixed_dtype_operand, prog_empty_view, prog_inplace_on_base_then_view]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__[5:] for p in PROGRAMS])
def test_inplace_on_view_matches_torch(program):
    check(program)


def test_fill_on_expanded_view_sums_the_copies():
    # torch allows the fill but its backward then refuses the overlapping view; tinygrad_ext sums
    # the gradient of every copy into the one element they share
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    e = y.view(3, 1).expand(3, 2)
    e[1:].fill_(2)
    assert e.grad_fn.name() == "AsStridedBackward0" and y.grad_fn.name() == "CopySlices"
    ((e * e).sum() + (y * y).sum()).backward()
    assert x.grad.tolist() == [6.0, 0.0, 0.0]  # d/dx0 of 2 * x0^2 + x0^2; x1, x2 were overwritten


def grad_fn_name(t):
    name = t.grad_fn.name()
    return name.rsplit("::", 1)[-1]  # torch names it torch::autograd::CopySlices


def test_grad_fn_names_and_flags_match_torch():
    def run(m):
        x = x_of(m)
        y = x * 1
        v = y[1:]
        before = grad_fn_name(v)
        v.mul_(2)
        u = y[:, 0]
        y.add_(1)
        b = m.zeros(3)
        early = b[:2]
        b[1:].copy_(w_of(m, [1.0, 2.0]))
        return (before, grad_fn_name(y), grad_fn_name(v), grad_fn_name(u), v._version, y._version,
                b.requires_grad, b.is_leaf, grad_fn_name(b), early.requires_grad, grad_fn_name(early),
                v._base is y, u._is_view(), y._is_view(), y._base is None)
    assert run(tg) == run(torch)


def test_overwrite_ops_record_torch_names():
    def run(m):
        x = x_of(m)
        names = []
        for op in (lambda t: t.copy_(m.zeros(3, 4)), lambda t: t.zero_(), lambda t: t.fill_(2.0),
                   lambda t: t.fill_(m.tensor(1.0)), lambda t: t.uniform_(), lambda t: t.normal_()):
            y = x * 1
            op(y)
            names.append(grad_fn_name(y))
        y = x * 1
        y.copy_(m.zeros(3, 4))
        y.sum().backward()
        return names, x.grad.tolist()
    assert run(tg) == run(torch)


def test_second_derivative_through_copyslices():
    def run(m):
        x = m.tensor([0.5, 1.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        y = x * x
        y[1:].mul_(x[:3])
        y[::2].add_(x[1::2].exp())
        (g,) = m.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        return g, gg
    (a1, a2), (b1, b2) = run(tg), run(torch)
    assert_tensor_matches(a1, b1)
    assert_tensor_matches(a2, b2)


def test_gradcheck_through_inplace_on_views():
    def fn(x, w):
        y = x * x
        y[1:, ::2].mul_(w)
        y.t()[1].add_(w.sum() * y[0, 0].clone())
        y[0, 1:3].copy_(w * 2)
        v = y[:, 3]
        y.mul_(y.clone())
        return (v * 3).sum() + y.tanh()

    g = tg.Generator().manual_seed(0)
    x = tg.randn(3, 4, dtype=tg.float64, generator=g).requires_grad_()
    w = tg.randn(2, dtype=tg.float64, generator=g).requires_grad_()
    assert tg.autograd.gradcheck(fn, (x, w))


def raises_like_torch(run, match):
    for m in (tg, torch):
        with pytest.raises(RuntimeError, match=match):
            run(m)


NO_GRAD_VIEW = "A view was created in no_grad mode and is being modified inplace with grad mode enabled"
MULTI_OUTPUT = "This view is the output of a function that returns multiple views"


def test_inplace_on_view_made_in_no_grad_mode_raises():
    def of_nonleaf(m):
        y = x_of(m) * 1
        with m.no_grad():
            v = y[1:]
        assert v.requires_grad and v.grad_fn is None  # requires grad through its base
        v.mul_(2)

    def writing_grad_into_it(m):
        b = m.zeros(3)
        with m.no_grad():
            v = b[1:]
        v.copy_(w_of(m, [1.0, 2.0]))

    raises_like_torch(of_nonleaf, NO_GRAD_VIEW)
    raises_like_torch(writing_grad_into_it, NO_GRAD_VIEW)
    raises_like_torch(lambda m: _view_of_no_grad_view(m), "is a view of a view which was created in no_grad mode")


def _view_of_no_grad_view(m):
    y = x_of(m) * 1
    with m.no_grad():
        v = y[1:]
    v[1:].mul_(2)


def test_inplace_without_grad_on_no_grad_views_is_allowed():
    def run(m):
        y = x_of(m) * 1
        with m.no_grad():
            v = y[1:]
            v.mul_(2)
        b = m.zeros(3)
        with m.no_grad():
            u = b[1:]
        u.add_(1)  # nothing requires grad: not tracked, no error
        return y.tolist(), b.tolist(), u.grad_fn is None
    assert run(tg) == run(torch)


@pytest.mark.parametrize("split", [lambda t: t.unbind(), lambda t: t.split(2), lambda t: t.chunk(2)],
                         ids=["unbind", "split", "chunk"])
def test_inplace_on_multi_output_view_raises(split):
    def direct(m):
        parts = split(x_of(m) * 1)
        parts[0].mul_(2)

    def view_of_output(m):
        parts = split(x_of(m) * 1)
        parts[-1][0:].add_(1)

    def base_modified(m):
        y = x_of(m) * 1
        parts = split(y)
        y.mul_(2)
        return parts[0].grad_fn

    raises_like_torch(direct, "is a view and is being modified inplace. " + MULTI_OUTPUT)
    raises_like_torch(view_of_output, MULTI_OUTPUT)
    raises_like_torch(base_modified, "its base or another view of its base has been modified inplace. " + MULTI_OUTPUT)


def test_multi_output_views_without_grad_are_writable():
    def run(m):
        b = m.zeros(2, 3)
        r0, r1 = b.unbind()
        r1.fill_(3)
        return b.tolist()
    assert run(tg) == run(torch)


def test_view_of_leaf_requiring_grad_still_raises():
    raises_like_torch(lambda m: x_of(m)[1:].mul_(2),
                      "a view of a leaf Variable that requires grad is being used in an in-place operation")
    raises_like_torch(lambda m: x_of(m).t()[0].copy_(m.zeros(3)),
                      "a view of a leaf Variable that requires grad is being used in an in-place operation")


def test_detach_in_place_on_a_view_raises():
    raises_like_torch(lambda m: (x_of(m) * 1)[1:].detach_(), "Can't detach views in-place. Use detach\\(\\) instead")


def test_reshape_that_copies_is_not_a_view():
    def run(m):
        y = x_of(m) * 1
        r = y.t().reshape(12)
        r[1:].mul_(2)
        return r._base is None, grad_fn_name(r), y.tolist()
    assert run(tg) == run(torch)


def test_views_and_rebased_graphs_are_freed():
    gc.collect()
    t0, n0 = tg._C._live_tensor_count(), tg._C._live_node_count()
    x = x_of(tg)
    w = w_of(tg, [1.0, 2.0, 3.0])
    y = x * 1
    v = y[1:]
    vv = v.t()[2]
    vv.mul_(w[:2])
    y.add_(1)
    u = v[0]
    b = tg.zeros(3)
    b[1:].copy_(w[1:])
    ((y * y).sum() + (u * u).sum() + b.sum()).backward()
    assert x.grad is not None and w.grad is not None
    del x, w, y, v, vv, u, b
    gc.collect()
    assert tg._C._live_node_count() == n0
    assert tg._C._live_tensor_count() == t0

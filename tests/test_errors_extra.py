"""torch's exceptions for bad arguments (#13): argument-sized allocations checked before they are made,
the error types op_db's error_inputs expect, and out= written the way torch writes it."""
import math
import warnings

import numpy as np
import pytest
import torch

import tinygrad_ext as tg


def _raises_like_torch(call, error):
    """call(lib, F) raises `error` for torch and for tg."""
    for lib, F in ((torch, torch.nn.functional), (tg, tg.nn.functional)):
        with pytest.raises(error):
            call(lib, F)


# ---- sizes an argument decides: RuntimeError before anything is allocated (no abort under ASan) ----
@pytest.mark.parametrize("call", [
    lambda lib, F: lib.histc(lib.ones(3), bins=2 ** 40),
    lambda lib, F: lib.histc(lib.ones(3), bins=2 ** 62),
    lambda lib, F: lib.bincount(lib.tensor([1]), minlength=2 ** 40),
    lambda lib, F: F.adaptive_avg_pool1d(lib.ones(1, 1, 3), 2 ** 40),
    lambda lib, F: F.adaptive_max_pool1d(lib.ones(1, 1, 3), 2 ** 40),
    lambda lib, F: F.adaptive_avg_pool2d(lib.ones(1, 1, 3, 3), (2 ** 40, 1)),
    lambda lib, F: F.interpolate(lib.ones(1, 1, 3), size=2 ** 40),
    lambda lib, F: F.interpolate(lib.ones(1, 1, 3), size=2 ** 40, mode="linear"),
    lambda lib, F: F.pad(lib.ones(1, 2, 3), (2 ** 40, 0), mode="replicate"),
    lambda lib, F: F.pad(lib.ones(1, 2, 3), (0, 2 ** 40), mode="circular"),
    lambda lib, F: lib.ones(3).repeat(2 ** 40),
    lambda lib, F: lib.ones(1, 3).expand(2 ** 40, 3).contiguous(),
    lambda lib, F: lib.empty(2 ** 45),
    lambda lib, F: lib.zeros(2 ** 20, 2 ** 20, 2 ** 10),
    lambda lib, F: lib.full((2 ** 42,), 1.0),
    lambda lib, F: lib.ones(0, 3).chunk(2 ** 40),
    # sizes whose arithmetic overflows int64 (UBSan found these in the crash test)
    lambda lib, F: lib.ones(2, 3).tile(2 ** 62),
    lambda lib, F: lib.ones(2, 3).view(2 ** 40, 2 ** 40),
    lambda lib, F: lib.ones(2, 3).reshape(2 ** 40, 2 ** 40),
    lambda lib, F: F.avg_pool1d(lib.ones(2, 3), 2 ** 63 - 1),
    # empty tensors whose contiguous strides pass int64 ("Stride calculation overflowed")
    lambda lib, F: lib.empty(0, 2 ** 62, 2),
    lambda lib, F: lib.zeros(0, 2 ** 40, 2 ** 40),
    lambda lib, F: lib.ones(0, 3).view(0, 2 ** 62, 3),
    lambda lib, F: lib.diag_embed(lib.ones(0, 3), 2 ** 62),
    lambda lib, F: lib.diag_embed(lib.ones(0, 3), 2 ** 40),
    lambda lib, F: lib.linalg.vander(lib.ones(0, 3), N=2 ** 62),
    # more triangle indices than int64 can count
    lambda lib, F: lib.tril_indices(2 ** 62, 1),
    lambda lib, F: lib.triu_indices(2 ** 62, 2 ** 62),
    # more sections than handles fit in memory (torch: std::bad_alloc)
    lambda lib, F: lib.tensor_split(lib.arange(5), 2 ** 40),
])
def test_huge_argument_sizes_raise_runtime_error(call):
    _raises_like_torch(call, RuntimeError)


def test_empty_tensors_keep_torchs_strides_past_int64():
    """Only the strides are checked: the product after the first dim is no stride (torch)."""
    for shape in [(2 ** 62, 0, 2), (2, 0, 2 ** 62), (0, 2 ** 62)]:
        assert tg.empty(*shape).stride() == torch.empty(*shape).stride()


@pytest.mark.parametrize("args", [(4, 5, 1), (5, 4, -2), (6, 3, 7), (3, 3, 2 ** 63 - 1), (3, 3, -(2 ** 63))])
def test_triangle_indices_with_any_offset(args):
    """i + offset without overflow (torch's own count overflows for offsets near 2**63: checked
    against the definition instead)."""
    row, col, offset = args
    for name, keep in (("tril_indices", lambda i, j: j - i <= offset), ("triu_indices", lambda i, j: j - i >= offset)):
        pairs = [(i, j) for i in range(row) for j in range(col) if keep(i, j)]
        assert getattr(tg, name)(*args).tolist() == [[p[0] for p in pairs], [p[1] for p in pairs]], (name, args)


def test_triangle_indices_of_huge_matrices():
    """Counted in closed form, not by a loop over 2**62 rows."""
    for args in [(2 ** 40, 0), (0, 2 ** 62), (2 ** 62 + 2, 3, -(2 ** 62))]:
        assert tg.tril_indices(*args).tolist() == torch.tril_indices(*args).tolist(), args
    assert tg.triu_indices(2 ** 40, 0).shape == (2, 0)


def test_integer_products_wrap_around_as_torch():
    for lib in (torch, tg):
        assert lib.tensor([2 ** 62, 5]).prod().item() == torch.tensor([2 ** 62, 5]).prod().item()
        assert lib.lcm(lib.tensor([2 ** 62]), lib.tensor([5])).tolist() == [4611686018427387904]
    assert len(tg.ones(2, 3).chunk(2 ** 63 - 1)) == 2  # ceil(n / chunks) without overflow
    for dtype in ("int8", "int16", "int32", "int64"):  # square wraps too (UBSan found int64's overflow)
        values = [-2 ** 62, 3 * 2 ** 31, -5, 300, -200, 100, -128]
        want = torch.tensor(values).to(getattr(torch, dtype)).square()
        got = tg.tensor(values).to(getattr(tg, dtype)).square()
        assert got.tolist() == want.tolist() and str(got.dtype).split(".")[1] == dtype


def test_size_check_leaves_ordinary_sizes_alone():
    x = np.linspace(-1, 1, 7)
    np.testing.assert_array_equal(tg.histc(tg.tensor(x), bins=5).numpy(), torch.histc(torch.tensor(x), bins=5).numpy())
    np.testing.assert_array_equal(tg.ones(0, 3).chunk(3)[0].shape, (0, 3))
    assert len(tg.ones(0, 3).chunk(3)) == len(torch.ones(0, 3).chunk(3))
    t = torch.arange(6.0).reshape(1, 2, 3)
    for mode in ("replicate", "circular", "reflect"):
        got = tg.nn.functional.pad(tg.tensor(t.numpy()), (2, 1), mode=mode).numpy()
        np.testing.assert_array_equal(got, torch.nn.functional.pad(t, (2, 1), mode=mode).numpy())


# ---- op_db's error_inputs: the exception type torch raises ----
@pytest.mark.parametrize("call, error", [
    (lambda lib, F: lib.atan2(lib.ones(3), 2), TypeError),
    (lambda lib, F: lib.atan2(2, lib.ones(3)), TypeError),
    (lambda lib, F: lib.ones(3).atan2(2), TypeError),
    (lambda lib, F: lib.logical_and(lib.ones(3), 2), TypeError),
    (lambda lib, F: lib.logical_or(2, lib.ones(3)), TypeError),
    (lambda lib, F: lib.ones(3).logical_xor_(1), TypeError),
    (lambda lib, F: lib.Tensor.__radd__(2, lib.ones(3)), TypeError),
    (lambda lib, F: lib.Tensor.__rand__(2, lib.ones(3, dtype=lib.int64)), TypeError),
    (lambda lib, F: lib.ones(2, 2).masked_fill(lib.tensor(True), 1j), RuntimeError),
    (lambda lib, F: lib.ones(2, 2).masked_fill(lib.tensor(True), lib.ones(1)), RuntimeError),
    (lambda lib, F: F.gelu(lib.ones(2), approximate="asdf"), RuntimeError),
    (lambda lib, F: F.huber_loss(lib.ones(2), lib.ones(2), delta=0), RuntimeError),
    (lambda lib, F: lib.linspace(0, 3, 1.0), TypeError),
    (lambda lib, F: lib.linspace(lib.ones(2), 1, 3), RuntimeError),
    (lambda lib, F: lib.arange(0, 64, 0.5, dtype=lib.int64), ValueError),
    (lambda lib, F: lib.arange(0, 3, 0), RuntimeError),
    (lambda lib, F: lib.ones(3).cumsum_(0, dtype=lib.float64), RuntimeError),
    (lambda lib, F: F.multi_margin_loss(lib.ones(5, 0), lib.zeros(5, dtype=lib.int64)), RuntimeError),
    (lambda lib, F: F.multi_margin_loss(lib.ones(5, 4), lib.zeros(5)), RuntimeError),
    (lambda lib, F: F.multi_margin_loss(lib.ones(5, 4), lib.zeros(5, dtype=lib.int64), weight=lib.ones(())), ValueError),
    (lambda lib, F: F.multi_margin_loss(lib.ones(5, 4), lib.zeros(5, dtype=lib.int64), weight=lib.ones(5)), RuntimeError),
    (lambda lib, F: F.multilabel_margin_loss(lib.ones(0), lib.ones(0, dtype=lib.int64)), RuntimeError),
])
def test_error_types_match_torch(call, error):
    _raises_like_torch(call, error)


def test_reflected_operators_still_work():
    a = np.array([1.0, 2.0, 3.0])
    for op in ("__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__", "__rmod__"):
        got = getattr(tg.tensor(a), op)(2)
        np.testing.assert_allclose(got.numpy(), getattr(torch.tensor(a), op)(2).numpy())
    np.testing.assert_allclose((2 - tg.tensor(a)).numpy(), 2 - a)
    with pytest.raises(TypeError):
        "abc" + tg.ones(2)


def test_ipow_is_in_place():
    x = tg.tensor([1.0, 2.0, 3.0])
    y = x
    y **= 2
    assert y is x
    np.testing.assert_array_equal(x.numpy(), [1.0, 4.0, 9.0])
    w = tg.tensor([2.0], requires_grad=True)
    z = w * 1
    z **= 3
    z.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [12.0])


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
def test_margin_losses_take_0d_and_repeated_targets(name):
    cases = [(torch.tensor(0.5), torch.tensor(0)), (torch.tensor([0.1, 0.9, -0.3, 0.4]), torch.tensor([2]))]
    if name == "multilabel_margin_loss":
        cases = [(torch.tensor(0.5), torch.tensor(0)),
                 (torch.tensor([0.1, 0.9, -0.3, 0.4]), torch.tensor([2, 2, 0, -1])),  # a repeated class
                 (torch.tensor([[0.1, 0.9, -0.3], [1.0, 0.2, 0.3]]), torch.tensor([[1, 1, -1], [0, 2, -1]]))]
    for x, t in cases:
        for reduction in ("none", "sum"):
            want = getattr(torch.nn.functional, name)(x.double(), t, reduction=reduction)
            got = getattr(tg.nn.functional, name)(tg.tensor(x.double().numpy()), tg.tensor(t.numpy()),
                                                  reduction=reduction)
            assert tuple(got.shape) == tuple(want.shape)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_normal_takes_layout_and_randn_is_random():
    assert tg.normal(0.3, 1.0, (2, 3), layout=tg.strided).shape == (2, 3)
    tg.manual_seed(0)
    a = tg.randn(1000)
    assert abs(float(a.mean())) < 0.15 and abs(float(a.std()) - 1) < 0.15


# ---- out= ----
def _pair(data):
    return torch.tensor(data), tg.tensor(data)


@pytest.mark.parametrize("call", [
    lambda lib, x, o: lib.add(x, x, alpha=2, out=o),
    lambda lib, x, o: lib.exp(x, out=o),
    lambda lib, x, o: lib.atan2(x, x + 1, out=o),
    lambda lib, x, o: lib.clamp(x, min=0.0, out=o),
    lambda lib, x, o: lib.matmul(x, x.t(), out=o[:, :2]),
])
def test_out_writes_into_the_given_tensor(call):
    data = [[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]]
    (xt, xg), (ot, og) = _pair(data), _pair([[0.0] * 3] * 2)
    rt, rg = call(torch, xt, ot), call(tg, xg, og)
    np.testing.assert_allclose(rg.numpy(), rt.numpy(), rtol=1e-6)
    np.testing.assert_allclose(og.numpy(), ot.numpy(), rtol=1e-6)  # written in place (views included)


def test_out_casts_the_result_as_torch():
    x = [[1.5, -2.0], [3.25, 0.5]]
    for lib in (torch, tg):
        o = lib.zeros(2, 2, dtype=lib.float64)
        assert lib.add(lib.tensor(x), 1, out=o) is o and o.dtype == lib.float64
        assert lib.eq(lib.tensor(x), 0.5, out=lib.zeros(2, 2)).dtype == lib.float32  # bool result into float
    _raises_like_torch(lambda lib, F: lib.add(lib.ones(2), 1, out=lib.zeros(2, dtype=lib.int64)), RuntimeError)
    _raises_like_torch(lambda lib, F: lib.amax(lib.ones(2, 2), 0, out=lib.zeros(2, dtype=lib.int32)), RuntimeError)


def test_out_takes_tuples_and_factories_use_outs_dtype():
    data = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
    results = []
    for lib in (torch, tg):
        values, indices = lib.zeros(2), lib.zeros(2, dtype=lib.int64)
        r = lib.max(lib.tensor(data), 1, out=(values, indices))
        assert r[0] is values and r[1] is indices
        results.append((values.tolist(), indices.tolist()))
        o = lib.zeros(4, dtype=lib.int64)
        assert lib.arange(4, out=o) is o and o.dtype == lib.int64
        results.append(o.tolist())
    assert results[:2] == results[2:]


def test_out_errors_match_torch():
    # autograd, memory shared with an input, an expanded out, a non-tensor out
    _raises_like_torch(lambda lib, F: lib.exp(lib.ones(2, requires_grad=True), out=lib.zeros(2)), RuntimeError)
    _raises_like_torch(lambda lib, F: (lambda x: lib.masked_select(x, x > 0, out=x[:2]))(lib.ones(4)), RuntimeError)
    _raises_like_torch(lambda lib, F: lib.exp(lib.ones(3), out=lib.zeros(1).expand(3)), RuntimeError)
    _raises_like_torch(lambda lib, F: lib.exp(lib.ones(3), out=3), TypeError)
    # gather, take, cat, stack, index_select...: out may not even be an input itself, and an out that
    # grows in place (a view with storage behind it) may not reach an input
    _raises_like_torch(lambda lib, F: (lambda x: lib.cat((x, lib.ones(2)), out=x))(lib.zeros(0)), RuntimeError)
    _raises_like_torch(lambda lib, F: (lambda x: lib.index_select(x, 0, lib.tensor([1, 0]), out=x))(lib.ones(2)),
                       RuntimeError)
    with warnings.catch_warnings():  # torch and tg warn that out is resized
        warnings.simplefilter("ignore", UserWarning)
        _raises_like_torch(lambda lib, F: (lambda i: lib.gather(i.clone(), 0, i[1:], out=i[:1]))(lib.tensor([2, 1, 0])),
                           RuntimeError)
        for lib in (torch, tg):  # an out beside the index, not on it, is fine
            i = lib.tensor([2, 1, 0])
            assert lib.gather(i.clone(), 0, i[:1], out=i[1:2]).tolist() == [0]
    for lib in (torch, tg):  # nor is an empty result written into one of the inputs
        x = lib.zeros(0)
        assert lib.cat((x, x), out=x) is x
    for lib in (torch, tg):  # out may be the input itself when it has the result's shape
        x = lib.tensor([1.0, 2.0])
        assert lib.mul(x, 3, out=x) is x and x.tolist() == [3.0, 6.0]
    with tg.no_grad():
        o = tg.zeros(2)
        tg.exp(tg.zeros(2, requires_grad=True), out=o)
    assert o.tolist() == [1.0, 1.0] and math.isclose(o.sum().item(), 2.0)

"""Tensor API vs torch: type promotion, creation functions, seeding, numpy interop and repr strings."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import tinygrad_ext as tg
from tests.helpers import TG_OF_TORCH, assert_close, assert_tensor_matches

DTYPES = [(tg.float32, torch.float32), (tg.float64, torch.float64), (tg.int64, torch.int64), (tg.bool, torch.bool)]


def _make(lib, dt, zero_d):
    data = 1 if zero_d else [1, 0]
    return lib.tensor(data, dtype=dt)


# ---- type promotion ----
@pytest.mark.parametrize("a", range(4))
@pytest.mark.parametrize("b", range(4))
@pytest.mark.parametrize("zero_d", [(False, False), (True, False), (False, True), (True, True)])
def test_promotion_tensor_tensor(a, b, zero_d):
    (tga, tha), (tgb, thb) = DTYPES[a], DTYPES[b]
    x_tg, y_tg = _make(tg, tga, zero_d[0]), _make(tg, tgb, zero_d[1])
    x_th, y_th = _make(torch, tha, zero_d[0]), _make(torch, thb, zero_d[1])
    assert tg.result_type(x_tg, y_tg) == TG_OF_TORCH[torch.result_type(x_th, y_th)]
    for op in ("__add__", "__mul__", "__sub__", "__truediv__", "maximum", "__lt__"):
        try:
            expected = getattr(x_th, op)(y_th)
        except RuntimeError:  # torch refuses e.g. bool - bool
            with pytest.raises(RuntimeError):
                getattr(x_tg, op)(y_tg)
            continue
        assert_tensor_matches(getattr(x_tg, op)(y_tg), expected, op)


@pytest.mark.parametrize("a", range(4))
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_promotion_tensor_scalar(a, scalar):
    tgd, thd = DTYPES[a]
    x_tg, x_th = _make(tg, tgd, False), _make(torch, thd, False)
    assert tg.result_type(x_tg, scalar) == TG_OF_TORCH[torch.result_type(x_th, scalar)]
    for op in ("__add__", "__radd__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__pow__", "__eq__"):
        try:
            expected = getattr(x_th, op)(scalar)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                getattr(x_tg, op)(scalar)
            continue
        assert_tensor_matches(getattr(x_tg, op)(scalar), expected, f"{op} {scalar!r}")


def test_promotion_named_cases():
    assert (tg.tensor([1, 2]) + tg.tensor([1.0, 2.0])).dtype == tg.float32
    assert (tg.tensor([1.0], dtype=tg.float32) + tg.tensor([1.0], dtype=tg.float64)).dtype == tg.float64
    assert (tg.tensor([True]) + tg.tensor([True])).dtype == tg.bool
    assert (tg.tensor([True]) * 3).dtype == tg.int64
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float32
    assert (tg.tensor([1.0], dtype=tg.float32) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float32
    assert (tg.tensor([1]) + tg.tensor(1.5, dtype=tg.float64)).dtype == tg.float64  # 0-d of higher category
    assert (tg.tensor([1.0], dtype=tg.float32) * 2.5).dtype == tg.float32
    assert (tg.tensor(1, dtype=tg.int64) + 2.0).dtype == tg.float32


# ---- creation ----
@pytest.mark.parametrize("data", [[1, 2, 3], [[1.5, 2], [3, 4]], 3, 2.5, True, [True, False], [[1], [2]],
                                  [], [[]], [1, 2.0], np.arange(6).reshape(2, 3), np.ones(3, np.float32),
                                  np.array([1.0, 2.0]), np.array(True), [np.float64(1.0)]])
def test_tensor_from_data(data):
    assert_tensor_matches(tg.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dt", range(4))
def test_tensor_with_dtype_and_requires_grad(dt):
    tgd, thd = DTYPES[dt]
    assert_tensor_matches(tg.tensor([[1, 2], [3, 0]], dtype=tgd), torch.tensor([[1, 2], [3, 0]], dtype=thd))
    if tgd in (tg.float32, tg.float64):
        t = tg.tensor([1.0, 2.0], dtype=tgd, requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad is None
    else:
        with pytest.raises(RuntimeError, match="floating point"):
            tg.tensor([1, 2], dtype=tgd, requires_grad=True)


def test_tensor_copies_numpy():
    a = np.arange(3.0)
    t = tg.tensor(a)
    a[0] = 100
    assert t[0].item() == 0.0


CREATION = [
    lambda m: m.zeros(2, 3), lambda m: m.zeros((2, 0)), lambda m: m.ones([3]), lambda m: m.ones(2, 2, dtype=m.int64),
    lambda m: m.full((2, 2), 7), lambda m: m.full((2,), 7.5), lambda m: m.full((1,), True),
    lambda m: m.full((2,), 3, dtype=m.float64), lambda m: m.arange(5), lambda m: m.arange(1, 4, 0.5),
    lambda m: m.arange(0.0, 1.0, 0.1), lambda m: m.arange(10, 0, -3), lambda m: m.arange(5, dtype=m.float64),
    lambda m: m.linspace(0, 1, 5), lambda m: m.linspace(-2, 2, 1), lambda m: m.linspace(3, -1, 7, dtype=m.float64),
    lambda m: m.eye(3), lambda m: m.eye(2, 4), lambda m: m.eye(3, dtype=m.int64),
    lambda m: m.zeros_like(m.ones(2, 3, dtype=m.int64)), lambda m: m.ones_like(m.zeros(2)),
    lambda m: m.full_like(m.zeros(2), 4), lambda m: m.zeros(()), lambda m: m.ones(0),
    lambda m: m.empty(2, 3).shape and m.zeros(1),
]


@pytest.mark.parametrize("i", range(len(CREATION)))
def test_creation_functions(i):
    assert_tensor_matches(CREATION[i](tg), CREATION[i](torch))


def test_empty_and_like_shapes():
    for t in (tg.empty(2, 3), tg.empty_like(tg.zeros(4, dtype=tg.int64)), tg.rand_like(tg.zeros(2, 2)),
              tg.randn_like(tg.zeros(3, dtype=tg.float64))):
        assert t.is_contiguous()
    assert tg.empty(2, 3).shape == (2, 3) and tg.empty(2, 3).dtype == tg.float32
    assert tg.randn_like(tg.zeros(3, dtype=tg.float64)).dtype == tg.float64
    assert tg.zeros(2, requires_grad=True).requires_grad


def test_random_functions_and_seed():
    tg.manual_seed(123)
    a = [tg.rand(3, 4), tg.randn(5), tg.randint(0, 10, (6,)), tg.randperm(7), tg.normal(0.0, 2.0, (4,)),
         tg.randint(5, (3,)), tg.rand(2, dtype=tg.float64)]
    tg.manual_seed(123)
    b = [tg.rand(3, 4), tg.randn(5), tg.randint(0, 10, (6,)), tg.randperm(7), tg.normal(0.0, 2.0, (4,)),
         tg.randint(5, (3,)), tg.rand(2, dtype=tg.float64)]
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and np.array_equal(x.numpy(), y.numpy())
    assert a[2].dtype == tg.int64 and a[3].dtype == tg.int64 and a[6].dtype == tg.float64
    assert sorted(a[3].tolist()) == list(range(7))
    assert 0 <= a[2].min().item() and a[2].max().item() < 10
    r = tg.rand(20000).numpy()
    assert r.min() >= 0 and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    n = tg.randn(20000, dtype=tg.float64).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    nm = tg.normal(3.0, 0.5, size=(20000,)).numpy()
    assert abs(nm.mean() - 3) < 0.05 and abs(nm.std() - 0.5) < 0.05
    g = tg.Generator().manual_seed(5)
    g2 = tg.Generator().manual_seed(5)
    assert np.array_equal(tg.rand(4, generator=g).numpy(), tg.rand(4, generator=g2).numpy())
    nt = tg.normal(tg.zeros(3), tg.ones(3))
    assert nt.shape == (3,)


def test_inplace_random():
    t = tg.zeros(1000)
    t.uniform_(-2, 3)
    assert -2 <= t.min().item() and t.max().item() < 3
    t.normal_(5, 1)
    assert abs(t.mean().item() - 5) < 0.2


def test_creation_errors_match_torch():
    for f in (lambda m: m.arange(0, 5, 0), lambda m: m.linspace(0, 1, -1), lambda m: m.randint(5, 2, (3,)),
              lambda m: m.zeros(-1), lambda m: m.full((2,), "a"), lambda m: m.zeros("a"),
              lambda m: m.eye(-2), lambda m: m.arange(0, 5, -1)):
        with pytest.raises(Exception) as th:
            f(torch)
        with pytest.raises(type(th.value)):
            f(tg)


# ---- numpy interop ----
def test_numpy_is_zero_copy():
    t = tg.zeros(3)
    a = t.numpy()
    a[1] = 5
    assert t[1].item() == 5
    t.add_(1)
    assert a.tolist() == [1, 6, 1]
    v = tg.arange(6.0).reshape(2, 3).t()
    assert v.numpy().strides == (8 // 2, 12)
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.ones(2, requires_grad=True).numpy()


def test_from_numpy_is_zero_copy():
    for dt in (np.float32, np.float64, np.int64, np.bool_):
        a = np.zeros((2, 3), dtype=dt)
        t = tg.from_numpy(a)
        assert t.dtype == {np.float32: tg.float32, np.float64: tg.float64, np.int64: tg.int64, np.bool_: tg.bool}[dt]
        a[0, 1] = 1
        assert t[0, 1].item() == 1
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = tg.from_numpy(a)
    assert t.shape == (3, 2) and t.stride() == (4, 2)
    t.mul_(2)
    assert a[1, 1] == 12.0
    with pytest.raises(TypeError):
        tg.from_numpy(np.zeros(2, dtype=np.complex64))
    with pytest.raises(ValueError):
        tg.from_numpy(np.arange(3.0)[::-1])


def test_from_numpy_keeps_array_alive():
    t = tg.from_numpy(np.arange(5.0))
    import gc
    gc.collect()
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_array_protocol():
    t = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert np.asarray(t.detach()).tolist() == [[1.0, 2.0]]
    with pytest.raises(RuntimeError, match="requires grad"):  # as torch (tests/test_dlpack.py)
        np.asarray(t)
    assert np.array(tg.tensor([1, 2]), dtype=np.float32).dtype == np.float32
    assert np.add(tg.tensor([1.0]).numpy(), 1).tolist() == [2.0]


def test_conversions():
    assert tg.tensor(2.5).item() == 2.5 and isinstance(tg.tensor(3).item(), int)
    assert tg.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert float(tg.tensor([1.5])) == 1.5 and int(tg.tensor(7)) == 7
    assert [1, 2, 3][tg.tensor(1)] == 2
    with pytest.raises(RuntimeError):
        tg.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError):
        bool(tg.tensor([1, 2]))
    with pytest.raises(TypeError):
        len(tg.tensor(1.0))


# ---- repr ----
REPRS = [
    lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([[1.0, 2.5], [-3.0, 4.0]]), lambda m: m.tensor(3.5),
    lambda m: m.tensor(7), lambda m: m.tensor([1e-5, 1.0, 1e5]), lambda m: m.tensor([1e10, 1.0]),
    lambda m: m.tensor([0.1, 0.25]), lambda m: m.tensor([1.0, 2.0, 3.0]), lambda m: m.tensor([]),
    lambda m: m.zeros(0, 3), lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2, lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    lambda m: m.tensor([1.5, 2.0], dtype=m.float64), lambda m: m.tensor(2.0, dtype=m.float64),
    lambda m: m.arange(2000.0), lambda m: m.arange(1200).reshape(30, 40), lambda m: m.tensor([True, False]),
    lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.0]), lambda m: m.tensor([123456.789, 0.001]),
    lambda m: m.tensor([-1, 100, 2000]), lambda m: m.arange(24.0).reshape(2, 3, 4) / 7,
    lambda m: m.ones(2, 2, dtype=m.float64, requires_grad=True), lambda m: m.tensor([1e-10, 2e-10]),
    lambda m: m.tensor([[1e8, 1.0], [2.0, 3.0]]), lambda m: m.zeros(2, 0, dtype=m.int64),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True).exp(), lambda m: m.tensor([-1.5, 0.0, float("nan"), 100.0]),
    lambda m: m.tensor([[0.0, 0.0]]), lambda m: m.tensor([-1e-5, 3.0]), lambda m: m.tensor(float("nan")),
    lambda m: m.tensor([[-1000.0, 2.0]]), lambda m: m.arange(3000).reshape(3, 1000), lambda m: m.tensor([-1, 0]), lambda m: m.tensor([3.0, 4.0], requires_grad=True)[0],
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_matches_torch(i):
    expected = repr(REPRS[i](torch)).replace("torch.", "tinygrad_ext.")
    assert repr(REPRS[i](tg)) == expected


def test_size_and_dtype_repr():
    assert repr(tg.zeros(2, 3).shape) == "tinygrad_ext.Size([2, 3])"
    assert repr(tg.float64) == "tinygrad_ext.float64"
    assert tg.zeros(2, 3).size(1) == 3 and tg.zeros(2, 3).size(-1) == 3


def test_operators_on_every_operand_kind_match_torch():
    """The number-slot fast path (tensor op tensor / float / int) and its fallback (numbers on the
    left, subclasses, bools, numpy scalars, huge ints, unsupported types) give torch's results."""
    x_np = np.array([[1.5, -2.0, 3.0]], dtype=np.float32)
    ti, pi = tg.tensor([[4, 5, 6]]), torch.tensor([[4, 5, 6]])
    operands = [lambda m: m.tensor(x_np), lambda m: m.tensor([[2.0], [0.5]]), lambda m: 2.5, lambda m: 3,
                lambda m: True, lambda m: np.float64(0.25), lambda m: (tg if m is tg else torch).nn.Parameter(
                    m.tensor([[1.0, 2.0, 4.0]]))]
    ops = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b]
    for op in ops:
        for i, left in enumerate(operands):
            for j, right in enumerate(operands):
                if not (i in (0, 1, 6) or j in (0, 1, 6)):
                    continue  # two plain numbers: not a tensor operation
                try:
                    want = op(left(torch), right(torch))
                except RuntimeError:  # e.g. subtracting a bool: tg raises too
                    with pytest.raises(RuntimeError):
                        op(left(tg), right(tg))
                    continue
                got = op(left(tg), right(tg))
                assert isinstance(got, tg.Tensor) and got.dtype.__repr__().split(".")[-1] == str(want.dtype).split(".")[-1]
                np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)
        np.testing.assert_array_equal(op(ti, 2).numpy(), op(pi, 2).numpy())
        np.testing.assert_array_equal(op(7, ti).numpy(), op(7, pi).numpy())
    a, b = tg.tensor(x_np), tg.tensor(x_np.T.copy())
    np.testing.assert_allclose((a @ b).numpy(), x_np @ x_np.T, rtol=1e-6)
    with pytest.raises(TypeError, match="add"):
        a + "text"
    with pytest.raises(TypeError):
        "text" - a
    with pytest.raises(TypeError):
        [[1.0, 2.0, 3.0]] @ b
    with pytest.raises(TypeError, match="overflow"):
        ti + 2 ** 70
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        a @ a


def test_inplace_arithmetic_written_directly_matches_torch():
    """add_/sub_/mul_/div_ and += ... write straight into self when autograd records nothing; the
    results, aliasing cases, versions and dtype rules stay torch's."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal((4, 4)).astype(np.float32)
    row = rng.standard_normal((4,)).astype(np.float32)
    cases = [
        lambda m, x: x.add_(m.tensor(row)), lambda m, x: x.sub_(2), lambda m, x: x.mul_(x),
        lambda m, x: x.div_(m.tensor(row) + 3), lambda m, x: x.__iadd__(1.5), lambda m, x: x.__isub__(x[0].clone()),
        lambda m, x: x.__imul__(m.tensor(2, dtype=m.float64)), lambda m, x: x.__itruediv__(4),
        lambda m, x: x[:, 1].add_(x[:, 2]), lambda m, x: x.t().mul_(m.tensor(row)),
        lambda m, x: x.add_(m.tensor(row), alpha=2), lambda m, x: x.sub_(m.tensor(1.0), alpha=1),
    ]
    for k, case in enumerate(cases):
        got, want = tg.tensor(base.copy()), torch.tensor(base.copy())
        v0 = got._version
        case(tg, got)
        case(torch, want)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, err_msg=f"case {k}")
        assert got._version > v0
    # dense operands that partly overlap self are refused, as torch does; tg also refuses the overlap
    # through two tensors over the same numpy memory (torch compares storages, misses it, and gives
    # a result that depends on the order it writes in)
    x = tg.arange(16.0).reshape(4, 4)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[1:].add_(x[:-1])
    with pytest.raises(RuntimeError, match="single memory location"):
        x -= x[0]
    arr = np.arange(8, dtype=np.float64)
    with pytest.raises(RuntimeError, match="single memory location"):
        tg.from_numpy(arr[:6]).add_(tg.from_numpy(arr[2:]))
    # an integer tensor cannot hold a float result; a float64 self keeps float64
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.tensor([1, 2]).add_(0.5)
    x64 = tg.tensor([1.0, 2.0], dtype=tg.float64)
    x64.mul_(tg.tensor([3.0]))
    assert x64.dtype == tg.float64 and x64.tolist() == [3.0, 6.0]
    with pytest.raises(RuntimeError, match="single memory location"):
        tg.zeros(1).expand(3).add_(1)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        tg.zeros(3).add_(tg.ones(2, 3))
    # an in-place change under no_grad still invalidates a saved tensor
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    y = w.sigmoid()
    with tg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()

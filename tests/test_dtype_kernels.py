"""Ops on the narrow dtypes against torch: the widening path (int8..int32 computed in int64,
float16/bfloat16 in float32, rounded once), integer-exact products and scans, torch's tie order
in sort/topk/kthvalue, float tests, bitwise ops, 16-bit linspace, activations and losses."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tinygrad_ext as tg
from tests.helpers import TG_OF_TORCH
from tests.test_dtypes import assert_same, sample, to_tg

pytestmark = pytest.mark.torch

SMALL_INTS = [torch.uint8, torch.int8, torch.int16, torch.int32]
HALVES = [torch.float16, torch.bfloat16]


def small(dtype, shape, seed=0, hi=6):
    """Small values (products of a few stay exact in every dtype), signed where the dtype is."""
    g = torch.Generator().manual_seed(seed)
    lo = 0 if dtype in (torch.uint8, torch.bool) else -hi
    return torch.randint(lo, hi, shape, generator=g).to(dtype)


@pytest.mark.parametrize("dtype", SMALL_INTS + [torch.int64])
def test_integer_products_are_exact_and_wrap(dtype):
    a, b = small(dtype, (5, 7), 1, hi=60), small(dtype, (7, 3), 2, hi=60)  # overflow wraps in narrow types
    assert_same(tg.mm(to_tg(a), to_tg(b)), torch.mm(a, b))
    assert_same(tg.matmul(to_tg(a), to_tg(b[:, 0])), torch.matmul(a, b[:, 0]))
    assert_same(tg.dot(to_tg(a[0]), to_tg(b[:, 1])), torch.dot(a[0], b[:, 1]))
    x, y = small(dtype, (2, 3, 4), 3), small(dtype, (2, 4, 5), 4)
    assert_same(tg.bmm(to_tg(x), to_tg(y)), torch.bmm(x, y))
    c = small(dtype, (3,), 5)
    assert_same(tg.addmm(to_tg(c), to_tg(a), to_tg(b), beta=2, alpha=3), torch.addmm(c, a, b, beta=2, alpha=3))


@pytest.mark.parametrize("dtype", HALVES)
def test_half_products_accumulate_in_float32(dtype):
    a, b = torch.randn(16, 64).to(dtype), torch.randn(64, 8).to(dtype)
    ref = (a.float() @ b.float()).to(dtype)  # one rounding of a float32 accumulation
    got = tg.mm(to_tg(a), to_tg(b))
    assert got.dtype == TG_OF_TORCH[dtype]
    np.testing.assert_allclose(got.float().numpy(), ref.float().numpy(), rtol=1e-2, atol=1e-2)
    ta, tb = to_tg(a).requires_grad_(), to_tg(b).requires_grad_()
    F_tg = tg.nn.functional.linear(ta, tb.t(), to_tg(torch.ones(8, dtype=dtype)))
    F_tg.sum().backward()
    assert ta.grad.dtype == ta.dtype and tb.grad.dtype == tb.dtype
    np.testing.assert_allclose(ta.grad.float().numpy(), b.float().sum(1).expand(16, 64).numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dtype", SMALL_INTS + HALVES)
def test_scans_and_prod(dtype):
    x = small(dtype, (3, 6), 6, hi=4)
    for name in ("cumsum", "cumprod"):
        got, ref = getattr(tg, name)(to_tg(x), 1), getattr(torch, name)(x, 1)
        assert_same(got, ref, name)
    assert_same(tg.prod(to_tg(x), 1), torch.prod(x, 1), "prod")
    assert_same(tg.prod(to_tg(x)), torch.prod(x), "prod all")


def test_ties_follow_torchs_algorithms():
    g = torch.Generator().manual_seed(7)
    for n in (5, 17, 40, 130):
        for dtype in (torch.bool, torch.uint8, torch.int16, torch.int64, torch.float16):
            x = torch.randint(0, 3, (2, n), generator=g).to(dtype)
            for desc in (False, True):
                v, i = torch.sort(x, 1, descending=desc)
                gv, gi = tg.sort(to_tg(x), 1, descending=desc)
                assert_same(gv, v)
                assert_same(gi, i, f"sort n={n} {dtype}")
                assert_same(tg.sort(to_tg(x), dim=1, descending=desc, stable=True)[1],
                            torch.sort(x, dim=1, descending=desc, stable=True)[1])
            if dtype == torch.bool:
                continue
            for k in (1, 2, n // 2, n):
                for largest in (True, False):
                    v, i = torch.topk(x, k, 1, largest=largest)
                    gv, gi = tg.topk(to_tg(x), k, 1, largest=largest)
                    assert_same(gi, i, f"topk n={n} k={k} {dtype}")
                    assert_same(gv, v)
                v, i = torch.kthvalue(x, k, 1)
                gv, gi = tg.kthvalue(to_tg(x), k, 1)
                assert_same(gi, i, f"kthvalue n={n} k={k} {dtype}")
                assert_same(gv, v)


@pytest.mark.parametrize("dtype", SMALL_INTS + HALVES)
def test_float_tests_nonzero_and_isclose(dtype):
    x = sample(dtype)
    for name in ("isnan", "isinf", "isfinite"):
        assert_same(getattr(tg, name)(to_tg(x)), getattr(torch, name)(x), name)
    assert_same(tg.nonzero(to_tg(x)), torch.nonzero(x))
    y = x.clone()
    y[5:9] = (y[5:9].double() + 1).to(dtype)
    assert_same(tg.isclose(to_tg(x), to_tg(y)), torch.isclose(x, y))
    assert tg.allclose(to_tg(x[4:]), to_tg(x[4:])) == torch.allclose(x[4:], x[4:])


@pytest.mark.parametrize("dtype", SMALL_INTS)
def test_bitwise_keeps_the_dtype(dtype):
    a, b = sample(dtype, seed=1), sample(dtype, seed=2)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        assert_same(getattr(tg, name)(to_tg(a), to_tg(b)), getattr(torch, name)(a, b), name)
    assert_same(~to_tg(a), ~a)
    assert_same(3 & to_tg(a), 3 & a)
    assert_same(tg.all(to_tg(a)), torch.all(a))
    assert_same(tg.any(to_tg(a), 0), torch.any(a, 0))


@pytest.mark.parametrize("dtype", HALVES)
def test_linspace_16bit_is_bit_exact(dtype):
    for start, end, steps in [(-3, 3, 50), (0, 1000, 3001), (1.5, -2.25, 13), (2, 2, 1), (0, 1, 0)]:
        assert_same(tg.linspace(start, end, steps, dtype=TG_OF_TORCH[dtype]),
                    torch.linspace(start, end, steps, dtype=dtype), f"{start, end, steps}")


@pytest.mark.parametrize("dtype", HALVES)
def test_pointwise_16bit_rounds_once(dtype):
    x, y, z = (torch.randn(200, dtype=torch.float64) * 3).to(dtype), torch.randn(200).to(dtype), torch.rand(200).to(dtype) + 0.5
    assert_same(tg.atan2(to_tg(x), to_tg(y)), torch.atan2(x, y))
    assert_same(tg.addcmul(to_tg(x), to_tg(y), to_tg(z), value=0.5), torch.addcmul(x, y, z, value=0.5))
    assert_same(tg.addcdiv(to_tg(x), to_tg(y), to_tg(z), value=0.5), torch.addcdiv(x, y, z, value=0.5))
    assert_same(tg.lerp(to_tg(x), to_tg(y), to_tg(z)), torch.lerp(x, y, z))
    for name in ("silu", "gelu", "elu", "hardswish", "softsign", "relu6", "leaky_relu"):
        got = getattr(tg.nn.functional, name)(to_tg(x)).float().numpy()
        np.testing.assert_allclose(got, getattr(F, name)(x).float().numpy(), rtol=1e-2, atol=1e-2, err_msg=name)
    got = tg.nn.functional.softmax(to_tg(x.reshape(10, 20)), 1)
    assert got.dtype == TG_OF_TORCH[dtype]
    np.testing.assert_allclose(got.float().numpy(), F.softmax(x.reshape(10, 20), 1).float().numpy(), atol=1e-2)


@pytest.mark.parametrize("dtype", HALVES)
def test_losses_16bit(dtype):
    x, t = torch.randn(6, 5).to(dtype), torch.tensor([0, 4, 2, 1, 3, 0])
    for name, args in [("cross_entropy", (t,)), ("nll_loss", (t,)),
                       ("binary_cross_entropy_with_logits", (torch.rand(6, 5).to(dtype),))]:
        got = getattr(tg.nn.functional, name)(to_tg(x), *[to_tg(a) for a in args])
        ref = getattr(F, name)(x, *args)
        assert got.dtype == TG_OF_TORCH[ref.dtype], name
        np.testing.assert_allclose(got.float().numpy(), ref.float().numpy(), rtol=2e-2, atol=2e-2, err_msg=name)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.int64])
def test_integer_activations(dtype):
    x = torch.arange(-10, 10).to(dtype)
    assert_same(tg.nn.functional.hardtanh(to_tg(x), -3, 4), F.hardtanh(x, -3, 4))
    assert_same(tg.nn.functional.relu6(to_tg(x)), F.relu6(x))
    assert_same(tg.nn.functional.threshold(to_tg(x), 2.5, 7), F.threshold(x, 2.5, 7))
    assert_same(tg.nn.functional.softsign(to_tg(x)), F.softsign(x))
    assert_same(tg.nn.functional.tanhshrink(to_tg(x)), F.tanhshrink(x))
    u = torch.tensor([[1, 2, 250], [0, 3, 4]], dtype=torch.uint8)
    assert_same(tg.nn.functional.softmin(to_tg(u), 1, dtype=tg.float64), F.softmin(u, 1, dtype=torch.float64))


@pytest.mark.parametrize("dtype", SMALL_INTS + HALVES)
def test_index_put_and_scatter_add(dtype):
    x, v = small(dtype, (6, 3), 8), small(dtype, (4, 3), 9)
    idx = torch.tensor([0, 2, 2, 5])
    assert_same(tg.index_put(to_tg(x), (to_tg(idx),), to_tg(v), accumulate=True),
                torch.index_put(x, (idx,), v, accumulate=True))
    index = torch.tensor([[0, 1, 2], [5, 5, 0], [1, 1, 1], [0, 0, 0]])
    assert_same(tg.scatter_add(to_tg(x), 0, to_tg(index), to_tg(v)), torch.scatter_add(x, 0, index, v))


@pytest.mark.parametrize("dtype", HALVES)
def test_var_16bit_computes_wide(dtype):
    x = (torch.randn(4, 50) * 10 + 100).to(dtype)
    assert_same(tg.var(to_tg(x), 1), torch.var(x, 1))
    v, m = tg.var_mean(to_tg(x), 1)
    tv, tm = torch.var_mean(x, 1)
    assert_same(v, tv)
    np.testing.assert_allclose(m.float().numpy(), tm.float().numpy(), rtol=1e-2)


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
                                   torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_collate_keeps_every_dtype(dtype):
    from torch.utils.data import default_collate as torch_collate

    samples = [sample(dtype, n=6, seed=s) for s in range(3)]
    assert_same(tg.utils.data.default_collate([to_tg(s) for s in samples]), torch_collate(samples))
    if dtype != torch.bfloat16:  # numpy has no bfloat16
        arrays = [s.numpy() for s in samples]
        assert_same(tg.utils.data.default_collate(arrays), torch_collate(arrays))
        assert_same(tg.utils.data.default_collate([a[0] for a in arrays]), torch_collate([a[0] for a in arrays]))


def test_to_tensor_takes_uint8_tensors_and_arrays():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    from_array = tg.transforms.ToTensor()(img)
    from_tensor = tg.transforms.ToTensor()(tg.from_numpy(img))
    assert from_array.dtype == from_tensor.dtype == tg.float32 and tuple(from_tensor.shape) == (1, 3, 4)
    np.testing.assert_array_equal(from_tensor.numpy(), from_array.numpy())
    np.testing.assert_allclose(from_tensor.numpy()[0], img / np.float32(255), rtol=1e-7)


# ---- torch's rounding points in ops that compute in float32 (float16/bfloat16) ----

def _close(got, ref, msg=""):
    """Same dtype and shape, values within torch's default tolerance for the dtype (reductions)."""
    assert got.dtype == TG_OF_TORCH[ref.dtype], msg
    torch.testing.assert_close(torch.from_numpy(got.float().numpy()), ref.float(), msg=msg,
                               **{"rtol": {torch.float16: 1e-3, torch.bfloat16: 1.6e-2}.get(ref.dtype, 1.3e-6),
                                  "atol": 1e-5})


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.int64])
def test_integer_pow_with_negative_exponents(dtype):
    base = torch.tensor([-3, -2, -1, 0, 1, 2, 3], dtype=dtype)
    exp = torch.tensor([-1, -2, -3, -1, -5, -1, -2], dtype=dtype)
    assert_same(tg.pow(to_tg(base), to_tg(exp)), torch.pow(base, exp))
    for b in (2, 1, -1, 0):  # Python base ** tensor (__rpow__): 0 except for bases 1 and -1
        assert_same(b ** to_tg(exp), b ** exp, f"{b} ** exp")
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        to_tg(base) ** -1


@pytest.mark.parametrize("dtype", HALVES)
def test_lerp_16bit_follows_torchs_formula(dtype):
    g = torch.Generator().manual_seed(7)
    a, b = (torch.randn(3000, generator=g) * 3).to(dtype), (torch.randn(3000, generator=g) * 3).to(dtype)
    w = (torch.rand(3000, generator=g) * 1.5 - 0.25).to(dtype)
    assert_same(tg.lerp(to_tg(a), to_tg(b), to_tg(w)), torch.lerp(a, b, w))
    for ws in (0.3, 0.7, -0.2, 1.0):  # a number weight stays float32
        assert_same(tg.lerp(to_tg(a), to_tg(b), ws), torch.lerp(a, b, ws), f"weight {ws}")


@pytest.mark.parametrize("dtype", HALVES + [torch.bool, torch.int32])
def test_addr_rounds_each_step(dtype):
    g = torch.Generator().manual_seed(3)
    if dtype == torch.bool:
        m, u, v = (torch.rand(5, 4, generator=g) > 0.5), (torch.rand(5, generator=g) > 0.5), \
            (torch.rand(4, generator=g) > 0.5)
        for beta, alpha in ((True, True), (False, True), (True, False)):
            assert_same(tg.addr(to_tg(m), to_tg(u), to_tg(v), beta=beta, alpha=alpha),
                        torch.addr(m, u, v, beta=beta, alpha=alpha), f"{beta}, {alpha}")
        return
    m, u, v = (torch.randn(5, 4, generator=g) * 4).to(dtype), (torch.randn(5, generator=g) * 4).to(dtype), \
        (torch.randn(4, generator=g) * 4).to(dtype)
    if dtype == torch.int32:
        for kw, name in (({"beta": 0.5}, "beta"), ({"alpha": 0.5}, "alpha")):
            with pytest.raises(RuntimeError, match=f"argument {name} must not be a floating point number"):
                tg.addr(to_tg(m), to_tg(u), to_tg(v), **kw)
        assert_same(tg.addr(to_tg(m), to_tg(u), to_tg(v), beta=2, alpha=-3), torch.addr(m, u, v, beta=2, alpha=-3))
        return
    for beta, alpha in ((1, 1), (0.3, 1.7), (0, 2.5)):
        assert_same(tg.addr(to_tg(m), to_tg(u), to_tg(v), beta=beta, alpha=alpha),
                    torch.addr(m, u, v, beta=beta, alpha=alpha), f"{beta}, {alpha}")


@pytest.mark.parametrize("dtype", SMALL_INTS + [torch.int64])
def test_batched_products_take_integer_parts_of_scalars(dtype):
    x, m, v = small(dtype, (5,), 1), small(dtype, (5, 7), 2), small(dtype, (7,), 3)
    b1, b2, c = small(dtype, (3, 5, 4), 4), small(dtype, (3, 4, 6), 5), small(dtype, (5, 6), 6)
    for beta, alpha in ((1, 1), (0.2, 0.6), (2.9, 1.5 if dtype == torch.uint8 else -1.5)):  # torch: no -1 in uint8
        assert_same(tg.addmv(to_tg(x), to_tg(m), to_tg(v), beta=beta, alpha=alpha),
                    torch.addmv(x, m, v, beta=beta, alpha=alpha), f"addmv {beta} {alpha}")
        assert_same(tg.addbmm(to_tg(c), to_tg(b1), to_tg(b2), beta=beta, alpha=alpha),
                    torch.addbmm(c, b1, b2, beta=beta, alpha=alpha), f"addbmm {beta} {alpha}")
        assert_same(tg.baddbmm(to_tg(c), to_tg(b1), to_tg(b2), beta=beta, alpha=alpha),
                    torch.baddbmm(c, b1, b2, beta=beta, alpha=alpha), f"baddbmm {beta} {alpha}")


@pytest.mark.parametrize("dtype", HALVES)
def test_batched_products_16bit(dtype):
    g = torch.Generator().manual_seed(4)
    b1, b2 = torch.randn(4, 5, 6, generator=g).to(dtype), torch.randn(4, 6, 7, generator=g).to(dtype)
    c = torch.randn(5, 7, generator=g).to(dtype)
    for beta, alpha in ((1, 1), (0.2, 0.6)):
        _close(tg.addbmm(to_tg(c), to_tg(b1), to_tg(b2), beta=beta, alpha=alpha),
               torch.addbmm(c, b1, b2, beta=beta, alpha=alpha), "addbmm")
        _close(tg.baddbmm(to_tg(c), to_tg(b1), to_tg(b2), beta=beta, alpha=alpha),
               torch.baddbmm(c, b1, b2, beta=beta, alpha=alpha), "baddbmm")


@pytest.mark.parametrize("dtype", HALVES)
def test_log_softmax_16bit_rounds_like_torch(dtype):
    g = torch.Generator().manual_seed(5)
    x = (torch.randn(6, 40, 7, generator=g) * 4).to(dtype)
    for dim in (0, 1, 2, -1):  # the last dim rounds the sum and its log first
        _close(tg.log_softmax(to_tg(x), dim), torch.log_softmax(x, dim), f"dim {dim}")


@pytest.mark.parametrize("dtype", HALVES)
def test_norms_16bit_accumulate_in_float32(dtype):
    g = torch.Generator().manual_seed(6)
    a, b = (torch.randn(300, generator=g) * 200).to(dtype), (torch.randn(300, generator=g) * 200).to(dtype)
    got = tg.dist(to_tg(a), to_tg(b))  # the squares overflow float16
    assert np.isfinite(got.float().numpy()).all()
    _close(got, torch.dist(a, b), "dist")
    m = (torch.randn(5, 6, 7, generator=g) * 3).to(dtype)
    _close(tg.renorm(to_tg(m), 2, 1, 4.0), torch.renorm(m, 2, 1, 4.0), "renorm")
    x1, x2 = torch.randn(8, 30, generator=g).to(dtype), torch.randn(8, 30, generator=g).to(dtype)
    _close(tg.nn.functional.cosine_similarity(to_tg(x1), to_tg(x2)), F.cosine_similarity(x1, x2), "cosine")


@pytest.mark.parametrize("dtype", HALVES)
def test_pointwise_losses_16bit(dtype):
    g = torch.Generator().manual_seed(8)
    x, y = (torch.randn(500, generator=g) * 3).to(dtype), (torch.randn(500, generator=g) * 3).to(dtype)
    same = assert_same if dtype == torch.float16 else _close  # bit-exact where torch's kernel is known
    for delta in (1.0, 0.5, 2.3):
        same(tg.nn.functional.huber_loss(to_tg(x), to_tg(y), reduction="none", delta=delta),
             F.huber_loss(x, y, reduction="none", delta=delta), f"huber {delta}")
    t = torch.randint(0, 2, (500,), generator=g).to(dtype) * 2 - 1
    same(tg.nn.functional.soft_margin_loss(to_tg(x), to_tg(t), reduction="none"),
         F.soft_margin_loss(x, t, reduction="none"), "soft_margin_loss")


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16])
def test_trapezoid_sums_in_the_input_dtype(dtype):
    y = torch.tensor([[200, 100, 90, 120], [5, 7, 9, 100]]).to(dtype)  # y[i] + y[i + 1] wraps in 8 bits
    x = torch.tensor([0, 1, 3, 4]).to(dtype)
    assert_same(tg.trapezoid(to_tg(y)), torch.trapezoid(y))
    assert_same(tg.trapz(to_tg(y), dx=0.5), torch.trapz(y, dx=0.5))
    assert_same(tg.trapezoid(to_tg(y), to_tg(x)), torch.trapezoid(y, x))
    assert_same(tg.cumulative_trapezoid(to_tg(y)), torch.cumulative_trapezoid(y))
    assert_same(tg.cumulative_trapezoid(to_tg(y), to_tg(x)), torch.cumulative_trapezoid(y, x))
    assert_same(tg.trapezoid(to_tg(y[:, :0])), torch.trapezoid(y[:, :0]))


@pytest.mark.parametrize("dtype", HALVES)
def test_embedding_16bit(dtype):
    w = torch.randn(10, 4).to(dtype)
    idx = torch.tensor([[1, 2, 9], [0, 0, 3]])
    assert_same(tg.nn.functional.embedding(to_tg(idx), to_tg(w)), F.embedding(idx, w))
    _close(tg.nn.functional.embedding_bag(to_tg(idx), to_tg(w), mode="mean"), F.embedding_bag(idx, w, mode="mean"))


@pytest.mark.parametrize("dtype", HALVES)
def test_batch_and_instance_norm_16bit_use_rounded_statistics(dtype):
    g = torch.Generator().manual_seed(9)
    x = (torch.randn(4, 3, 5, 6, generator=g) * 5).to(dtype)
    w, b = (torch.randn(3, generator=g) * 5).to(dtype), (torch.randn(3, generator=g) * 5).to(dtype)
    rm, rv = torch.randn(3, generator=g).to(dtype), (torch.rand(3, generator=g) + 0.1).to(dtype)
    for training in (True, False):
        _close(tg.nn.functional.batch_norm(to_tg(x), to_tg(rm), to_tg(rv), to_tg(w), to_tg(b), training, 0.5, 0.6),
               F.batch_norm(x, rm.clone(), rv.clone(), w, b, training, 0.5, 0.6), f"batch_norm {training}")
    _close(tg.nn.functional.instance_norm(to_tg(x), weight=to_tg(w), bias=to_tg(b), eps=0.5),
           F.instance_norm(x, weight=w, bias=b, eps=0.5), "instance_norm")


@pytest.mark.parametrize("dtype", HALVES)
def test_adaptive_avg_pool3d_16bit_sums_in_the_dtype(dtype):
    x = (torch.randn(2, 3, 8, 8, 6, generator=torch.Generator().manual_seed(10)) * 5).to(dtype)
    for size in ((5, 7, 4), (3, 2, 6), (1, 1, 1)):
        assert_same(tg.nn.functional.adaptive_avg_pool3d(to_tg(x), size), F.adaptive_avg_pool3d(x, size), f"{size}")


@pytest.mark.parametrize("dtype", HALVES)
def test_conv_transpose_16bit_rounds_columns_and_sums(dtype):
    g = torch.Generator().manual_seed(11)
    x2, w2 = torch.randn(2, 4, 5, 5, generator=g).to(dtype), torch.randn(4, 3, 3, 4, generator=g).to(dtype)
    b = torch.randn(6, generator=g).to(dtype)
    kw = dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2, dilation=(1, 2))
    _close(tg.nn.functional.conv_transpose2d(to_tg(x2), to_tg(w2), to_tg(b), **kw),
           F.conv_transpose2d(x2, w2, b, **kw), "conv_transpose2d")
    x3, w3 = torch.randn(1, 2, 3, 4, 3, generator=g).to(dtype), torch.randn(2, 3, 2, 3, 2, generator=g).to(dtype)
    _close(tg.nn.functional.conv_transpose3d(to_tg(x3), to_tg(w3), stride=2, padding=1),
           F.conv_transpose3d(x3, w3, stride=2, padding=1), "conv_transpose3d")


@pytest.mark.parametrize("dtype", HALVES)
def test_interpolate_16bit_rounds_the_weights(dtype):
    g = torch.Generator().manual_seed(12)
    for mode, shape in (("linear", (2, 3, 9)), ("bicubic", (2, 3, 5, 6)), ("trilinear", (1, 2, 4, 5, 3))):
        x = (torch.randn(*shape, generator=g) * 3).to(dtype)
        for align in (True, False):
            for scale in (1.7, 0.6):
                _close(tg.nn.functional.interpolate(to_tg(x), scale_factor=scale, mode=mode, align_corners=align),
                       F.interpolate(x, scale_factor=scale, mode=mode, align_corners=align), f"{mode} {align} {scale}")

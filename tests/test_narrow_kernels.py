"""The narrow-dtype fast paths against torch, bit for bit: contiguous elementwise arithmetic on
uint8/int8/int16/int32 (in the type's own width, wrapping) and float16/bfloat16 (widened to float32
and rounded once), float32 <-> float16/bfloat16 conversions, and float16/bfloat16 products (operands
converted while packed, rounded once). Inputs cover every bit pattern class: NaN, infinities, signed
zeros, denormals, the largest values and rounding ties; lengths leave vector tails and span threads."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.test_dtypes import assert_same, bits, to_tg

pytestmark = pytest.mark.torch

INTS = [torch.uint8, torch.int8, torch.int16, torch.int32]
HALVES = [torch.float16, torch.bfloat16]
OPS = ["add", "sub", "mul", "div", "maximum", "minimum"]
N = 70_003  # not a multiple of the vector width, and more than one thread's share


def any_bits(dtype, n, seed):
    """n values of `dtype` from uniformly random bit patterns (every class of value, NaNs included)."""
    g = torch.Generator().manual_seed(seed)
    raw = torch.randint(-2 ** 15, 2 ** 15, (n,), generator=g, dtype=torch.int32).to(torch.int16)
    return raw.view(dtype)


def with_ties(x, dtype):
    """Pairs (x, h) where h is half a unit in the last place of x: x + h lies exactly between two
    neighbours and rounds to the even one; then the edges (zeros, infinities, NaN, extremes, denormals)."""
    finite = x[torch.isfinite(x) & (x != 0)].float()
    m, e = torch.frexp(finite)
    digits = 11 if dtype == torch.float16 else 8
    h = torch.ldexp(torch.sign(m), e - digits - 1).to(dtype)
    fi = torch.finfo(dtype)
    edges = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), float("nan"), fi.max, -fi.max, fi.tiny,
                          fi.smallest_normal / 4, -fi.smallest_normal / 8, 1.0, -1.0]).to(dtype)
    a = torch.cat([finite.to(dtype), edges.repeat_interleave(len(edges)), x])
    b = torch.cat([h, edges.repeat(len(edges)), x.flip(0)])
    return a, b


def int_values(dtype, n, seed):
    info = torch.iinfo(dtype)
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(info.min, info.max + 1, (n,), generator=g, dtype=torch.int64).to(dtype)
    t[:4] = torch.tensor([info.min, info.max, 0, -1 if info.min < 0 else 1])
    return t


def operands(dtype):
    if dtype.is_floating_point:
        return with_ties(any_bits(dtype, N, 1), dtype)
    return int_values(dtype, N, 1), int_values(dtype, N, 2)


@pytest.mark.parametrize("dtype", INTS + HALVES)
@pytest.mark.parametrize("op", OPS)
def test_contiguous_binary_is_bit_exact(dtype, op):
    a, b = operands(dtype)
    f, ft = getattr(tg, op), getattr(torch, op)
    ta, tb = to_tg(a), to_tg(b)
    assert_same(f(ta, tb), ft(a, b), op)
    assert_same(f(ta, tb[5:6]), ft(a, b[5:6]), op + " with a one-element operand")
    assert_same(f(ta[7:8], tb), ft(a[7:8], b), op + " with a one-element first operand")
    assert_same(f(ta[:37], tb[:37]), ft(a[:37], b[:37]), op + " short")
    # a strided view takes the widening path: the same bits
    assert_same(f(ta[::3], tb[::3]), ft(a[::3], b[::3]), op + " strided")


@pytest.mark.parametrize("dtype", INTS)
def test_integer_unary_in_own_width(dtype):
    a = int_values(dtype, N, 3)
    for name in ("neg", "abs", "relu", "sign", "square"):
        assert_same(getattr(tg, name)(to_tg(a)), getattr(torch, name)(a), name)
        assert_same(getattr(tg, name)(to_tg(a)[::2]), getattr(torch, name)(a[::2]), name + " strided")


@pytest.mark.parametrize("dtype", INTS + HALVES)
def test_scalars_and_in_place(dtype):
    a, b = operands(dtype)
    ta, tb = to_tg(a), to_tg(b)
    for s in (3, -2) if not dtype.is_floating_point else (3, -2, 0.5):
        if dtype == torch.uint8 and s < 0:
            continue
        assert_same(ta + s, a + s, f"+ {s}")
        assert_same(ta * s, a * s, f"* {s}")
        assert_same(ta - s, a - s, f"- {s}")
        assert_same(s * ta, s * a, f"{s} *")
    x, y = ta.clone(), a.clone()
    x.add_(tb)
    y.add_(b)
    assert_same(x, y, "add_")
    x.mul_(tb)
    y.mul_(b)
    assert_same(x, y, "mul_")


@pytest.mark.parametrize("dtype", HALVES)
def test_conversions_are_bit_exact(dtype):
    every = torch.arange(-2 ** 15, 2 ** 15, dtype=torch.int32).to(torch.int16).view(dtype)
    assert_same(to_tg(every).float(), every.float())
    g = torch.Generator().manual_seed(3)
    wide = torch.randint(-2 ** 31, 2 ** 31, (N,), generator=g, dtype=torch.int64).to(torch.int32).view(torch.float32)
    # float32 values exactly between two neighbours of the narrow type (both tie directions)
    drop = 13 if dtype == torch.float16 else 16
    ties = ((torch.randint(0, 2 ** 15, (4001,), generator=g, dtype=torch.int32) << 16) | (1 << (drop - 1)))
    ties = torch.cat([ties.view(torch.float32), torch.tensor([65519.996, 65520.0, 3.4e38, 1e-40, -1e-45, 5.9604645e-08,
                                                              2.9802322e-08, 2.9802326e-08])])
    for x in (wide, ties):
        assert_same(tg.from_numpy(x.numpy()).to(getattr(tg, str(dtype).split(".")[1])), x.to(dtype))


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape", [(70, 300, 90), (1, 64, 33), (2, 50, 7), (129, 40, 3), (40, 17, 1)])
def test_products_round_the_float32_product_once(dtype, shape):
    """A float16/bfloat16 product is the float32 product of the widened operands rounded once: the same
    kernel sums in the same order, so the bits agree with tg's own float32 path."""
    M, K, Nn = shape
    g = torch.Generator().manual_seed(M * K)
    a, b = torch.randn(M, K, generator=g).to(dtype), torch.randn(K, Nn, generator=g).to(dtype)
    c = torch.randn(Nn, generator=g).to(dtype)
    ta, tb, tc = to_tg(a), to_tg(b), to_tg(c)
    def lay(t, transposed):  # t as a tg tensor, row-major or as the transpose of a row-major matrix
        return to_tg(t.t().contiguous()).t() if transposed else to_tg(t)
    for transposed in (False, True):
        x, y = lay(a, transposed), lay(b, transposed)
        ref = tg.mm(lay(a.float(), transposed), lay(b.float(), transposed)).to(x.dtype)
        np.testing.assert_array_equal(bits(tg.mm(x, y)), bits(ref), err_msg=f"transposed={transposed}")
    np.testing.assert_allclose(tg.mm(ta, tb).float().numpy(), (a.float() @ b.float()).to(dtype).float().numpy(),
                               rtol=1e-2, atol=1e-2)
    got = tg.addmm(tc, ta, tb, beta=0.5, alpha=2.0)
    want = tg.addmm(tc.float(), ta.float(), tb.float(), beta=0.5, alpha=2.0).to(ta.dtype)
    np.testing.assert_array_equal(bits(got), bits(want))
    x, y = to_tg(a.reshape(1, M, K).expand(3, M, K).contiguous()), tb
    np.testing.assert_array_equal(bits(tg.matmul(x, y)), bits(tg.matmul(x.float(), y.float()).to(ta.dtype)))


CHILD = r"""
import sys
import numpy as np
import torch
import tinygrad_ext as tg
sys.path.insert(0, sys.argv[2])
from tests.test_narrow_kernels import operands, INTS, HALVES, OPS
from tests.test_dtypes import to_tg
out = {"level": np.array(tg._C._cpu_level())}
def bits(t):  # floats as float32 (NaN payloads aside, every bit of a 16-bit float survives)
    return t.float().numpy() if t.dtype.is_floating_point else t.numpy()
for dt in INTS + HALVES:
    a, b = operands(dt)
    for op in OPS:
        if op == "div" and not dt.is_floating_point:
            continue
        out[f"{dt}_{op}"] = bits(getattr(tg, op)(to_tg(a), to_tg(b)))
    if dt.is_floating_point:
        out[f"{dt}_float"] = bits(to_tg(a).float())
np.savez(sys.argv[1], **out)
"""


def test_every_cpu_level_gives_the_same_bits(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package = os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__)))
    results = {}
    for level in ("baseline", "avx2"):
        dst = tmp_path / f"{level}.npz"
        env = dict(os.environ, TG_CPU_LEVEL=level, PYTHONPATH=os.pathsep.join([package, root]), OMP_NUM_THREADS="1")
        subprocess.run([sys.executable, "-c", CHILD, str(dst), root], check=True, env=env, timeout=300)
        results[level] = dict(np.load(dst))
    if str(results["avx2"]["level"]) != "avx2":
        pytest.skip("this CPU has no AVX2")
    for key, base in results["baseline"].items():
        if key == "level":
            continue
        got = results["avx2"][key]
        if base.dtype == np.float32:  # the same NaNs, and every other value bit for bit
            np.testing.assert_array_equal(np.isnan(got), np.isnan(base), err_msg=key)
            got, base = got.view(np.int32)[~np.isnan(base)], base.view(np.int32)[~np.isnan(base)]
        np.testing.assert_array_equal(got, base, err_msg=key)

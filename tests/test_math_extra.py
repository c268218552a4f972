"""The extra elementwise math (special functions, xlogy ... fmax, div rounding modes, tg.special)
against torch: values (special points included), result dtypes, gradients at torch's edge points,
float64 gradcheck and bad-input errors."""
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tinygrad_ext.autograd import gradcheck
from helpers import TG_OF_TORCH, assert_tensor_matches

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, INF, -INF, NAN]


def pair(values, dtype=torch.float64, requires_grad=False):
    t = torch.tensor(values, dtype=dtype, requires_grad=requires_grad)
    return tg.tensor(t.detach().numpy(), requires_grad=requires_grad), t


def check(tg_out, torch_out, msg=""):
    assert_tensor_matches(tg_out, torch_out, msg)
    if torch_out.dtype.is_floating_point:  # the sign of zeros and infinities too
        a, e = tg_out.detach().numpy(), torch_out.detach().numpy()
        both = np.isfinite(e) & (e == 0)
        np.testing.assert_array_equal(np.signbit(a[both]), np.signbit(e[both]), err_msg=msg)


# op name in tg, the same op in torch, input values (special values are added to each)
UNARY = [
    ("acosh", torch.acosh, [1.0, 1.5, 10.0, 1e6, 0.5]),
    ("asinh", torch.asinh, [-3.0, -1e-8, 0.5, 1e8]),
    ("atanh", torch.atanh, [-1.0, -0.5, 0.3, 0.999, 1.0, 2.0]),
    ("erfc", torch.erfc, [-3.0, -0.5, 0.5, 3.0, 10.0, 30.0]),
    ("erfinv", torch.erfinv, [-1.0, -0.999999, -0.5, 1e-10, 0.3, 0.9, 0.99999999, 1.0, 1.5]),
    ("lgamma", torch.lgamma, [-2.5, -2.0, -0.5, 0.5, 1.0, 2.0, 3.7, 100.0, 1e10]),
    ("digamma", torch.digamma, [-2.5, -2.0, -0.5, 1e-8, 0.5, 1.0, 2.0, 7.3, 100.0, 1e10, -1e5 - 0.5]),
    ("i0", torch.i0, [-40.0, -3.0, 0.5, 1.0, 10.0, 29.9, 30.1, 100.0, 700.0, 800.0]),
    ("sinc", torch.sinc, [-2.0, -0.5, 1e-9, 0.25, 1.0, 3.5, 1e6]),
    ("deg2rad", torch.deg2rad, [-180.0, 45.0, 360.0]),
    ("rad2deg", torch.rad2deg, [-3.14, 1.0, 100.0]),
    ("sgn", torch.sgn, [-3.0, 2.0]),
    ("logit", torch.logit, [0.0, 0.1, 0.5, 0.9, 1.0, -0.5, 2.0]),
    ("special.i0e", torch.special.i0e, [-40.0, -3.0, 0.5, 10.0, 31.0, 1000.0]),
    ("special.i1", torch.special.i1, [-40.0, -3.0, 0.5, 10.0, 31.0, 100.0]),
    ("special.i1e", torch.special.i1e, [-40.0, -3.0, 0.5, 10.0, 31.0, 1000.0]),
    ("special.entr", torch.special.entr, [-1.0, 0.5, 1.0, 3.0]),
    ("special.ndtr", torch.special.ndtr, [-40.0, -3.0, 0.5, 3.0, 10.0]),
]


def lookup(module, name):
    for part in name.split("."):
        module = getattr(module, part)
    return module


def tg_fn(name):
    return lookup(tg, name)


def torch_fn(name):
    return lookup(torch, name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name,torch_fn,values", UNARY, ids=[u[0] for u in UNARY])
def test_unary_values(name, torch_fn, values, dtype):
    x, t = pair(values + SPECIAL, dtype)
    check(tg_fn(name)(x), torch_fn(t), name)


@pytest.mark.parametrize("name,torch_fn,values", UNARY, ids=[u[0] for u in UNARY])
def test_unary_integer_inputs_promote_like_torch(name, torch_fn, values):
    if name == "sgn":
        x, t = pair([-3, 0, 2], torch.int64)
    else:
        x, t = pair([0, 1, 2, 5], torch.int64)
    check(tg_fn(name)(x), torch_fn(t), name)


# gradient inputs inside each op's domain (away from its singular points)
GRAD_INPUTS = {"acosh": [1.2, 2.0, 7.0], "atanh": [-0.7, 0.1, 0.6], "erfinv": [-0.9, 0.2, 0.7],
               "lgamma": [-1.5, 0.7, 4.0], "digamma": [-1.5, 0.7, 4.0], "logit": [0.2, 0.5, 0.8],
               "special.entr": [0.2, 1.0, 3.0]}


@pytest.mark.parametrize("name,torch_fn", [(u[0], u[1]) for u in UNARY if u[0] != "sgn"],
                         ids=[u[0] for u in UNARY if u[0] != "sgn"])
def test_unary_gradients(name, torch_fn):
    values = GRAD_INPUTS.get(name, [-2.5, -0.3, 0.4, 1.7])
    x, t = pair(values, torch.float64, requires_grad=True)
    tg_fn(name)(x).sum().backward()
    torch_fn(t).sum().backward()
    check(x.grad, t.grad, name)
    assert gradcheck(tg_fn(name), (tg.tensor(values, dtype=tg.float64, requires_grad=True),))


@pytest.mark.parametrize("name", ["digamma", "i0", "special.i1", "erfinv", "sinc", "logit"])
def test_unary_double_backward(name):
    values = GRAD_INPUTS.get(name, [-1.5, 0.4, 2.3])
    x, t = pair(values, torch.float64, requires_grad=True)
    (gx,) = tg.autograd.grad(tg_fn(name)(x).sum(), x, create_graph=True)
    gx.sum().backward()
    (gt,) = torch.autograd.grad(torch_fn(name)(t).sum(), t, create_graph=True)
    gt.sum().backward()
    check(x.grad, t.grad, name)


def test_sinc_and_special_gradients_at_zero():
    for name in ["sinc", "special.i1", "special.i1e", "special.i0e", "i0"]:
        x, t = pair([0.0], torch.float64, requires_grad=True)
        tg_fn(name)(x).sum().backward()
        torch_fn(name)(t).sum().backward()
        check(x.grad, t.grad, name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_polygamma_and_mvlgamma(dtype):
    x, t = pair([-2.5, -0.5, 0.0, 0.3, 1.0, 2.0, 5.5, 40.0, INF, NAN], dtype)
    for n in range(5):
        check(tg.polygamma(n, x), torch.polygamma(n, t), f"polygamma {n}")
        check(x.polygamma(n), t.polygamma(n), f"polygamma method {n}")
    y, u = pair([1.6, 2.0, 3.5, 10.0], dtype)
    for p in (1, 2, 3):
        check(tg.mvlgamma(y, p), torch.mvlgamma(u, p), f"mvlgamma {p}")
    x, t = pair([0.4, 1.3, 3.0], torch.float64, requires_grad=True)
    tg.polygamma(2, x).sum().backward()
    torch.polygamma(2, t).sum().backward()
    check(x.grad, t.grad, "polygamma grad")
    assert gradcheck(lambda v: tg.mvlgamma(v, 3), (tg.tensor([1.6, 2.5], dtype=tg.float64, requires_grad=True),))
    z, w = pair([1.5, 2.0, 3.25], torch.float64)
    check(tg.special.zeta(z, 2.0), torch.special.zeta(w, 2.0), "zeta")
    check(tg.special.zeta(3.0, z), torch.special.zeta(3.0, w), "zeta scalar self")


def test_logit_eps_and_nan_to_num():
    x, t = pair([-0.5, 0.0, 1e-4, 0.3, 0.9999, 1.0, NAN], torch.float64, requires_grad=True)
    check(tg.logit(x, eps=1e-3), torch.logit(t, eps=1e-3))
    tg.logit(x, 1e-3).sum().backward()
    torch.logit(t, 1e-3).sum().backward()
    check(x.grad, t.grad, "logit eps grad")
    for dtype in (torch.float32, torch.float64):
        x, t = pair([NAN, INF, -INF, 1.5, -0.0], dtype, requires_grad=True)
        check(tg.nan_to_num(x), torch.nan_to_num(t))
        check(x.nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0), t.nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0))
        tg.nan_to_num(x, 1.0).sum().backward()
        torch.nan_to_num(t, 1.0).sum().backward()
        check(x.grad, t.grad, "nan_to_num grad")
    x, t = pair([1, -2], torch.int64)
    check(tg.nan_to_num(x), torch.nan_to_num(t))


def test_float_tests_and_positive():
    for dtype in (torch.float32, torch.float64, torch.int64):
        values = [-2, 0, 3] if dtype == torch.int64 else [-2.0, -0.0, 0.0, 3.0, INF, -INF, NAN, -NAN]
        x, t = pair(values, dtype)
        for name in ["isposinf", "isneginf", "isreal", "signbit"]:
            check(getattr(tg, name)(x), getattr(torch, name)(t), name)
            check(getattr(x, name)(), getattr(t, name)(), name + " method")
        assert tg.positive(x) is x and x.positive() is x
    with pytest.raises(RuntimeError, match="bool"):
        tg.positive(tg.tensor([True]))


BINARY_VALUES = [-3.0, -1.0, -0.0, 0.0, 0.5, 2.0, INF, -INF, NAN]
# tg name, torch function, whether integer inputs are allowed
BINARY = [("xlogy", torch.xlogy, True), ("special.xlog1py", torch.special.xlog1py, True),
          ("hypot", torch.hypot, False), ("copysign", torch.copysign, True),
          ("nextafter", torch.nextafter, False), ("ldexp", torch.ldexp, True),
          ("float_power", torch.float_power, True), ("logaddexp", torch.logaddexp, False),
          ("logaddexp2", torch.logaddexp2, False), ("fmax", torch.fmax, True), ("fmin", torch.fmin, True),
          ("heaviside", torch.heaviside, True)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name,torch_fn,ints", BINARY, ids=[b[0] for b in BINARY])
def test_binary_values(name, torch_fn, ints, dtype):
    grid = np.array(np.meshgrid(BINARY_VALUES, BINARY_VALUES)).reshape(2, -1)
    if name == "ldexp":
        grid[1] = np.nan_to_num(grid[1], nan=3.0, posinf=4.0, neginf=-4.0)
    a, ta = pair(grid[0].tolist(), dtype)
    b, tb = pair(grid[1].tolist(), dtype)
    check(tg_fn(name)(a, b), torch_fn(ta, tb), name)
    # broadcasting and a Python number on the right
    check(tg_fn(name)(a.reshape(9, 9), b.reshape(9, 9)[:1]), torch_fn(ta.reshape(9, 9), tb.reshape(9, 9)[:1]))
    if name in ("xlogy", "special.xlog1py", "copysign", "float_power"):  # torch takes a number here
        check(tg_fn(name)(a, 2.0), torch_fn(ta, 2.0), name + " scalar")
    if ints:
        i, ti = pair([-3, 0, 2, 5], torch.int64)
        check(tg_fn(name)(i, i.flip(0)), torch_fn(ti, ti.flip(0)), name + " int64")
    else:
        i = tg.tensor([1, 2])
        with pytest.raises(RuntimeError, match=name):
            tg_fn(name)(i, i)


GRAD_EDGES = {  # (a, b) points including the ones where torch defines the derivative specially
    "xlogy": ([0.0, 0.0, 1.5, 2.0, -1.0], [0.0, 2.0, 0.5, 3.0, 4.0]),
    "special.xlog1py": ([0.0, 0.0, 1.5, 2.0], [-1.0, 2.0, 0.5, 3.0]),
    "hypot": ([0.0, 3.0, -1.0, 0.5], [0.0, 4.0, 2.0, -0.5]),
    "copysign": ([0.0, -0.0, 2.0, -3.0, 1.0], [-1.0, 1.0, -0.0, 2.0, NAN]),
    "ldexp": ([0.5, -2.0, 3.0], [1.0, 2.0, -1.0]),
    "float_power": ([0.5, 2.0, 3.0], [1.5, -2.0, 0.5]),
    "logaddexp": ([0.0, -3.0, 5.0, -INF], [0.0, 2.0, -1.0, 1.0]),
    "logaddexp2": ([0.0, -3.0, 5.0, -INF], [0.0, 2.0, -1.0, 1.0]),
    "fmax": ([1.0, 2.0, NAN, 3.0, NAN], [1.0, -1.0, 2.0, NAN, NAN]),
    "fmin": ([1.0, 2.0, NAN, 3.0, NAN], [1.0, -1.0, 2.0, NAN, NAN]),
}


@pytest.mark.parametrize("name", list(GRAD_EDGES))
def test_binary_gradients_at_edges(name):
    torch_fn = {b[0]: b[1] for b in BINARY}[name]
    va, vb = GRAD_EDGES[name]
    a, ta = pair(va, torch.float64, True)
    b, tb = pair(vb, torch.float64, True)
    tg_fn(name)(a, b).sum().backward()
    torch_fn(ta, tb).sum().backward()
    check(a.grad, ta.grad, name + " d/da")
    check(b.grad, tb.grad, name + " d/db")
    # gradcheck away from the kinks, with a broadcast operand
    a = tg.tensor([[0.7, 1.3, 2.1]], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([[0.4], [1.9]], dtype=tg.float64, requires_grad=True)
    assert gradcheck(tg_fn(name), (a, b))


def test_binary_double_backward():
    for name in ["xlogy", "hypot", "logaddexp"]:
        torch_fn = {b[0]: b[1] for b in BINARY}[name]
        a, ta = pair([0.7, 1.3, 2.0], torch.float64, True)
        b, tb = pair([0.4, 1.9, 2.0], torch.float64, True)
        ga, gb = tg.autograd.grad(tg_fn(name)(a, b).sum(), [a, b], create_graph=True)
        (ga * gb + ga).sum().backward()
        gta, gtb = torch.autograd.grad(torch_fn(ta, tb).sum(), [ta, tb], create_graph=True)
        (gta * gtb + gta).sum().backward()
        check(a.grad, ta.grad, name)
        check(b.grad, tb.grad, name)


def test_xlogy_scalar_self_and_float_power_dtypes():
    y, t = pair([0.5, 2.0], torch.float32)
    check(tg.xlogy(2, y), torch.xlogy(2, t))
    check(tg.float_power(y, 2), torch.float_power(t, 2))
    check(tg.float_power(3, y), torch.float_power(3, t))
    i, ti = pair([1, 2, 3], torch.int64)
    check(tg.float_power(i, i), torch.float_power(ti, ti))
    check(tg.ldexp(i, i), torch.ldexp(ti, ti))


def test_integer_ops():
    a, ta = pair([0, 12, -18, 7, 0, -5], torch.int64)
    b, tb = pair([0, 8, 12, -3, 5, -5], torch.int64)
    for name in ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"]:
        check(getattr(tg, name)(a, b.abs() % 70), getattr(torch, name)(ta, tb.abs() % 70), name)
        check(getattr(a, name)(b.abs() % 5), getattr(ta, name)(tb.abs() % 5), name + " method")
    s, ts = pair([-1, 1, -(2 ** 62)], torch.int64)
    for shift in (-1, 0, 5, 63, 64, 100):
        check(s << shift, ts << shift, f"<< {shift}")
        check(s >> shift, ts >> shift, f">> {shift}")
    check(1 << a.abs(), 1 << ta.abs(), "reflected <<")
    f = tg.tensor([1.0])
    for name in ["gcd", "lcm", "bitwise_left_shift"]:
        with pytest.raises(RuntimeError, match=name):
            getattr(tg, name)(f, f)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64])
def test_div_rounding_modes(dtype):
    av = [-7, 7, -6, 5, 0] if dtype == torch.int64 else [-7.5, 7.0, -6.0, 5.5, -0.0, INF, NAN, 1.0]
    bv = [2, -2, 3, 5, 4] if dtype == torch.int64 else [2.0, -2.0, 4.0, -0.5, 3.0, 2.0, 1.0, 0.0]
    a, ta = pair(av, dtype)
    b, tb = pair(bv, dtype)
    for mode in ("trunc", "floor", None):
        check(tg.div(a, b, rounding_mode=mode), torch.div(ta, tb, rounding_mode=mode), str(mode))
        check(a.div(b, rounding_mode=mode), ta.div(tb, rounding_mode=mode), str(mode))
        check(tg.divide(a, 3, rounding_mode=mode), torch.divide(ta, 3, rounding_mode=mode), str(mode))
        c, tc = a.clone(), ta.clone()
        if mode is not None or dtype != torch.int64:
            c.div_(b, rounding_mode=mode)
            tc.div_(tb, rounding_mode=mode)
            check(c, tc, f"div_ {mode}")
    with pytest.raises(RuntimeError, match="rounding_mode"):
        tg.div(a, b, rounding_mode="round")
    if dtype == torch.int64:
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            tg.div(a, tg.zeros_like(a), rounding_mode="trunc")
    x, t = pair([1.5, -2.5], torch.float64, True)
    tg.div(x, 2.0, rounding_mode="trunc").sum().backward()
    torch.div(t, 2.0, rounding_mode="trunc").sum().backward()
    check(x.grad, t.grad)


def test_clamp_min_max_and_tensor_bounds():
    x, t = pair([-2.0, 0.5, 3.0, 0.7], torch.float64, True)
    lo, tlo = pair([0.0, 1.0, -1.0, 0.0], torch.float64)
    hi, thi = pair([1.0, 2.0, 2.0, 1.0], torch.float64)
    check(tg.clamp_min(x, 0.0), torch.clamp_min(t, 0.0))
    check(tg.clamp_max(x, 0.0), torch.clamp_max(t, 0.0))
    check(x.clamp_min(lo), t.clamp_min(tlo))
    check(x.clamp_max(hi), t.clamp_max(thi))
    out = tg.clamp(x, lo, hi)
    tout = torch.clamp(t, tlo, thi)
    check(out, tout)
    out.sum().backward()
    tout.sum().backward()
    check(x.grad, t.grad)
    y, ty = pair([-2.0, 0.5, 3.0], torch.float32)
    y.clamp_min_(0.0).clamp_max_(1.0)
    ty.clamp_min_(0.0).clamp_max_(1.0)
    check(y, ty)


def test_inplace_variants_and_methods():
    for name in ["acosh", "asinh", "atanh", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "deg2rad",
                 "rad2deg", "sgn", "logit", "arccosh", "arcsinh", "arctanh", "nan_to_num"]:
        values = [1.5, 2.0] if "cosh" in name else [0.25, 0.5]
        x, t = pair(values, torch.float32)
        check(getattr(x, name)(), getattr(t, name)(), name)
        assert getattr(x, name + "_")() is x
        getattr(t, name + "_")()
        check(x, t, name + "_")
    for name, arg in [("xlogy", 2.0), ("hypot", 2.0), ("copysign", -1.0), ("nextafter", 1.0), ("ldexp", 2.0)]:
        x, t = pair([0.25, 0.5], torch.float32)
        y, u = pair([arg], torch.float32)
        check(getattr(x, name)(y), getattr(t, name)(u), name)
        getattr(x, name + "_")(y)
        getattr(t, name + "_")(u)
        check(x, t, name + "_")
    for name in ["logaddexp", "logaddexp2", "fmax", "fmin"]:  # no in-place form in torch either
        x, t = pair([0.25, 0.5], torch.float32)
        check(getattr(x, name)(x * 2), getattr(t, name)(t * 2), name)
        assert not hasattr(x, name + "_")
    x, t = pair([0.5, 2.0], torch.float64)
    x.float_power_(2)
    t.float_power_(2)
    check(x, t)
    x, t = pair([1.5, 2.0], torch.float32)
    x.polygamma_(1)
    t.polygamma_(1)
    check(x, t)
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        a.erfinv_()  # a leaf that requires grad, as torch


@pytest.mark.parametrize("base", [10.0, 2.0, 0.5])
def test_logspace(base):
    for start, end, steps in [(0, 3, 4), (-2.0, 2.0, 7), (1, 1, 1), (0, 1, 0)]:
        check(tg.logspace(start, end, steps, base=base), torch.logspace(start, end, steps, base=base))
    check(tg.logspace(0, 2, 3, dtype=tg.float64), torch.logspace(0, 2, 3, dtype=torch.float64))


def test_special_namespace():
    x, t = pair([0.1, 0.5, 0.9], torch.float64)
    for name in ["erf", "erfc", "erfinv", "expit", "logit", "i0", "i0e", "i1", "i1e", "digamma", "psi", "gammaln",
                 "sinc", "entr", "ndtr", "log1p", "expm1", "exp2", "round"]:
        check(getattr(tg.special, name)(x), getattr(torch.special, name)(t), name)
    check(tg.special.polygamma(2, x), torch.special.polygamma(2, t))
    check(tg.special.multigammaln(x + 2, 2), torch.special.multigammaln(t + 2, 2))
    check(tg.special.xlogy(x, x), torch.special.xlogy(t, t))
    check(tg.special.xlog1py(x, 2.0), torch.special.xlog1py(t, 2.0))
    y, u = pair([[0.1, 0.5], [0.9, -1.0]], torch.float64)
    check(tg.special.logsumexp(y, 1), torch.special.logsumexp(u, 1))
    check(tg.special.softmax(y, 0), torch.special.softmax(u, 0))
    check(tg.special.log_softmax(y, 1), torch.special.log_softmax(u, 1))


def test_bad_inputs():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="polygamma"):
        tg.polygamma(-1, x)
    with pytest.raises(RuntimeError, match=r"\(p-1\)/2"):
        tg.mvlgamma(tg.tensor([0.5, 2.0]), 3)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        tg.mvlgamma(x, 0)
    with pytest.raises(RuntimeError, match="different dtypes"):
        tg.heaviside(x, tg.tensor([1]))
    with pytest.raises(RuntimeError, match="shape|size"):
        tg.hypot(x, tg.tensor([1.0, 2.0, 3.0]))
    for fn in [tg.xlogy, tg.hypot, tg.fmax, tg.copysign, tg.gcd]:
        with pytest.raises(TypeError):
            fn(x, None)
        with pytest.raises(TypeError):
            fn(x, "a")
    with pytest.raises(TypeError):
        tg.xlogy(1.0, 2.0)  # at least one tensor
    with pytest.raises(NotImplementedError, match="hypot"):
        tg.hypot(tg.tensor([1]), tg.tensor([2]))


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int16, torch.uint8])
def test_narrow_dtypes_follow_torch(dtype):
    """Dtypes without native kernels compute widened and round once, with torch's result dtypes
    (float16 within 2 half-precision ulps: torch rounds some intermediate results to half)."""
    floating = dtype.is_floating_point

    def check(actual, expected, msg=""):
        assert actual.dtype == TG_OF_TORCH[expected.dtype], msg
        np.testing.assert_allclose(actual.float().numpy(), expected.float().numpy(), rtol=2e-3, atol=1e-3,
                                   equal_nan=True, err_msg=msg)
    a, ta = pair([1.0, 2.5, 7.0] if floating else [1, 2, 7], dtype)
    b, tb = pair([3.0, 0.5, 2.0] if floating else [3, 4, 2], dtype)
    for name in ["acosh", "lgamma", "digamma", "erfc", "sinc", "deg2rad", "i0", "signbit", "isposinf",
                 "nan_to_num", "sgn"]:
        check(getattr(tg, name)(a), getattr(torch, name)(ta), name)
    for name in ["xlogy", "copysign", "fmax", "fmin", "heaviside", "float_power", "ldexp"]:
        check(getattr(tg, name)(a, b), getattr(torch, name)(ta, tb), name)
    if floating:
        for name in ["hypot", "logaddexp", "nextafter"]:
            check(getattr(tg, name)(a, b), getattr(torch, name)(ta, tb), name)
    else:
        for name in ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"]:
            check(getattr(tg, name)(a, b), getattr(torch, name)(ta, tb), name)
        check(tg.div(a, b, rounding_mode="trunc"), torch.div(ta, tb, rounding_mode="trunc"))

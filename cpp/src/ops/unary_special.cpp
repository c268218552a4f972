// Elementwise special functions (inverse hyperbolics, erfc/erfinv, the gamma family, Bessel I0/I1,
// sinc, logit, entr, ndtr), NaN/inf replacement and sign/inf tests, each with its derivative
// (torch's formulas, written with differentiable ops so double backward works).
#include <cmath>
#include <limits>

#include "tg/default_dtype.h"
#include "ops/math_util.h"
#include "ops/special_math.h"
#include "tg/ops_math_extra.h"

namespace tg {

using math::float_map;
using math::with_grad;

namespace {

constexpr double kPi = special::kPi;
constexpr double kSqrtPiOver2 = 0.88622692545275801365;   // sqrt(pi) / 2
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)

// A float op computed in double (float32 results are rounded once from the double value).
template <typename F>
Tensor float_map_d(const Tensor& x, const char* op, F f) {
  return float_map(x, op, [f](auto v) { return static_cast<decltype(v)>(f(static_cast<double>(v))); });
}

Tensor zero_like_grad(const Tensor& t) { return zeros(t->shape, t->dtype); }

// A 0-d tensor of value v typed like t (for where() branches).
Tensor constant_like(const Tensor& t, double v) { return scalar_tensor(Scalar(v), t->dtype); }

Tensor is_zero(const Tensor& x) { return compare(BinaryOp::Eq, x, Scalar(int64_t(0))); }

}  // namespace

// d acosh = 1 / sqrt(x^2 - 1)
Tensor acosh(const Tensor& x) {
  return with_grad("AcoshBackward0", x, float_map(x, "acosh", [](auto v) { return std::acosh(v); }),
                   [](const Tensor& a, const Tensor&) { return rsqrt(sub(mul(a, a), Scalar(1.0))); });
}
// d asinh = 1 / sqrt(x^2 + 1)
Tensor asinh(const Tensor& x) {
  return with_grad("AsinhBackward0", x, float_map(x, "asinh", [](auto v) { return std::asinh(v); }),
                   [](const Tensor& a, const Tensor&) { return rsqrt(add(mul(a, a), Scalar(1.0))); });
}
// d atanh = 1 / (1 - x^2)
Tensor atanh(const Tensor& x) {
  return with_grad("AtanhBackward0", x, float_map(x, "atanh", [](auto v) { return std::atanh(v); }),
                   [](const Tensor& a, const Tensor&) { return reciprocal(rsub(mul(a, a), Scalar(1.0))); });
}
// d erfc = -2/sqrt(pi) e^(-x^2)
Tensor erfc(const Tensor& x) {
  return with_grad("ErfcBackward0", x, float_map(x, "erfc", [](auto v) { return std::erfc(v); }),
                   [](const Tensor& a, const Tensor&) { return mul(exp(neg(mul(a, a))), Scalar(-kTwoOverSqrtPi)); });
}
// d erfinv = sqrt(pi)/2 e^(y^2)
Tensor erfinv(const Tensor& x) {
  return with_grad("ErfinvBackward0", x, float_map_d(x, "erfinv", special::erfinv),
                   [](const Tensor&, const Tensor& y) { return mul(exp(mul(y, y)), Scalar(kSqrtPiOver2)); });
}
// d lgamma = digamma
Tensor lgamma(const Tensor& x) {
  return with_grad("LgammaBackward0", x, float_map(x, "lgamma", [](auto v) { return std::lgamma(v); }),
                   [](const Tensor& a, const Tensor&) { return digamma(a); });
}
// d digamma = polygamma(1, x)
Tensor digamma(const Tensor& x) {
  return with_grad("DigammaBackward0", x, float_map_d(x, "digamma", special::digamma),
                   [](const Tensor& a, const Tensor&) { return polygamma(1, a); });
}
// d polygamma(n, x) = polygamma(n + 1, x)
Tensor polygamma(int64_t n, const Tensor& x) {
  TG_CHECK(n >= 0, RuntimeError, "polygamma(n, x) does not support negative n, got n=", n);
  return with_grad("PolygammaBackward0", x,
                   float_map(x, "polygamma", [n](auto v) {
                     using T = decltype(v);
                     if (n == 1) return special::trigamma<T>(v);  // in T, as torch
                     return static_cast<T>(special::polygamma(n, static_cast<double>(v)));
                   }),
                   [n](const Tensor& a, const Tensor&) { return polygamma(n + 1, a); });
}
// Multivariate log-gamma: sum_{i<p} lgamma(x - i/2) + p(p-1)/4 log(pi), defined for x > (p-1)/2.
Tensor mvlgamma(const Tensor& x, int64_t p) {
  TG_CHECK(p >= 1, RuntimeError, "mvlgamma: p has to be greater than or equal to 1, got p=", p);
  Tensor low = compare(BinaryOp::Le, x, Scalar((static_cast<double>(p) - 1) / 2));
  TG_CHECK(!any(low, {}, false)->data<bool>()[0], RuntimeError, "mvlgamma: All elements must be greater than (p-1)/2, got p=", p);
  // sum over i < p of lgamma(x - i/2), as one tensor of p terms per element (a p too large to
  // allocate raises, as torch's arange of p terms does)
  DType ft = is_floating(x->dtype) ? x->dtype : default_float_dtype();
  Tensor halves = div(arange(Scalar(int64_t(0)), Scalar(p), Scalar(int64_t(1)), ft), Scalar(2.0));
  Tensor acc = sum(lgamma(sub(unsqueeze(x, -1), halves)), {-1}, false);
  return add(acc, Scalar(static_cast<double>(p) * static_cast<double>(p - 1) / 4 * std::log(kPi)));
}

// ---- Bessel I0/I1 and their e^-|x| scaled forms ----
Tensor special_i1(const Tensor& x);
Tensor special_i1e(const Tensor& x);
// d i0 = i1
Tensor i0(const Tensor& x) {
  return with_grad("I0Backward0", x, float_map_d(x, "i0", [](double v) { return special::bessel_i(0, v, false); }),
                   [](const Tensor& a, const Tensor&) { return special_i1(a); });
}
// d i0e = i1e - sgn(x) i0e
Tensor special_i0e(const Tensor& x) {
  return with_grad("SpecialI0EBackward0", x,
                   float_map_d(x, "special_i0e", [](double v) { return special::bessel_i(0, v, true); }),
                   [](const Tensor& a, const Tensor& y) { return sub(special_i1e(a), mul(sign(a), y)); });
}
// d i1 = i0 - i1 / x, 1/2 at x = 0
Tensor special_i1(const Tensor& x) {
  return with_grad("SpecialI1Backward0", x,
                   float_map_d(x, "special_i1", [](double v) { return special::bessel_i(1, v, false); }),
                   [](const Tensor& a, const Tensor& y) {
                     return where(is_zero(a), constant_like(y, 0.5), sub(i0(a), div(y, a)));
                   });
}
// d i1e = i0e - i1e (sgn(x) + 1/x), 1/2 at x = 0
Tensor special_i1e(const Tensor& x) {
  return with_grad("SpecialI1EBackward0", x,
                   float_map_d(x, "special_i1e", [](double v) { return special::bessel_i(1, v, true); }),
                   [](const Tensor& a, const Tensor& y) {
                     return where(is_zero(a), constant_like(y, 0.5),
                                  sub(special_i0e(a), mul(y, add(sign(a), reciprocal(a)))));
                   });
}

// sinc x = sin(pi x) / (pi x), 1 at 0; d sinc = (cos(pi x) - sinc x) / x, 0 at 0.
Tensor sinc(const Tensor& x) {
  Tensor out = float_map(x, "sinc", [](auto v) {
    using T = decltype(v);
    if (v == T(0)) return T(1);
    T px = static_cast<T>(kPi) * v;
    return static_cast<T>(std::sin(px) / px);
  });
  return with_grad("SincBackward0", x, out, [](const Tensor& a, const Tensor& y) {
    return where(is_zero(a), constant_like(y, 0.0), div(sub(cos(mul(a, Scalar(kPi))), y), a));
  });
}

// logit x = log(x / (1 - x)), x clamped to [eps, 1 - eps] first when eps is given (a negative eps
// means none). d logit = 1 / (x (1 - x)); zero outside [eps, 1 - eps] when clamping.
Tensor logit(const Tensor& x, std::optional<double> eps) {
  bool clamps = eps && *eps >= 0;
  double lo = clamps ? *eps : 0, hi = 1 - lo;
  Tensor out = float_map(x, "logit", [clamps, lo, hi](auto v) {
    using T = decltype(v);
    if (clamps) v = v < T(lo) ? T(lo) : v > T(hi) ? T(hi) : v;
    return static_cast<T>(std::log(v / (T(1) - v)));
  });
  record("LogitBackward0", {x}, {out}, [&] {
    return [sx = save(x), clamps, lo, hi](const Grads& g) -> Grads {
      Tensor a = sx.get();
      Tensor d = div(g[0], mul(a, rsub(a, Scalar(1.0))));
      if (!clamps) return {d};
      Tensor outside = logical_or(compare(BinaryOp::Lt, a, Scalar(lo)), compare(BinaryOp::Gt, a, Scalar(hi)));
      return {where(outside, constant_like(d, 0.0), d)};
    };
  });
  return out;
}

Tensor deg2rad(const Tensor& x) { return mul(to_dtype(x, math::float_of(x->dtype)), Scalar(kPi / 180)); }
Tensor rad2deg(const Tensor& x) { return mul(to_dtype(x, math::float_of(x->dtype)), Scalar(180 / kPi)); }

// entr x = -x log x (0 at 0, -inf below); d entr = -(1 + log x)
Tensor special_entr(const Tensor& x) {
  Tensor out = float_map(x, "special_entr", [](auto v) {
    using T = decltype(v);
    if (std::isnan(v)) return v;
    if (v > T(0)) return static_cast<T>(-v * std::log(v));
    return v == T(0) ? T(0) : -std::numeric_limits<T>::infinity();
  });
  return with_grad("SpecialEntrBackward0", x, out,
                   [](const Tensor& a, const Tensor&) { return neg(add(log(a), Scalar(1.0))); });
}

// ndtr x = erfc(-x / sqrt 2) / 2 (the standard normal CDF; erfc keeps the left tail accurate).
Tensor special_ndtr(const Tensor& x) { return mul(erfc(mul(x, Scalar(-0.70710678118654752440))), Scalar(0.5)); }

// NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: 0 and the dtype's largest/lowest finite
// value); integers and bools are returned as a copy. d = 1 where x is finite, else 0.
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(x->dtype)) return clone(x);
  Tensor out = math::map1(x, x->dtype, "nan_to_num", [&](auto v) {
    using T = decltype(v);
    if (std::isnan(v)) return static_cast<T>(nan.value_or(0.0));
    if (v == std::numeric_limits<T>::infinity())
      return posinf ? static_cast<T>(*posinf) : std::numeric_limits<T>::max();
    if (v == -std::numeric_limits<T>::infinity())
      return neginf ? static_cast<T>(*neginf) : std::numeric_limits<T>::lowest();
    return v;
  });
  record("NanToNumBackward0", {x}, {out}, [&] {
    return [sx = save(x)](const Grads& g) -> Grads { return {mul(g[0], isfinite(sx.get()))}; };
  });
  return out;
}

// ---- bool tests (never differentiable) ----
namespace {
template <typename P>
Tensor float_test(const Tensor& x, bool int_answer, P pred) {
  Tensor in = cast_for_kernel(x, compute_dtype(x->dtype));  // float16 -> float32 keeps inf, NaN, signs
  Tensor out = empty(x->shape, DType::Bool);
  dispatch_dtype(in->dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>)
      kernels::unary_loop<bool, T>(out, in, [&](T v) { return pred(v); });
    else
      kernels::unary_loop<bool, T>(out, in, [&](T v) { return int_answer && v < T(0); });
  });
  return out;
}
}  // namespace
Tensor isposinf(const Tensor& x) { return float_test(x, false, [](auto v) { return std::isinf(v) && v > 0; }); }
Tensor isneginf(const Tensor& x) { return float_test(x, false, [](auto v) { return std::isinf(v) && v < 0; }); }
// Real dtypes only so far: every element is real.
Tensor isreal(const Tensor& x) { return ones(x->shape, DType::Bool); }
// The sign bit, so -0.0 and -NaN count as negative; for integers, v < 0.
Tensor signbit(const Tensor& x) { return float_test(x, true, [](auto v) { return std::signbit(v); }); }

}  // namespace tg

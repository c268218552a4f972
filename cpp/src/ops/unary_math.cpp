// Elementwise math (trig, exp/log variants, rounding, erf) and logical/bitwise/NaN tests, with
// each op's derivative recorded beside its kernel.
#include <cmath>

#include "ops/math_util.h"

namespace tg {

using math::float_of;
using math::float_map;
using math::map1;
using math::mul_wrapping;
using math::with_grad;

namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;

// Records an op whose derivative is zero almost everywhere (rounding, sign).
Tensor zero_grad(const char* node, const Tensor& x, const Tensor& out) {
  record(node, {x}, {out}, [] {
    return [](const Grads& g) -> Grads { return {zeros(g[0]->shape, g[0]->dtype)}; };
  });
  return out;
}

Tensor one_minus_sq(const Tensor& x) { return rsub(mul(x, x), Scalar(1.0)); }

}  // namespace

// d sin = cos
Tensor sin(const Tensor& x) {
  return with_grad("SinBackward0", x, float_map(x, "sin", [](auto v) { return std::sin(v); }),
                   [](const Tensor& a, const Tensor&) { return cos(a); });
}
// d cos = -sin
Tensor cos(const Tensor& x) {
  return with_grad("CosBackward0", x, float_map(x, "cos", [](auto v) { return std::cos(v); }),
                   [](const Tensor& a, const Tensor&) { return neg(sin(a)); });
}
// d tan = 1 + tan^2
Tensor tan(const Tensor& x) {
  return with_grad("TanBackward0", x, float_map(x, "tan", [](auto v) { return std::tan(v); }),
                   [](const Tensor&, const Tensor& y) { return add(mul(y, y), Scalar(1.0)); });
}
// d asin = 1 / sqrt(1 - x^2)
Tensor asin(const Tensor& x) {
  return with_grad("AsinBackward0", x, float_map(x, "asin", [](auto v) { return std::asin(v); }),
                   [](const Tensor& a, const Tensor&) { return rsqrt(one_minus_sq(a)); });
}
// d acos = -1 / sqrt(1 - x^2)
Tensor acos(const Tensor& x) {
  return with_grad("AcosBackward0", x, float_map(x, "acos", [](auto v) { return std::acos(v); }),
                   [](const Tensor& a, const Tensor&) { return neg(rsqrt(one_minus_sq(a))); });
}
// d atan = 1 / (1 + x^2)
Tensor atan(const Tensor& x) {
  return with_grad("AtanBackward0", x, float_map(x, "atan", [](auto v) { return std::atan(v); }),
                   [](const Tensor& a, const Tensor&) { return reciprocal(add(mul(a, a), Scalar(1.0))); });
}
// d sinh = cosh
Tensor sinh(const Tensor& x) {
  return with_grad("SinhBackward0", x, float_map(x, "sinh", [](auto v) { return std::sinh(v); }),
                   [](const Tensor& a, const Tensor&) { return cosh(a); });
}
// d cosh = sinh
Tensor cosh(const Tensor& x) {
  return with_grad("CoshBackward0", x, float_map(x, "cosh", [](auto v) { return std::cosh(v); }),
                   [](const Tensor& a, const Tensor&) { return sinh(a); });
}
// d 2^x = 2^x ln 2
Tensor exp2(const Tensor& x) {
  return with_grad("Exp2Backward0", x, float_map(x, "exp2", [](auto v) { return std::exp2(v); }),
                   [](const Tensor&, const Tensor& y) { return mul(y, Scalar(kLn2)); });
}
// d (e^x - 1) = e^x = y + 1
Tensor expm1(const Tensor& x) {
  return with_grad("Expm1Backward0", x, float_map(x, "expm1", [](auto v) { return std::expm1(v); }),
                   [](const Tensor&, const Tensor& y) { return add(y, Scalar(1.0)); });
}
// d log2 x = 1 / (x ln 2)
Tensor log2(const Tensor& x) {
  return with_grad("Log2Backward0", x, float_map(x, "log2", [](auto v) { return std::log2(v); }),
                   [](const Tensor& a, const Tensor&) { return reciprocal(mul(a, Scalar(kLn2))); });
}
// d log10 x = 1 / (x ln 10)
Tensor log10(const Tensor& x) {
  return with_grad("Log10Backward0", x, float_map(x, "log10", [](auto v) { return std::log10(v); }),
                   [](const Tensor& a, const Tensor&) { return reciprocal(mul(a, Scalar(kLn10))); });
}
// d log(1 + x) = 1 / (1 + x)
Tensor log1p(const Tensor& x) {
  return with_grad("Log1pBackward0", x, float_map(x, "log1p", [](auto v) { return std::log1p(v); }),
                   [](const Tensor& a, const Tensor&) { return reciprocal(add(a, Scalar(1.0))); });
}
// d x^(-1/2) = -x^(-3/2) / 2 = -y^3 / 2
Tensor rsqrt(const Tensor& x) {
  Tensor out = float_map(x, "rsqrt", [](auto v) { return decltype(v)(1) / std::sqrt(v); });
  return with_grad("RsqrtBackward0", x, out,
                   [](const Tensor&, const Tensor& y) { return mul(mul(y, mul(y, y)), Scalar(-0.5)); });
}
// d 1/x = -1/x^2 = -y^2
Tensor reciprocal(const Tensor& x) {
  Tensor out = float_map(x, "reciprocal", [](auto v) { return decltype(v)(1) / v; });
  return with_grad("ReciprocalBackward0", x, out,
                   [](const Tensor&, const Tensor& y) { return neg(mul(y, y)); });
}
// d x^2 = 2x; integers stay integers (bool becomes int64)
Tensor square(const Tensor& x) {
  DType dt = x->dtype == DType::Bool ? DType::Int64 : x->dtype;
  Tensor out = map1(x, dt, "square", [](auto v) { return mul_wrapping(v, v); });
  return with_grad("PowBackward0", x, out, [](const Tensor& a, const Tensor&) { return mul(a, Scalar(2.0)); });
}
// erf'(x) = 2/sqrt(pi) e^(-x^2)
Tensor erf(const Tensor& x) {
  return with_grad("ErfBackward0", x, float_map(x, "erf", [](auto v) { return std::erf(v); }),
                   [](const Tensor& a, const Tensor&) { return mul(exp(neg(mul(a, a))), Scalar(kTwoOverSqrtPi)); });
}
// frac(x) = x - trunc(x): gradient 1
Tensor frac(const Tensor& x) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, "frac: not implemented for '", dtype_name(x->dtype), "'");
  Tensor out = map1(x, x->dtype, "frac", [](auto v) { return v - std::trunc(v); });
  record("FracBackward0", {x}, {out}, [] { return [](const Grads& g) -> Grads { return {g[0]}; }; });
  return out;
}

// sign keeps the dtype (bool too) and maps NaN to 0 like torch; rounding ops return integer inputs unchanged (as a copy).
Tensor sign(const Tensor& x) {
  if (x->dtype == DType::Bool) return clone(detach(x));
  return zero_grad("SignBackward0", x, map1(x, x->dtype, "sign", [](auto v) {
    using T = decltype(v);
    return static_cast<T>((T(0) < v) - (v < T(0)));  // NaN gives 0, as torch
  }));
}

namespace {
template <typename F>
Tensor rounding(const Tensor& x, const char* op, const char* node, F f) {
  if (!is_floating(x->dtype)) {
    TG_CHECK(x->dtype != DType::Bool, RuntimeError, op, ": not implemented for 'Bool'");
    return clone(detach(x));
  }
  return zero_grad(node, x, map1(x, x->dtype, op, f));
}
}  // namespace

Tensor floor(const Tensor& x) { return rounding(x, "floor", "FloorBackward0", [](auto v) { return std::floor(v); }); }
Tensor ceil(const Tensor& x) { return rounding(x, "ceil", "CeilBackward0", [](auto v) { return std::ceil(v); }); }
Tensor trunc(const Tensor& x) { return rounding(x, "trunc", "TruncBackward0", [](auto v) { return std::trunc(v); }); }
// Round half to even (std::nearbyint in the default rounding mode), like torch. With decimals d:
// nearbyint(x * 10^d) / 10^d, or nearbyint(x / 10^-d) * 10^-d for negative d.
Tensor round(const Tensor& x, int64_t decimals) {
  if (decimals == 0)
    return rounding(x, "round", "RoundBackward0", [](auto v) { return std::nearbyint(v); });
  TG_CHECK(is_floating(x->dtype), RuntimeError, "round: decimals is only supported for floating-point tensors, got ",
           dtype_name(x->dtype));
  bool neg_d = decimals < 0;
  double p = std::pow(10.0, static_cast<double>(neg_d ? -decimals : decimals));
  return rounding(x, "round", "RoundBackward1", [p, neg_d](auto v) {
    using T = decltype(v);
    return neg_d ? std::nearbyint(v / static_cast<T>(p)) * static_cast<T>(p)
                 : std::nearbyint(v * static_cast<T>(p)) / static_cast<T>(p);
  });
}

// ---- NaN / inf tests (bool results, never differentiable) ----
namespace {
template <typename P>
Tensor float_test(const Tensor& x, bool int_answer, P pred) {
  Tensor out = empty(x->shape, DType::Bool);
  dispatch_all(x->dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T> || is_half_like<T>)
      kernels::unary_loop<bool, T>(out, x, [&](T v) { return pred(widen(v)); });
    else
      kernels::unary_loop<bool, T>(out, x, [&](T) { return int_answer; });
  });
  return out;
}
}  // namespace
Tensor isnan(const Tensor& x) { return float_test(x, false, [](auto v) { return std::isnan(v); }); }
Tensor isinf(const Tensor& x) { return float_test(x, false, [](auto v) { return std::isinf(v); }); }
Tensor isfinite(const Tensor& x) { return float_test(x, true, [](auto v) { return std::isfinite(v); }); }

// ---- logical ops: any dtype, nonzero (NaN included) is true; bool result ----
namespace {
template <typename F>
Tensor logical(const Tensor& a, const Tensor& b, const char* op, F f) {
  return math::map2_as<bool>(to_dtype(detach(a), DType::Bool), to_dtype(detach(b), DType::Bool), DType::Bool, op,
                             [&](bool p, bool q) { return f(p, q); });
}
}  // namespace
Tensor logical_and(const Tensor& a, const Tensor& b) { return logical(a, b, "logical_and", [](bool p, bool q) { return p && q; }); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical(a, b, "logical_or", [](bool p, bool q) { return p || q; }); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical(a, b, "logical_xor", [](bool p, bool q) { return p != q; }); }
Tensor logical_not(const Tensor& a) {
  Tensor out = empty(a->shape, DType::Bool);
  kernels::unary_loop<bool, bool>(out, to_dtype(detach(a), DType::Bool), [](bool v) { return !v; });
  return out;
}

// ---- bitwise ops (&, |, ^, ~): bool and integers (computed in int64, stored in the result dtype) ----
namespace {
enum class Bit { And, Or, Xor };
Tensor bitwise(Bit op, const Tensor& a, const Tensor& b, const char* name) {
  DType dt = result_type(a, b);
  TG_CHECK(!is_floating(dt), RuntimeError, name, ": not implemented for '", dtype_name(dt),
           "' (operands ", describe(a), " and ", describe(b), "); bitwise ops need bool or integer tensors");
  if (dt == DType::Bool)
    return math::map2_as<bool>(a, b, dt, name, [op](bool p, bool q) {
      return op == Bit::And ? (p && q) : op == Bit::Or ? (p || q) : (p != q);
    });
  Tensor r = math::map2_as<int64_t>(a, b, dt, name, [op](auto p, auto q) {
    int64_t x = static_cast<int64_t>(p), y = static_cast<int64_t>(q);
    return op == Bit::And ? (x & y) : op == Bit::Or ? (x | y) : (x ^ y);
  });
  return cast_for_kernel(r, dt);
}
}  // namespace
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return bitwise(Bit::And, a, b, "bitwise_and"); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return bitwise(Bit::Or, a, b, "bitwise_or"); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return bitwise(Bit::Xor, a, b, "bitwise_xor"); }
Tensor bitwise_not(const Tensor& a) {
  TG_CHECK(!is_floating(a->dtype), RuntimeError, "bitwise_not: not implemented for '", dtype_name(a->dtype),
           "'; bitwise ops need bool or integer tensors");
  if (a->dtype == DType::Bool) return logical_not(a);
  return map1(a, a->dtype, "bitwise_not", [](auto v) { return ~static_cast<int64_t>(v); });
}

}  // namespace tg

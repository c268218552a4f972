// More elementwise binary ops in torch's names (xlogy, hypot, copysign, logaddexp, fmax, gcd,
// heaviside, shifts, div with rounding_mode, ...), each with its derivative where torch has one
// (torch's formulas, edge points included, written with differentiable ops).
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

#include "ops/math_util.h"
#include "ops/special_math.h"
#include "tg/ops_math_extra.h"

namespace tg {

using math::float_of;
using math::map2_as;

namespace {

constexpr double kLn2 = 0.69314718055994530942;

// op(a, b) for result dtype dt: dtypes without kernels (int32, float16, ...) are converted to dt,
// computed in their compute dtype (int64 / float32) and rounded once, as binary_math.cpp does.
template <typename Op>
Tensor via_compute(const Tensor& a, const Tensor& b, DType dt, Op op) {
  if (is_compute_dtype(dt)) return op(a, b, dt);
  auto widen = [&](const Tensor& t) { return cast_for_kernel(cast_for_kernel(t, dt), compute_dtype(dt)); };
  return cast_for_kernel(op(widen(a), widen(b), compute_dtype(dt)), dt);
}

// out = f(a, b) in the float dtype of result_type(a, b) (integers become float32). Ops torch does
// not define for integer inputs (hypot, logaddexp, nextafter) pass ints_ok = false.
template <typename F>
Tensor float_map2(const Tensor& a, const Tensor& b, const char* op, bool ints_ok, F f) {
  DType rt = result_type(a, b);
  if (!ints_ok && !is_floating(rt)) throw_not_implemented(op, rt);
  return via_compute(a, b, float_of(rt), [&](const Tensor& x, const Tensor& y, DType dt) {
    return dispatch_floating(dt, op, [&](auto z) {
      using T = decltype(z);
      return map2_as<T>(x, y, dt, op, [&](T p, T q) { return static_cast<T>(f(p, q)); });
    });
  });
}

// out = f(a, b) for integer result types only (gcd, lcm, shifts), stored in that type.
template <typename F>
Tensor int_map2(const Tensor& a, const Tensor& b, const char* op, F f) {
  DType rt = result_type(a, b);
  if (is_floating(rt) || rt == DType::Bool) throw_not_implemented(op, rt);
  return via_compute(a, b, rt, [&](const Tensor& x, const Tensor& y, DType dt) {
    return map2_as<int64_t>(x, y, dt, op, [&](int64_t p, int64_t q) { return f(p, q); });
  });
}

template <typename D>
void record2(const char* node, const Tensor& a, const Tensor& b, const Tensor& out, D grads) {
  record(node, {a, b}, {out}, [&] {
    return [sa = save(a), sb = save(b), so = save_output(out), grads](const Grads& g) -> Grads {
      return grads(g[0], sa.get(), sb.get(), so.get());
    };
  });
}

Tensor zeros_for(const Tensor& g) { return zeros(g->shape, g->dtype); }
Tensor zero_scalar(const Tensor& like) { return scalar_tensor(Scalar(0.0), like->dtype); }
Tensor is_zero(const Tensor& x) { return compare(BinaryOp::Eq, x, Scalar(int64_t(0))); }

}  // namespace

// x log y, 0 where x == 0 (unless y is NaN). d/dx = log y, but 0 where x == 0 and y <= 0 (torch's
// choice, so the gradient is finite there); d/dy = x / y.
Tensor xlogy(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "xlogy", true, [](auto x, auto y) {
    using T = decltype(x);
    if (std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    return x == T(0) ? T(0) : x * std::log(y);
  });
  record2("XlogyBackward0", a, b, out, [](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor&) -> Grads {
    Tensor flat = logical_and(is_zero(x), compare(BinaryOp::Le, y, Scalar(0.0)));
    Tensor gx = xlogy(g, y);
    return {where(flat, zero_scalar(gx), gx), div(mul(g, x), y)};
  });
  return out;
}

// x log(1 + y), 0 where x == 0 (unless y is NaN). d/dx = log1p y, but 0 where x == 0 and y <= -1;
// d/dy = x / (1 + y).
Tensor special_xlog1py(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "special_xlog1py", true, [](auto x, auto y) {
    using T = decltype(x);
    if (std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    return x == T(0) ? T(0) : x * std::log1p(y);
  });
  record2("SpecialXlog1PyBackward0", a, b, out,
          [](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor&) -> Grads {
            Tensor flat = logical_and(is_zero(x), compare(BinaryOp::Le, y, Scalar(-1.0)));
            Tensor gx = special_xlog1py(g, y);
            return {where(flat, zero_scalar(gx), gx), div(mul(g, x), add(y, Scalar(1.0)))};
          });
  return out;
}

// Hurwitz zeta(x, q) = sum_k (q + k)^-x; torch gives it no derivative.
Tensor special_zeta(const Tensor& x, const Tensor& q) {
  return float_map2(x, q, "special_zeta", true, [](auto s, auto v) { return special::zeta(s, v); });
}

// sqrt(a^2 + b^2) without overflow; d/da = a / out, d/db = b / out (NaN at (0, 0), as torch).
Tensor hypot(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "hypot", false, [](auto x, auto y) { return std::hypot(x, y); });
  record2("HypotBackward0", a, b, out, [](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor& r) -> Grads {
    return {mul(g, div(x, r)), mul(g, div(y, r))};
  });
  return out;
}

// |a| with the sign of b. d/da = out / a (0 where a == 0), d/db = 0.
Tensor copysign(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "copysign", true, [](auto x, auto y) { return std::copysign(x, y); });
  record2("CopysignBackward0", a, b, out, [](const Tensor& g, const Tensor& x, const Tensor&, const Tensor& r) -> Grads {
    Tensor ratio = where(is_zero(x), zero_scalar(r), div(r, x));
    return {mul(g, ratio), zeros_for(g)};
  });
  return out;
}

// The next representable float after a towards b; torch's derivative treats it as the identity in a
// (d/da = 1) and a constant in b (d/db = 0).
Tensor nextafter(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "nextafter", false, [](auto x, auto y) { return std::nextafter(x, y); });
  record2("NextafterBackward0", a, b, out, [](const Tensor& g, const Tensor&, const Tensor&, const Tensor&) -> Grads {
    return {g, zeros_for(g)};
  });
  return out;
}

// a * 2^b, differentiable through the composition (as torch defines it).
Tensor ldexp(const Tensor& a, const Tensor& b) { return mul(a, exp2(b)); }

// a^b computed in float64 whatever the inputs.
Tensor float_power(const Tensor& a, const Tensor& b) {
  return pow(to_dtype(a, DType::Float64), to_dtype(b, DType::Float64));
}

// Greatest common divisor (non-negative, gcd(0, 0) = 0) and least common multiple |a / gcd * b|.
Tensor gcd(const Tensor& a, const Tensor& b) {
  return int_map2(a, b, "gcd", [](auto x, auto y) { return std::gcd(x, y); });
}
Tensor lcm(const Tensor& a, const Tensor& b) {
  return int_map2(a, b, "lcm", [](auto x, auto y) {
    using T = decltype(x);
    T g = std::gcd(x, y);
    if (g == 0) return T(0);
    T r;
    if constexpr (std::is_signed_v<T>)  // wraps around on overflow, as torch (no signed overflow)
      r = static_cast<T>(static_cast<std::make_unsigned_t<T>>(x / g) * static_cast<std::make_unsigned_t<T>>(y));
    else
      r = static_cast<T>((x / g) * y);
    return r < 0 ? static_cast<T>(-r) : r;
  });
}

// 0 below zero, `values` at zero, 1 above (NaN gives 0, as torch's a == 0 ? b : a > 0).
Tensor heaviside(const Tensor& a, const Tensor& values) {
  TG_CHECK(a->dtype == values->dtype, RuntimeError,
           "heaviside is not yet implemented for tensors with different dtypes.");
  return via_compute(a, values, a->dtype, [](const Tensor& p, const Tensor& q, DType dt) {
    return dispatch_dtype(dt, [&](auto z) {
      using T = decltype(z);
      return map2_as<T>(p, q, dt, "heaviside", [](T x, T v) { return x == T(0) ? v : static_cast<T>(x > T(0)); });
    });
  });
}

// log(e^a + e^b) = max + log1p(e^-|a - b|) (equal infinities give themselves).
// d/da = 1 / (1 + e^(b - a)), d/db = 1 / (1 + e^(a - b)).
Tensor logaddexp(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "logaddexp", false, [](auto x, auto y) {
    if (std::isinf(x) && x == y) return x;
    return std::max(x, y) + std::log1p(std::exp(-std::fabs(x - y)));
  });
  record2("LogaddexpBackward0", a, b, out, [](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor&) -> Grads {
    return {div(g, add(exp(sub(y, x)), Scalar(1.0))), div(g, add(exp(sub(x, y)), Scalar(1.0)))};
  });
  return out;
}

// log2(2^a + 2^b) = max + log1p(2^-|a - b|) / ln 2; d/da = 1 / (1 + 2^(b - a)), d/db likewise.
Tensor logaddexp2(const Tensor& a, const Tensor& b) {
  Tensor out = float_map2(a, b, "logaddexp2", false, [](auto x, auto y) {
    using T = decltype(x);
    if (std::isinf(x) && x == y) return x;
    return std::max(x, y) + std::log1p(std::exp2(-std::fabs(x - y))) / static_cast<T>(kLn2);
  });
  record2("Logaddexp2Backward0", a, b, out, [](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor&) -> Grads {
    return {div(g, add(exp2(sub(y, x)), Scalar(1.0))), div(g, add(exp2(sub(x, y)), Scalar(1.0)))};
  });
  return out;
}

// fmax / fmin: max / min ignoring a NaN operand (NaN only when both are). The gradient goes to a
// where a >= b (fmin: a <= b) or b is NaN, to b elsewhere: ties go to a, as torch.
namespace {
Tensor nan_ignoring(const Tensor& a, const Tensor& b, bool is_max) {
  const char* op = is_max ? "fmax" : "fmin";
  Tensor out = via_compute(a, b, result_type(a, b), [&](const Tensor& p, const Tensor& q, DType dt) {
    return dispatch_dtype(dt, [&](auto z) {
      using T = decltype(z);
      return map2_as<T>(p, q, dt, op, [is_max](T x, T y) {
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(x)) return y;
          if (std::isnan(y)) return x;
        }
        return is_max ? (x < y ? y : x) : (y < x ? y : x);
      });
    });
  });
  record2(is_max ? "FmaxBackward0" : "FminBackward0", a, b, out,
          [is_max](const Tensor& g, const Tensor& x, const Tensor& y, const Tensor&) -> Grads {
            Tensor to_a = logical_or(compare(is_max ? BinaryOp::Ge : BinaryOp::Le, x, y), isnan(y));
            Tensor zero = zero_scalar(g);
            return {where(to_a, g, zero), where(to_a, zero, g)};
          });
  return out;
}
}  // namespace
Tensor fmax(const Tensor& a, const Tensor& b) { return nan_ignoring(a, b, true); }
Tensor fmin(const Tensor& a, const Tensor& b) { return nan_ignoring(a, b, false); }

// div(a, b, rounding_mode): None = true division; "trunc" rounds towards zero (integers stay
// integers, dividing them by zero raises); "floor" is floor_divide. Rounded results have zero gradient.
Tensor div_rounding(const Tensor& a, const Tensor& b, const std::optional<std::string>& mode) {
  if (!mode) return div(a, b);
  if (*mode == "floor") return floor_divide(a, b);
  TG_CHECK(*mode == "trunc", RuntimeError,
           "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *mode, "'");
  DType rt = result_type(a, b);
  if (is_floating(rt)) return trunc(div(a, b));
  TG_CHECK(rt != DType::Bool, RuntimeError, "div: rounding_mode='trunc' is not implemented for 'Bool'");
  TG_CHECK(!any(compare(BinaryOp::Eq, b, Scalar(int64_t(0))), {}, false)->data<bool>()[0], RuntimeError,
           "ZeroDivisionError");
  return int_map2(a, b, "div", [](auto x, auto y) { return x / y; });
}

// Shifts of integers; a shift by a negative amount or by the type's width or more gives 0
// (left) or the sign fill (right), as torch.
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b) {
  return int_map2(a, b, "bitwise_left_shift", [](auto x, auto y) {
    using T = decltype(x);
    using U = std::make_unsigned_t<T>;
    constexpr T bits = static_cast<T>(sizeof(T) * 8);
    return (y < 0 || y >= bits) ? T(0) : static_cast<T>(static_cast<U>(x) << y);
  });
}
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b) {
  return int_map2(a, b, "bitwise_right_shift", [](auto x, auto y) {
    using T = decltype(x);
    constexpr T bits = static_cast<T>(sizeof(T) * 8);
    return (y < 0 || y >= bits) ? static_cast<T>(x >> (bits - 1)) : static_cast<T>(x >> y);
  });
}

}  // namespace tg

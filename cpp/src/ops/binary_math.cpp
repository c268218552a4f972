// Binary/ternary math (fmod, remainder, floor_divide, atan2, lerp, addcmul, addcdiv),
// closeness tests and the small linear-algebra products (bmm, mv, dot, outer, matrix_power).
#include <cmath>

#include "ops/math_util.h"
#include "ops/widen.h"
#include "tg/autocast.h"

namespace tg {

using math::map2_as;

namespace {

// Integer division and modulo by zero raise, as torch does.
void check_int_divisor(const Tensor& b, DType dt, const char* op) {
  if (is_floating(dt)) return;
  Tensor zero = compare(BinaryOp::Eq, b, Scalar(int64_t(0)));
  bool any = false;
  const bool* p = contiguous(zero)->data<bool>();
  for (int64_t i = 0; i < zero->numel(); ++i) any |= p[i];
  TG_CHECK(!any, RuntimeError, "ZeroDivisionError (", op, " of integer tensors by zero)");
}

template <typename F>
Tensor int_or_float(const Tensor& a, const Tensor& b, const char* op, F f) {
  DType dt = result_type(a, b);
  TG_CHECK(dt != DType::Bool, RuntimeError, op, ": not implemented for 'Bool'");
  check_int_divisor(b, dt, op);
  if (!is_compute_dtype(dt)) {  // converted to dt, computed wider (int64 / float32), rounded once
    auto widen = [&](const Tensor& t) { return cast_for_kernel(cast_for_kernel(t, dt), compute_dtype(dt)); };
    return cast_for_kernel(int_or_float(widen(a), widen(b), op, f), dt);
  }
  return dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_same_v<T, bool>) return Tensor();
    else return map2_as<T>(a, b, dt, op, [&](T x, T y) { return f(x, y); });
  });
}

}  // namespace

// fmod: the remainder has the sign of the dividend (C fmod). d/da = 1, d/db = -trunc(a / b).
Tensor fmod(const Tensor& a, const Tensor& b) {
  Tensor out = int_or_float(a, b, "fmod", [](auto x, auto y) {
    if constexpr (std::is_floating_point_v<decltype(x)>) return std::fmod(x, y);
    else return y == -1 ? decltype(x)(0) : x % y;  // INT64_MIN % -1 traps on x86
  });
  record("FmodBackward1", {a, b}, {out}, [&] {
    return [sa = save(a), sb = save(b)](const Grads& g) -> Grads {
      return {g[0], mul(g[0], neg(trunc(div(sa.get(), sb.get()))))};
    };
  });
  return out;
}

// remainder: Python's modulo, the sign of the divisor: a - floor(a / b) b.
// d/da = 1, d/db = -floor(a / b).
Tensor remainder(const Tensor& a, const Tensor& b) {
  Tensor out = int_or_float(a, b, "remainder", [](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(x, y);
      return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
    } else {
      T r = y == -1 ? T(0) : x % y;  // INT64_MIN % -1 traps on x86
      return (r != 0 && ((r < 0) != (y < 0))) ? static_cast<T>(r + y) : r;
    }
  });
  record("RemainderBackward1", {a, b}, {out}, [&] {
    return [sa = save(a), sb = save(b)](const Grads& g) -> Grads {
      return {g[0], mul(g[0], neg(floor(div(sa.get(), sb.get()))))};
    };
  });
  return out;
}

// floor(a / b); integers stay integers. Piecewise constant: zero gradient.
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  Tensor out = int_or_float(a, b, "floor_divide", [](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      // as torch: the quotient of a - fmod(a, b), which is exact, then floored (b == 0: a / b)
      if (y == T(0)) return x / y;
      T mod = std::fmod(x, y);
      T q = (x - mod) / y;
      if (mod != T(0) && ((y < T(0)) != (mod < T(0)))) q -= T(1);
      if (q == T(0)) return std::copysign(T(0), x / y);
      T fq = std::floor(q);
      return q - fq > T(0.5) ? fq + T(1) : fq;
    } else {
      // INT64_MIN / -1 traps on x86; torch gives the wrapped negation
      if (y == -1) return static_cast<T>(uint64_t(0) - static_cast<uint64_t>(x));
      T q = x / y;
      return (x % y != 0 && ((x < 0) != (y < 0))) ? static_cast<T>(q - 1) : q;
    }
  });
  record("FloorDivideBackward0", {a, b}, {out}, [] {
    return [](const Grads& g) -> Grads { return {zeros(g[0]->shape, g[0]->dtype), zeros(g[0]->shape, g[0]->dtype)}; };
  });
  return out;
}

// atan2(a, b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
Tensor atan2(const Tensor& a, const Tensor& b) {
  DType dt = math::float_of(result_type(a, b));
  if (needs_widening(dt)) return to_dtype(atan2(widened_as(a, dt), widened_as(b, dt)), dt);
  Tensor out = dispatch_floating(dt, "atan2", [&](auto z) {
    using T = decltype(z);
    return map2_as<T>(a, b, dt, "atan2", [](T x, T y) { return std::atan2(x, y); });
  });
  record("Atan2Backward0", {a, b}, {out}, [&] {
    return [sa = save(a), sb = save(b)](const Grads& g) -> Grads {
      Tensor x = sa.get(), y = sb.get();
      Tensor r2 = add(mul(x, x), mul(y, y));
      return {mul(g[0], div(y, r2)), mul(g[0], neg(div(x, r2)))};
    };
  });
  return out;
}

// torch's lerp formula: a small weight steps from a, a large one steps back from b (so w = 1 gives
// b exactly), each step one fused multiply-add.
template <typename T>
T lerp_value(T a, T b, T w) {
  const T d = b - a;
  return std::abs(w) < T(0.5) ? std::fma(w, d, a) : std::fma(-d, T(1) - w, b);
}

// lerp = a + w (b - a), computed in a's compute dtype (float16/bfloat16 in float32, rounded once;
// a Python-number weight arrives as a float32 tensor then, as torch keeps it in float32).
// d/da = 1 - w, d/db = w, d/dw = b - a.
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& w) {
  TG_CHECK(is_floating(a->dtype) && a->dtype == b->dtype, RuntimeError,
           "lerp: expected input and end to be floating tensors of the same dtype, got ", describe(a), " and ",
           describe(b));
  const DType ct = compute_dtype(a->dtype);
  const Shape shape = broadcast_shapes(broadcast_shapes(a->shape, b->shape, "lerp"), w->shape, "lerp");
  auto operand = [&](const Tensor& t) { return contiguous(expand(cast_for_kernel(detach(t), ct), shape)); };
  Tensor x = operand(a), y = operand(b), v = operand(w), out = empty(shape, ct);
  dispatch_floating(ct, "lerp", [&](auto tag) {
    using T = decltype(tag);
    const T *px = x->data<T>(), *py = y->data<T>(), *pv = v->data<T>();
    T* po = out->data<T>();
    parallel_for(out->numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) po[i] = lerp_value(px[i], py[i], pv[i]);
    });
  });
  if (ct != a->dtype) out = cast_for_kernel(out, a->dtype);
  record("LerpBackward1", {a, b, w}, {out}, [&] {
    return [sa = save(a), sb = save(b), sw = save(w)](const Grads& g) -> Grads {
      Tensor wv = sw.get();
      return {mul(g[0], rsub(wv, Scalar(1.0))), mul(g[0], wv), mul(g[0], sub(sb.get(), sa.get()))};
    };
  });
  return out;
}

// addcmul = input + value * t1 * t2; addcdiv = input + value * t1 / t2.
Tensor addcmul(const Tensor& input, const Tensor& t1, const Tensor& t2, Scalar value) {
  DType dt = promote(result_type(input, t1), result_type(input, t2));
  if (needs_widening(dt) && is_floating(dt))  // computed in float32, rounded once, as torch
    return to_dtype(addcmul(widened_as(input, dt), widened_as(t1, dt), widened_as(t2, dt), value), dt);
  return add(input, mul(mul(t1, t2), value));
}
Tensor addcdiv(const Tensor& input, const Tensor& t1, const Tensor& t2, Scalar value) {
  TG_CHECK(is_floating(t1->dtype) || is_floating(t2->dtype), RuntimeError,
           "Integer division with addcdiv is no longer supported; got ", describe(t1), " / ", describe(t2));
  DType dt = promote(result_type(input, t1), result_type(input, t2));
  if (needs_widening(dt))
    return to_dtype(addcdiv(widened_as(input, dt), widened_as(t1, dt), widened_as(t2, dt), value), dt);
  return add(input, mul(div(t1, t2), value));
}

// |a - b| <= atol + rtol |b|, equal values (infinities too) always close, NaN only with equal_nan.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  TG_CHECK(a->dtype == b->dtype, RuntimeError, "isclose: expected both tensors to have the same dtype, got ",
           dtype_name(a->dtype), " and ", dtype_name(b->dtype));
  TG_CHECK(rtol >= 0 && atol >= 0, RuntimeError, "isclose: rtol and atol must be non-negative, got rtol=", rtol,
           " atol=", atol);
  DType dt = a->dtype == DType::Bool ? DType::Int64 : a->dtype;
  return map2_as<bool>(a, b, dt, "isclose", [=](auto x, auto y) {
    if (x == y) return true;
    double p = static_cast<double>(x), q = static_cast<double>(y);
    if (std::isnan(p) || std::isnan(q)) return equal_nan && std::isnan(p) && std::isnan(q);
    if (std::isinf(p) || std::isinf(q)) return false;
    return std::fabs(p - q) <= atol + rtol * std::fabs(q);
  });
}

// Same shape and every element equal (NaN never equals NaN).
bool equal(const Tensor& a, const Tensor& b) {
  if (a->shape != b->shape) return false;
  Tensor eq = contiguous(compare(BinaryOp::Eq, a, b));
  const bool* p = eq->data<bool>();
  for (int64_t i = 0; i < eq->numel(); ++i)
    if (!p[i]) return false;
  return true;
}

// ---- small linear algebra: shape checks, then matmul (whose backward is in matmul.cpp) ----
Tensor bmm(const Tensor& a, const Tensor& b) {
  check_same_device("bmm", a, b);
  TG_CHECK(a->dim() == 3, RuntimeError, "bmm: batch1 must be a 3D tensor, got shape ", shape_str(a->shape));
  TG_CHECK(b->dim() == 3, RuntimeError, "bmm: batch2 must be a 3D tensor, got shape ", shape_str(b->shape));
  TG_CHECK(a->shape[0] == b->shape[0], RuntimeError, "bmm: batch1 and batch2 must have the same batch size, got ",
           shape_str(a->shape), " and ", shape_str(b->shape));
  TG_CHECK(a->shape[2] == b->shape[1], RuntimeError, "bmm: batch1 and batch2 shapes cannot be multiplied (",
           shape_str(a->shape), " and ", shape_str(b->shape), ")");
  return matmul(a, b);
}

Tensor mv(const Tensor& m, const Tensor& v) {
  AutocastOff not_listed;  // torch's autocast leaves mv alone
  check_same_device("mv", m, v);
  TG_CHECK(m->dim() == 2 && v->dim() == 1, RuntimeError, "mv: vector + matrix @ vector expected, got ",
           m->dim(), "D and ", v->dim(), "D (shapes ", shape_str(m->shape), " and ", shape_str(v->shape), ")");
  TG_CHECK(m->shape[1] == v->shape[0], RuntimeError, "mv: size mismatch, got input (", m->shape[0], "x",
           m->shape[1], "), vec (", v->shape[0], ")");
  return matmul(m, v);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  AutocastOff not_listed;  // torch's autocast leaves dot alone
  check_same_device("dot", a, b);
  TG_CHECK(a->dim() == 1 && b->dim() == 1, RuntimeError, "dot: 1D tensors expected, but got ", a->dim(), "D and ",
           b->dim(), "D tensors");
  TG_CHECK(a->dtype == b->dtype, RuntimeError, "dot: expected both vectors to have same dtype, but found ",
           dtype_name(a->dtype), " and ", dtype_name(b->dtype));
  TG_CHECK(a->shape[0] == b->shape[0], RuntimeError,
           "dot: inconsistent tensor size, expected tensor [", a->shape[0], "] and src [", b->shape[0],
           "] to have the same number of elements, but got ", a->shape[0], " and ", b->shape[0], " elements respectively");
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_same_device("outer", a, b);
  TG_CHECK(a->dim() == 1 && b->dim() == 1, RuntimeError, "outer: expected 1D tensors, got ", a->dim(), "D and ",
           b->dim(), "D (shapes ", shape_str(a->shape), " and ", shape_str(b->shape), ")");
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

// A^n by repeated squaring (n >= 0); A^0 is the identity broadcast over the batch dims.
Tensor matrix_power(const Tensor& a, int64_t n) {
  int64_t nd = a->dim();
  TG_CHECK(nd >= 2 && a->shape[nd - 1] == a->shape[nd - 2], RuntimeError,
           "matrix_power: expected a tensor of square matrices, but got shape ", shape_str(a->shape));
  TG_CHECK(n >= 0, RuntimeError, "matrix_power: negative exponents (", n,
           ") need a matrix inverse, which tinygrad_ext does not implement");
  if (n == 0) {
    Tensor id = eye(a->shape[nd - 1], a->shape[nd - 1], a->dtype);
    return clone(expand(id, a->shape));
  }
  Tensor result, base = a;
  for (int64_t k = n; k > 0; k >>= 1) {
    if (k & 1) result = result ? matmul(result, base) : base;
    if (k > 1) base = matmul(base, base);
  }
  return n == 1 ? clone(a) : result;
}

}  // namespace tg

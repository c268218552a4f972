// Helpers shared by the math/reduction families: typed elementwise maps and dim utilities.
#pragma once
#include <cmath>
#include <type_traits>

#include "tg/default_dtype.h"
#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg::math {

// a * b, wrapping around on overflow for signed integers as torch does (no undefined behaviour)
template <typename T>
T mul_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    using U = std::make_unsigned_t<std::common_type_t<T, int>>;  // int8/int16 would promote to int
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else
    return a * b;
}

// out = f(x) elementwise in dtype `dt` (x is cast first); no autograd.
template <typename F>
Tensor map1(const Tensor& x, DType dt, const char* op, F f) {
  if (!is_compute_dtype(dt)) return cast_for_kernel(map1(x, compute_dtype(dt), op, f), dt);
  Tensor in = to_dtype(detach(x), dt);
  Tensor out = empty(x->shape, dt);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_same_v<T, bool>) {
      throw RuntimeError(str(op, ": not implemented for 'Bool'"));
    } else {
      kernels::unary_loop<T, T>(out, in, [&](T v) { return static_cast<T>(f(v)); });
    }
  });
  return out;
}

// out = f(a, b) elementwise with broadcasting, computed in `dt`, stored as `out_dt`; no autograd.
template <typename Out, typename F>
Tensor map2_as(const Tensor& a, const Tensor& b, DType dt, const char* op, F f) {
  Shape shape = broadcast_shapes(a->shape, b->shape, op);
  Tensor x = to_dtype(detach(a), dt), y = to_dtype(detach(b), dt);
  if (!is_compute_dtype(dt)) {  // converted to dt first, computed in its wider compute dtype
    dt = compute_dtype(dt);
    x = cast_for_kernel(x, dt);
    y = cast_for_kernel(y, dt);
  }
  Tensor out = empty(shape, dtype_of<Out>::value);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    kernels::binary_loop<Out, T>(out, x, y, [&](T p, T q) { return static_cast<Out>(f(p, q)); });
  });
  return out;
}

// The float dtype an op on `d` computes in (integers and bools take the default dtype, like torch).
inline DType float_of(DType d) { return is_floating(d) ? d : default_float_dtype(); }

// A 0-d tensor holding `s`, typed to combine with `like` as torch's result_type would.
inline Tensor wrap_scalar(const Tensor& like, Scalar s) { return scalar_tensor(s, result_type(like, s)); }

// A float op: integer and bool inputs are computed in float32, as torch does.
template <typename F>
Tensor float_map(const Tensor& x, const char* op, F f) {
  return map1(x, float_of(x->dtype), op, f);
}

// Records a unary op whose gradient is g * dydx(x, y) (dydx built from differentiable ops, so
// double backward works).
template <typename D>
Tensor with_grad(const char* node, const Tensor& x, const Tensor& out, D dydx) {
  record(node, {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out), dydx](const Grads& g) -> Grads {
      return {mul(g[0], dydx(sx.get(), so.get()))};
    };
  });
  return out;
}

}  // namespace tg::math

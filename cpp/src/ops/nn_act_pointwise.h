// The pointwise-activation machinery shared by nn_activation.cpp and nn_activation_extra.cpp.
// An activation A gives f (O = 0), f' (O = 1) and f'' (O = 2) as `A::template fn<O, T>(x, params)`;
// act<A> records f' as its own op (with f'' as its derivative), so double backward works.
#pragma once
#include <cmath>

#include "kernels/cpu/loops.h"
#include "ops/widen.h"
#include "tg/nn.h"
#include "tg/parallel.h"

namespace tg::nn::detail {

inline void check_floating(const Tensor& x, const char* op) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, op, ": expected a floating-point tensor, got ",
           dtype_name(x->dtype), " tensor of shape ", shape_str(x->shape));
}

// The clamping activations (threshold, hardtanh) keep an integer input's dtype, as torch: f gets
// each element and the two parameters converted to the element type. Not differentiable.
template <typename F>
Tensor int_clamping(const Tensor& x, double a, double b, const char* op, F f) {
  TG_CHECK(x->dtype != DType::Bool, RuntimeError, op, ": not implemented for 'Bool'");
  Tensor out = empty(x->shape, x->dtype);
  dispatch_all(x->dtype, [&](auto z) {
    using T = decltype(z);
    T pa = cast_value<T>(a), pb = cast_value<T>(b);
    kernels::unary_loop<T, T>(out, x, [&](T v) { return f(v, pa, pb); });
  });
  return out;
}

struct ActParams {
  double a = 0, b = 0, c = 0;
};

template <class A, int O>
Tensor act_kernel(const Tensor& xin, const ActParams& p) {
  Tensor x = contiguous(xin);
  Tensor y = empty(x->shape, x->dtype);
  dispatch_floating(x->dtype, A::name[0], [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x->data<T>();
    T* ys = y->data<T>();
    parallel_for(x->numel(), kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) ys[i] = A::template fn<O, T>(xs[i], p);
    });
  });
  return y;
}

// f^(order)(x); orders 0 and 1 record their derivative (order + 1) times the incoming gradient.
template <class A>
Tensor act(const Tensor& x, const ActParams& p, int order, const char* op) {
  check_floating(x, op);
  if (needs_widening(x->dtype))  // float16/bfloat16: computed in float32, rounded once
    return to_dtype(act<A>(widened(x), p, order, op), x->dtype);
  Tensor y = order == 0 ? act_kernel<A, 0>(x, p) : order == 1 ? act_kernel<A, 1>(x, p)
                                                                : act_kernel<A, 2>(x, p);
  if (order < 2) {
    record(A::name[order], {x}, {y}, [&] {
      SavedTensor sx = save(x);
      return BackwardFn([sx, p, order, op](const Grads& g) -> Grads {
        return {mul(g[0], act<A>(sx.get(), p, order + 1, op))};
      });
    });
  }
  return y;
}

}  // namespace tg::nn::detail

// The one widening path for ops whose kernels exist only for the compute dtypes (bool, int64,
// float32, float64): a float16/bfloat16 or small-integer operand is converted to its compute dtype
// (float32 / int64), the op runs there, and the result is rounded once to the op's dtype, as
// torch's CPU kernels compute 16-bit floats in float32 and wrap small integers modulo 2^width.
// The conversions are differentiable, so gradients come back in the operand's own dtype.
#pragma once
#include <optional>

#include "tg/ops.h"

namespace tg {

// True when `d` has no kernels of its own and must be widened.
inline bool needs_widening(DType d) { return !is_compute_dtype(d); }
// float16 / bfloat16, the dtypes torch's CPU kernels compute in float32.
inline bool is_reduced_float(DType d) { return d == DType::Float16 || d == DType::BFloat16; }
// v rounded to the precision of `d` (a floating dtype), as storing it there and reading it back;
// the points where torch's kernels round an intermediate to the tensor's dtype.
inline double round_to(DType d, double v) {
  switch (d) {
    case DType::Float16: return static_cast<float>(Half(static_cast<float>(v)));
    case DType::BFloat16: return static_cast<float>(BFloat16(static_cast<float>(v)));
    case DType::Float32: return static_cast<float>(v);
    default: return v;
  }
}

// t in its compute dtype (unchanged when it already is one).
inline Tensor widened(const Tensor& t) { return needs_widening(t->dtype) ? to_dtype(t, compute_dtype(t->dtype)) : t; }
inline std::optional<Tensor> widened(const std::optional<Tensor>& t) {
  if (!t || !*t) return t;
  return widened(*t);
}
// t converted to the op's dtype `dt` first (torch's common-dtype conversion), then widened.
inline Tensor widened_as(const Tensor& t, DType dt) { return widened(to_dtype(t, dt)); }

}  // namespace tg

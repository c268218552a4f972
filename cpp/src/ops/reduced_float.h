// float16 / bfloat16 in the CNN kernels: the op runs on float32 copies made by differentiable casts
// and its results are rounded once on the way out, as torch's CPU kernels compute these dtypes in
// float32. Gradients come back through the casts in the input's dtype.
#pragma once
#include <optional>

#include "tg/ops.h"

namespace tg::nn {

inline bool is_reduced_float(DType d) { return d == DType::Float16 || d == DType::BFloat16; }

inline Tensor widen_reduced(const Tensor& t) {
  return t && is_reduced_float(t->dtype) ? to_dtype(t, DType::Float32) : t;
}
inline std::optional<Tensor> widen_reduced(const std::optional<Tensor>& t) {
  if (!t || !*t) return t;
  return widen_reduced(*t);
}

}  // namespace tg::nn

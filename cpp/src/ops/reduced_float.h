// float16 / bfloat16 in the CNN kernels: the op runs on float32 copies made by the widening path's
// differentiable casts (widen.h) and its results are rounded once on the way out, as torch's CPU
// kernels compute these dtypes in float32. Integer inputs are left to each kernel's own rules.
#pragma once
#include <optional>

#include "widen.h"

namespace tg::nn {

inline Tensor widen_reduced(const Tensor& t) { return t && is_reduced_float(t->dtype) ? widened(t) : t; }
inline std::optional<Tensor> widen_reduced(const std::optional<Tensor>& t) {
  return t && *t ? std::optional<Tensor>(widen_reduced(*t)) : t;
}

}  // namespace tg::nn

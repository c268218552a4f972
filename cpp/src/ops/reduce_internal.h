// Reduction helpers shared by the reduction files (cpp/src/ops/reduce*.cpp), not part of the op API.
#pragma once
#include "tg/ops.h"

namespace tg {

// sum(x * x, dims, keepdim) without recording a graph (norm's forward). float32 rows over a
// contiguous last dim are squared as they are summed, by fused multiply-adds as torch's vector_norm
// (one rounding per term fewer than the tensor of squares); other layouts sum x * x (reduce.cpp).
Tensor sum_squares(const Tensor& x, const Shape& dims, bool keepdim);

}  // namespace tg

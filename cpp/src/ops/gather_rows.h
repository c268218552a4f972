// Row gather and row stack along dim 0 (the DataLoader's batch assembly); no autograd.
#pragma once
#include <vector>

#include "tg/tensor.h"

namespace tg {

// out[i] = src[index[i]] along dim 0 (index_select(src, 0, index)); index: 1-D int64, negative
// values wrap. A parallel memcpy of rows when src's rows are contiguous. Records no history.
Tensor gather_rows(const Tensor& src, const Tensor& index);
// stack(tensors, 0) for same-shape tensors, promoted to a common dtype. Records no history.
Tensor stack_rows(const std::vector<Tensor>& tensors);

}  // namespace tg

// Row gather and row stack along dim 0 (the DataLoader's batch assembly), differentiable.
#pragma once
#include <vector>

#include "tg/tensor.h"

namespace tg {

// out[i] = src[index[i]] along dim 0 (index_select(src, 0, index)); index: 1-D int64, negative
// values wrap. A parallel memcpy of rows when src's rows are contiguous.
Tensor gather_rows(const Tensor& src, const Tensor& index);
// out[i] = src[idx[i]] along dim 0 for src whose rows are contiguous, into a contiguous out of
// shape [k, src's row shape]; idx in [-n, n) (negative values wrap), already checked. No autograd:
// the row copy behind gather_rows and index_select(dim=0).
void copy_rows(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t k);
// Threads copy_rows uses for k rows of row_elems elements (the cost model's choice).
int copy_rows_threads(int64_t k, int64_t row_elems);
// True when every dim of t after the first is laid out contiguously (size-1 dims do not matter).
bool rows_contiguous(const Tensor& t);
// stack(tensors, 0) for same-shape tensors, promoted to a common dtype.
Tensor stack_rows(const std::vector<Tensor>& tensors);

}  // namespace tg

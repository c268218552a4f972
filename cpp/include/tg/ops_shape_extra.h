// More shape/view and creation ops (cpp/src/ops/shape_extra.cpp): diagonal views, in-place
// view ops that change a tensor's own geometry, resize_, empty_strided, tril/triu_indices.
#pragma once
#include "tg/ops.h"

namespace tg {

// The diagonal over dims (dim1, dim2), appended as the last dim: a view sharing t's storage.
Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
// A zero tensor with t's last dim laid on the diagonal over output dims (dim1, dim2).
Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
// squeeze over several dims (dims of size other than 1 are kept), as torch's squeeze(dims).
Tensor squeeze_dims(const Tensor& t, const Shape& dims);

// In-place view ops: self takes the view's geometry (same storage), bumps its version, and its
// history becomes the view op's node (t_, transpose_, squeeze_, unsqueeze_).
Tensor t_inplace(const Tensor& self);
Tensor transpose_inplace(const Tensor& self, int64_t d0, int64_t d1);
Tensor squeeze_inplace(const Tensor& self, std::optional<Shape> dims);
Tensor unsqueeze_inplace(const Tensor& self, int64_t dim);

// Gives self `shape` with contiguous strides from its offset, growing its storage (kept shared
// with its views) when too small; new elements are uninitialized. No autograd.
Tensor resize_(const Tensor& self, const Shape& shape);
// Uninitialized memory just large enough for (size, stride).
Tensor empty_strided(const Shape& size, const Shape& stride, DType dtype);
// [2, N] coordinates of the lower (upper) triangle of a row x col matrix, in row-major order.
Tensor tril_indices(int64_t row, int64_t col, int64_t offset, DType dtype);
Tensor triu_indices(int64_t row, int64_t col, int64_t offset, DType dtype);

}  // namespace tg

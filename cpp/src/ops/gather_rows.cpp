// Row gather and row stack along dim 0: parallel memcpy of whole rows, strided fallback per row.
#include "ops/gather_rows.h"

#include <cstring>

#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {
namespace {

// True when every dim after the first is laid out contiguously (size-1 dims do not matter).
bool rows_contiguous(const Tensor& t) {
  int64_t expected = 1;
  for (int64_t d = t->dim() - 1; d >= 1; --d) {
    if (t->shape[d] != 1 && t->strides[d] != expected) return false;
    expected *= t->shape[d];
  }
  return true;
}

Shape tail(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

}  // namespace

Tensor gather_rows(const Tensor& src, const Tensor& index) {
  TG_CHECK(src && index, ValueError, "gather_rows: got an undefined tensor");
  TG_CHECK(src->dim() >= 1, IndexError,
           "gather_rows: expected a tensor with at least 1 dim, got a 0-d tensor");
  TG_CHECK(index->dtype == DType::Int64, TypeError, "gather_rows: index must be an int64 tensor, got ",
           dtype_name(index->dtype), " with shape ", shape_str(index->shape));
  TG_CHECK(index->dim() == 1, IndexError, "gather_rows: index must be 1-D, got shape ",
           shape_str(index->shape));
  const Tensor idx_t = index->is_contiguous() ? index : contiguous(index);
  const int64_t* idx = idx_t->data<int64_t>();
  const int64_t k = idx_t->numel(), n = src->shape[0];
  for (int64_t i = 0; i < k; ++i) {
    TG_CHECK(idx[i] >= -n && idx[i] < n, IndexError, "gather_rows: index ", idx[i],
             " is out of bounds for dimension 0 with size ", n, " (tensor of shape ",
             shape_str(src->shape), ")");
  }
  Shape out_shape = src->shape;
  out_shape[0] = k;
  Tensor out = empty(out_shape, src->dtype);
  const Shape row_shape = tail(src->shape);
  const int64_t row_elems = shape_numel(row_shape);
  if (k == 0 || row_elems == 0) return out;
  const size_t item = itemsize(src->dtype);
  const size_t row_bytes = static_cast<size_t>(row_elems) * item;
  const int64_t stride0 = src->strides[0];
  if (rows_contiguous(src)) {
    const char* base = src->raw();
    char* dst = out->raw();
    // Grain in rows so that each thread copies at least kGrainSize elements.
    const int64_t grain = std::max<int64_t>(1, kGrainSize / row_elems);
    parallel_for(k, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t r = idx[i] < 0 ? idx[i] + n : idx[i];
        std::memcpy(dst + i * row_bytes, base + r * stride0 * static_cast<int64_t>(item), row_bytes);
      }
    });
    return out;
  }
  // Strided rows: copy each one through the core's strided copy.
  const Shape row_strides = tail(src->strides);
  const Shape out_row_strides = contiguous_strides(row_shape);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t r = idx[i] < 0 ? idx[i] + n : idx[i];
    Tensor s = make_view(src, row_shape, row_strides, src->offset + r * stride0);
    Tensor d = make_view(out, row_shape, out_row_strides, out->offset + i * row_elems);
    copy_into(d, s);
  }
  return out;
}

Tensor stack_rows(const std::vector<Tensor>& tensors) {
  TG_CHECK(!tensors.empty(), ValueError, "stack_rows: expected a non-empty list of tensors");
  const Shape& shape = tensors[0]->shape;
  DType dtype = tensors[0]->dtype;
  for (size_t i = 0; i < tensors.size(); ++i) {
    TG_CHECK(tensors[i]->shape == shape, RuntimeError,
             "stack expects each tensor to be equal size, but got ", shape_str(shape),
             " at entry 0 and ", shape_str(tensors[i]->shape), " at entry ", i);
    dtype = promote(dtype, tensors[i]->dtype);
  }
  Shape out_shape{static_cast<int64_t>(tensors.size())};
  out_shape.insert(out_shape.end(), shape.begin(), shape.end());
  Tensor out = empty(out_shape, dtype);
  const int64_t row_elems = shape_numel(shape);
  if (row_elems == 0) return out;
  const size_t row_bytes = static_cast<size_t>(row_elems) * itemsize(dtype);
  const Shape row_strides = contiguous_strides(shape);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (t->dtype == dtype && t->is_contiguous()) {
      std::memcpy(out->raw() + i * row_bytes, t->raw(), row_bytes);
    } else {
      copy_into(make_view(out, shape, row_strides, out->offset + static_cast<int64_t>(i) * row_elems), t);
    }
  }
  return out;
}

}  // namespace tg

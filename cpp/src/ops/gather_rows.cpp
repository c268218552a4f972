// Row gather and row stack along dim 0: parallel memcpy of whole rows, strided fallback per row,
// with their backward (index_add of rows; select of the stacked gradient).
#include "ops/gather_rows.h"

#include <cstring>

#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {
namespace {

constexpr int64_t kCopyGrain = int64_t(1) << 21;

Shape tail(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

// The backward of gather_rows: out[idx[i]] += g[i] into zeros of n rows (index_add). Its own
// backward is gather_rows again.
Tensor scatter_add_rows(const Tensor& g, const Tensor& idx_t, int64_t n) {
  Shape shape = g->shape;
  shape[0] = n;
  Tensor out = zeros(shape, g->dtype);
  Tensor gc = g->is_contiguous() ? g : contiguous(g);
  const int64_t* idx = idx_t->data<int64_t>();
  const int64_t k = idx_t->numel(), row = shape_numel(tail(shape));
  dispatch_floating(g->dtype, "gather_rows backward", [&](auto tag) {
    using T = decltype(tag);
    const T* src = gc->data<T>();
    T* dst = out->data<T>();
    // Columns in parallel, rows in order: repeated indices never race.
    parallel_for(row, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = 0; i < k; ++i) {
        const int64_t r = idx[i] < 0 ? idx[i] + n : idx[i];
        for (int64_t j = b; j < e; ++j) dst[r * row + j] += src[i * row + j];
      }
    });
  });
  record("IndexAddBackward0", {g}, {out}, [&] {
    return [idx_t](const Grads& gg) -> Grads { return {gather_rows(gg[0], idx_t)}; };
  });
  return out;
}

}  // namespace

bool rows_contiguous(const Tensor& t) {
  int64_t expected = 1;
  for (int64_t d = t->dim() - 1; d >= 1; --d) {
    if (t->shape[d] != 1 && t->strides[d] != expected) return false;
    expected *= t->shape[d];
  }
  return true;
}

// A row copy is memory-bound: one thread nearly saturates bandwidth, and waking a team costs
// more than copying a typical batch (badly so on a loaded machine), so split only above
// kCopyGrain elements per thread.
static int64_t copy_rows_grain(int64_t row_elems) { return std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(row_elems, 1)); }

int copy_rows_threads(int64_t k, int64_t row_elems) { return plan_threads(k, copy_rows_grain(row_elems)); }

void copy_rows(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t k) {
  const int64_t n = src->shape[0], row_elems = shape_numel(tail(src->shape));
  if (k == 0 || row_elems == 0) return;
  const int64_t item = static_cast<int64_t>(itemsize(src->dtype)), stride0 = src->strides[0];
  const size_t row_bytes = static_cast<size_t>(row_elems * item);
  const char* base = src->raw();
  char* dst = out->raw();
  parallel_for(k, copy_rows_grain(row_elems), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t r = idx[i] < 0 ? idx[i] + n : idx[i];
      std::memcpy(dst + i * row_bytes, base + r * stride0 * item, row_bytes);
    }
  });
}

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
  const int64_t stride0 = src->strides[0];
  if (k == 0 || row_elems == 0) {
    // nothing to copy
  } else if (rows_contiguous(src)) {
    copy_rows(out, src, idx, k);
  } else {
    // Strided rows: copy each one through the core's strided copy.
    const Shape row_strides = tail(src->strides);
    const Shape out_row_strides = contiguous_strides(row_shape);
    for (int64_t i = 0; i < k; ++i) {
      const int64_t r = idx[i] < 0 ? idx[i] + n : idx[i];
      Tensor s = make_view(src, row_shape, row_strides, src->offset + r * stride0);
      Tensor d = make_view(out, row_shape, out_row_strides, out->offset + i * row_elems);
      copy_into(d, s);
    }
  }
  record("IndexSelectBackward0", {src}, {out}, [&] {
    return [idx_t, n](const Grads& g) -> Grads { return {scatter_add_rows(g[0], idx_t, n)}; };
  });
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
  if (needs_grad(tensors)) {
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) dtypes.push_back(t->dtype);
    record_node("StackBackward0", tensors, {out}, [&] {
      return BackwardFn([dtypes](const Grads& g) -> Grads {
        Grads grads;
        for (size_t i = 0; i < dtypes.size(); ++i)
          grads.push_back(to_dtype(select(g[0], 0, static_cast<int64_t>(i)), dtypes[i]));
        return grads;
      });
    });
  }
  return out;
}

}  // namespace tg

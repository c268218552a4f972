// More shape/view and creation ops: diagonal (a strided view) and diag_embed, squeeze over
// several dims, the in-place view ops (t_, transpose_, squeeze_, unsqueeze_), resize_,
// empty_strided and tril/triu_indices.
#include <algorithm>
#include <cstring>
#include <limits>

#include "tg/ops_shape_extra.h"

namespace tg {

namespace {

struct DiagonalGeometry {
  Shape shape, strides;
  int64_t offset;
};

// Where the diagonal over (d1, d2) of a (shape, strides, offset) layout lies: both dims are
// removed and one of their common length appended, stepping along both at once. A positive
// offset starts `offset` columns (dim d2) in, a negative one `-offset` rows (dim d1) down.
DiagonalGeometry diagonal_geometry(const Shape& shape, const Shape& strides, int64_t base_offset,
                                   int64_t offset, int64_t d1, int64_t d2) {
  int64_t len = offset >= 0 ? std::min(shape[d1], shape[d2] - offset) : std::min(shape[d1] + offset, shape[d2]);
  len = std::max<int64_t>(len, 0);
  int64_t start = base_offset;
  if (len > 0) start += offset >= 0 ? offset * strides[d2] : -offset * strides[d1];
  DiagonalGeometry g{{}, {}, start};
  for (size_t d = 0; d < shape.size(); ++d)
    if (static_cast<int64_t>(d) != d1 && static_cast<int64_t>(d) != d2) {
      g.shape.push_back(shape[d]);
      g.strides.push_back(strides[d]);
    }
  g.shape.push_back(len);
  g.strides.push_back(strides[d1] + strides[d2]);
  return g;
}

std::pair<int64_t, int64_t> diagonal_dims(int64_t dim1, int64_t dim2, int64_t ndim, const char* op) {
  int64_t d1 = wrap_dim(dim1, ndim, op), d2 = wrap_dim(dim2, ndim, op);
  TG_CHECK(d1 != d2, RuntimeError, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  return {d1, d2};
}

// A zero tensor of `shape` whose (offset, d1, d2) diagonal holds v: diag_embed, and the backward
// of diagonal. Its own backward reads that diagonal back.
Tensor embed_diagonal(const Tensor& v, const Shape& shape, int64_t offset, int64_t d1, int64_t d2) {
  Tensor out = zeros(shape, v->dtype);
  {
    GradModeGuard off(false);
    DiagonalGeometry g = diagonal_geometry(out->shape, out->strides, 0, offset, d1, d2);
    copy_into(make_view(out, g.shape, g.strides, g.offset), v);
  }
  record("DiagEmbedBackward0", {v}, {out}, [&] {
    return [offset, d1, d2](const Grads& g) -> Grads { return {diagonal(g[0], offset, d1, d2)}; };
  });
  return out;
}

// Records `out`, a view of t with t's elements in another shape, with a backward reshaping back.
Tensor reshaped_view(const Tensor& t, const Shape& shape, const Shape& strides, const char* name) {
  Tensor out = make_differentiable_view(t, shape, strides, t->offset);
  Shape in_shape = t->shape;
  record(name, {t}, {out}, [&] {
    return [in_shape](const Grads& g) -> Grads { return {reshape(g[0], in_shape)}; };
  });
  return out;
}

// self takes the geometry and history of `view`, a fresh view of it made by a view op.
Tensor adopt_view(const Tensor& self, const Tensor& view) {
  std::shared_ptr<Node> fn = view->autograd ? view->autograd->grad_fn : nullptr;  // before the bump
  self->shape = view->shape;
  self->strides = view->strides;
  self->offset = view->offset;
  self->bump_version();
  if (fn && is_grad_enabled()) {
    set_history(self, fn, view->autograd->output_nr);
    if (self->is_view()) self->autograd->view->attr_version = self->version->value.load();
  }
  return self;
}

// Row i keeps columns [0, i + offset] (lower) or [i + offset, col) (upper), clamped to the matrix.
// In 128 bits: i + offset may pass int64 (offset near +-2**63).
std::pair<int64_t, int64_t> kept_columns(int64_t i, int64_t col, int64_t offset, bool lower) {
  const __int128 edge = __int128(i) + offset;
  auto clamp_col = [col](__int128 v) { return static_cast<int64_t>(std::clamp<__int128>(v, 0, col)); };
  if (lower) return {0, clamp_col(edge + 1)};
  return {clamp_col(edge), col};
}

// sum over rows i in [0, row) of clamp(i + a, 0, col), in closed form (row may be 2**62): rows
// before L give 0, rows in [L, R) give i + a (an arithmetic series), rows from R on give col.
__int128 clamped_ramp_sum(int64_t row, int64_t col, __int128 a) {
  const __int128 L = std::clamp<__int128>(-a, 0, row), R = std::clamp<__int128>(col - a, L, row);
  return (R - L) * (L + a + R - 1 + a) / 2 + (row - R) * col;
}

// Rows from `first` on: the rows before it keep no column (lower, offset < 0), so a tall matrix
// with few indices is not walked row by row.
template <typename T>
void fill_triangle_indices(T* rows, T* cols, int64_t n, int64_t row, int64_t col, int64_t offset, bool lower) {
  const int64_t first = lower ? static_cast<int64_t>(std::clamp<__int128>(-__int128(offset), 0, row)) : 0;
  int64_t k = 0;
  for (int64_t i = first; i < row && k < n; ++i) {
    auto [lo, hi] = kept_columns(i, col, offset, lower);
    for (int64_t j = lo; j < hi; ++j, ++k) {
      rows[k] = static_cast<T>(i);
      cols[k] = static_cast<T>(j);
    }
  }
}

Tensor triangle_indices(int64_t row, int64_t col, int64_t offset, DType dtype, bool lower) {
  const char* op = lower ? "tril_indices" : "triu_indices";
  TG_CHECK(row >= 0, RuntimeError, "row must be non-negative, got", row);
  TG_CHECK(col >= 0, RuntimeError, "col must be non-negative, got", col);
  TG_CHECK(dtype == DType::Int64 || dtype == DType::Int32, NotImplementedError, "\"", op,
           "\" not implemented for '", dtype_name(dtype), "'");
  // lower keeps clamp(i + offset + 1, 0, col) columns of row i, upper the rest of the row.
  const __int128 count = lower ? clamped_ramp_sum(row, col, __int128(offset) + 1)
                               : __int128(row) * col - clamped_ramp_sum(row, col, offset);
  TG_CHECK(count <= std::numeric_limits<int64_t>::max() / 2, RuntimeError,
           "Storage size calculation overflowed: ", op, "(", row, ", ", col, ", ", offset,
           ") has more than 2**62 indices");
  const int64_t n = static_cast<int64_t>(count);
  Tensor out = empty({2, n}, dtype);
  if (dtype == DType::Int64)
    fill_triangle_indices(out->data<int64_t>(), out->data<int64_t>() + n, n, row, col, offset, lower);
  else
    fill_triangle_indices(out->data<int32_t>(), out->data<int32_t>() + n, n, row, col, offset, lower);
  return out;
}

}  // namespace

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  TG_CHECK(t->dim() >= 2, RuntimeError, "diagonal(): input must have at least 2 dimensions, got shape ",
           shape_str(t->shape));
  auto [d1, d2] = diagonal_dims(dim1, dim2, t->dim(), "diagonal");
  DiagonalGeometry g = diagonal_geometry(t->shape, t->strides, t->offset, offset, d1, d2);
  Tensor out = make_differentiable_view(t, g.shape, g.strides, g.offset);
  Shape in_shape = t->shape;
  record("DiagonalBackward0", {t}, {out}, [&] {
    return [in_shape, offset, d1 = d1, d2 = d2](const Grads& gr) -> Grads {
      return {embed_diagonal(gr[0], in_shape, offset, d1, d2)};
    };
  });
  return out;
}

Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t nd = t->dim() + 1;
  auto [d1, d2] = diagonal_dims(dim1, dim2, nd, "diag_embed");
  TG_CHECK(t->dim() >= 1, RuntimeError, "diag_embed(): input must have at least 1 dimension");
  TG_CHECK(offset > INT64_MIN && std::abs(offset) <= INT64_MAX - t->shape.back(), RuntimeError,
           "diag_embed(): offset ", offset, " is too large for a last dim of size ", t->shape.back());
  int64_t n = t->shape.back() + std::abs(offset);
  Shape shape(t->shape.begin(), t->shape.end() - 1);
  shape.insert(shape.begin() + std::min(d1, d2), n);
  shape.insert(shape.begin() + std::max(d1, d2), n);
  return embed_diagonal(t, shape, offset, d1, d2);
}

Tensor squeeze_dims(const Tensor& t, const Shape& dims) {
  std::vector<bool> chosen(std::max<int64_t>(t->dim(), 1), false);
  for (int64_t dim : dims) {
    int64_t d = wrap_dim(dim, t->dim(), "squeeze");
    TG_CHECK(!chosen[d], RuntimeError, "dim ", d, " appears multiple times in the list of dims");
    chosen[d] = true;
  }
  Shape shape, strides;
  for (int64_t i = 0; i < t->dim(); ++i)
    if (!(chosen[i] && t->shape[i] == 1)) {
      shape.push_back(t->shape[i]);
      strides.push_back(t->strides[i]);
    }
  return reshaped_view(t, shape, strides, "SqueezeBackward2");
}

Tensor t_inplace(const Tensor& self) {
  check_inplace(self, "t_");
  return adopt_view(self, t_(self));
}

Tensor transpose_inplace(const Tensor& self, int64_t d0, int64_t d1) {
  check_inplace(self, "transpose_");
  return adopt_view(self, transpose(self, d0, d1));
}

Tensor squeeze_inplace(const Tensor& self, std::optional<Shape> dims) {
  check_inplace(self, "squeeze_");
  return adopt_view(self, dims ? squeeze_dims(self, *dims) : squeeze(self, std::nullopt));
}

Tensor unsqueeze_inplace(const Tensor& self, int64_t dim) {
  check_inplace(self, "unsqueeze_");
  return adopt_view(self, unsqueeze(self, dim));
}

Tensor resize_(const Tensor& self, const Shape& shape) {
  TG_CHECK(!self->requires_grad(), RuntimeError, "cannot resize variables that require grad");
  for (int64_t s : shape)
    TG_CHECK(s >= 0, RuntimeError, "Trying to create tensor with negative dimension ", s, ": ", shape_str(shape));
  if (shape == self->shape) return self;
  size_t need = static_cast<size_t>(self->offset + shape_numel(shape)) * itemsize(self->dtype);
  if (need > self->storage->nbytes) {
    // grow the storage object itself, so every tensor sharing it sees the new memory
    auto grown = Storage::allocate(need);
    if (self->storage->nbytes) std::memcpy(grown->data, self->storage->data, self->storage->nbytes);
    Storage& s = *self->storage;
    std::swap(s.data, grown->data);
    std::swap(s.nbytes, grown->nbytes);
    std::swap(s.owns_data, grown->owns_data);
    std::swap(s.owner, grown->owner);
  }
  self->shape = shape;
  self->strides = contiguous_strides(shape);
  return self;
}

Tensor empty_strided(const Shape& size, const Shape& stride, DType dtype) {
  TG_CHECK(size.size() == stride.size(), RuntimeError, "dimensionality of sizes (", size.size(),
           ") must match dimensionality of strides (", stride.size(), ")");
  int64_t extent = 1;  // elements the layout spans
  for (size_t d = 0; d < size.size(); ++d) {
    TG_CHECK(size[d] >= 0, RuntimeError, "Trying to create tensor with negative dimension ", size[d], ": ",
             shape_str(size));
    TG_CHECK(stride[d] >= 0, RuntimeError, "Storage size calculation overflowed with sizes=", shape_str(size),
             " and strides=", shape_str(stride));
  }
  if (shape_numel(size) == 0) {
    extent = 0;
  } else {
    for (size_t d = 0; d < size.size(); ++d) {
      int64_t span;
      TG_CHECK(!__builtin_mul_overflow(size[d] - 1, stride[d], &span) && !__builtin_add_overflow(extent, span, &extent),
               RuntimeError, "Storage size calculation overflowed with sizes=", shape_str(size),
               " and strides=", shape_str(stride));
    }
  }
  int64_t nbytes;
  TG_CHECK(!__builtin_mul_overflow(extent, static_cast<int64_t>(itemsize(dtype)), &nbytes), RuntimeError,
           "Storage size calculation overflowed with sizes=", shape_str(size), " and strides=", shape_str(stride));
  return std::make_shared<TensorImpl>(Storage::allocate(static_cast<size_t>(nbytes)), 0, size, stride, dtype,
                                      std::make_shared<VersionCounter>());
}

Tensor tril_indices(int64_t row, int64_t col, int64_t offset, DType dtype) {
  return triangle_indices(row, col, offset, dtype, true);
}

Tensor triu_indices(int64_t row, int64_t col, int64_t offset, DType dtype) {
  return triangle_indices(row, col, offset, dtype, false);
}

}  // namespace tg

// Strided views and their scatters: as_strided, Tensor.unfold, and select/slice/diagonal/as_strided
// _scatter (self with one view's elements replaced by src). Every geometry is turned into the flat
// positions of its elements, so the gradients are index / index_put, themselves differentiable.
#include "tg/ops_index.h"

namespace tg {

namespace {

// Flat positions offset + sum_k i_k * strides[k] for every index of `shape`, as int64 of that shape.
Tensor positions(const Shape& shape, const Shape& strides, int64_t offset) {
  Tensor out = empty(shape, DType::Int64);
  int64_t* p = out->data<int64_t>();
  int64_t n = out->numel(), nd = static_cast<int64_t>(shape.size());
  std::vector<int64_t> idx(nd, 0);
  int64_t at = offset;
  for (int64_t i = 0; i < n; ++i) {
    p[i] = at;
    for (int64_t d = nd - 1; d >= 0; --d) {
      at += strides[d];
      if (++idx[d] < shape[d]) break;
      at -= shape[d] * strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

// The last element a geometry reaches (offset for an empty one).
int64_t last_position(const Shape& shape, const Shape& strides, int64_t offset) {
  int64_t last = offset;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] == 0) return offset;
    else last += (shape[d] - 1) * strides[d];
  return last;
}

// A view of t at (shape, strides, offset) in t's storage. Its gradient: g accumulated at the view's
// storage positions `view_pos` of a buffer of `extent` elements, read back at t's own positions.
Tensor strided_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset, const Tensor& view_pos,
                    const Tensor& own_pos, int64_t extent, const char* name) {
  Tensor out = make_differentiable_view(t, shape, strides, offset);
  record(name, {t}, {out}, [&] {
    return [view_pos, own_pos, extent](const Grads& g) -> Grads {
      Tensor buf = index_put(zeros({extent}, g[0]->dtype), {view_pos}, g[0], true);
      return {tg::index(buf, {own_pos})};
    };
  });
  return out;
}

// self (as if contiguous) with the elements at flat `pos` replaced by src, whose shape must be pos's.
Tensor scatter_at(const char* op, const Tensor& self, const Tensor& src, const Tensor& pos) {
  check_same_device(op, self, src);
  TG_CHECK(src->shape == pos->shape, RuntimeError, op, "(): expected src to have a size equal to the slice of self. src size = ",
           shape_str(src->shape), ", slice size = ", shape_str(pos->shape));
  if (pos->numel() == 0) return clone(self);
  Tensor flat = reshape(self, {-1});
  return reshape(index_put(flat, {pos}, to_dtype(src, self->dtype), false), self->shape);
}

}  // namespace

Tensor as_strided(const Tensor& self, const Shape& size, const Shape& stride, std::optional<int64_t> storage_offset) {
  TG_CHECK(size.size() == stride.size(), RuntimeError, "mismatch in length of strides and shape");
  for (size_t d = 0; d < size.size(); ++d) {
    TG_CHECK(size[d] >= 0, RuntimeError, "as_strided: negative size ", size[d], " at dimension ", d);
    TG_CHECK(stride[d] >= 0, RuntimeError, "as_strided: Negative strides are not supported at the moment, got strides: ",
             shape_str(stride));
  }
  int64_t offset = storage_offset.value_or(self->offset);
  TG_CHECK(offset >= 0, RuntimeError, "Tensor: invalid storage offset ", offset);
  int64_t storage_elems = static_cast<int64_t>(self->storage->nbytes / itemsize(self->dtype));
  int64_t need = shape_numel(size) == 0 ? 0 : last_position(size, stride, offset) + 1;
  TG_CHECK(need <= storage_elems, RuntimeError, "setStorage: sizes ", shape_str(size), ", strides ", shape_str(stride),
           ", storage offset ", offset, ", and itemsize ", itemsize(self->dtype), " requiring a storage size of ",
           need * itemsize(self->dtype), " are out of bounds for storage of size ", storage_elems * itemsize(self->dtype));
  if (!needs_grad({self})) return make_differentiable_view(self, size, stride, offset);
  int64_t extent = std::max(need, last_position(self->shape, self->strides, self->offset) + 1);
  return strided_view(self, size, stride, offset, positions(size, stride, offset),
                      positions(self->shape, self->strides, self->offset), extent, "AsStridedBackward0");
}

Tensor unfold(const Tensor& self, int64_t dimension, int64_t size, int64_t step) {
  int64_t d = wrap_dim(dimension, std::max<int64_t>(self->dim(), 1), "unfold");
  int64_t len = self->dim() ? self->shape[d] : 1, st = self->dim() ? self->strides[d] : 1;
  TG_CHECK(size <= len, RuntimeError, "maximum size for tensor at dimension ", d, " is ", len, " but size is ", size);
  TG_CHECK(step > 0, RuntimeError, "step is ", step, " but must be > 0");
  TG_CHECK(size >= 0, RuntimeError, "size is ", size, " but must be >= 0");
  Shape shape = self->shape, strides = self->strides;
  if (self->dim()) {
    shape[d] = (len - size) / step + 1;
    strides[d] = st * step;
  }
  shape.push_back(size);
  strides.push_back(st);
  if (!needs_grad({self})) return make_differentiable_view(self, shape, strides, self->offset);
  // The same windows over a contiguous copy of self: positions 0..numel-1 are self's own elements.
  Shape cst = contiguous_strides(self->shape), wst = cst;
  if (self->dim()) wst[d] = cst[d] * step;
  wst.push_back(self->dim() ? cst[d] : 1);
  Tensor own = positions(self->shape, cst, 0);
  return strided_view(self, shape, strides, self->offset, positions(shape, wst, 0), own, self->numel(),
                      "UnfoldBackward0");
}

Tensor select_scatter(const Tensor& self, const Tensor& src, int64_t dim, int64_t index) {
  TG_CHECK(self->dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, self->dim(), "select_scatter");
  int64_t len = self->shape[d];
  TG_CHECK(index >= -len && index < len, IndexError, "select(): index ", index, " out of range for tensor of size ",
           shape_str(self->shape), " at dimension ", d);
  if (index < 0) index += len;
  Shape shape = self->shape, st = contiguous_strides(self->shape);
  int64_t offset = index * st[d];
  shape.erase(shape.begin() + d);
  st.erase(st.begin() + d);
  return scatter_at("select_scatter", self, src, positions(shape, st, offset));
}

Tensor slice_scatter(const Tensor& self, const Tensor& src, int64_t dim, std::optional<int64_t> start,
                     std::optional<int64_t> end, int64_t step) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "slice_scatter");
  TG_CHECK(step > 0, RuntimeError, "slice step must be positive");
  int64_t len = self->dim() ? self->shape[d] : 1;
  auto clamp = [len](int64_t v) { return std::min(std::max<int64_t>(v < 0 ? v + len : v, 0), len); };
  int64_t b = clamp(start.value_or(0)), e = std::max(clamp(end.value_or(len)), b);
  Shape shape = self->shape, st = contiguous_strides(self->shape);
  if (self->dim()) {
    shape[d] = (e - b + step - 1) / step;
    st[d] *= step;
  }
  int64_t offset = self->dim() ? b * contiguous_strides(self->shape)[d] : 0;
  return scatter_at("slice_scatter", self, src, positions(shape, st, offset));
}

Tensor diagonal_scatter(const Tensor& self, const Tensor& src, int64_t offset, int64_t dim1, int64_t dim2) {
  TG_CHECK(self->dim() >= 2, RuntimeError, "diagonal dimensions requires ndim larger than 2");
  int64_t d1 = wrap_dim(dim1, self->dim(), "diagonal_scatter"), d2 = wrap_dim(dim2, self->dim(), "diagonal_scatter");
  TG_CHECK(d1 != d2, RuntimeError, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  Shape cst = contiguous_strides(self->shape), shape, st;
  for (int64_t k = 0; k < self->dim(); ++k)
    if (k != d1 && k != d2) shape.push_back(self->shape[k]), st.push_back(cst[k]);
  int64_t n = offset >= 0 ? std::min(self->shape[d1], self->shape[d2] - offset)
                          : std::min(self->shape[d1] + offset, self->shape[d2]);
  n = std::max<int64_t>(n, 0);
  int64_t start = n == 0 ? 0 : offset >= 0 ? offset * cst[d2] : -offset * cst[d1];
  shape.push_back(n);
  st.push_back(cst[d1] + cst[d2]);
  return scatter_at("diagonal_scatter", self, src, positions(shape, st, start));
}

Tensor as_strided_scatter(const Tensor& self, const Tensor& src, const Shape& size, const Shape& stride,
                          std::optional<int64_t> storage_offset) {
  TG_CHECK(size.size() == stride.size(), RuntimeError, "mismatch in length of strides and shape");
  int64_t offset = storage_offset.value_or(0);
  for (int64_t s : stride) TG_CHECK(s >= 0, RuntimeError, "as_strided_scatter: Negative strides are not supported");
  TG_CHECK(offset >= 0 && (shape_numel(size) == 0 || last_position(size, stride, offset) < self->numel()), RuntimeError,
           "as_strided_scatter: sizes ", shape_str(size), ", strides ", shape_str(stride), " and storage offset ", offset,
           " are out of bounds for a tensor of ", self->numel(), " elements");
  return scatter_at("as_strided_scatter", self, src, positions(size, stride, offset));
}

}  // namespace tg

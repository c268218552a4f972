// gather / scatter / scatter_add along a dim, take_along_dim and masked_fill, with gradients:
// gather's backward is scatter_add into zeros and scatter_add's backward (for src) is gather.
#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg {

namespace {

// Shared argument checks of gather/scatter (torch's wording). `src` may be null (value form).
void check_dim_index(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  check_same_device(op, self, index, src ? *src : Tensor());
  TG_CHECK(index->dtype == DType::Int64, RuntimeError, op, "(): Expected dtype int64 for index, got ",
           dtype_name(index->dtype));
  int64_t nd = std::max<int64_t>(self->dim(), 1);
  TG_CHECK(std::max<int64_t>(index->dim(), 1) == nd, RuntimeError, op,
           "(): Index tensor must have the same number of dimensions as input tensor (index ",
           shape_str(index->shape), ", input ", shape_str(self->shape), ")");
  if (src)
    TG_CHECK(std::max<int64_t>((*src)->dim(), 1) == nd, RuntimeError, op,
             "(): Index tensor must have the same number of dimensions as src tensor (index ",
             shape_str(index->shape), ", src ", shape_str((*src)->shape), ")");
  for (int64_t d = 0; d < index->dim(); ++d) {
    if (d != dim && self->dim() > 0)
      TG_CHECK(index->shape[d] <= self->shape[d], RuntimeError, op, "(): Size does not match at dimension ", d,
               " expected index ", shape_str(index->shape), " to be no larger than self ",
               shape_str(self->shape), " apart from dimension ", dim);
    if (src && (*src)->dim() > 0)
      TG_CHECK(index->shape[d] <= (*src)->shape[d], RuntimeError, op, "(): Size does not match at dimension ", d,
               " expected index ", shape_str(index->shape), " to be no larger than src ",
               shape_str((*src)->shape));
  }
}

// Calls f(index_off, self_off, src_off) (element offsets) for every position of `shape`, where
// self's offset uses the index value along `dim` (checked against `size`).
template <typename F>
void walk_indexed(const Shape& shape, const Tensor& index, const Shape& self_st, const Shape& src_st,
                  int64_t dim, int64_t size, const char* op, const F& f) {
  int64_t n = shape_numel(shape), nd = static_cast<int64_t>(shape.size());
  if (n == 0) return;
  const int64_t* ix = index->data<int64_t>();
  std::vector<int64_t> pos(nd, 0);
  int64_t oi = 0, os = 0, oc = 0;  // index, self (without dim), src
  for (int64_t k = 0; k < n; ++k) {
    int64_t v = ix[oi];
    TG_CHECK(v >= 0 && v < size, RuntimeError, op, "(): index ", v, " is out of bounds for dimension ", dim,
             " with size ", size);
    f(oi, os + v * (nd ? self_st[dim] : 0), oc);
    for (int64_t d = nd - 1; d >= 0; --d) {
      oi += index->strides[d];
      os += d == dim ? 0 : self_st[d];
      oc += src_st[d];
      if (++pos[d] < shape[d]) break;
      oi -= shape[d] * index->strides[d];
      os -= d == dim ? 0 : shape[d] * self_st[d];
      oc -= shape[d] * src_st[d];
      pos[d] = 0;
    }
  }
}

// Writes src (or a broadcast value) into a copy of self at index positions; add when accumulate.
Tensor scatter_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                    bool accumulate) {
  GradModeGuard off(false);
  Tensor out = clone(self);
  Tensor s = to_dtype(src, self->dtype);
  Shape src_st = s->dim() == 0 ? Shape(index->dim(), 0) : s->strides;
  Shape self_st = out->strides;
  int64_t size = self->dim() ? self->shape[dim] : 1;
  dispatch_all(self->dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = out->data<T>();
    const T* v = s->data<T>();
    walk_indexed(index->shape, index, self_st, src_st, dim, size, op, [&](int64_t, int64_t so, int64_t co) {
      if (!accumulate) o[so] = v[co];
      else if constexpr (std::is_same_v<T, bool>) o[so] = o[so] || v[co];
      else o[so] = static_cast<T>(widen(o[so]) + widen(v[co]));  // float16 rounds per add, as torch
    });
  });
  return out;
}

// Pads g with zeros at the end of each dim up to `shape` (src may be larger than index).
Tensor pad_to(Tensor g, const Shape& shape) {
  for (int64_t d = 0; d < g->dim(); ++d) {
    if (g->shape[d] == shape[d]) continue;
    Shape zs = g->shape;
    zs[d] = shape[d] - g->shape[d];
    g = cat({g, zeros(zs, g->dtype)}, d);
  }
  return g;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "gather");
  check_dim_index("gather", self, d, index, nullptr);
  Tensor out = empty(index->shape, self->dtype);
  int64_t size = self->dim() ? self->shape[d] : 1;
  Shape self_st = self->dim() ? self->strides : Shape(index->dim(), 0);
  dispatch_all(self->dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* s = self->data<T>();
    T* o = out->data<T>();
    // out has index's shape (contiguous); the walk also validates each index value.
    walk_indexed(index->shape, index, self_st, out->strides, d, size, "gather",
                 [&](int64_t, int64_t so, int64_t oo) { o[oo] = s[so]; });
  });
  Shape shape = self->shape;
  record("GatherBackward0", {self}, {out}, [&] {
    return [shape, d, ix = index](const Grads& g) -> Grads {
      return {scatter_add(zeros(shape, g[0]->dtype), d, ix, g[0])};
    };
  });
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter");
  check_dim_index("scatter", self, d, index, &src);
  TG_CHECK(self->dtype == src->dtype, RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype (got ",
           dtype_name(self->dtype), " and ", dtype_name(src->dtype), ")");
  Tensor out = scatter_impl("scatter", self, d, index, src, false);
  Shape sshape = src->shape;
  record("ScatterBackward0", {self, src}, {out}, [&] {
    return [d, ix = index, sshape](const Grads& g) -> Grads {
      return {scatter(g[0], d, ix, Scalar(0.0)), pad_to(gather(g[0], d, ix), sshape)};
    };
  });
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter");
  check_dim_index("scatter", self, d, index, nullptr);
  Tensor out = scatter_impl("scatter", self, d, index, scalar_tensor(value, self->dtype), false);
  record("ScatterBackward1", {self}, {out}, [&] {
    return [d, ix = index](const Grads& g) -> Grads { return {scatter(g[0], d, ix, Scalar(0.0))}; };
  });
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter_add");
  check_dim_index("scatter_add", self, d, index, &src);
  TG_CHECK(self->dtype == src->dtype, RuntimeError,
           "scatter_add(): Expected self.dtype to be equal to src.dtype (got ", dtype_name(self->dtype), " and ",
           dtype_name(src->dtype), ")");
  Tensor out = scatter_impl("scatter_add", self, d, index, src, true);
  Shape sshape = src->shape;
  record("ScatterAddBackward0", {self, src}, {out}, [&] {
    return [d, ix = index, sshape](const Grads& g) -> Grads { return {g[0], pad_to(gather(g[0], d, ix), sshape)}; };
  });
  return out;
}

Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  TG_CHECK(indices->dtype == DType::Int64, RuntimeError,
           "torch.take_along_dim(): dtype of indices should be int64 but got ", dtype_name(indices->dtype));
  if (!dim) return gather(reshape(self, {-1}), 0, reshape(indices, {-1}));
  TG_CHECK(self->dim() == indices->dim(), RuntimeError,
           "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
           self->dim(), " dimensions for input, and ", indices->dim(), " dimensions for indices");
  if (self->dim() == 0) return gather(self, 0, indices);
  int64_t d = wrap_dim(*dim, self->dim(), "take_along_dim");
  // Broadcast every dim but `d`; each keeps its own size along d.
  Shape a = self->shape, b = indices->shape;
  a[d] = 1;
  b[d] = 1;
  Shape common = broadcast_shapes(a, b, "take_along_dim");
  Shape sa = common, sb = common;
  sa[d] = self->shape[d];
  sb[d] = indices->shape[d];
  return gather(expand(self, sa), d, contiguous(expand(indices, sb)));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  TG_CHECK(mask->dtype == DType::Bool, RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           dtype_name(mask->dtype));
  TG_CHECK(value->dim() == 0, RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value->dim(), " dimension(s).");
  return where(mask, to_dtype(value, self->dtype), self);
}

}  // namespace tg

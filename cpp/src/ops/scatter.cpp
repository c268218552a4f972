// gather / scatter / scatter_add along a dim, take_along_dim and masked_fill, with gradients:
// gather's backward is scatter_add into zeros and scatter_add's backward (for src) is gather.
#include "ops/scatter_walk.h"

namespace tg {

namespace {

using namespace scatter_detail;

// Writes src (or a broadcast value) into a copy of self at index positions; add when accumulate.
Tensor scatter_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                    bool accumulate) {
  GradModeGuard off(false);
  Tensor out = clone(self);
  Tensor s = to_dtype(src, self->dtype);
  Shape src_st = s->dim() == 0 ? Shape(index->dim(), 0) : s->strides;
  Shape self_st = out->strides;
  int64_t size = self->dim() ? self->shape[dim] : 1;
  dispatch_all(self->dtype, [&](auto zero) {  // data movement: every dtype
    using T = decltype(zero);
    T* o = out->data<T>();
    const T* v = s->data<T>();
    walk_indexed(index->shape, index, self_st, src_st, dim, size, op, [&](int64_t, int64_t so, int64_t co) {
      o[so] = accumulate ? add_values(o[so], v[co]) : v[co];
    });
  });
  return out;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index_arg) {
  Tensor index = long_index(index_arg);
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "gather");
  if (index->numel() == 0 && index->dim() != std::max<int64_t>(self->dim(), 1)) {
    // torch takes an empty index of any rank: an empty result, and no gradient to pass on
    Tensor out = empty(index->shape, self->dtype);
    Shape shape = self->shape;
    record("GatherBackward0", {self}, {out}, [&] {
      return [shape](const Grads& g) -> Grads { return {zeros(shape, g[0]->dtype)}; };
    });
    return out;
  }
  check_dim_index("gather", self, d, index, nullptr);
  Tensor out = empty(index->shape, self->dtype);
  int64_t size = self->dim() ? self->shape[d] : 1;
  Shape self_st = self->dim() ? self->strides : Shape(index->dim(), 0);
  dispatch_all(self->dtype, [&](auto zero) {  // data movement: every dtype
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

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index_arg, const Tensor& src) {
  Tensor index = long_index(index_arg);
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

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index_arg, Scalar value) {
  Tensor index = long_index(index_arg);
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter");
  check_dim_index("scatter", self, d, index, nullptr);
  Tensor out = scatter_impl("scatter", self, d, index, scalar_tensor(value, self->dtype), false);
  record("ScatterBackward1", {self}, {out}, [&] {
    return [d, ix = index](const Grads& g) -> Grads { return {scatter(g[0], d, ix, Scalar(0.0))}; };
  });
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index_arg, const Tensor& src) {
  Tensor index = long_index(index_arg);
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
  // torch wraps negative indices here (gather itself rejects them).
  auto wrapped = [](const Tensor& ix, int64_t size) {
    return where(compare(BinaryOp::Lt, ix, Scalar(int64_t(0))), add(ix, Scalar(size)), ix);
  };
  if (!dim) return gather(reshape(self, {-1}), 0, wrapped(reshape(indices, {-1}), self->numel()));
  TG_CHECK(self->dim() == indices->dim(), RuntimeError,
           "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
           self->dim(), " dimensions for input, and ", indices->dim(), " dimensions for indices");
  if (self->dim() == 0) return gather(self, 0, wrapped(indices, 1));
  int64_t d = wrap_dim(*dim, self->dim(), "take_along_dim");
  // Broadcast every dim but `d`; each keeps its own size along d.
  Shape a = self->shape, b = indices->shape;
  a[d] = 1;
  b[d] = 1;
  Shape common = broadcast_shapes(a, b, "take_along_dim");
  Shape sa = common, sb = common;
  sa[d] = self->shape[d];
  sb[d] = indices->shape[d];
  return gather(expand(self, sa), d, contiguous(expand(wrapped(indices, self->shape[d]), sb)));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  TG_CHECK(mask->dtype == DType::Bool, RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           dtype_name(mask->dtype));
  TG_CHECK(value->dim() == 0, RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value->dim(), " dimension(s).");
  return where(mask, to_dtype(value, self->dtype), self);
}

}  // namespace tg

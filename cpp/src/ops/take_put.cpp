// Flat and masked indexing: take / put (self read as 1-D), masked_scatter and repeat_interleave,
// written with the differentiable index / index_put / index_select ops (their gradients follow).
#include <limits>

#include "tg/ops_index.h"

namespace tg {

namespace {

// index as 1-D int64 positions into `numel` elements, negative values wrapped (take/put's rule).
Tensor flat_positions(const char* op, const Tensor& index, int64_t numel) {
  TG_CHECK(index->dtype == DType::Int64, RuntimeError, op, "(): Expected a long tensor for index, but got ",
           scalar_type_name(index->dtype));
  Tensor ix = clone(reshape(detach(index), {-1}));
  int64_t* p = ix->data<int64_t>();
  for (int64_t i = 0, n = ix->numel(); i < n; ++i) {
    TG_CHECK(p[i] >= -numel && p[i] < numel, IndexError, "out of range: tried to access index ", p[i],
             " on a tensor of ", numel, " elements.");
    if (p[i] < 0) p[i] += numel;
  }
  return ix;
}

}  // namespace

Tensor take(const Tensor& self, const Tensor& index) {
  check_same_device("take", self, index);
  Tensor ix = flat_positions("take", index, self->numel());
  return reshape(tg::index(reshape(self, {-1}), {ix}), index->shape);
}

Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  check_same_device("put", self, index, source);
  TG_CHECK(self->dtype == source->dtype, RuntimeError, "put_(): self and source expected to have the same dtype, but got self.dtype = ",
           scalar_type_name(self->dtype), " and source.dtype = ", scalar_type_name(source->dtype));
  TG_CHECK(index->numel() == source->numel(), RuntimeError,
           "put_(): Expected source and index to have the same number of elements, but got source.numel() = ",
           source->numel(), ", index.numel() = ", index->numel());
  Tensor ix = flat_positions("put", index, self->numel());
  if (ix->numel() == 0) return clone(self);
  return reshape(index_put(reshape(self, {-1}), {ix}, reshape(source, {-1}), accumulate), self->shape);
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  check_same_device("masked_scatter", self, mask, source);
  TG_CHECK(mask->dtype == DType::Bool, RuntimeError, "masked_scatter_ only supports boolean masks, but got mask with dtype ",
           dtype_name(mask->dtype));
  TG_CHECK(self->dtype == source->dtype, RuntimeError, "masked_scatter: expected self and source to have same dtypes but got ",
           scalar_type_name(self->dtype), " and ", scalar_type_name(source->dtype));
  Shape shape = broadcast_shapes(self->shape, mask->shape, "masked_scatter");
  Tensor m = contiguous(expand(mask, shape));
  int64_t k = 0;
  for (int64_t i = 0, n = m->numel(); i < n; ++i) k += m->data<bool>()[i];
  TG_CHECK(k <= source->numel(), RuntimeError, "masked_scatter: expected source to have at least ", k,
           " elements (the number of ones in mask), but got ", source->numel());
  Tensor x = expand(self, shape);
  if (k == 0) return clone(x);
  // The first k elements of source, in order, go to the true positions of the mask.
  Tensor values = slice(reshape(source, {-1}), 0, 0, k, 1);
  if (shape.empty()) return reshape(index_put(reshape(x, {1}), {reshape(m, {1})}, values, false), {});
  return index_put(x, {m}, values, false);
}

Tensor repeat_interleave_counts(const Tensor& repeats, std::optional<int64_t> output_size) {
  TG_CHECK(repeats->dim() <= 1, RuntimeError, "repeat_interleave only accept 1D vector as repeat");
  TG_CHECK(repeats->dtype == DType::Int64 || repeats->dtype == DType::Int32, RuntimeError,
           "repeats has to be Long or Int tensor");
  Tensor r = contiguous(cast_for_kernel(reshape(detach(repeats), {-1}), DType::Int64));
  const int64_t* p = r->data<int64_t>();
  int64_t total = 0;
  for (int64_t i = 0, n = r->numel(); i < n; ++i) {
    TG_CHECK(p[i] >= 0, RuntimeError, "repeats can not be negative");
    TG_CHECK(p[i] <= std::numeric_limits<int64_t>::max() - total, RuntimeError,
             "repeat_interleave: the repeats add up to more elements than int64 can count");
    total += p[i];
  }
  TG_CHECK(!output_size || *output_size == total, RuntimeError, "allocated size does not match required size");
  Tensor out = empty({total}, DType::Int64);
  int64_t* o = out->data<int64_t>();
  for (int64_t i = 0, n = r->numel(), at = 0; i < n; ++i)
    for (int64_t j = 0; j < p[i]; ++j) o[at++] = i;
  return out;
}

Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  check_same_device("repeat_interleave", self, repeats);
  Tensor x = dim ? self : reshape(self, {-1});
  int64_t d = dim ? wrap_dim(*dim, std::max<int64_t>(x->dim(), 1), "repeat_interleave") : 0;
  if (x->dim() == 0) x = reshape(x, {1});
  int64_t n = x->shape[d];
  Tensor r = repeats;
  if (r->numel() == 1 && n != 1) r = expand(reshape(r, {1}), {n});  // one count for every element
  TG_CHECK(r->dim() <= 1 && r->numel() == n, RuntimeError, "repeats must have the same size as input along dim, but got repeats.size(0) = ",
           r->numel(), " and input.size(", d, ") = ", n);
  return index_select(x, d, repeat_interleave_counts(r, output_size));
}

}  // namespace tg

// Reductions built from differentiable ops: nansum, nanmean, aminmax, dist, diff.
#include "tg/ops_extra.h"

namespace tg {

namespace {
// x with NaNs replaced by zeros (whose gradient is zero there, as torch's nansum).
Tensor zero_nans(const Tensor& x) {
  if (!is_floating(x->dtype)) return x;
  return where(isnan(x), scalar_tensor(Scalar(0.0), x->dtype), x);
}
}  // namespace

Tensor nansum(const Tensor& x, const Shape& dims, bool keepdim, std::optional<DType> dtype) {
  return sum(zero_nans(x), dims, keepdim, dtype);
}

Tensor nanmean(const Tensor& x, const Shape& dims, bool keepdim, std::optional<DType> dtype) {
  DType dt = dtype.value_or(x->dtype);
  TG_CHECK(is_floating(x->dtype) && is_floating(dt), RuntimeError,
           "nanmean(): expected input to have floating point or complex dtype but got ", scalar_type_name(is_floating(x->dtype) ? dt : x->dtype));
  Tensor count = sum(logical_not(isnan(x)), dims, keepdim, dt);
  return div(nansum(x, dims, keepdim, dt), count);
}

std::pair<Tensor, Tensor> aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  if (dim) {
    int64_t d = wrap_dim(*dim, x->dim(), "aminmax");
    if (x->dim() > 0)
      TG_CHECK(x->shape[d] != 0, IndexError, "aminmax(): Expected reduction dim ", d, " to have non-zero size.");
    Shape dims = x->dim() == 0 ? Shape{} : Shape{d};
    if (x->dim() == 0) return {clone(x), clone(x)};
    return {amin(x, dims, keepdim), amax(x, dims, keepdim)};
  }
  TG_CHECK(x->numel() != 0, RuntimeError, "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.");
  return {amin(x, {}, keepdim), amax(x, {}, keepdim)};
}

Tensor dist(const Tensor& a, const Tensor& b, double p) {
  TG_CHECK(is_floating(a->dtype) && is_floating(b->dtype), RuntimeError, "dist(): input and other must be floating point, got ",
           scalar_type_name(a->dtype), " and ", scalar_type_name(b->dtype));
  TG_CHECK(a->dtype == b->dtype, RuntimeError, "expected both inputs to have same dtype, but got ", scalar_type_name(a->dtype), " and ",
           scalar_type_name(b->dtype));
  return norm(sub(a, b), p, {}, false);
}

Tensor diff(const Tensor& x, int64_t n, int64_t dim, const std::optional<Tensor>& prepend,
            const std::optional<Tensor>& append) {
  TG_CHECK(x->dim() >= 1, RuntimeError, "diff expects input to be at least one-dimensional");
  TG_CHECK(n >= 0, RuntimeError, "order must be non-negative but got ", n);
  int64_t d = wrap_dim(dim, x->dim(), "diff");
  std::vector<Tensor> parts;
  for (const std::optional<Tensor>& t : {prepend, std::optional<Tensor>(x), append}) {
    if (!t) continue;
    TG_CHECK((*t)->dim() == x->dim(), RuntimeError, "diff expects prepend or append to be the same dimension as input");
    parts.push_back(*t);
  }
  Tensor y = parts.size() == 1 ? x : cat(parts, d);
  for (int64_t k = 0; k < n && y->shape[d] > 0; ++k) {
    int64_t len = y->shape[d];
    Tensor hi = slice(y, d, 1, len, 1), lo = slice(y, d, 0, len - 1, 1);
    y = y->dtype == DType::Bool ? logical_xor(hi, lo) : sub(hi, lo);
  }
  return n == 0 ? clone(y) : y;
}

}  // namespace tg

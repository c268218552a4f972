// Counting and searching kernels (no gradients, as torch): searchsorted, bucketize, bincount, histc.
#include <algorithm>
#include <cmath>

#include "tg/ops_extra.h"

namespace tg {

Tensor searchsorted(const Tensor& seq, const Tensor& values, bool right, const std::optional<Tensor>& sorter, bool out_int32) {
  const char* op = "torch.searchsorted()";
  TG_CHECK(seq->dim() >= 1, RuntimeError, op, ": boundaries tensor should have positive dimension, but got 0 dimension");
  bool one_d = seq->dim() == 1;
  if (!one_d) {
    TG_CHECK(seq->dim() == values->dim() &&
                 std::equal(seq->shape.begin(), seq->shape.end() - 1, values->shape.begin()),
             RuntimeError, op, ": boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
             "and input value tensor must match, but we got boundaries tensor ", shape_str(seq->shape),
             " and input value tensor ", shape_str(values->shape));
  }
  Tensor s = seq;
  if (sorter) {
    TG_CHECK((*sorter)->dtype == DType::Int64, RuntimeError, op, ": sorter must be a tensor of long dtype but got ",
             scalar_type_name((*sorter)->dtype));
    TG_CHECK((*sorter)->shape == seq->shape, RuntimeError, op, ": boundary and sorter must have the same size, but got boundary tensor ",
             shape_str(seq->shape), "and got sorter tensor ", shape_str((*sorter)->shape));
    s = gather(detach(seq), -1, *sorter);  // checks the sorter's indices
  }
  DType dt = compute_dtype(result_type(s, values));
  TG_CHECK(dt != DType::Bool, RuntimeError, "\"searchsorted_out_cpu\" not implemented for 'Bool'");
  s = contiguous(cast_for_kernel(detach(s), dt));
  Tensor v = contiguous(cast_for_kernel(detach(values), dt));
  Tensor out = empty(values->shape, DType::Int64);
  int64_t m = s->shape.back(), n = v->numel();
  int64_t per_row = one_d || values->dim() == 0 ? n : values->shape.back();
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    const T* sp = s->data<T>();
    const T* vp = v->data<T>();
    int64_t* o = out->data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      const T* row = one_d ? sp : sp + (i / std::max<int64_t>(per_row, 1)) * m;
      // NaN sorts last, as torch: lower_bound/upper_bound with NaN greater than every number.
      auto less = [](T a, T b) { return (a != a) ? false : (b != b) ? true : a < b; };
      o[i] = right ? std::upper_bound(row, row + m, vp[i], less) - row : std::lower_bound(row, row + m, vp[i], less) - row;
    }
  });
  return out_int32 ? cast_for_kernel(out, DType::Int32) : out;
}

Tensor bincount(const Tensor& x, const std::optional<Tensor>& weights, int64_t minlength) {
  if (!is_integral(x->dtype, false)) throw_not_implemented("bincount_cpu", x->dtype);
  TG_CHECK(minlength >= 0, RuntimeError, "minlength should be >= 0");
  TG_CHECK(x->dim() == 1, RuntimeError, "bincount only supports 1-d non-negative integral inputs.");
  if (weights)
    TG_CHECK((*weights)->dim() == 1 && (*weights)->shape[0] == x->shape[0], RuntimeError,
             "weights should be 1-d and have the same length as input");
  Tensor xi = contiguous(cast_for_kernel(detach(x), DType::Int64));
  const int64_t* xp = xi->data<int64_t>();
  int64_t n = x->shape[0], size = minlength;
  for (int64_t i = 0; i < n; ++i) {
    TG_CHECK(xp[i] >= 0, RuntimeError, "bincount only supports 1-d non-negative integral inputs.");
    size = std::max(size, xp[i] + 1);
  }
  // float32 weights count in float32; any other weights in float64, as torch.
  DType dt = !weights ? DType::Int64 : (*weights)->dtype == DType::Float32 ? DType::Float32 : DType::Float64;
  Tensor out = zeros({size}, dt);
  Tensor w = weights ? contiguous(cast_for_kernel(detach(*weights), dt)) : Tensor();
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (!std::is_same_v<T, bool>) {
      T* o = out->data<T>();
      for (int64_t i = 0; i < n; ++i) o[xp[i]] += w ? w->data<T>()[i] : T(1);
    }
  });
  return out;
}

Tensor histc(const Tensor& x, int64_t bins, double lo, double hi) {
  if (!is_floating(x->dtype)) throw_not_implemented("histogram_cpu", x->dtype);
  TG_CHECK(bins > 0, RuntimeError, "torch.histc(): bins must be > 0, but got ", bins, " for dimension 0");
  TG_CHECK(!(std::isinf(lo) || std::isinf(hi) || std::isnan(lo) || std::isnan(hi)), RuntimeError,
           "torch.histc(): range of [", lo, ", ", hi, "] is not finite");
  TG_CHECK(lo <= hi, RuntimeError, "torch.histc(): max must be larger than min");
  Tensor xd = contiguous(cast_for_kernel(detach(x), DType::Float64));
  const double* xp = xd->data<double>();
  int64_t n = xd->numel();
  if (lo == hi && n > 0) {  // the data's own range
    lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; ++i)
      lo = std::isnan(xp[i]) || std::isnan(lo) ? NAN : std::min(lo, xp[i]),  // NaN propagates, as torch
      hi = std::isnan(xp[i]) || std::isnan(hi) ? NAN : std::max(hi, xp[i]);
    TG_CHECK(std::isfinite(lo) && std::isfinite(hi), RuntimeError, "torch.histc(): range of [", lo, ", ", hi, "] is not finite");
  }
  if (lo == hi) lo -= 1, hi += 1;
  Tensor out = zeros({bins}, DType::Float64);
  double* counts = out->data<double>();
  for (int64_t i = 0; i < n; ++i) {
    double v = xp[i];
    if (!(v >= lo && v <= hi)) continue;  // outside the range, or NaN
    int64_t b = static_cast<int64_t>((v - lo) * bins / (hi - lo));
    counts[std::min(b, bins - 1)] += 1;  // the upper edge belongs to the last bin
  }
  return cast_for_kernel(out, x->dtype);
}

}  // namespace tg

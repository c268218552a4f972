// Order statistics built on sort: quantile / nanquantile (five interpolation modes, scalar or 1-D q)
// and mode. Values are gathered from the sorted input, so gradients flow back through sort's gather.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "ops/math_util.h"
#include "tg/ops_order.h"

namespace tg {

namespace {

enum class Interp { Linear, Lower, Higher, Midpoint, Nearest };

Interp parse_interpolation(const std::string& s, const char* op) {
  if (s == "linear") return Interp::Linear;
  if (s == "lower") return Interp::Lower;
  if (s == "higher") return Interp::Higher;
  if (s == "midpoint") return Interp::Midpoint;
  if (s == "nearest") return Interp::Nearest;
  throw RuntimeError(str(op, "() interpolation must be one of linear, lower, higher, midpoint or nearest, but got ", s));
}

// x's reduced elements as the last dim: every element when dim is absent, else dim moved last.
Tensor reduced_last(const Tensor& x, std::optional<int64_t> dim, const char* op) {
  if (!dim || x->dim() == 0) {
    if (dim) wrap_dim(*dim, x->dim(), op);
    return reshape(x, {-1});
  }
  int64_t d = wrap_dim(*dim, x->dim(), op);
  return movedim(x, {d}, {-1});
}

}  // namespace

// torch's recipe: sort each row, turn q into a fractional rank (q * (count - 1), count = the
// row's length, or its non-NaN length for nanquantile; a NaN in a quantile row pins the rank to
// the last, NaN, element), round it per interpolation mode and lerp between the neighbours.
Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                const std::string& interpolation, bool ignore_nan) {
  const char* op = ignore_nan ? "nanquantile" : "quantile";
  TG_CHECK(x->numel() > 0, RuntimeError, op, "() input tensor must be non-empty");
  TG_CHECK(q->dim() <= 1, RuntimeError, op, "() q must be a scalar or 1D tensor");
  TG_CHECK(x->dtype == DType::Float32 || x->dtype == DType::Float64, RuntimeError, op,
           "() input tensor must be either float or double dtype");
  TG_CHECK(q->dtype == x->dtype, RuntimeError, op, "() q tensor must be same dtype as the input tensor");
  Interp mode = parse_interpolation(interpolation, op);
  Tensor qs = contiguous(to_dtype(detach(reshape(q, {-1})), DType::Float64));
  const double* qp = qs->data<double>();
  int64_t nq = qs->numel();
  for (int64_t j = 0; j < nq; ++j)
    TG_CHECK(qp[j] >= 0 && qp[j] <= 1, RuntimeError, op, "() q values must be in the range [0, 1]");

  Tensor sorted = sort(reduced_last(x, dim, op), -1, false, false).first;
  int64_t n = sorted->shape.back();
  Shape pick_shape = sorted->shape;
  pick_shape.back() = nq;
  Tensor below = empty(pick_shape, DType::Int64), above = empty(pick_shape, DType::Int64);
  Tensor weight = empty(pick_shape, x->dtype);
  Tensor values = contiguous(detach(sorted));
  int64_t rows = values->numel() / n;
  dispatch_floating(x->dtype, op, [&](auto z) {
    using T = decltype(z);
    const T* vp = values->data<T>();
    Tensor qt = contiguous(to_dtype(detach(reshape(q, {-1})), x->dtype));
    const T* qv = qt->data<T>();
    int64_t* lo = below->data<int64_t>();
    int64_t* hi = above->data<int64_t>();
    T* w = weight->data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t count = 0;  // NaNs sort last
      while (count < n && !std::isnan(vp[r * n + count])) ++count;
      for (int64_t j = 0; j < nq; ++j) {
        T rank;  // computed in the input's dtype, as torch does
        if (ignore_nan) rank = std::max(qv[j] * static_cast<T>(count - 1), T(0));
        else rank = count < n ? static_cast<T>(n - 1) : qv[j] * static_cast<T>(n - 1);
        if (mode == Interp::Lower) rank = std::floor(rank);
        else if (mode == Interp::Higher) rank = std::ceil(rank);
        else if (mode == Interp::Nearest) rank = std::nearbyint(rank);  // half to even, as torch.round
        int64_t k = r * nq + j;
        lo[k] = static_cast<int64_t>(rank);
        hi[k] = static_cast<int64_t>(std::ceil(rank));
        w[k] = mode == Interp::Midpoint ? T(0.5) : rank - static_cast<T>(lo[k]);
      }
    }
  });
  Tensor out = gather(sorted, -1, below);
  if (mode == Interp::Linear || mode == Interp::Midpoint) out = lerp(out, gather(sorted, -1, above), weight);

  // out is [rows..., nq]: restore the reduced dim for keepdim, then put q's dim first (or drop it)
  if (keepdim) {
    if (!dim || x->dim() == 0) {
      Shape ones(static_cast<size_t>(x->dim()), 1);
      ones.push_back(nq);
      out = reshape(out, ones);
    } else {
      out = unsqueeze(out, wrap_dim(*dim, x->dim(), op));
    }
  }
  if (q->dim() == 0) return squeeze(out, -1);
  return movedim(out, {-1}, {0});
}

// The most frequent value of each row along dim (the smallest among equally frequent ones). Its
// index is the last of its run after sorting (value, position) pairs by value with std::sort, the
// order torch's CPU kernel picks from (std::sort is deterministic, so the same ties win).
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x->dim(), "mode");
  Tensor xs = x->dim() == 0 ? reshape(x, {1}) : x;
  int64_t n = xs->shape[d];
  TG_CHECK(n > 0 || xs->numel() == 0, IndexError, "mode(): Expected reduction dim ", d, " to have non-zero size.");
  Tensor rows = contiguous(movedim(detach(xs), {d}, {-1}));
  Shape idx_shape = rows->shape;
  idx_shape.back() = 1;
  Tensor idx = empty(idx_shape, DType::Int64);
  int64_t R = n == 0 ? 0 : rows->numel() / n;
  int64_t* ip = idx->data<int64_t>();
  dispatch_all(x->dtype, [&](auto z) {
    using T = decltype(z);
    const T* xp = rows->data<T>();
    parallel_for(R, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<std::pair<T, int64_t>> pairs(n);
      for (int64_t r = b; r < e; ++r) {
        for (int64_t i = 0; i < n; ++i) pairs[i] = {xp[r * n + i], i};
        std::sort(pairs.begin(), pairs.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
        int64_t run = 0, best_run = 0;
        for (int64_t i = 0; i < n; ++i) {
          ++run;
          if (i == n - 1 || pairs[i].first != pairs[i + 1].first) {
            if (run > best_run) best_run = run, ip[r] = pairs[i].second;
            run = 0;
          }
        }
      }
    });
  });
  Tensor index = movedim(idx, {-1}, {d});
  Tensor values = gather(xs, d, index);
  if (!keepdim || x->dim() == 0) {
    values = squeeze(values, d), index = squeeze(index, d);
    if (x->dim() == 0) return {reshape(values, {}), reshape(index, {})};
  }
  return {values, index};
}

}  // namespace tg

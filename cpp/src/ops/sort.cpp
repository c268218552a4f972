// Order statistics along one dim: sort, argsort, topk, kthvalue, median, nanmedian; gradients flow to the
// selected positions through take_along (gather) and its adjoint scatter_add_along.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/math_util.h"

namespace tg {

namespace math {
Shape move_last_order(int64_t nd, int64_t d);
Shape inverse_order(const Shape& order);
Tensor rows_of(const Tensor& x, int64_t d, DType dt);
Tensor from_rows(const Tensor& r, int64_t nd, int64_t d);
}  // namespace math

using namespace math;

namespace {

// A strict total order on row positions: by value (NaN largest, as torch), then by position
// (what std::stable_sort gives; also the median's order).
template <typename T>
struct Before {
  const T* row;
  bool desc;
  bool operator()(int64_t a, int64_t b) const {
    T x = row[a], y = row[b];
    bool xn = x != x, yn = y != y;
    if (xn || yn) return (xn && yn) ? a < b : (desc ? xn : yn);
    if (x != y) return desc ? x > y : x < y;
    return a < b;
  }
};

// torch's comparison on values alone (NaN largest). Equal values are then ordered by the
// algorithm, so each op runs the algorithm torch's CPU kernel runs, and ties come out as torch's.
template <typename T>
struct ByValue {
  const T* row;
  bool desc;
  bool operator()(int64_t a, int64_t b) const {
    T x = row[a], y = row[b];
    bool xn = x != x, yn = y != y;
    return desc ? (xn && !yn) || x > y : (!xn && yn) || x < y;
  }
};

// Sedgewick's quickselect with a median-of-three pivot (the one torch's kthvalue runs): moves
// the k-th smallest (0-based) position to ord[k].
template <typename T>
void quick_select(std::vector<int64_t>& ord, int64_t k, const ByValue<T>& gt) {
  auto greater = [&](int64_t i, int64_t j) { return gt(ord[i], ord[j]); };
  int64_t L = 0, R = static_cast<int64_t>(ord.size()) - 1;
  while (R > L) {
    if (R == L + 1) {
      if (greater(L, R)) std::swap(ord[L], ord[R]);
      return;
    }
    std::swap(ord[(L + R) >> 1], ord[L + 1]);
    if (greater(L + 1, R)) std::swap(ord[L + 1], ord[R]);
    if (greater(L, R)) std::swap(ord[L], ord[R]);
    if (greater(L + 1, L)) std::swap(ord[L + 1], ord[L]);
    int64_t i = L + 1, j = R, pivot = ord[L];  // ord[L] stays put until the partition ends
    while (true) {
      do ++i; while (gt(pivot, ord[i]));
      do --j; while (gt(ord[j], pivot));
      if (j < i) break;
      std::swap(ord[i], ord[j]);
    }
    std::swap(ord[L], ord[j]);
    if (j <= k) L = i;
    if (j >= k) R = j - 1;
  }
}

// Sort: std::sort; StableSort: equal values by position; TopK: partial_sort for small k,
// else nth_element (+ sort of the first k - 1 when sorted); Kth: quickselect; Median: the lower
// median, or the first NaN when the row has one; NanMedian: the lower median of the non-NaN values,
// or a NaN when there are none.
enum class Pick { Sort, StableSort, TopK, TopKUnsorted, Kth, Median, NanMedian };

// Row layout [R, n] -> indices [R, k] (the sorts and TopK: the first k in order) or [R, 1]
// (Kth: the k-th smallest; Median).
Tensor row_indices(const Tensor& x, int64_t d, int64_t k, bool desc, Pick pick) {
  DType cd = compute_dtype(x->dtype);  // widening keeps the order (and NaNs) exactly
  Tensor rows = rows_of(x, d, cd);
  int64_t n = x->shape[d];
  int64_t R = n == 0 ? shape_numel(Shape(rows->shape.begin(), rows->shape.end() - 1)) : rows->numel() / n;
  int64_t width = pick == Pick::Median || pick == Pick::NanMedian || pick == Pick::Kth ? 1 : k;
  Shape out_shape(rows->shape.begin(), rows->shape.end() - 1);
  out_shape.push_back(width);
  Tensor idx = empty(out_shape, DType::Int64);
  int64_t* ip = idx->data<int64_t>();
  dispatch_dtype(cd, [&](auto z) {
    using T = decltype(z);
    const T* xp = rows->data<T>();
    parallel_for(R, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<int64_t> order(n);
      for (int64_t r = b; r < e; ++r) {
        std::iota(order.begin(), order.end(), 0);
        ByValue<T> by{xp + r * n, desc};
        auto first = order.begin();
        switch (pick) {
          case Pick::Sort: std::sort(first, order.end(), by); break;
          case Pick::StableSort: std::sort(first, order.end(), Before<T>{xp + r * n, desc}); break;
          case Pick::TopK:
          case Pick::TopKUnsorted:
            if (k == 0) break;
            if (k * 64 <= n) {
              std::partial_sort(first, first + k, order.end(), by);
            } else {
              std::nth_element(first, first + k - 1, order.end(), by);
              if (pick == Pick::TopK) std::sort(first, first + k - 1, by);
            }
            break;
          case Pick::Kth:
            quick_select(order, k - 1, ByValue<T>{xp + r * n, true});
            ip[r] = order[k - 1];
            continue;
          case Pick::Median:
          case Pick::NanMedian: {
            int64_t nans = 0;
            for (int64_t i = 0; i < n; ++i) nans += xp[r * n + i] != xp[r * n + i];
            int64_t pos = pick == Pick::NanMedian ? (n - nans - 1) / 2   // (-1) / 2 == 0: all NaN
                          : nans                  ? n - nans             // the first NaN
                                                  : (n - 1) / 2;
            if (pick == Pick::Median) {
              std::nth_element(first, first + pos, order.end(), Before<T>{xp + r * n, false});
            } else {  // torch's comparator: NaNs last and all equivalent, so for an all-NaN row
                      // nth_element's own permutation picks the NaN, as in torch's CPU kernel
              const T* row = xp + r * n;
              std::nth_element(first, first + pos, order.end(), [row](int64_t a, int64_t b) {
                return row[a] < row[b] || (row[b] != row[b] && row[a] == row[a]) || (row[a] == row[b] && a < b);
              });
            }
            ip[r] = order[pos];
            continue;
          }
        }
        std::copy(first, first + k, ip + r * k);
      }
    });
  });
  return from_rows(idx, x->dim(), d);
}

Tensor scatter_add_along(const Tensor& g, const Tensor& idx, int64_t d, const Shape& shape);

// out = x gathered along d at idx (idx has x's shape except along d). Backward: scatter-add.
Tensor take_along(const Tensor& x, const Tensor& idx, int64_t d) {
  Tensor xr = rows_of(x, d, x->dtype), ir = rows_of(idx, d, DType::Int64);
  int64_t n = x->shape[d], k = idx->shape[d];
  Tensor out = empty(ir->shape, x->dtype);
  int64_t R = k == 0 ? 0 : ir->numel() / k;
  dispatch_all(x->dtype, [&](auto z) {
    using T = decltype(z);
    const T* xp = xr->data<T>();
    const int64_t* ip = ir->data<int64_t>();
    T* op = out->data<T>();
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < k; ++j) op[r * k + j] = xp[r * n + ip[r * k + j]];
  });
  Tensor result = from_rows(out, x->dim(), d);
  record("GatherBackward0", {x}, {result}, [&] {
    return [idx, d, shape = x->shape](const Grads& g) -> Grads { return {scatter_add_along(g[0], idx, d, shape)}; };
  });
  return result;
}

// zeros(shape) with g added at idx along d (the adjoint of take_along). Backward: gather.
Tensor scatter_add_along(const Tensor& g, const Tensor& idx, int64_t d, const Shape& shape) {
  Tensor gr = rows_of(g, d, g->dtype), ir = rows_of(idx, d, DType::Int64);
  int64_t n = shape[d], k = idx->shape[d];
  Shape rshape = gr->shape;
  rshape.back() = n;
  Tensor out = zeros(rshape, g->dtype);
  int64_t R = k == 0 ? 0 : ir->numel() / k;
  dispatch_all(g->dtype, [&](auto z) {
    using T = decltype(z);
    const T* gp = gr->data<T>();
    const int64_t* ip = ir->data<int64_t>();
    T* op = out->data<T>();
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < k; ++j) {
        T& o = op[r * n + ip[r * k + j]];
        o = static_cast<T>(widen(o) + widen(gp[r * k + j]));
      }
  });
  Tensor result = from_rows(out, static_cast<int64_t>(shape.size()), d);
  record("ScatterAddBackward0", {g}, {result}, [&] {
    return [idx, d](const Grads& gg) -> Grads { return {take_along(gg[0], idx, d)}; };
  });
  return result;
}

// Runs f on x viewed as 1-D when x is 0-d (torch treats a 0-d tensor as one element along dim 0).
template <typename F>
std::pair<Tensor, Tensor> on_1d(const Tensor& x, F f) {
  if (x->dim() > 0) return f(x);
  auto [v, i] = f(reshape(x, {1}));
  return {reshape(v, {}), i ? reshape(i, {}) : i};
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  int64_t d = wrap_dim(dim, x->dim(), "sort");
  return on_1d(x, [&](const Tensor& t) -> std::pair<Tensor, Tensor> {
    Tensor idx = row_indices(t, d, t->shape[d], descending, stable ? Pick::StableSort : Pick::Sort);
    return {take_along(t, idx, d), idx};
  });
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  return sort(detach(x), dim, descending, stable).second;
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  int64_t d = wrap_dim(dim, x->dim(), "topk");
  int64_t n = x->dim() == 0 ? 1 : x->shape[d];
  TG_CHECK(k >= 0 && k <= n, RuntimeError, "topk: selected index k out of range (k = ", k, ", dim ", d,
           " of input shape ", shape_str(x->shape), " has size ", n, ")");
  if (x->dim() == 0) k = 1;  // torch returns the element itself for k = 0 too
  return on_1d(x, [&](const Tensor& t) -> std::pair<Tensor, Tensor> {
    Tensor idx = row_indices(t, d, k, largest, sorted ? Pick::TopK : Pick::TopKUnsorted);
    return {take_along(t, idx, d), idx};
  });
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x->dim(), "kthvalue");
  int64_t n = x->dim() == 0 ? 1 : x->shape[d];
  TG_CHECK(k >= 1 && k <= n, RuntimeError, "kthvalue(): selected number k out of range for dimension ", d,
           " (k = ", k, ", input shape ", shape_str(x->shape), ")");
  return on_1d(x, [&](const Tensor& t) -> std::pair<Tensor, Tensor> {
    Tensor idx = row_indices(t, d, k, false, Pick::Kth);
    Tensor v = take_along(t, idx, d);
    if (!keepdim) return {squeeze(v, d), squeeze(idx, d)};
    return {v, idx};
  });
}

namespace {
std::pair<Tensor, Tensor> median_along(const Tensor& x, int64_t dim, bool keepdim, bool ignore_nan) {
  const char* op = ignore_nan ? "nanmedian" : "median";
  int64_t d = wrap_dim(dim, x->dim(), op);
  TG_CHECK(x->dim() == 0 || x->shape[d] > 0, IndexError, op, "(): Expected reduction dim ", d,
           " to have non-zero size (input shape ", shape_str(x->shape), ")");
  return on_1d(x, [&](const Tensor& t) -> std::pair<Tensor, Tensor> {
    Tensor idx = row_indices(t, d, 1, false, ignore_nan ? Pick::NanMedian : Pick::Median);
    Tensor v = take_along(t, idx, d);
    if (!keepdim) return {squeeze(v, d), squeeze(idx, d)};
    return {v, idx};
  });
}

// median of all elements (lower median; NaN if any, or if all are NaN for nanmedian). Like torch,
// the gradient is shared evenly by the elements equal to the result (the NaNs, when it is NaN).
Tensor median_of_all(const Tensor& x, bool ignore_nan) {
  if (x->numel() == 0) return full({}, Scalar(NAN), x->dtype);
  Tensor out;
  {
    GradModeGuard off(false);
    out = median_along(reshape(x, {-1}), 0, false, ignore_nan).first;
  }
  record(ignore_nan ? "NanmedianBackward0" : "MedianBackward0", {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out)](const Grads& g) -> Grads {
      Tensor xv = detach(sx.get()), m = detach(so.get());
      Tensor hit = is_floating(m->dtype) && std::isnan(*contiguous(to_dtype(m, DType::Float64))->data<double>())
                       ? isnan(xv) : compare(BinaryOp::Eq, xv, m);
      Tensor w = to_dtype(hit, g[0]->dtype);
      return {div(mul(g[0], w), sum(w, {}, false))};
    };
  });
  return out;
}
}  // namespace

std::pair<Tensor, Tensor> median_dim(const Tensor& x, int64_t dim, bool keepdim) { return median_along(x, dim, keepdim, false); }
std::pair<Tensor, Tensor> nanmedian_dim(const Tensor& x, int64_t dim, bool keepdim) { return median_along(x, dim, keepdim, true); }
Tensor median_all(const Tensor& x) { return median_of_all(x, false); }
Tensor nanmedian_all(const Tensor& x) { return median_of_all(x, true); }

}  // namespace tg

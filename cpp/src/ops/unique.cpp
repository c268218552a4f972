// unique / unique_consecutive (of elements, or of slices along a dim) and isin. No gradients, as
// torch. Values compare as torch sorts them: NaN after every number, and no two NaNs equal.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tg/ops_index.h"

namespace tg {

namespace {

template <typename T>
auto as_number(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return static_cast<float>(v);
  else return v;
}

template <typename V>
bool is_nan(V v) {
  if constexpr (std::is_floating_point_v<V>) return std::isnan(v);
  else return false;
}

// -1, 0 or 1: a before, equal to, or after b in sorted order (NaN last; NaNs never equal).
template <typename T>
int order(T x, T y) {
  auto a = as_number(x), b = as_number(y);
  if (is_nan(a) || is_nan(b)) return is_nan(a) && !is_nan(b) ? 1 : -1;
  return a < b ? -1 : b < a ? 1 : 0;
}

// Groups the n rows of `len` elements of the contiguous `data` (sorted first unless consecutive):
// first[g] is a row of group g, inverse[r] the group of row r, counts[g] the group's size.
template <typename T>
void group_rows(const T* data, int64_t n, int64_t len, bool consecutive, std::vector<int64_t>& first,
                std::vector<int64_t>& inverse, std::vector<int64_t>& counts) {
  auto cmp = [&](int64_t r, int64_t s) {
    for (int64_t k = 0; k < len; ++k)
      if (int c = order(data[r * len + k], data[s * len + k])) return c;
    return 0;
  };
  std::vector<int64_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (!consecutive) std::stable_sort(rows.begin(), rows.end(), [&](int64_t r, int64_t s) { return cmp(r, s) < 0; });
  inverse.assign(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (i == 0 || cmp(rows[i - 1], rows[i]) != 0) {
      first.push_back(rows[i]);
      counts.push_back(0);
    }
    inverse[rows[i]] = static_cast<int64_t>(first.size()) - 1;
    ++counts.back();
  }
}

Tensor long_tensor(const std::vector<int64_t>& v, const Shape& shape) {
  Tensor out = empty(shape, DType::Int64);
  std::copy(v.begin(), v.end(), out->data<int64_t>());
  return out;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> unique_impl(const Tensor& self, std::optional<int64_t> dim, bool consecutive) {
  GradModeGuard off(false);
  Tensor x = detach(self);
  int64_t d = 0;
  if (dim) {
    d = wrap_dim(*dim, std::max<int64_t>(x->dim(), 1), consecutive ? "unique_consecutive" : "unique");
    if (x->dim() == 0) x = reshape(x, {1});
  } else {
    x = reshape(x, {-1});
  }
  // Rows are the slices along d, laid out one after another.
  Tensor rows = contiguous(movedim(x, {d}, {0}));
  int64_t n = x->shape[d], len = n == 0 ? 0 : rows->numel() / n;
  std::vector<int64_t> first, inverse, counts;
  dispatch_all(rows->dtype, [&](auto z) {
    using T = decltype(z);
    group_rows(rows->data<T>(), n, len, consecutive, first, inverse, counts);
  });
  int64_t groups = static_cast<int64_t>(first.size());
  Tensor values = index_select(x, d, long_tensor(first, {groups}));
  Shape inv_shape = dim ? Shape{n} : self->shape;
  return {values, long_tensor(inverse, inv_shape), long_tensor(counts, {groups})};
}

Tensor isin(const Tensor& elements, const Tensor& test, bool invert) {
  check_same_device("isin", elements, test);
  DType dt = promote(elements->dtype, test->dtype);
  Tensor e = contiguous(cast_for_kernel(detach(elements), dt)), t = contiguous(cast_for_kernel(detach(test), dt));
  Tensor out = empty(elements->shape, DType::Bool);
  dispatch_all(dt, [&](auto z) {
    using T = decltype(z);
    using S = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;  // no std::vector<bool>
    const S* tp = reinterpret_cast<const S*>(t->data<T>());
    std::vector<S> sorted(tp, tp + t->numel());
    auto before = [](S a, S b) { return order(a, b) < 0; };
    std::sort(sorted.begin(), sorted.end(), before);
    const S* ep = reinterpret_cast<const S*>(e->data<T>());
    bool* o = out->data<bool>();
    for (int64_t i = 0, n = e->numel(); i < n; ++i) {
      auto it = std::lower_bound(sorted.begin(), sorted.end(), ep[i], before);
      bool found = it != sorted.end() && order(*it, ep[i]) == 0;
      o[i] = found != invert;
    }
  });
  return out;
}

}  // namespace tg

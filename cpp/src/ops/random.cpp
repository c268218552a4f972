// Random tensors and in-place random fills, all drawn from a Generator.
#include <cmath>
#include <numeric>

#include "ops/random_util.h"

namespace tg {

Generator& default_generator() {
  static Generator g;
  return g;
}

using rnd::pick;
using rnd::uniform01;

void uniform_(const Tensor& t, double low, double high, Generator* gen) {
  TG_CHECK(low <= high, RuntimeError, "uniform_: expects to return a [from, to) range, but found from=",
           low, " > to=", high);
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  rnd::fill_with(t, "uniform_", false, [&] {
    double v = low + (high - low) * uniform01(g.engine);
    return v;
  });
}

void normal_(const Tensor& t, double mean, double std, Generator* gen) {
  TG_CHECK(std >= 0, RuntimeError, "normal_: expects std >= 0.0, but found std ", std);
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  rnd::NormalSampler s{g.engine};
  rnd::fill_with(t, "normal_", false, [&] { return mean + std * s(); });
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
  Tensor t = empty(shape, dtype);
  uniform_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  Tensor t = empty(shape, dtype);
  normal_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
  TG_CHECK(low < high, RuntimeError, "random_ expects 'from' to be less than 'to', but got from=",
           low, " >= to=", high);
  Tensor t = empty(shape, dtype);
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  std::uniform_int_distribution<int64_t> dist(low, high - 1);
  rnd::fill_with(t, "randint", true, [&] { return dist(g.engine); });
  return t;
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
  TG_CHECK(n >= 0, RuntimeError, "randperm: n must be non-negative, got ", n);
  Tensor t = empty({n}, dtype);  // first, so an impossible n raises MemoryError
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  {
    Generator& g = pick(gen);
    std::lock_guard<std::mutex> lock(g.mutex);
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
      std::uniform_int_distribution<int64_t> dist(0, i);
      std::swap(perm[i], perm[dist(g.engine)]);
    }
  }
  dispatch_dtype(dtype, [&](auto z) {
    using T = decltype(z);
    T* p = t->data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(perm[i]);
  });
  return t;
}

}  // namespace tg

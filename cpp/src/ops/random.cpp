// Random tensors and in-place random fills, all drawn from a Generator.
#include <cmath>
#include <numeric>

#include "tg/generator.h"
#include "tg/ops.h"

namespace tg {

Generator& default_generator() {
  static Generator g;
  return g;
}

namespace {
Generator& pick(Generator* g) { return g ? *g : default_generator(); }

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& e) { return static_cast<double>(e() >> 11) * 0x1.0p-53; }

template <typename F>
void fill_floating(const Tensor& t, const char* op, F draw) {
  Tensor dst = t->is_contiguous() ? t : empty(t->shape, t->dtype);
  int64_t n = dst->numel();
  dispatch_floating(t->dtype, op, [&](auto z) {
    using T = decltype(z);
    T* p = dst->data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(draw());
  });
  if (dst != t) copy_into(t, dst);
}

// Standard normal draws by the Box-Muller transform, two at a time.
struct NormalSampler {
  std::mt19937_64& e;
  bool has_spare = false;
  double spare = 0;
  double operator()() {
    if (has_spare) {
      has_spare = false;
      return spare;
    }
    double u1 = 1.0 - uniform01(e), u2 = uniform01(e);  // u1 in (0, 1]
    double r = std::sqrt(-2.0 * std::log(u1));
    spare = r * std::sin(2.0 * M_PI * u2);
    has_spare = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
};
}  // namespace

void uniform_(const Tensor& t, double low, double high, Generator* gen) {
  TG_CHECK(low <= high, RuntimeError, "uniform_: expects to return a [from, to) range, but found from=",
           low, " > to=", high);
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  fill_floating(t, "uniform_", [&] {
    double v = low + (high - low) * uniform01(g.engine);
    return v;
  });
}

void normal_(const Tensor& t, double mean, double std, Generator* gen) {
  TG_CHECK(std >= 0, RuntimeError, "normal_: expects std >= 0.0, but found std ", std);
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  NormalSampler s{g.engine};
  fill_floating(t, "normal_", [&] { return mean + std * s(); });
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
  int64_t n = t->numel();
  dispatch_dtype(dtype, [&](auto z) {
    using T = decltype(z);
    T* p = t->data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(dist(g.engine));
  });
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

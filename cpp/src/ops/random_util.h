// Helpers shared by the random ops (random.cpp, random_extra.cpp): the generator to draw from,
// uniform and normal draws, and filling a tensor of any dtype from a scalar sampler.
#pragma once
#include <cmath>
#include <random>

#include "tg/generator.h"
#include "tg/ops.h"

namespace tg::rnd {

inline Generator& pick(Generator* g) { return g ? *g : default_generator(); }

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& e) { return static_cast<double>(e() >> 11) * 0x1.0p-53; }

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

// Fills t, element by element in memory order, with draw() converted to t's dtype. Dtypes without
// kernels (float16, bfloat16, the narrow integers) are drawn into a float32 / int64 buffer and
// rounded once; integer and bool dtypes raise NotImplementedError unless `ints_ok`.
template <typename F>
void fill_with(const Tensor& t, const char* op, bool ints_ok, F draw) {
  if (!ints_ok && !is_floating(t->dtype)) throw_not_implemented(op, t->dtype);
  DType buffer_dtype = compute_dtype(t->dtype);
  Tensor dst = t->is_contiguous() && buffer_dtype == t->dtype ? t : empty(t->shape, buffer_dtype);
  int64_t n = dst->numel();
  dispatch_dtype(buffer_dtype, [&](auto z) {
    using T = decltype(z);
    T* p = dst->data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(draw());
  });
  if (dst != t) copy_into(t, dst);
}

}  // namespace tg::rnd

// More random ops, all drawn from a Generator (tg.manual_seed seeds the default one): the in-place
// fills exponential_, geometric_, cauchy_, log_normal_, random_ and bernoulli_, and bernoulli and
// multinomial, with torch's argument checks and messages. Each distribution is sampled by
// inverting its CDF at a uniform draw u in [0, 1) (log-normal from a normal draw).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/random_util.h"
#include "tg/ops_random_extra.h"

namespace tg {

using rnd::pick;
using rnd::uniform01;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Runs fill(engine) under the generator's lock.
template <typename Fill>
void with_engine(Generator* gen, Fill fill) {
  Generator& g = pick(gen);
  std::lock_guard<std::mutex> lock(g.mutex);
  fill(g.engine);
}

// The largest integer a dtype holds with every smaller one (2^digits for floats), which bounds
// random_'s default range.
int64_t dtype_max_integer(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::UInt8: return std::numeric_limits<uint8_t>::max();
    case DType::Int8: return std::numeric_limits<int8_t>::max();
    case DType::Int16: return std::numeric_limits<int16_t>::max();
    case DType::Int32: return std::numeric_limits<int32_t>::max();
    case DType::Float16: return int64_t(1) << 11;
    case DType::BFloat16: return int64_t(1) << 8;
    case DType::Float32: return int64_t(1) << 24;
    case DType::Float64: return int64_t(1) << 53;
    default: return std::numeric_limits<int64_t>::max();
  }
}

}  // namespace

// x = -log(1 - u) / lambda
void exponential_(const Tensor& t, double lambd, Generator* gen) {
  TG_CHECK(lambd > 0, RuntimeError, "exponential_ expects lambda > 0.0, but found lambda=", lambd);
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::fill_with(t, "exponential_", false, [&] { return -std::log1p(-uniform01(e)) / lambd; });
  });
}

// The number of Bernoulli(p) trials up to the first success: ceil(log(1 - u) / log(1 - p)), at least 1.
void geometric_(const Tensor& t, double p, Generator* gen) {
  TG_CHECK(p > 0 && p < 1, RuntimeError, "geometric_ expects p to be in (0, 1), but got p=", p);
  double log_q = std::log1p(-p);
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::fill_with(t, "geometric_", true, [&] { return std::max(1.0, std::ceil(std::log1p(-uniform01(e)) / log_q)); });
  });
}

// x = median + sigma tan(pi (u - 1/2))
void cauchy_(const Tensor& t, double median, double sigma, Generator* gen) {
  TG_CHECK(sigma > 0, RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=", sigma);
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::fill_with(t, "cauchy_", false, [&] { return median + sigma * std::tan(kPi * (uniform01(e) - 0.5)); });
  });
}

// x = exp(mean + std z), z standard normal
void log_normal_(const Tensor& t, double mean, double std, Generator* gen) {
  TG_CHECK(std > 0, RuntimeError, "log_normal_ expects std > 0.0, but found std=", std);
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::NormalSampler z{e};
    rnd::fill_with(t, "log_normal_", false, [&] { return std::exp(mean + std * z()); });
  });
}

// Integers uniform in [from, to); without `to`, up to the dtype's largest exact integer (inclusive).
void random_(const Tensor& t, int64_t from, std::optional<int64_t> to, Generator* gen) {
  TG_CHECK(!to || from < *to, RuntimeError, "random_ expects 'from' to be less than 'to', but got from=", from,
           " >= to=", *to);
  int64_t last = to ? *to - 1 : dtype_max_integer(t->dtype);  // from < to, so to - 1 cannot overflow
  TG_CHECK(from <= last, RuntimeError, "random_ expects 'from' to be less than 'to', but got from=", from,
           " >= to=", last, " + 1");
  std::uniform_int_distribution<int64_t> dist(from, last);
  with_engine(gen, [&](std::mt19937_64& e) { rnd::fill_with(t, "random_", true, [&] { return dist(e); }); });
}

// 1 with probability p (a number in [0, 1]) else 0, in t's dtype.
void bernoulli_(const Tensor& t, double p, Generator* gen) {
  TG_CHECK(p >= 0 && p <= 1, RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::fill_with(t, "bernoulli_", true, [&] { return uniform01(e) < p ? 1.0 : 0.0; });
  });
}

// 1 where a uniform draw falls below the probability at that position (p broadcast to t's shape).
void bernoulli_(const Tensor& t, const Tensor& p, Generator* gen) {
  Tensor probs = contiguous(to_dtype(expand(p, t->shape), DType::Float64));
  const double* q = probs->data<double>();
  int64_t n = probs->numel();
  for (int64_t i = 0; i < n; ++i)
    TG_CHECK(q[i] >= 0 && q[i] <= 1, RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
  Tensor out = empty(t->shape, t->dtype);
  int64_t i = 0;
  with_engine(gen, [&](std::mt19937_64& e) {
    rnd::fill_with(out, "bernoulli_", true, [&] { return uniform01(e) < q[i++] ? 1.0 : 0.0; });
  });
  copy_into(t, out);
}

// A tensor like `probs` (float) of Bernoulli draws with those probabilities; its gradient is zero.
Tensor bernoulli(const Tensor& probs, Generator* gen) {
  if (!is_floating(probs->dtype)) throw_not_implemented("bernoulli_tensor_cpu_p_", probs->dtype);
  Tensor out = empty(probs->shape, probs->dtype);
  bernoulli_(out, probs, gen);
  record("BernoulliBackward0", {probs}, {out}, [&] {
    return [](const Grads& g) -> Grads { return {zeros(g[0]->shape, g[0]->dtype)}; };
  });
  return out;
}

// num_samples category indices per row of `probs` (1-D or 2-D, unnormalized non-negative weights):
// with replacement by binary search in the cumulative weights; without, by drawing sequentially
// and removing each drawn category's weight.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  TG_CHECK(probs->dim() == 1 || probs->dim() == 2, RuntimeError, "prob_dist must be 1 or 2 dim");
  TG_CHECK(is_floating(probs->dtype), RuntimeError, "multinomial only supports floating-point dtypes for input, got: ",
           scalar_type_name(probs->dtype));
  TG_CHECK(num_samples > 0, RuntimeError, "cannot sample n_sample <= 0 samples");
  int64_t categories = probs->shape.back();
  TG_CHECK(replacement || num_samples <= categories, RuntimeError,
           "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  TG_CHECK(categories <= (int64_t(1) << 24), RuntimeError, "number of categories cannot exceed 2^24");
  int64_t rows = probs->dim() == 2 ? probs->shape[0] : 1;
  Tensor w = contiguous(to_dtype(probs, DType::Float64));
  const double* weights = w->data<double>();
  for (int64_t i = 0; i < w->numel(); ++i)
    TG_CHECK(std::isfinite(weights[i]) && weights[i] >= 0, RuntimeError,
             "probability tensor contains either `inf`, `nan` or element < 0");
  Shape out_shape = probs->dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  Tensor out = empty(out_shape, DType::Int64);
  int64_t* idx = out->data<int64_t>();
  std::vector<double> cumulative(categories);
  with_engine(gen, [&](std::mt19937_64& e) {
    for (int64_t r = 0; r < rows; ++r) {
      const double* row = weights + r * categories;
      if (replacement) {
        double total = 0;
        for (int64_t c = 0; c < categories; ++c) cumulative[c] = total += row[c];
        TG_CHECK(total > 0, RuntimeError, "invalid multinomial distribution (sum of probabilities <= 0)");
        for (int64_t s = 0; s < num_samples; ++s) {
          double target = uniform01(e) * total;
          auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
          int64_t c = std::min<int64_t>(it - cumulative.begin(), categories - 1);
          while (row[c] == 0 && c > 0) --c;  // never a zero-weight category at the top edge
          idx[r * num_samples + s] = c;
        }
        continue;
      }
      std::vector<double> left(row, row + categories);
      std::vector<bool> taken(categories, false);
      double row_total = 0;
      for (double v : left) row_total += v;
      TG_CHECK(row_total > 0, RuntimeError, "invalid multinomial distribution (sum of probabilities <= 0)");
      for (int64_t s = 0; s < num_samples; ++s) {
        double total = 0;
        for (double v : left) total += v;
        int64_t c = 0;
        if (total > 0) {
          double target = uniform01(e) * total, acc = 0;
          int64_t last_positive = 0;
          for (; c < categories; ++c) {
            if (left[c] <= 0) continue;
            last_positive = c;
            acc += left[c];
            if (target < acc) break;
          }
          if (c == categories) c = last_positive;  // rounding left the target at the top edge
        } else {  // only zero weights are left: any category not drawn yet, uniformly
          int64_t k = std::uniform_int_distribution<int64_t>(0, categories - s - 1)(e);
          for (c = 0; c < categories; ++c) {
            if (taken[c]) continue;
            if (k == 0) break;
            --k;
          }
        }
        taken[c] = true;
        idx[r * num_samples + s] = c;
        left[c] = 0;
      }
    }
  });
  return out;
}

}  // namespace tg

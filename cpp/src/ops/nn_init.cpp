// Initialisation kernels that need special functions: truncated normal by the inverse CDF.
#include <cmath>

#include "tg/nn.h"

namespace tg::nn {
namespace {

double normal_cdf(double x) { return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); }

// erfinv: Giles' single-precision polynomial ("Approximating the erfinv function", 2010) as a start,
// refined by two Newton steps on erf(x) - y (erf'(x) = 2/sqrt(pi) exp(-x^2)).
double erfinv(double y) {
  if (y <= -1.0) return -INFINITY;
  if (y >= 1.0) return INFINITY;
  double w = -std::log((1.0 - y) * (1.0 + y)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                     -0.00417768164, 0.246640727, 1.50140941})
      p = c + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                     0.00943887047, 1.00167406, 2.83297682})
      p = c + p * w;
  }
  double x = p * y;
  for (int i = 0; i < 2; ++i) x -= (std::erf(x) - y) / (1.1283791670955126 * std::exp(-x * x));
  return x;
}

}  // namespace

// Fills t with N(mean, std^2) truncated to [a, b]: u ~ U(2 cdf(alpha) - 1, 2 cdf(beta) - 1), then
// x = mean + std sqrt(2) erfinv(u), clamped to [a, b] against rounding.
void trunc_normal_(const Tensor& t, double mean, double std, double a, double b, Generator* gen) {
  TG_CHECK(is_floating(t->dtype), RuntimeError, "trunc_normal_: expected a floating-point tensor, got ",
           dtype_name(t->dtype));
  TG_CHECK(a < b && std > 0, ValueError, "trunc_normal_: need a < b and std > 0, got a=", a, ", b=", b,
           ", std=", std);
  double lo = 2.0 * normal_cdf((a - mean) / std) - 1.0, hi = 2.0 * normal_cdf((b - mean) / std) - 1.0;
  Tensor u = empty(t->shape, DType::Float64);
  uniform_(u, lo, hi, gen);
  double* d = u->data<double>();
  for (int64_t i = 0, n = u->numel(); i < n; ++i)
    d[i] = std::min(b, std::max(a, mean + std * std::sqrt(2.0) * erfinv(d[i])));
  copy_into(t, u);
}

}  // namespace tg::nn

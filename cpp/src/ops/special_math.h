// Scalar special functions (double precision) for the special-function ops: digamma, trigamma,
// the Hurwitz zeta function, erfinv and the modified Bessel functions I0/I1 (optionally scaled
// by e^-|x|). Written from the standard series, recurrences and reflection formulas.
#pragma once
#include <cmath>
#include <limits>

namespace tg::special {

constexpr double kPi = 3.14159265358979323846;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// psi(x) = d/dx log Gamma(x). psi(+-0) = -+inf and NaN at negative integers (torch's choice);
// x < 0 reflects: psi(x) = psi(1 - x) - pi / tan(pi x); then the recurrence psi(x) = psi(x + 1) - 1/x
// brings x above 10, where the asymptotic series ln x - 1/2x - sum B_2k / (2k x^2k) is exact to 1 ulp.
inline double digamma(double x) {
  if (x == 0) return std::copysign(kInf, -x);
  if (std::isnan(x) || x == -kInf) return kNaN;
  if (x < 0) {
    if (x == std::floor(x)) return kNaN;
    double r = std::fmod(x, 1.0);  // tan(pi x) from the fractional part keeps precision for large |x|
    return digamma(1 - x) - kPi / std::tan(kPi * r);
  }
  double acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  if (x == kInf) return kInf;
  double z = 1 / (x * x);
  // B2/2, B4/4, ..., B14/14
  double series = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 -
                  z * (691.0 / 32760 - z * (1.0 / 12)))))));
  return acc + std::log(x) - 0.5 / x - series;
}

// psi'(x), evaluated in T (float or double) as torch does, so float32 results match its rounding:
// below 1/2 the reflection psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x) with sin(pi x) taken in T (so a
// negative integer gives a huge finite value, as torch, not inf); then six steps of the recurrence
// psi1(x) = psi1(x + 1) + 1/x^2 and the asymptotic series 1/x + 1/2x^2 + sum B_2k / x^(2k+1).
template <typename T>
T trigamma(T x) {
  const T pi = static_cast<T>(kPi);
  T sign = 1, acc = 0;
  if (x < T(0.5)) {
    T s = std::sin(pi * x);
    acc -= pi * pi / (s * s);
    sign = -1;
    x = 1 - x;
  }
  for (int i = 0; i < 6; ++i) {
    acc += 1 / (x * x);
    x += 1;
  }
  T z = 1 / (x * x);
  acc += (1 + 1 / (2 * x) + z * (T(1) / 6 - z * (T(1) / 30 - z * (T(1) / 42)))) / x;
  return sign * acc;
}

// Hurwitz zeta(s, q) = sum_k (q + k)^-s for s > 1, by Euler-Maclaurin: the first terms summed
// directly until q + k > 9, the rest as the integral plus Bernoulli corrections
// (q+N)^(1-s)/(s-1) + (q+N)^-s/2 + sum_j B_2j/(2j)! s(s+1)...(s+2j-2) (q+N)^(-s-2j+1).
// q <= 0: inf at non-positive integers, NaN for non-integer s (q^-s undefined), as cephes/torch.
inline double zeta(double s, double q) {
  if (std::isnan(s) || std::isnan(q)) return kNaN;
  if (s == 1) return kInf;
  if (s < 1) return kNaN;
  if (q <= 0) {
    if (q == std::floor(q)) return kInf;
    if (s != std::floor(s)) return kNaN;
  }
  if (s == kInf || q == kInf) return kNaN;  // as torch (cephes)
  static const double b2j_over_fact[] = {  // B_2j / (2j)!, j = 1..12
      8.3333333333333333e-02, -1.3888888888888889e-03, 3.3068783068783069e-05, -8.2671957671957672e-07,
      2.0876756987868100e-08, -5.2841901386874932e-10, 1.3382536530684679e-11, -3.3896802963225827e-13,
      8.5860620562778446e-15, -2.1748686985580620e-16, 5.5090028283602295e-18, -1.3954464685812522e-19};
  double sum = 0, a = q;
  int i = 0;
  while (i < 9 || a <= 9) {
    double t = std::pow(a, -s);
    sum += t;
    if (std::fabs(t) < 1e-17 * std::fabs(sum)) return sum;
    a += 1;
    ++i;
  }
  sum += std::pow(a, 1 - s) / (s - 1) + 0.5 * std::pow(a, -s);
  double rising = s, apow = std::pow(a, -s - 1);  // s(s+1)...(s+2j-2) and a^(-s-2j+1)
  for (int j = 0; j < 12; ++j) {
    double t = b2j_over_fact[j] * rising * apow;
    sum += t;
    if (std::fabs(t) < 1e-17 * std::fabs(sum)) break;
    rising *= (s + 2 * j + 1) * (s + 2 * j + 2);
    apow /= a * a;
  }
  return sum;
}

// psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 2; digamma and trigamma below.
inline double polygamma(int64_t n, double x) {
  if (n == 0) return digamma(x);
  if (n == 1) return trigamma(x);
  double fact = std::tgamma(static_cast<double>(n) + 1);
  return (n % 2 ? 1 : -1) * fact * zeta(static_cast<double>(n) + 1, x);
}

// erf^-1(y): a closed-form first guess (Winitzki's approximation, relative error ~2e-3), then
// Newton steps on erf(x) - y with erf'(x) = 2/sqrt(pi) e^(-x^2) until the step stops mattering.
inline double erfinv(double y) {
  if (std::isnan(y) || y < -1 || y > 1) return kNaN;
  if (y == 1 || y == -1) return std::copysign(kInf, y);
  if (y == 0) return y;
  constexpr double a = 0.147;
  double l = std::log1p(-y * y);
  double t = 2 / (kPi * a) + l / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - l / a) - t), y);
  for (int k = 0; k < 6; ++k) {
    double step = (std::erf(x) - y) / (1.1283791670955126 * std::exp(-x * x));
    // near |y| = 1, erf(x) - y cancels; erfc gives the residual accurately there
    if (std::fabs(y) > 0.9) step = (std::copysign(1.0, y) * (std::erfc(std::fabs(x)) - (1 - std::fabs(y)))) /
                                   (-1.1283791670955126 * std::exp(-x * x));
    x -= step;
    if (std::fabs(step) <= 1e-16 * std::fabs(x)) break;
  }
  return x;
}

// I_nu(x) for nu in {0, 1}, times e^-|x| when `scaled`. |x| <= 30: the power series
// sum (x/2)^(2k+nu) / (k! (k+nu)!) (all terms positive, no cancellation). Beyond: the asymptotic
// series e^x / sqrt(2 pi x) sum_k (-1)^k prod_{j<=k} (mu - (2j-1)^2) / (k! (8x)^k), mu = 4 nu^2,
// summed while its terms shrink (they reach ~e^-2x, far below double precision at x > 30).
inline double bessel_i(int nu, double x, bool scaled) {
  if (std::isnan(x)) return kNaN;
  double ax = std::fabs(x);
  double odd_sign = (nu == 1 && x < 0) ? -1 : 1;
  if (ax <= 30) {
    double h = ax / 2, term = nu == 1 ? h : 1, sum = term;
    for (int k = 1; k < 200; ++k) {
      term *= h * h / (k * (k + nu));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return odd_sign * (scaled ? sum * std::exp(-ax) : sum);
  }
  if (ax == kInf) return scaled ? odd_sign * 0.0 : kNaN;  // NaN unscaled, as torch
  double mu = 4.0 * nu * nu, term = 1, sum = 1;
  for (int k = 1; k < 60; ++k) {
    double next = -term * (mu - (2 * k - 1) * (2 * k - 1)) / (k * 8 * ax);
    if (std::fabs(next) >= std::fabs(term)) break;
    term = next;
    sum += term;
  }
  double r = sum / std::sqrt(2 * kPi * ax);
  if (!scaled) {  // e^x may overflow before the product does not: split it
    double e = std::exp(ax / 2);
    r = r * e * e;
  }
  return odd_sign * r;
}

}  // namespace tg::special

// Scalar Bessel-family functions in double precision: J0, J1, Y0, Y1, K0, K1 (optionally scaled by
// e^x), the Airy function Ai and the spherical j0. Written from the power series (DLMF 10.2, 10.8,
// 10.25, 10.31, 9.4), Hankel's asymptotic expansions (DLMF 10.17, 9.7) and the integral
// K_nu(x) = int_0^inf e^(-x cosh t) cosh(nu t) dt (DLMF 10.32.9), summed by the trapezoid rule.
#pragma once
#include <cmath>

#include "ops/special_math.h"

namespace tg::special {

constexpr double kEulerGamma = 0.57721566490153286061;

// J_nu(x) (nu = 0, 1) by its power series sum (-1)^k (x/2)^(2k+nu) / (k! (k+nu)!); with `y_terms`,
// the companion series sum (-1)^k (psi(k+1) + psi(k+nu+1)) (x/2)^(2k+nu) / (k! (k+nu)!) that the
// series of Y_nu needs. Used for |x| < 12, where the largest term stays below ~5e3.
struct BesselSeries {
  double j = 0, psi_sum = 0;
};
inline BesselSeries bessel_j_series(int nu, double x) {
  double h = x / 2, term = nu == 1 ? h : 1;
  double psi_k = -kEulerGamma, psi_k_nu = nu == 1 ? 1 - kEulerGamma : -kEulerGamma;  // psi(k+1), psi(k+nu+1)
  BesselSeries s;
  for (int k = 0; k < 200; ++k) {
    s.j += term;
    s.psi_sum += (psi_k + psi_k_nu) * term;
    if (std::fabs(term) < 1e-18 * std::fabs(s.j) && k > 2) break;
    term *= -h * h / ((k + 1.0) * (k + 1.0 + nu));
    psi_k += 1.0 / (k + 1);
    psi_k_nu += 1.0 / (k + 1 + nu);
  }
  return s;
}

// Hankel's expansion for x >= 12: J_nu = sqrt(2/(pi x)) (P cos chi - Q sin chi),
// Y_nu = sqrt(2/(pi x)) (P sin chi + Q cos chi), chi = x - (nu/2 + 1/4) pi, with
// P = sum (-1)^k a_2k / x^2k, Q = sum (-1)^k a_(2k+1) / x^(2k+1),
// a_k = (mu - 1)(mu - 9)...(mu - (2k-1)^2) / (k! 8^k), mu = 4 nu^2. Terms shrink until k ~ 2x,
// where they are ~e^-2x (below 1e-10 at x = 12).
inline void bessel_hankel(int nu, double x, double* j, double* y) {
  double mu = 4.0 * nu * nu, p = 0, q = 0, a = 1, last = 2;
  for (int k = 0; k < 60; ++k) {
    double t = (k % 4 < 2 ? 1 : -1) * a;  // sign (-1)^(k/2) for both series
    if (std::fabs(a) > last) break;
    (k % 2 == 0 ? p : q) += t;
    last = std::fabs(a);
    if (last < 1e-17) break;
    a *= (mu - (2.0 * k + 1) * (2.0 * k + 1)) / ((k + 1.0) * 8 * x);
  }
  double c = std::cos(x), s = std::sin(x), r = std::sqrt(2 / (kPi * x)) * 0.70710678118654752440;
  // cos/sin(x - pi/4) and cos/sin(x - 3 pi/4) from cos x, sin x (exact angle shifts)
  double cos_chi = nu == 0 ? c + s : s - c, sin_chi = nu == 0 ? s - c : -s - c;
  if (j) *j = r * (p * cos_chi - q * sin_chi);
  if (y) *y = r * (p * sin_chi + q * cos_chi);
}

// J0 is even, J1 odd; NaN at +-inf (as torch, though both tend to 0).
inline double bessel_j(int nu, double x) {
  double ax = std::fabs(x), sign = (nu == 1 && x < 0) ? -1 : 1;
  if (std::isnan(x) || ax == kInf) return kNaN;
  if (ax < 12) return sign * bessel_j_series(nu, ax).j;
  double j;
  bessel_hankel(nu, ax, &j, nullptr);
  return sign * j;
}

// Y0 = (2/pi) ln(x/2) J0 - (1/pi) sum_psi; Y1 = -2/(pi x) + (2/pi) ln(x/2) J1 - (1/pi) sum_psi
// (DLMF 10.8.1). NaN for x < 0 and at inf (as torch), -inf at 0.
inline double bessel_y(int nu, double x) {
  if (std::isnan(x) || x < 0 || x == kInf) return kNaN;
  if (x == 0) return -kInf;
  if (x < 12) {
    BesselSeries s = bessel_j_series(nu, x);
    double y = (2 / kPi) * std::log(x / 2) * s.j - s.psi_sum / kPi;
    return nu == 1 ? y - 2 / (kPi * x) : y;
  }
  double y;
  bessel_hankel(nu, x, nullptr, &y);
  return y;
}

// e^x K_nu(x) = int_0^inf exp(-2x sinh^2(t/2)) cosh(nu t) dt for x > 0 and any real nu. The integrand
// is analytic in the strip |Im t| < pi/2 and decays doubly exponentially, so the trapezoid rule
// converges geometrically: a step of 0.2 (shrunk as 1/sqrt(x), the integrand's width, for large x)
// keeps the error near e^-40.
inline double scaled_bessel_k_integral(double nu, double x) {
  double h = 0.2 * std::fmin(1.0, std::sqrt(2.0 / x));
  double sum = 0.5;  // the t = 0 end point, weight 1/2
  for (int i = 1; i < 100000; ++i) {
    double t = i * h, sh = std::sinh(t / 2);
    double f = std::exp(-2 * x * sh * sh) * std::cosh(nu * t);
    sum += f;
    if (f < 1e-18 * sum) break;
  }
  return sum * h;
}

// K_nu(x) (nu = 0, 1), times e^x when `scaled`. x <= 2: the series (DLMF 10.31.1)
// K0 = -ln(x/2) I0 + sum psi(k+1) (x/2)^2k / k!^2,
// K1 = 1/x + ln(x/2) I1 - (1/2) sum (psi(k+1) + psi(k+2)) (x/2)^(2k+1) / (k! (k+1)!);
// beyond, the integral above. NaN for x < 0, inf at 0.
inline double bessel_k(int nu, double x, bool scaled) {
  if (std::isnan(x) || x < 0) return kNaN;
  if (x == 0) return kInf;
  if (x == kInf) return 0;
  if (x <= 2) {
    double h = x / 2, term = nu == 1 ? h : 1, sum = 0, psi_k = -kEulerGamma;
    double psi_k_nu = nu == 1 ? 1 - kEulerGamma : -kEulerGamma;
    for (int k = 0; k < 100; ++k) {
      sum += (psi_k + psi_k_nu) * term;
      if (term < 1e-18 * std::fabs(sum) && k > 2) break;
      term *= h * h / ((k + 1.0) * (k + 1.0 + nu));
      psi_k += 1.0 / (k + 1);
      psi_k_nu += 1.0 / (k + 1 + nu);
    }
    double k_value = nu == 0 ? -std::log(h) * bessel_i(0, x, false) + sum / 2
                             : 1 / x + std::log(h) * bessel_i(1, x, false) - sum / 2;
    return scaled ? k_value * std::exp(x) : k_value;
  }
  double s = scaled_bessel_k_integral(nu, x);
  return scaled ? s : s * std::exp(-x);
}

// Ai(x): for -8 < x < 2 the Maclaurin series Ai(0) f(x) + Ai'(0) g(x) (DLMF 9.4.1), where
// f = sum 3^k (1/3)_k x^3k / (3k)! and g = sum 3^k (2/3)_k x^(3k+1) / (3k+1)!; for x >= 2,
// Ai = sqrt(x/3) K_(1/3)(z) / pi with z = 2/3 x^(3/2) (DLMF 9.6.1); for x <= -8, the oscillating
// expansion (DLMF 9.7.9) Ai(-y) = (cos(z - pi/4) sum (-1)^k u_2k / z^2k
// + sin(z - pi/4) sum (-1)^k u_(2k+1) / z^(2k+1)) / (sqrt(pi) y^(1/4)). NaN at +-inf, as torch.
inline double airy_ai(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  if (x >= 2) {
    double z = 2.0 / 3 * x * std::sqrt(x);
    if (z > 745) return 0;
    return std::sqrt(x / 3) / kPi * scaled_bessel_k_integral(1.0 / 3, z) * std::exp(-z);
  }
  if (x > -8) {
    constexpr double kAi0 = 0.35502805388781723926, kAiPrime0 = -0.25881940379280679840;
    double x3 = x * x * x, tf = 1, tg = x, f = 0, g = 0;
    for (int k = 0; k < 200; ++k) {
      f += tf;
      g += tg;
      if (std::fabs(tf) + std::fabs(tg) < 1e-18 * (std::fabs(f) + std::fabs(g))) break;
      tf *= x3 / ((3.0 * k + 2) * (3.0 * k + 3));
      tg *= x3 / ((3.0 * k + 3) * (3.0 * k + 4));
    }
    return kAi0 * f + kAiPrime0 * g;
  }
  double y = -x, z = 2.0 / 3 * y * std::sqrt(y);
  // u_k = u_(k-1) (6k-5)(6k-3)(6k-1) / ((2k-1) 216 k)
  double u = 1, even = 0, odd = 0, zk = 1, last = kInf;
  for (int k = 0; k < 60; ++k) {
    double t = u / zk;
    if (t > last) break;
    last = t;
    double signed_t = (k % 4 < 2 ? 1 : -1) * t;
    (k % 2 == 0 ? even : odd) += signed_t;
    if (t < 1e-17) break;
    double k1 = k + 1.0;
    u *= (6 * k1 - 5) * (6 * k1 - 3) * (6 * k1 - 1) / ((2 * k1 - 1) * 216 * k1);
    zk *= z;
  }
  // cos(z - pi/4) and sin(z - pi/4) from cos z and sin z
  double c = std::cos(z), s = std::sin(z);
  double cos_shift = (c + s) * 0.70710678118654752440, sin_shift = (s - c) * 0.70710678118654752440;
  return (cos_shift * even + sin_shift * odd) / (std::sqrt(kPi) * std::sqrt(std::sqrt(y)));
}

// sin(x) / x, 1 at 0, 0 at +-inf.
inline double spherical_bessel_j0(double x) {
  if (std::isinf(x)) return 0;
  if (std::fabs(x) < 1e-4) return 1 - x * x / 6;  // next term x^4/120 is below double precision
  return std::sin(x) / x;
}

}  // namespace tg::special

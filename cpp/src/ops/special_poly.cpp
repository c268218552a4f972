// torch.special's orthogonal polynomials p_n(x): Chebyshev T, U, V, W and their shifted forms
// (x -> 2x - 1), Hermite H and He, Laguerre L and Legendre P. n is rounded towards zero to an integer
// and p_n = 0 for n < 0. Each is its three-term recurrence p_(k+1) = (a_k x + b_k) p_k - c_k p_(k-1)
// from p_0 = 1 and p_1, with torch's shortcuts: the values at x = +-1 and, for |x| < 1 and n above
// 6 (T) or 8 (U, V, W), the trigonometric closed forms in theta = acos x. Computed in the inputs'
// float dtype (integers and bools give float32); each step is one fused multiply-add a p_k - (c p_(k-1)),
// the rounding torch's vectorized build gives float32 results. torch gives them no derivative.
#include <cmath>
#include <cstdint>

#include "ops/bessel_math.h"
#include "ops/math_util.h"
#include "tg/ops_special_extra.h"

namespace tg {

namespace {

// Above this degree the Legendre and Laguerre recurrences (whose values stay finite) would run for
// seconds per element; there the Hilb-type asymptotic forms (Szego, Orthogonal Polynomials, 8.21.17
// and 8.22.4) take over, P_n(cos t) ~ sqrt(t / sin t) J0((n + 1/2) t) and
// L_n(x) ~ e^(x/2) J0(2 sqrt((n + 1/2) x)) (I0 for x < 0), whose errors shrink like n^(-3/4) or faster.
constexpr int64_t kLongDegree = int64_t(1) << 22;

// The degree as an integer; NaN gives -1 (a zero polynomial) and huge values saturate.
template <typename T>
int64_t degree(T n) {
  if (std::isnan(n)) return -1;
  if (n >= T(9.0e18)) return INT64_MAX;
  if (n <= T(-9.0e18)) return INT64_MIN;
  return static_cast<int64_t>(n);
}

// Runs p_(k+1) = step(k, p_(k-1), p_k) for k = 1 .. n-1 from p0, p1 and returns p_n (n >= 1); the
// loop stops once the value is no longer finite (it stays inf or NaN), so a huge n cannot hang.
template <typename T, typename Step>
T recurrence(int64_t n, T p0, T p1, Step step) {
  T p = p0, q = p1;
  for (int64_t k = 1; k < n; ++k) {
    T r = step(k, p, q);
    p = q;
    q = r;
    if (!std::isfinite(q)) break;
  }
  return q;
}

template <typename T>
T chebyshev_t(T x, int64_t n) {
  if (n < 0) return T(0);
  if (std::fabs(x) == T(1)) return (x > 0 || n % 2 == 0) ? T(1) : T(-1);
  if (n > 6 && std::fabs(x) < T(1)) return static_cast<T>(std::cos(n * std::acos(x)));
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x, [x](int64_t, T p, T q) { return std::fma(x + x, q, -p); });
}

template <typename T>
T chebyshev_u(T x, int64_t n) {
  if (n < 0) return T(0);
  if (std::fabs(x) == T(1)) return (x > 0 || n % 2 == 0) ? (T(n) + T(1)) : -(T(n) + T(1));
  if (n > 8 && std::fabs(x) < T(1)) {
    T theta = std::acos(x), s = std::sin(theta);
    if (s != T(0)) return std::sin((T(n) + T(1)) * theta) / s;
    return (T(n) + T(1)) * std::cos((T(n) + T(1)) * theta) / x;
  }
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x + x, [x](int64_t, T p, T q) { return std::fma(x + x, q, -p); });
}

template <typename T>
T chebyshev_v(T x, int64_t n) {
  if (n < 0) return T(0);
  if (std::fabs(x) == T(1)) {
    if (x > 0) return T(1);
    return n % 2 == 0 ? (T(2) * T(n) + T(1)) : -(T(2) * T(n) + T(1));
  }
  if (n > 8 && std::fabs(x) < T(1)) {
    T theta = std::acos(x);
    if (std::sin(theta / 2) != T(1)) return std::cos((n + T(0.5)) * theta) / std::cos(theta / 2);
    return n % 2 == 0 ? (T(2) * T(n) + T(1)) : -(T(2) * T(n) + T(1));
  }
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x + x - 1, [x](int64_t, T p, T q) { return std::fma(x + x, q, -p); });
}

template <typename T>
T chebyshev_w(T x, int64_t n) {
  if (n < 0) return T(0);
  if (std::fabs(x) == T(1)) {
    if (x > 0) return (T(2) * T(n) + T(1));
    return n % 2 == 0 ? T(1) : T(-1);
  }
  if (n > 8 && std::fabs(x) < T(1)) {
    T theta = std::acos(x);
    if (std::cos(theta / 2) != T(1)) return std::sin((n + T(0.5)) * theta) / std::sin(theta / 2);
    if (x > 0) return (T(2) * T(n) + T(1));
    return n % 2 == 0 ? T(1) : T(-1);
  }
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x + x + 1, [x](int64_t, T p, T q) { return std::fma(x + x, q, -p); });
}

// H_(k+1) = 2x H_k - 2k H_(k-1), H_1 = 2x (physicists'); He_(k+1) = x He_k - k He_(k-1), He_1 = x.
template <typename T>
T hermite_h(T x, int64_t n) {
  if (n < 0) return T(0);
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x + x, [x](int64_t k, T p, T q) { return std::fma(x + x, q, -(T(2 * k) * p)); });
}
template <typename T>
T hermite_he(T x, int64_t n) {
  if (n < 0) return T(0);
  if (n == 0) return T(1);
  return recurrence<T>(n, T(1), x, [x](int64_t k, T p, T q) { return std::fma(x, q, -(T(k) * p)); });
}

// (k+1) L_(k+1) = (2k + 1 - x) L_k - k L_(k-1), L_1 = 1 - x.
template <typename T>
T laguerre_l(T x, int64_t n) {
  if (n < 0) return T(0);
  if (x == T(0) || n == 0) return T(1);
  if (n > kLongDegree && std::isfinite(x)) {
    double v = static_cast<double>(x), z = 2 * std::sqrt((n + 0.5) * std::fabs(v));
    return static_cast<T>(std::exp(v / 2) * (v > 0 ? special::bessel_j(0, z) : special::bessel_i(0, z, false)));
  }
  return recurrence<T>(n, T(1), T(1) - x,
                       [x](int64_t k, T p, T q) { return std::fma(T(k + k) + (T(1) - x), q, -(T(k) * p)) / T(k + 1); });
}

// (k+1) P_(k+1) = (2k + 1) x P_k - k P_(k-1), P_1 = x.
template <typename T>
T legendre_p(T x, int64_t n) {
  if (n < 0) return T(0);
  if (std::fabs(x) == T(1)) return (x > 0 || n % 2 == 0) ? T(1) : T(-1);
  if (n == 0) return T(1);
  if (n > kLongDegree && std::fabs(x) < T(1)) {  // P_n(-x) = (-1)^n P_n(x)
    double t = std::acos(std::fabs(static_cast<double>(x)));
    double p = (t == 0 ? 1.0 : std::sqrt(t / std::sin(t))) * special::bessel_j(0, (n + 0.5) * t);
    return static_cast<T>(x < 0 && n % 2 ? -p : p);
  }
  return recurrence<T>(n, T(1), x, [x](int64_t k, T p, T q) { return std::fma(T(k + k + 1) * x, q, -(T(k) * p)) / T(k + 1); });
}

template <typename T>
T polynomial(Polynomial kind, T x, T n_value) {
  int64_t n = degree(n_value);
  T shifted = x + x - T(1);
  switch (kind) {
    case Polynomial::ChebyshevT: return chebyshev_t(x, n);
    case Polynomial::ChebyshevU: return chebyshev_u(x, n);
    case Polynomial::ChebyshevV: return chebyshev_v(x, n);
    case Polynomial::ChebyshevW: return chebyshev_w(x, n);
    case Polynomial::ShiftedChebyshevT: return chebyshev_t(shifted, n);
    case Polynomial::ShiftedChebyshevU: return chebyshev_u(shifted, n);
    case Polynomial::ShiftedChebyshevV: return chebyshev_v(shifted, n);
    case Polynomial::ShiftedChebyshevW: return chebyshev_w(shifted, n);
    case Polynomial::HermiteH: return hermite_h(x, n);
    case Polynomial::HermiteHe: return hermite_he(x, n);
    case Polynomial::LaguerreL: return laguerre_l(x, n);
    case Polynomial::LegendreP: return legendre_p(x, n);
  }
  return T(0);
}

}  // namespace

Tensor special_polynomial(Polynomial kind, const Tensor& x, const Tensor& n) {
  const char* op = "special_polynomial";
  DType out_dt = math::float_of(result_type(x, n)), dt = compute_dtype(out_dt);
  Tensor out = dispatch_floating(dt, op, [&](auto z) {
    using T = decltype(z);
    return math::map2_as<T>(x, n, dt, op, [kind](T a, T b) { return polynomial<T>(kind, a, b); });
  });
  return out_dt == dt ? out : cast_for_kernel(out, out_dt);
}

}  // namespace tg

// More elementwise math in torch's names: inverse hyperbolics, gamma-family and Bessel special
// functions, float tests, and the extra binary ops (cpp/src/ops/unary_special.cpp,
// cpp/src/ops/binary_extra.cpp).
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "tg/ops.h"

namespace tg {

// ---- unary (unary_special.cpp) ----
Tensor acosh(const Tensor& x);
Tensor asinh(const Tensor& x);
Tensor atanh(const Tensor& x);
Tensor erfc(const Tensor& x);
Tensor erfinv(const Tensor& x);
Tensor lgamma(const Tensor& x);
Tensor digamma(const Tensor& x);
Tensor polygamma(int64_t n, const Tensor& x);
Tensor mvlgamma(const Tensor& x, int64_t p);
Tensor i0(const Tensor& x);
Tensor special_i0e(const Tensor& x);
Tensor special_i1(const Tensor& x);
Tensor special_i1e(const Tensor& x);
Tensor sinc(const Tensor& x);
Tensor logit(const Tensor& x, std::optional<double> eps);
Tensor deg2rad(const Tensor& x);
Tensor rad2deg(const Tensor& x);
Tensor special_entr(const Tensor& x);
Tensor special_ndtr(const Tensor& x);
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf);
Tensor isposinf(const Tensor& x);
Tensor isneginf(const Tensor& x);
Tensor isreal(const Tensor& x);
Tensor signbit(const Tensor& x);

// ---- binary (binary_extra.cpp) ----
Tensor xlogy(const Tensor& a, const Tensor& b);
Tensor special_xlog1py(const Tensor& a, const Tensor& b);
Tensor special_zeta(const Tensor& x, const Tensor& q);
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor copysign(const Tensor& a, const Tensor& b);
Tensor nextafter(const Tensor& a, const Tensor& b);
Tensor ldexp(const Tensor& a, const Tensor& b);
Tensor float_power(const Tensor& a, const Tensor& b);
Tensor gcd(const Tensor& a, const Tensor& b);
Tensor lcm(const Tensor& a, const Tensor& b);
Tensor heaviside(const Tensor& a, const Tensor& values);
Tensor logaddexp(const Tensor& a, const Tensor& b);
Tensor logaddexp2(const Tensor& a, const Tensor& b);
Tensor fmax(const Tensor& a, const Tensor& b);
Tensor fmin(const Tensor& a, const Tensor& b);
// div with rounding_mode "trunc" or "floor" (nullopt: true division).
Tensor div_rounding(const Tensor& a, const Tensor& b, const std::optional<std::string>& mode);
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b);
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b);

}  // namespace tg

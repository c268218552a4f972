// torch.special's Bessel, Airy, orthogonal-polynomial, normal-distribution and incomplete-gamma
// functions, tg.igamma / tg.igammac and tg.frexp (cpp/src/ops/special_extra.cpp,
// cpp/src/ops/special_poly.cpp).
#pragma once
#include <utility>

#include "tg/ops.h"

namespace tg {

// ---- unary, no derivative in torch ----
Tensor special_airy_ai(const Tensor& x);
Tensor special_bessel_j0(const Tensor& x);
Tensor special_bessel_j1(const Tensor& x);
Tensor special_bessel_y0(const Tensor& x);
Tensor special_bessel_y1(const Tensor& x);
Tensor special_modified_bessel_i0(const Tensor& x);
Tensor special_modified_bessel_i1(const Tensor& x);
Tensor special_modified_bessel_k0(const Tensor& x);
Tensor special_modified_bessel_k1(const Tensor& x);
Tensor special_scaled_modified_bessel_k0(const Tensor& x);
Tensor special_scaled_modified_bessel_k1(const Tensor& x);
Tensor special_spherical_bessel_j0(const Tensor& x);

// ---- unary, differentiable ----
Tensor special_erfcx(const Tensor& x);
Tensor special_log_ndtr(const Tensor& x);
Tensor special_ndtri(const Tensor& x);

// ---- incomplete gamma: P(a, x) and Q(a, x) (derivative in x only, as torch) ----
Tensor igamma(const Tensor& a, const Tensor& x);
Tensor igammac(const Tensor& a, const Tensor& x);

// ---- frexp: (mantissa, int32 exponent), differentiable in the mantissa ----
std::pair<Tensor, Tensor> frexp(const Tensor& x);

// ---- orthogonal polynomials p_n(x), n rounded towards zero to an integer (special_poly.cpp) ----
enum class Polynomial {
  ChebyshevT, ChebyshevU, ChebyshevV, ChebyshevW,
  ShiftedChebyshevT, ShiftedChebyshevU, ShiftedChebyshevV, ShiftedChebyshevW,
  HermiteH, HermiteHe, LaguerreL, LegendreP
};
Tensor special_polynomial(Polynomial kind, const Tensor& x, const Tensor& n);

}  // namespace tg

// Bindings for torch.special's Bessel, Airy, orthogonal-polynomial and normal-distribution
// functions and the incomplete gamma functions (cpp/src/ops/special_extra.cpp, special_poly.cpp):
// the _C.special_* functions python/tinygrad_ext/special.py exposes, tg.igamma / tg.igammac and
// their Tensor methods. Python numbers for the binary ones are turned into tensors in special.py.
#include "common.h"
#include "tg/ops_special_extra.h"

namespace tg::bind {

void bind_special_extra(py::module_& m) {
  using T = const Tensor&;
#define TG_SPECIAL_UNARY(name) m.def("special_" #name, [](T x) { return special_##name(x); }, py::arg("input"));
  TG_SPECIAL_UNARY(airy_ai) TG_SPECIAL_UNARY(bessel_j0) TG_SPECIAL_UNARY(bessel_j1) TG_SPECIAL_UNARY(bessel_y0)
  TG_SPECIAL_UNARY(bessel_y1) TG_SPECIAL_UNARY(modified_bessel_i0) TG_SPECIAL_UNARY(modified_bessel_i1)
  TG_SPECIAL_UNARY(modified_bessel_k0) TG_SPECIAL_UNARY(modified_bessel_k1)
  TG_SPECIAL_UNARY(scaled_modified_bessel_k0) TG_SPECIAL_UNARY(scaled_modified_bessel_k1)
  TG_SPECIAL_UNARY(spherical_bessel_j0) TG_SPECIAL_UNARY(erfcx) TG_SPECIAL_UNARY(log_ndtr) TG_SPECIAL_UNARY(ndtri)
#undef TG_SPECIAL_UNARY

  py::enum_<Polynomial>(m, "_Polynomial")
      .value("chebyshev_t", Polynomial::ChebyshevT).value("chebyshev_u", Polynomial::ChebyshevU)
      .value("chebyshev_v", Polynomial::ChebyshevV).value("chebyshev_w", Polynomial::ChebyshevW)
      .value("shifted_chebyshev_t", Polynomial::ShiftedChebyshevT)
      .value("shifted_chebyshev_u", Polynomial::ShiftedChebyshevU)
      .value("shifted_chebyshev_v", Polynomial::ShiftedChebyshevV)
      .value("shifted_chebyshev_w", Polynomial::ShiftedChebyshevW)
      .value("hermite_h", Polynomial::HermiteH).value("hermite_he", Polynomial::HermiteHe)
      .value("laguerre_l", Polynomial::LaguerreL).value("legendre_p", Polynomial::LegendreP);
  m.def("_special_polynomial", [](Polynomial kind, T x, T n) { return special_polynomial(kind, x, n); },
        py::arg("kind"), py::arg("input"), py::arg("n"));
  m.def("_igamma", [](T a, T x) { return igamma(a, x); }, py::arg("input"), py::arg("other"));
  m.def("_frexp", [](T x) { return frexp(x); }, py::arg("input"));
  m.def("_igammac", [](T a, T x) { return igammac(a, x); }, py::arg("input"), py::arg("other"));
}

}  // namespace tg::bind

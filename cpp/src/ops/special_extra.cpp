// torch.special's Bessel and Airy functions, erfcx / log_ndtr / ndtri (with their derivatives) and
// the regularized incomplete gamma functions igamma / igammac. The scalar math lives in
// bessel_math.h and gauss_gamma_math.h; here each op maps it over a tensor in double precision
// (float32 results are rounded once) and records torch's derivative where torch has one.
#include <cmath>

#include "ops/bessel_math.h"
#include "ops/gauss_gamma_math.h"
#include "ops/math_util.h"
#include "tg/ops_math_extra.h"
#include "tg/ops_special_extra.h"

namespace tg {

using math::float_of;
using math::with_grad;

namespace {

constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr double kSqrt2Pi = 2.50662827463100050242;

// f over x in double, stored in x's float dtype (integers and bools give float32, as torch).
template <typename F>
Tensor map_double(const Tensor& x, const char* op, F f) {
  return math::float_map(x, op, [f](auto v) { return static_cast<decltype(v)>(f(static_cast<double>(v))); });
}

// f(a, b) in double with broadcasting, in the float dtype of result_type(a, b); float16 and
// bfloat16 compute in float32 and are rounded once. Integer and bool inputs raise (as torch's
// igamma) unless `ints_ok`, when they give float32.
template <typename F>
Tensor map2_double(const Tensor& a, const Tensor& b, const char* op, bool ints_ok, F f) {
  DType rt = result_type(a, b);
  if (!ints_ok && !is_floating(rt)) throw_not_implemented(op, rt);
  DType out_dt = float_of(rt), dt = compute_dtype(out_dt);
  Tensor out = dispatch_floating(dt, op, [&](auto z) {
    using T = decltype(z);
    return math::map2_as<T>(a, b, dt, op, [&](T p, T q) {
      return static_cast<T>(f(static_cast<double>(p), static_cast<double>(q)));
    });
  });
  return out_dt == dt ? out : cast_for_kernel(out, out_dt);
}

}  // namespace

// ---- Bessel and Airy functions (torch gives them no derivative) ----
Tensor special_airy_ai(const Tensor& x) { return map_double(x, "special_airy_ai", special::airy_ai); }
Tensor special_bessel_j0(const Tensor& x) {
  return map_double(x, "special_bessel_j0", [](double v) { return special::bessel_j(0, v); });
}
Tensor special_bessel_j1(const Tensor& x) {
  return map_double(x, "special_bessel_j1", [](double v) { return special::bessel_j(1, v); });
}
Tensor special_bessel_y0(const Tensor& x) {
  return map_double(x, "special_bessel_y0", [](double v) { return special::bessel_y(0, v); });
}
Tensor special_bessel_y1(const Tensor& x) {
  return map_double(x, "special_bessel_y1", [](double v) { return special::bessel_y(1, v); });
}
Tensor special_modified_bessel_i0(const Tensor& x) {
  return map_double(x, "special_modified_bessel_i0", [](double v) { return special::bessel_i(0, v, false); });
}
Tensor special_modified_bessel_i1(const Tensor& x) {
  return map_double(x, "special_modified_bessel_i1", [](double v) { return special::bessel_i(1, v, false); });
}
Tensor special_modified_bessel_k0(const Tensor& x) {
  return map_double(x, "special_modified_bessel_k0", [](double v) { return special::bessel_k(0, v, false); });
}
Tensor special_modified_bessel_k1(const Tensor& x) {
  return map_double(x, "special_modified_bessel_k1", [](double v) { return special::bessel_k(1, v, false); });
}
Tensor special_scaled_modified_bessel_k0(const Tensor& x) {
  return map_double(x, "special_scaled_modified_bessel_k0", [](double v) { return special::bessel_k(0, v, true); });
}
Tensor special_scaled_modified_bessel_k1(const Tensor& x) {
  return map_double(x, "special_scaled_modified_bessel_k1", [](double v) { return special::bessel_k(1, v, true); });
}
Tensor special_spherical_bessel_j0(const Tensor& x) {
  return map_double(x, "special_spherical_bessel_j0", special::spherical_bessel_j0);
}

// ---- the normal distribution ----
// d erfcx = 2x erfcx(x) - 2/sqrt(pi)
Tensor special_erfcx(const Tensor& x) {
  return with_grad("SpecialErfcxBackward0", x, map_double(x, "special_erfcx", special::erfcx),
                   [](const Tensor& a, const Tensor& y) { return sub(mul(mul(a, y), Scalar(2.0)), Scalar(kTwoOverSqrtPi)); });
}
// d log Phi(x) = phi(x) / Phi(x) = e^(-x^2/2 - log Phi(x)) / sqrt(2 pi)
Tensor special_log_ndtr(const Tensor& x) {
  return with_grad("SpecialLogNdtrBackward0", x, map_double(x, "special_log_ndtr", special::log_ndtr),
                   [](const Tensor& a, const Tensor& y) {
                     return mul(exp(sub(mul(mul(a, a), Scalar(-0.5)), y)), Scalar(kInvSqrt2Pi));
                   });
}
// d Phi^-1(p) = sqrt(2 pi) e^(y^2 / 2)
Tensor special_ndtri(const Tensor& x) {
  return with_grad("SpecialNdtriBackward0", x, map_double(x, "special_ndtri", special::ndtri),
                   [](const Tensor&, const Tensor& y) { return mul(exp(mul(mul(y, y), Scalar(0.5))), Scalar(kSqrt2Pi)); });
}

// ---- regularized incomplete gamma ----
namespace {
// dP/dx = x^(a-1) e^-x / Gamma(a) = -dQ/dx; torch has no derivative in a, so a gradient asked
// for a raises when backward reaches it.
Tensor incomplete_gamma_op(const Tensor& a, const Tensor& x, bool upper) {
  const char* op = upper ? "igammac" : "igamma";
  Tensor out = map2_double(a, x, op, false, [upper](double p, double q) { return special::incomplete_gamma(p, q, upper); });
  record(upper ? "IgammacBackward0" : "IgammaBackward0", {a, x}, {out}, [&] {
    return [sa = save(a), sx = save(x), upper, op, a_needs = a->requires_grad()](const Grads& g) -> Grads {
      TG_CHECK(!a_needs, NotImplementedError, "the derivative for '", op, ": input' is not implemented.");
      Tensor av = sa.get(), xv = sx.get();
      Tensor density = exp(sub(sub(mul(sub(av, Scalar(1.0)), log(xv)), xv), lgamma(av)));
      Tensor gx = mul(g[0], upper ? neg(density) : density);
      return {Tensor(), gx};
    };
  });
  return out;
}
}  // namespace

Tensor igamma(const Tensor& a, const Tensor& x) { return incomplete_gamma_op(a, x, false); }
Tensor igammac(const Tensor& a, const Tensor& x) { return incomplete_gamma_op(a, x, true); }

// x = mantissa * 2^exponent with |mantissa| in [0.5, 1) (0, inf and NaN keep exponent 0); float16 and
// bfloat16 split their float32 value, which has the same mantissa and exponent. d mantissa = 2^-exponent.
std::pair<Tensor, Tensor> frexp(const Tensor& x) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, "torch.frexp() only supports floating-point dtypes");
  DType dt = compute_dtype(x->dtype);
  Tensor in = cast_for_kernel(detach(x), dt);
  Tensor mantissa = empty(x->shape, dt), exponent = empty(x->shape, DType::Int64);
  dispatch_floating(dt, "frexp", [&](auto z) {
    using T = decltype(z);
    kernels::unary_loop<T, T>(mantissa, in, [](T v) {
      int e = 0;
      return std::isfinite(v) ? std::frexp(v, &e) : v;
    });
    kernels::unary_loop<int64_t, T>(exponent, in, [](T v) {
      int e = 0;
      if (std::isfinite(v)) std::frexp(v, &e);
      return static_cast<int64_t>(e);
    });
  });
  Tensor m = dt == x->dtype ? mantissa : cast_for_kernel(mantissa, x->dtype);
  Tensor e = cast_for_kernel(exponent, DType::Int32);
  record("FrexpBackward0", {x}, {m}, [&] {
    return [se = save(e)](const Grads& g) -> Grads { return {div(g[0], exp2(to_dtype(se.get(), g[0]->dtype)))}; };
  });
  return {m, e};
}

}  // namespace tg

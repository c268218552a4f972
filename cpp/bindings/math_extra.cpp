// Bindings for the extra elementwise math (cpp/src/ops/unary_special.cpp, binary_extra.cpp):
// tg.f(input, ...), Tensor.f(...), Tensor.f_(...) and the _C.special_* functions that
// python/tinygrad_ext/special.py exposes as tg.special.*.
#include "common.h"
#include "tg/ops_math_extra.h"

namespace tg::bind {

namespace {

using T = const Tensor&;
using O = py::object;

// The two operands of a binary op, either of which may be a Python number (typed against the
// other, as torch's result_type); at least one must be a tensor.
std::pair<Tensor, Tensor> operand_pair(const py::handle& a, const py::handle& b, const char* op) {
  bool ta = py::isinstance<TensorImpl>(a), tb = py::isinstance<TensorImpl>(b);
  auto number = [&](const py::handle& o, const Tensor& other, const char* name) {
    auto s = as_scalar(o);
    TG_CHECK(s, TypeError, op, "(): argument '", name, "' must be Tensor or Number, not ", type_name(o));
    return scalar_tensor(*s, result_type(other, *s));
  };
  if (ta && tb) return {a.cast<Tensor>(), b.cast<Tensor>()};
  if (ta) return {a.cast<Tensor>(), number(b, a.cast<Tensor>(), "other")};
  TG_CHECK(tb, TypeError, op, "(): expected at least one Tensor argument, got ", type_name(a), " and ", type_name(b));
  return {number(a, b.cast<Tensor>(), "input"), b.cast<Tensor>()};
}

Tensor inplace(T self, const Tensor& result, const char* op) {
  assign_inplace(self, result, op);
  return self;
}

// What an in-place op computes from: a copy when autograd may save self for backward.
Tensor src(T self) { return is_grad_enabled() && self->requires_grad() ? clone(self) : self; }

std::optional<double> opt_double(const py::handle& o) {
  if (o.is_none()) return std::nullopt;
  return scalar_arg(o, "nan_to_num").f;
}

}  // namespace

void bind_math_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input"), extra...);
  };

  // ---- unary: tg.f(input), Tensor.f(), Tensor.f_() ----
#define TG_UNARY(name, fn)                                \
  both(#name, [](T x) { return fn(x); });                 \
  cls.def(#name "_", [](T x) { return inplace(x, fn(src(x)), #name "_"); });
  TG_UNARY(acosh, acosh) TG_UNARY(asinh, asinh) TG_UNARY(atanh, atanh) TG_UNARY(arccosh, acosh)
  TG_UNARY(arcsinh, asinh) TG_UNARY(arctanh, atanh) TG_UNARY(erfc, erfc) TG_UNARY(erfinv, erfinv)
  TG_UNARY(lgamma, lgamma) TG_UNARY(digamma, digamma) TG_UNARY(i0, i0) TG_UNARY(sinc, sinc)
  TG_UNARY(deg2rad, deg2rad) TG_UNARY(rad2deg, rad2deg) TG_UNARY(sgn, sign)
#undef TG_UNARY
  both("isposinf", [](T x) { return isposinf(x); });
  both("isneginf", [](T x) { return isneginf(x); });
  both("isreal", [](T x) { return isreal(x); });
  both("signbit", [](T x) { return signbit(x); });
  both("logit", [](T x, std::optional<double> eps) { return logit(x, eps); }, py::arg("eps") = py::none());
  cls.def("logit_", [](T x, std::optional<double> eps) { return inplace(x, logit(src(x), eps), "logit_"); },
          py::arg("eps") = py::none());
  both("nan_to_num", [](T x, O nan, O posinf, O neginf) {
    return nan_to_num(x, opt_double(nan), opt_double(posinf), opt_double(neginf));
  }, py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  cls.def("nan_to_num_", [](T x, O nan, O posinf, O neginf) {
    return inplace(x, nan_to_num(src(x), opt_double(nan), opt_double(posinf), opt_double(neginf)), "nan_to_num_");
  }, py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  m.def("polygamma", [](int64_t n, T x) { return polygamma(n, x); }, py::arg("n"), py::arg("input"));
  cls.def("polygamma", [](T x, int64_t n) { return polygamma(n, x); }, py::arg("n"));
  cls.def("polygamma_", [](T x, int64_t n) { return inplace(x, polygamma(n, src(x)), "polygamma_"); }, py::arg("n"));
  both("mvlgamma", [](T x, int64_t p) { return mvlgamma(x, p); }, py::arg("p"));
  cls.def("mvlgamma_", [](T x, int64_t p) { return inplace(x, mvlgamma(src(x), p), "mvlgamma_"); }, py::arg("p"));

  // ---- binary: tg.f(input, other) with a number on either side, Tensor.f(other), Tensor.f_(other) ----
#define TG_BINARY(name, fn, argname)                                                                      \
  m.def(#name, [](O a, O b) { auto [x, y] = operand_pair(a, b, #name); return fn(x, y); },               \
        py::arg("input"), py::arg(argname));                                                              \
  cls.def(#name, [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, #name); return fn(x, y); },   \
          py::arg(argname));
#define TG_BINARY_INPLACE(name, fn, argname)                                                              \
  TG_BINARY(name, fn, argname)                                                                            \
  cls.def(#name "_", [](T a, O b) {                                                                       \
    auto [x, y] = operand_pair(py::cast(src(a)), b, #name "_");                                           \
    return inplace(a, fn(x, y), #name "_");                                                               \
  }, py::arg(argname));
// ops torch defines between two tensors only (a Python number is a TypeError, as torch)
#define TG_TENSORS(name, fn, argname)                                                       \
  both(#name, [](T x, T y) { return fn(x, y); }, py::arg(argname));                         \
  cls.def(#name "_", [](T a, T b) { return inplace(a, fn(src(a), b), #name "_"); }, py::arg(argname));
  TG_BINARY_INPLACE(xlogy, xlogy, "other") TG_BINARY_INPLACE(hypot, hypot, "other")
  TG_TENSORS(nextafter, nextafter, "other") TG_TENSORS(ldexp, ldexp, "other")
  TG_BINARY_INPLACE(float_power, float_power, "exponent")
  TG_TENSORS(gcd, gcd, "other") TG_TENSORS(lcm, lcm, "other")
  TG_TENSORS(heaviside, heaviside, "values") TG_BINARY_INPLACE(bitwise_left_shift, bitwise_left_shift, "other")
  TG_BINARY_INPLACE(bitwise_right_shift, bitwise_right_shift, "other")
  TG_BINARY(logaddexp, logaddexp, "other") TG_BINARY(logaddexp2, logaddexp2, "other")  // torch has no in-place forms
  both("fmax", [](T x, T y) { return fmax(x, y); }, py::arg("other"));
  both("fmin", [](T x, T y) { return fmin(x, y); }, py::arg("other"));
  // copysign: input a tensor, other a tensor or a number
  both("copysign", [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, "copysign"); return copysign(x, y); },
       py::arg("other"));
  cls.def("copysign_", [](T a, O b) {
    auto [x, y] = operand_pair(py::cast(src(a)), b, "copysign_");
    return inplace(a, copysign(x, y), "copysign_");
  }, py::arg("other"));
#undef TG_TENSORS
#undef TG_BINARY_INPLACE
#undef TG_BINARY
  cls.def("__lshift__", [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, "__lshift__"); return bitwise_left_shift(x, y); }, py::is_operator());
  cls.def("__rshift__", [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, "__rshift__"); return bitwise_right_shift(x, y); }, py::is_operator());
  cls.def("__rlshift__", [](T a, O b) { auto [y, x] = operand_pair(b, py::cast(a), "__rlshift__"); return bitwise_left_shift(y, x); }, py::is_operator());
  cls.def("__rrshift__", [](T a, O b) { auto [y, x] = operand_pair(b, py::cast(a), "__rrshift__"); return bitwise_right_shift(y, x); }, py::is_operator());
  cls.def("__ilshift__", [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, "__ilshift__"); return inplace(a, bitwise_left_shift(x, y), "__ilshift__"); }, py::is_operator());
  cls.def("__irshift__", [](T a, O b) { auto [x, y] = operand_pair(py::cast(a), b, "__irshift__"); return inplace(a, bitwise_right_shift(x, y), "__irshift__"); }, py::is_operator());

  // div / divide with rounding_mode: an overload beside the plain div bound in ops.cpp (a call
  // with the rounding_mode keyword fails that one and lands here).
  auto rounding = [](const py::handle& mode) -> std::optional<std::string> {
    if (mode.is_none()) return std::nullopt;
    return mode.cast<std::string>();
  };
  for (const char* name : {"div", "divide"}) {
    m.def(name, [rounding](O a, O b, O mode) {
      auto [x, y] = operand_pair(a, b, "div");
      return div_rounding(x, y, rounding(mode));
    }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
    cls.def(name, [rounding](T a, O b, O mode) {
      auto [x, y] = operand_pair(py::cast(a), b, "div");
      return div_rounding(x, y, rounding(mode));
    }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  for (const char* name : {"div_", "divide_"}) {
    cls.def(name, [rounding](T a, O b, O mode) {
      auto [x, y] = operand_pair(py::cast(src(a)), b, "div_");
      return inplace(a, div_rounding(x, y, rounding(mode)), "div_");
    }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }

  // ---- tg.special.* (python/tinygrad_ext/special.py) ----
  m.def("special_i0e", [](T x) { return special_i0e(x); }, py::arg("input"));
  m.def("special_i1", [](T x) { return special_i1(x); }, py::arg("input"));
  m.def("special_i1e", [](T x) { return special_i1e(x); }, py::arg("input"));
  m.def("special_entr", [](T x) { return special_entr(x); }, py::arg("input"));
  m.def("special_ndtr", [](T x) { return special_ndtr(x); }, py::arg("input"));
  m.def("special_xlog1py", [](O a, O b) { auto [x, y] = operand_pair(a, b, "xlog1py"); return special_xlog1py(x, y); },
        py::arg("input"), py::arg("other"));
  m.def("special_zeta", [](O a, O b) { auto [x, y] = operand_pair(a, b, "zeta"); return special_zeta(x, y); },
        py::arg("input"), py::arg("other"));
}

}  // namespace tg::bind

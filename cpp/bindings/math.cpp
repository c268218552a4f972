// Bindings for the math family: tg.sin ... tg.median, their Tensor methods, in-place forms and
// the bitwise/modulo operators. Ops returning (values, indices) are bound as _C._name and
// wrapped in named tuples by python/tinygrad_ext/_math.py.
#include <cmath>

#include "common.h"
#include "self_arg.h"

namespace tg::bind {

namespace {

using T = const Tensor&;
using O = py::object;

// `other` as a tensor: a Python number takes the dtype torch's result_type would give it.
Tensor operand(T a, const py::handle& other, const char* op) {
  if (py::isinstance<TensorImpl>(other)) return other.cast<Tensor>();
  if (auto s = as_scalar(other)) return scalar_tensor(*s, result_type(a, *s));
  throw TypeError(str(op, "(): argument 'other' must be Tensor or Number, not ",
                      type_name(other)));
}

Tensor inplace(T self, const Tensor& result, const char* op) {
  assign_inplace(self, result, op);
  return self;
}

// The operand an in-place op computes from: a copy when autograd may save it for backward
// (self's memory is about to be overwritten), self otherwise.
Tensor src(T self) { return is_grad_enabled() && self->requires_grad() ? clone(self) : self; }

Scalar scalar_arg(const py::handle& o, const char* op, const char* name) {
  auto s = as_scalar(o);
  TG_CHECK(s, TypeError, op, "(): argument '", name, "' must be a Number, not ",
           type_name(o));
  return *s;
}

// p of a vector norm: a number, inf, or 'fro' (= 2).
double norm_p(const py::handle& p) {
  if (p.is_none()) return 2.0;
  if (py::isinstance<py::str>(p)) {
    std::string s = p.cast<std::string>();
    TG_CHECK(s == "fro", RuntimeError, "norm: p='", s, "' is not supported (use a number, inf or 'fro')");
    return 2.0;
  }
  return p.cast<double>();
}

}  // namespace

void bind_math(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input"), extra...);
  };

  // ---- unary math: tg.f(input), Tensor.f(), Tensor.f_() ----
#define TG_UNARY(name, fn)                                                        \
  both(#name, [](T x) { return fn(x); });                                         \
  cls.def(#name "_", [](T x) { return inplace(x, fn(src(x)), #name "_"); });
  TG_UNARY(sin, sin) TG_UNARY(cos, cos) TG_UNARY(tan, tan) TG_UNARY(asin, asin) TG_UNARY(acos, acos)
  TG_UNARY(atan, atan) TG_UNARY(arcsin, asin) TG_UNARY(arccos, acos) TG_UNARY(arctan, atan)
  TG_UNARY(sinh, sinh) TG_UNARY(cosh, cosh) TG_UNARY(exp2, exp2) TG_UNARY(expm1, expm1)
  TG_UNARY(log2, log2) TG_UNARY(log10, log10) TG_UNARY(log1p, log1p) TG_UNARY(rsqrt, rsqrt)
  TG_UNARY(reciprocal, reciprocal) TG_UNARY(square, square) TG_UNARY(sign, sign) TG_UNARY(floor, floor)
  TG_UNARY(ceil, ceil) TG_UNARY(trunc, trunc) TG_UNARY(fix, trunc) TG_UNARY(frac, frac) TG_UNARY(erf, erf)
#undef TG_UNARY
  both("round", [](T x, int64_t decimals) { return round(x, decimals); }, py::kw_only(), py::arg("decimals") = 0);
  cls.def("round_", [](T x, int64_t decimals) { return inplace(x, round(src(x), decimals), "round_"); },
          py::kw_only(), py::arg("decimals") = 0);
  both("isnan", [](T x) { return isnan(x); });
  both("isinf", [](T x) { return isinf(x); });
  both("isfinite", [](T x) { return isfinite(x); });

  // ---- logical and bitwise ----
  both("logical_not", [](T x) { return logical_not(x); });
  both("bitwise_not", [](T x) { return bitwise_not(x); });
  cls.def("logical_not_", [](T x) { return inplace(x, logical_not(x), "logical_not_"); });
  cls.def("__invert__", [](T x) { return bitwise_not(x); });
#define TG_BINARY(name, fn)                                                                         \
  both(#name, [](T a, O b) { return fn(a, operand(a, b, #name)); }, py::arg("other"));            \
  cls.def(#name "_", [](T a, O b) { return inplace(a, fn(src(a), operand(a, b, #name "_")), #name "_"); }, py::arg("other"));
  TG_BINARY(bitwise_and, bitwise_and) TG_BINARY(bitwise_or, bitwise_or) TG_BINARY(bitwise_xor, bitwise_xor)
  TG_BINARY(fmod, fmod) TG_BINARY(remainder, remainder) TG_BINARY(floor_divide, floor_divide)
#undef TG_BINARY
  // torch has no Number overloads of these: a Python number as `other` is a TypeError.
#define TG_BINARY_TENSOR(name, fn)                                                       \
  both(#name, [](T a, T b) { return fn(a, b); }, py::arg("other"));                     \
  cls.def(#name "_", [](T a, T b) { return inplace(a, fn(src(a), b), #name "_"); }, py::arg("other"));
  TG_BINARY_TENSOR(logical_and, logical_and) TG_BINARY_TENSOR(logical_or, logical_or)
  TG_BINARY_TENSOR(logical_xor, logical_xor) TG_BINARY_TENSOR(atan2, atan2) TG_BINARY_TENSOR(arctan2, atan2)
#undef TG_BINARY_TENSOR
  // Operators: a op b, b op a (reflected) and a op= b.
#define TG_OPERATOR(dunder, fn)                                                                           \
  cls.def("__" dunder "__", [](T a, O b) { return fn(a, operand(a, b, dunder)); }, py::is_operator());    \
  cls.def("__r" dunder "__", [](O self, O b) {                                                          \
    Tensor a = self_tensor(self, "__r" dunder "__");                                                      \
    return fn(operand(a, b, dunder), a);                                                                  \
  }, py::is_operator());                                                                                  \
  cls.def("__i" dunder "__", [](T a, O b) { return inplace(a, fn(src(a), operand(a, b, dunder)), dunder); }, py::is_operator());
  TG_OPERATOR("and", bitwise_and) TG_OPERATOR("or", bitwise_or) TG_OPERATOR("xor", bitwise_xor)
  TG_OPERATOR("mod", remainder) TG_OPERATOR("floordiv", floor_divide)
#undef TG_OPERATOR

  // ---- ternary and products ----
  auto lerp_fn = [](T a, T end, O w) {
    // a number weight stays in the compute dtype (float32 for 16-bit floats), as torch's
    Tensor wt = py::isinstance<TensorImpl>(w) ? w.cast<Tensor>()
                                              : scalar_tensor(scalar_arg(w, "lerp", "weight"), compute_dtype(a->dtype));
    return lerp(a, end, wt);
  };
  both("lerp", lerp_fn, py::arg("end"), py::arg("weight"));
  cls.def("lerp_", [lerp_fn](T a, T end, O w) { return inplace(a, lerp_fn(src(a), end, w), "lerp_"); }, py::arg("end"), py::arg("weight"));
  both("addcmul", [](T x, T t1, T t2, O v) { return addcmul(x, t1, t2, scalar_arg(v, "addcmul", "value")); },
       py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  both("addcdiv", [](T x, T t1, T t2, O v) { return addcdiv(x, t1, t2, scalar_arg(v, "addcdiv", "value")); },
       py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("addcmul_", [](T x, T t1, T t2, O v) { return inplace(x, addcmul(src(x), t1, t2, scalar_arg(v, "addcmul_", "value")), "addcmul_"); },
          py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("addcdiv_", [](T x, T t1, T t2, O v) { return inplace(x, addcdiv(src(x), t1, t2, scalar_arg(v, "addcdiv_", "value")), "addcdiv_"); },
          py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  both("addmm", [](T x, T a, T b, O beta, O alpha) {
    return addmm(x, a, b, scalar_arg(beta, "addmm", "beta"), scalar_arg(alpha, "addmm", "alpha"));
  }, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  cls.def("addmm_", [](T x, T a, T b, O beta, O alpha) {
    return inplace(x, addmm(src(x), a, b, scalar_arg(beta, "addmm_", "beta"), scalar_arg(alpha, "addmm_", "alpha")), "addmm_");
  }, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  both("bmm", [](T a, T b) { return bmm(a, b); }, py::arg("mat2"));
  both("mv", [](T a, T b) { return mv(a, b); }, py::arg("vec"));
  both("dot", [](T a, T b) { return dot(a, b); }, py::arg("tensor"));
  both("outer", [](T a, T b) { return outer(a, b); }, py::arg("vec2"));
  both("ger", [](T a, T b) { return outer(a, b); }, py::arg("vec2"));
  both("matrix_power", [](T a, int64_t n) { return matrix_power(a, n); }, py::arg("n"));

  // ---- comparisons ----
  both("isclose", [](T a, T b, double rtol, double atol, bool equal_nan) { return isclose(a, b, rtol, atol, equal_nan); },
       py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
  both("allclose", [](T a, T b, double rtol, double atol, bool equal_nan) {
    return all(isclose(a, b, rtol, atol, equal_nan), {}, false)->data<bool>()[0];
  }, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
  both("equal", [](T a, T b) { return equal(a, b); }, py::arg("other"));

  // ---- reductions ----
  both("prod", [](T x, O dim, bool keepdim, O dtype) {
    std::optional<int64_t> d;
    if (!dim.is_none()) d = dim.cast<int64_t>();
    return prod(x, d, keepdim, as_dtype(dtype));
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  m.def("_var", [](T x, O dim, double correction, bool keepdim) { return var(x, as_dims(dim), correction, keepdim); });
  m.def("_std", [](T x, O dim, double correction, bool keepdim) { return std_(x, as_dims(dim), correction, keepdim); });
  m.def("_norm", [](T x, O p, O dim, bool keepdim) { return norm(x, norm_p(p), as_dims(dim), keepdim); });
  both("logsumexp", [](T x, O dim, bool keepdim) { return logsumexp(x, as_dims(dim), keepdim); },
       py::arg("dim"), py::arg("keepdim") = false);
  both("cumsum", [](T x, int64_t dim, O dtype) { return cumsum(x, dim, as_dtype(dtype)); },
       py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  both("cumprod", [](T x, int64_t dim, O dtype) { return cumprod(x, dim, as_dtype(dtype)); },
       py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  // dtype= must be x's own dtype, as torch
  auto scan_dtype = [](T x, const py::handle& dtype) {
    DType dt = as_dtype(dtype).value_or(x->dtype);
    TG_CHECK(dt == x->dtype, RuntimeError, "Bad in-place call: input tensor dtype ", dtype_name(x->dtype),
             " and output tensor dtype ", dtype_name(dt), " should match");
    return dt;
  };
  cls.def("cumsum_", [scan_dtype](T x, int64_t dim, O dtype) {
    return inplace(x, cumsum(src(x), dim, scan_dtype(x, dtype)), "cumsum_");
  }, py::arg("dim"), py::arg("dtype") = py::none());
  cls.def("cumprod_", [scan_dtype](T x, int64_t dim, O dtype) {
    return inplace(x, cumprod(src(x), dim, scan_dtype(x, dtype)), "cumprod_");
  }, py::arg("dim"), py::arg("dtype") = py::none());
  both("count_nonzero", [](T x, O dim) { return count_nonzero(x, as_dims(dim)); }, py::arg("dim") = py::none());
  both("all", [](T x, O dim, bool keepdim) { return all(x, as_dims(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  both("any", [](T x, O dim, bool keepdim) { return any(x, as_dims(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  both("argsort", [](T x, int64_t dim, bool descending, bool stable) { return argsort(x, dim, descending, stable); },
       py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  m.def("_sort", [](T x, int64_t dim, bool descending, bool stable) { return sort(x, dim, descending, stable); });
  m.def("_topk", [](T x, int64_t k, int64_t dim, bool largest, bool sorted) { return topk(x, k, dim, largest, sorted); });
  m.def("_kthvalue", [](T x, int64_t k, int64_t dim, bool keepdim) { return kthvalue(x, k, dim, keepdim); });
  m.def("_median_dim", [](T x, int64_t dim, bool keepdim) { return median_dim(x, dim, keepdim); });
  m.def("_median_all", [](T x) { return median_all(x); });
}

}  // namespace tg::bind

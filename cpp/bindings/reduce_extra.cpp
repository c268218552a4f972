// Bindings for cpp/src/ops/{products_extra,reduce_extra,scan}.cpp: functions and Tensor methods.
// Ops returning two tensors are bound as _C._name and wrapped in named tuples by
// python/tinygrad_ext/_reduce_extra.py.
#include "common.h"
#include "tg/ops_extra.h"

namespace tg::bind {

namespace {
using T = const Tensor&;
using O = py::object;

Scalar number(const py::handle& o, const char* op, const char* name) {
  auto s = as_scalar(o);
  TG_CHECK(s, TypeError, op, "(): argument '", name, "' must be Number, not ", type_name(o));
  return *s;
}

std::optional<int64_t> opt_dim(const py::handle& o) {
  if (o.is_none()) return std::nullopt;
  return o.cast<int64_t>();
}

std::optional<Tensor> opt_tensor(const py::handle& o, const char* op) {
  if (o.is_none()) return std::nullopt;
  return as_tensor(o, op);
}

// tensordot's dims: an int, or a pair of int lists (or of ints).
Tensor tensordot_any(T a, T b, const py::handle& dims) {
  if (py::isinstance<py::int_>(dims)) return tensordot(a, b, dims.cast<int64_t>());
  if (py::isinstance<TensorImpl>(dims)) {
    Tensor d = dims.cast<Tensor>();
    if (d->dim() == 0) return tensordot(a, b, dims.attr("item")().cast<int64_t>());
    return tensordot_any(a, b, dims.attr("tolist")());
  }
  TG_CHECK(py::isinstance<py::sequence>(dims) && py::len(dims) == 2, RuntimeError,
           "tensordot expects dims to be an int or a pair of lists of dims");
  py::sequence s = dims.cast<py::sequence>();
  return tensordot(a, b, as_dims(s[0]), as_dims(s[1]));
}
}  // namespace

void bind_reduce_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input").none(false), extra...);
  };
  auto inplace = [](T self, const Tensor& result, const char* op) {
    assign_inplace(self, result, op);
    return self;
  };
  // The operand an in-place op computes from: a copy when autograd may save it.
  auto src = [](T self) { return is_grad_enabled() && self->requires_grad() ? clone(self) : self; };

  // ---- products ----
#define TG_ADD_PRODUCT(name, fn, a1, a2)                                                                     \
  both(#name, [](T x, T p, T q, O beta, O alpha) {                                                         \
    return fn(x, p, q, number(beta, #name, "beta"), number(alpha, #name, "alpha"));                         \
  }, py::arg(a1).none(false), py::arg(a2).none(false), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);                   \
  cls.def(#name "_", [inplace, src](T x, T p, T q, O beta, O alpha) {                                      \
    return inplace(x, fn(src(x), p, q, number(beta, #name "_", "beta"), number(alpha, #name "_", "alpha")), #name "_"); \
  }, py::arg(a1).none(false), py::arg(a2).none(false), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  TG_ADD_PRODUCT(addmv, addmv, "mat", "vec")
  TG_ADD_PRODUCT(addr, addr, "vec1", "vec2")
  TG_ADD_PRODUCT(addbmm, addbmm, "batch1", "batch2")
  TG_ADD_PRODUCT(baddbmm, baddbmm, "batch1", "batch2")
#undef TG_ADD_PRODUCT
  both("kron", [](T a, T b) { return kron(a, b); }, py::arg("other").none(false));
  both("cross", [](T a, T b, O dim) { return cross(a, b, opt_dim(dim)); }, py::arg("other").none(false), py::arg("dim") = py::none());
  m.def("_linalg_cross", [](T a, T b, int64_t dim) { return cross(a, b, dim); }, py::arg("input").none(false),
        py::arg("other").none(false), py::arg("dim"));
  m.def("tensordot", [](T a, T b, O dims) { return tensordot_any(a, b, dims); }, py::arg("a").none(false), py::arg("b").none(false),
        py::arg("dims") = 2);
  both("inner", [](T a, T b) { return inner(a, b); }, py::arg("other").none(false));
  m.def("_multi_dot", [](const std::vector<Tensor>& ts, const std::string& op) { return multi_dot(ts, op.c_str()); });

  // ---- reductions ----
  both("nansum", [](T x, O dim, bool keepdim, O dtype) { return nansum(x, as_dims(dim), keepdim, as_dtype(dtype)); },
       py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  both("nanmean", [](T x, O dim, bool keepdim, O dtype) { return nanmean(x, as_dims(dim), keepdim, as_dtype(dtype)); },
       py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  m.def("_aminmax", [](T x, O dim, bool keepdim) { return aminmax(x, opt_dim(dim), keepdim); }, py::arg("input").none(false),
        py::arg("dim"), py::arg("keepdim"));
  both("dist", [](T a, T b, O p) { return dist(a, b, number(p, "dist", "p").f); }, py::arg("other").none(false), py::arg("p") = 2);
  both("diff", [](T x, int64_t n, int64_t dim, O prepend, O append) {
    return diff(x, n, dim, opt_tensor(prepend, "diff"), opt_tensor(append, "diff"));
  }, py::arg("n") = 1, py::arg("dim") = -1, py::arg("prepend") = py::none(), py::arg("append") = py::none());

  m.def("cdist", [](T a, T b, O p, O mode) { return cdist(a, b, number(p, "cdist", "p").f); }, py::arg("x1"),
        py::arg("x2").none(false), py::arg("p") = 2.0, py::arg("compute_mode") = py::none());
  both("renorm", [](T x, O p, int64_t dim, O maxnorm) {
    return renorm(x, number(p, "renorm", "p").f, dim, number(maxnorm, "renorm", "maxnorm").f);
  }, py::arg("p"), py::arg("dim"), py::arg("maxnorm"));
  cls.def("renorm_", [inplace, src](T x, O p, int64_t dim, O maxnorm) {
    return inplace(x, renorm(src(x), number(p, "renorm_", "p").f, dim, number(maxnorm, "renorm_", "maxnorm").f), "renorm_");
  }, py::arg("p"), py::arg("dim"), py::arg("maxnorm"));
  // trapezoid(y, x, *, dim) or trapezoid(y, *, dx, dim); trapz is torch's older name.
  for (const char* name : {"trapezoid", "trapz", "cumulative_trapezoid"}) {
    bool cumulative = name[0] == 'c';
    m.def(name, [cumulative, name](T y, O x, O dx, int64_t dim) {
      TG_CHECK(x.is_none() || dx.is_none(), TypeError, name, "(): received both x and dx; pass only one");
      std::optional<Tensor> xt;
      double step = 1.0;
      if (!x.is_none() && py::isinstance<TensorImpl>(x)) xt = x.cast<Tensor>();
      else if (!x.is_none()) step = number(x, name, "dx").f;
      if (!dx.is_none()) step = number(dx, name, "dx").f;
      return cumulative ? cumulative_trapezoid(y, xt, step, dim) : trapezoid(y, xt, step, dim);
    }, py::arg("y").none(false), py::arg("x") = py::none(), py::kw_only(), py::arg("dx") = py::none(), py::arg("dim") = -1);
  }

  // ---- counting and searching ----
  m.def("searchsorted", [](T seq, O values, bool out_int32, bool right, O side, O sorter) {
    if (!side.is_none()) {
      std::string s = side.cast<std::string>();
      TG_CHECK(s == "left" || s == "right", RuntimeError, "torch.searchsorted(): side can only be 'left' or 'right' but got ", s);
      TG_CHECK(!(right && s == "left"), RuntimeError,
               "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True");
      right = s == "right";
    }
    return searchsorted(seq, as_tensor(values, "searchsorted"), right, opt_tensor(sorter, "searchsorted"), out_int32);
  }, py::arg("sorted_sequence").none(false), py::arg("input"), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false,
     py::arg("side") = py::none(), py::arg("sorter") = py::none());
  both("bucketize", [](T x, T boundaries, bool out_int32, bool right) {
    TG_CHECK(boundaries->dim() == 1, RuntimeError, "boundaries tensor must be 1 dimension, but got dim(", boundaries->dim(), ")");
    return searchsorted(boundaries, x, right, std::nullopt, out_int32);
  }, py::arg("boundaries").none(false), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false);
  both("bincount", [](T x, O weights, int64_t minlength) { return bincount(x, opt_tensor(weights, "bincount"), minlength); },
       py::arg("weights") = py::none(), py::arg("minlength") = 0);
  both("histc", [](T x, int64_t bins, O lo, O hi) { return histc(x, bins, number(lo, "histc", "min").f, number(hi, "histc", "max").f); },
       py::arg("bins") = 100, py::arg("min") = 0, py::arg("max") = 0);

  // ---- scans ----
  both("logcumsumexp", [](T x, int64_t dim) { return logcumsumexp(x, dim); }, py::arg("dim"));
  m.def("_cummax", [](T x, int64_t dim) { return cummax(x, dim); }, py::arg("input").none(false), py::arg("dim"));
  m.def("_cummin", [](T x, int64_t dim) { return cummin(x, dim); }, py::arg("input").none(false), py::arg("dim"));
}

}  // namespace tg::bind

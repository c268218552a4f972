// Bindings for cpp/src/ops/reduce_order.cpp: quantile / nanquantile (functions and Tensor methods)
// and _C._mode / _C._nanmedian_* (wrapped in named tuples by python/tinygrad_ext/_reduce_order.py).
#include "common.h"
#include "tg/ops_order.h"

namespace tg::bind {

void bind_reduce_order(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  for (const char* name : {"quantile", "nanquantile"}) {
    bool ignore_nan = name[0] == 'n';
    auto fn = [ignore_nan, name](const Tensor& x, const py::object& q, const py::object& dim, bool keepdim,
                                 const std::string& interpolation) {
      Tensor qt;
      if (auto s = as_scalar(q); s && !py::isinstance<TensorImpl>(q)) {
        double v = s->f;
        TG_CHECK(v >= 0 && v <= 1, RuntimeError, name, "() q must be in the range [0, 1] but got ", v);
        qt = scalar_tensor(Scalar(v), x->dtype);
      } else {
        qt = as_tensor(q, name);
      }
      std::optional<int64_t> d;
      if (!dim.is_none()) d = dim.cast<int64_t>();
      return quantile(x, qt, d, keepdim, interpolation, ignore_nan);
    };
    cls.def(name, fn, py::arg("q"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("interpolation") = "linear");
    m.def(name, fn, py::arg("input").none(false), py::arg("q"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
          py::kw_only(), py::arg("interpolation") = "linear");
  }
  m.def("_mode", [](const Tensor& x, int64_t dim, bool keepdim) { return mode(x, dim, keepdim); },
        py::arg("input").none(false), py::arg("dim"), py::arg("keepdim"));
  m.def("_nanmedian_dim", [](const Tensor& x, int64_t dim, bool keepdim) { return nanmedian_dim(x, dim, keepdim); },
        py::arg("input").none(false), py::arg("dim"), py::arg("keepdim"));
  m.def("_nanmedian_all", [](const Tensor& x) { return nanmedian_all(x); }, py::arg("input").none(false));
}

}  // namespace tg::bind

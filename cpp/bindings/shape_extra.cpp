// tg.diagonal / diag_embed, the in-place view ops (t_, transpose_, squeeze_, unsqueeze_), resize_
// and the creation kernels behind tg.empty_strided and tg.tril/triu_indices (cpp/src/ops/shape_extra.cpp).
#include "common.h"
#include "tg/ops_shape_extra.h"

namespace tg::bind {

namespace {

using T = const Tensor&;
using O = py::object;

// squeeze's dim: None (every size-1 dim), an int, or a tuple/list of ints.
std::optional<Shape> squeeze_dims_arg(const py::handle& dim) {
  if (dim.is_none()) return std::nullopt;
  if (py::isinstance<py::int_>(dim) || py::hasattr(dim, "__index__")) return Shape{py::cast<int64_t>(dim)};
  return as_shape(dim, "squeeze");
}

// `result`, or, when out= is given, out resized to result's shape and holding its values (torch's out=).
Tensor written(const Tensor& result, const py::handle& out) {
  if (out.is_none()) return result;
  Tensor o = out.cast<Tensor>();
  TG_CHECK(!(is_grad_enabled() && (o->requires_grad() || result->requires_grad())), RuntimeError,
           "functions with out=... arguments don't support automatic differentiation, but one of the arguments "
           "requires grad.");
  resize_(o, result->shape);
  copy_into(o, result);
  o->bump_version();
  return o;
}

}  // namespace

Tensor squeeze_any(T self, const py::handle& dim) {
  auto dims = squeeze_dims_arg(dim);
  if (!dims) return squeeze(self, std::nullopt);
  if (dims->size() == 1 && !py::isinstance<py::sequence>(dim)) return squeeze(self, (*dims)[0]);
  return squeeze_dims(self, *dims);
}

void bind_shape_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input"), extra...);
  };
  both("diagonal", [](T x, int64_t offset, int64_t dim1, int64_t dim2) { return diagonal(x, offset, dim1, dim2); },
       py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  cls.def("diag_embed", [](T x, int64_t offset, int64_t dim1, int64_t dim2) { return diag_embed(x, offset, dim1, dim2); },
          py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1);
  m.def("diag_embed", [](T x, int64_t offset, int64_t dim1, int64_t dim2, O out) {
    return written(diag_embed(x, offset, dim1, dim2), out);
  }, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1, py::kw_only(),
        py::arg("out") = py::none());

  cls.def("t_", [](T x) { return t_inplace(x); });
  for (const char* name : {"transpose_", "swapdims_"})
    cls.def(name, [](T x, int64_t d0, int64_t d1) { return transpose_inplace(x, d0, d1); }, py::arg("dim0"), py::arg("dim1"));
  cls.def("swapaxes_", [](T x, int64_t d0, int64_t d1) { return transpose_inplace(x, d0, d1); },
          py::arg("axis0"), py::arg("axis1"));
  cls.def("squeeze_", [](T x, O dim) { return squeeze_inplace(x, squeeze_dims_arg(dim)); }, py::arg("dim") = py::none());
  cls.def("unsqueeze_", [](T x, int64_t dim) { return unsqueeze_inplace(x, dim); }, py::arg("dim"));

  cls.def("resize_", [](T x, py::args sizes, O) { return resize_(x, as_shape(sizes, "resize_")); },
          py::kw_only(), py::arg("memory_format") = py::none());
  cls.def("resize_", [](T x, O size, O) { return resize_(x, as_shape(size, "resize_")); }, py::arg("size"),
          py::kw_only(), py::arg("memory_format") = py::none());  // x.resize_(size=...)
  cls.def("resize_as_", [](T x, T other, O) { return resize_(x, other->shape); }, py::arg("the_template"),
          py::kw_only(), py::arg("memory_format") = py::none());

  // x.flip(dims=...) besides x.flip(*dims) (index_ops.cpp): an overload tried after that one
  cls.def("flip", [](T x, const py::handle& dims) { return flip(x, as_shape(dims, "flip")); }, py::arg("dims"));
  // other @ x for a non-tensor other; defining it must not replace the fast nb_matrix_multiply slot
  auto* number = reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_as_number;
  binaryfunc fast_matmul = number->nb_matrix_multiply;
  cls.def("__rmatmul__", [](T x, O other) { return matmul(as_tensor(other, "__rmatmul__"), x); }, py::is_operator());
  number->nb_matrix_multiply = fast_matmul;

  m.def("_empty_strided", [](O size, O stride, DType dtype) {
    return empty_strided(as_shape(size, "empty_strided"), as_shape(stride, "empty_strided"), dtype);
  });
  m.def("_tril_indices", &tril_indices);
  m.def("_triu_indices", &triu_indices);
}

}  // namespace tg::bind

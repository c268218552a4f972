// tg.* functions and Tensor methods (with their in-place forms) for cpp/src/ops/{index_extra,take_put}.cpp:
// scatter_reduce, index_add/copy/fill/reduce, take, put, masked_scatter, repeat_interleave.
#include "common.h"
#include "tg/ops_index.h"

namespace tg::bind {

namespace {

using T = const Tensor&;
using O = py::object;

Tensor inplace(T self, const Tensor& result, const char* op) {
  assign_inplace(self, result, op);
  return self;
}

// A Tensor argument: anything else raises TypeError naming the op and the argument.
Tensor tensor_arg(const py::handle& o, const char* op, const char* name) {
  TG_CHECK(py::isinstance<TensorImpl>(o), TypeError, op, "(): argument '", name, "' must be Tensor, not ", type_name(o));
  return o.cast<Tensor>();
}

// index_fill's value: a number, or a 0-d tensor.
Tensor fill_value(T self, const py::handle& v) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  auto s = as_scalar(v);
  TG_CHECK(s, TypeError, "index_fill(): argument 'value' must be Number or Tensor, not ", type_name(v));
  return scalar_tensor(*s, self->dtype);
}

std::optional<int64_t> opt_int(const py::handle& o) {
  if (o.is_none()) return std::nullopt;
  return o.cast<int64_t>();
}

Tensor repeat_interleave_py(T self, const py::handle& repeats, const py::handle& dim, const py::handle& output_size) {
  Tensor r = py::isinstance<TensorImpl>(repeats) ? repeats.cast<Tensor>()
                                                  : scalar_tensor(Scalar(repeats.cast<int64_t>()), DType::Int64);
  return repeat_interleave(self, r, opt_int(dim), opt_int(output_size));
}

}  // namespace

using Cls = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// name(input, ...) as tg.name and Tensor.name, plus Tensor.<inplace_name> writing the result into self.
template <typename... Args, typename... Extra>
void family(py::module_& m, Cls& cls, const char* name, const char* inplace_name, Tensor (*fn)(T, Args...),
            const Extra&... extra) {
  cls.def(name, fn, extra...);
  m.def(name, fn, py::arg("input"), extra...);
  if (inplace_name)
    cls.def(inplace_name, [fn, inplace_name](T x, Args... a) { return inplace(x, fn(x, a...), inplace_name); }, extra...);
}

void bind_index_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<Cls>(m.attr("Tensor"));
  family(m, cls, "scatter_reduce", "scatter_reduce_", +[](T x, int64_t dim, T index, T src, std::string reduce, bool include_self) {
    return scatter_reduce(x, dim, index, src, reduce, include_self);
  }, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);
  family(m, cls, "index_add", "index_add_", +[](T x, int64_t dim, T index, O source, O alpha) {
    return index_add(x, dim, index, tensor_arg(source, "index_add", "source"), scalar_arg(alpha, "index_add"));
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  family(m, cls, "index_copy", "index_copy_", +[](T x, int64_t dim, T index, O source) {
    return index_copy(x, dim, index, tensor_arg(source, "index_copy", "source"));
  }, py::arg("dim"), py::arg("index"), py::arg("source"));
  family(m, cls, "index_fill", "index_fill_", +[](T x, int64_t dim, T index, O value) {
    return index_fill(x, dim, index, fill_value(x, value));
  }, py::arg("dim"), py::arg("index"), py::arg("value"));
  family(m, cls, "index_reduce", "index_reduce_", +[](T x, int64_t dim, T index, O source, std::string reduce, bool include_self) {
    return index_reduce(x, dim, index, tensor_arg(source, "index_reduce", "source"), reduce, include_self);
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);
  family(m, cls, "take", nullptr, +[](T x, O index) { return take(x, tensor_arg(index, "take", "index")); }, py::arg("index"));
  family(m, cls, "put", "put_", +[](T x, O index, O source, bool accumulate) {
    return put(x, tensor_arg(index, "put", "index"), tensor_arg(source, "put", "source"), accumulate);
  }, py::arg("index"), py::arg("source"), py::arg("accumulate") = false);
  family(m, cls, "masked_scatter", "masked_scatter_", +[](T x, O mask, O source) {
    return masked_scatter(x, tensor_arg(mask, "masked_scatter", "mask"), tensor_arg(source, "masked_scatter", "source"));
  }, py::arg("mask"), py::arg("source"));
  family(m, cls, "repeat_interleave", nullptr, +[](T x, O repeats, O dim, O output_size) {
    return repeat_interleave_py(x, repeats, dim, output_size);
  }, py::arg("repeats"), py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none());
  // torch.repeat_interleave(repeats): each position i repeated repeats[i] times.
  m.def("_unique", [](T x, O dim, bool consecutive) {
    auto [values, inverse, counts] = unique_impl(x, opt_int(dim), consecutive);
    return py::make_tuple(values, inverse, counts);
  }, py::arg("input"), py::arg("dim"), py::arg("consecutive"));
  m.def("isin", [](O elements, O test, bool, bool invert) {
    return isin(as_tensor(elements, "isin"), as_tensor(test, "isin"), invert);
  }, py::arg("elements"), py::arg("test_elements"), py::kw_only(), py::arg("assume_unique") = false,
     py::arg("invert") = false);

  // ---- strided views and their scatters ----
  family(m, cls, "as_strided", nullptr, +[](T x, O size, O stride, O offset) {
    return as_strided(x, as_shape(size, "as_strided"), as_shape(stride, "as_strided"), opt_int(offset));
  }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  m.def("as_strided_copy", [](T x, O size, O stride, O offset) {
    return clone(as_strided(x, as_shape(size, "as_strided_copy"), as_shape(stride, "as_strided_copy"), opt_int(offset)));
  }, py::arg("input"), py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  family(m, cls, "as_strided_scatter", nullptr, +[](T x, T src, O size, O stride, O offset) {
    return as_strided_scatter(x, src, as_shape(size, "as_strided_scatter"), as_shape(stride, "as_strided_scatter"),
                              opt_int(offset));
  }, py::arg("src"), py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  cls.def("unfold", [](T x, int64_t dimension, int64_t size, int64_t step) { return unfold(x, dimension, size, step); },
          py::arg("dimension"), py::arg("size"), py::arg("step"));
  m.def("unfold_copy", [](T x, int64_t dimension, int64_t size, int64_t step) { return clone(unfold(x, dimension, size, step)); },
        py::arg("input"), py::arg("dimension"), py::arg("size"), py::arg("step"));
  family(m, cls, "select_scatter", nullptr, +[](T x, T src, int64_t dim, int64_t index) {
    return select_scatter(x, src, dim, index);
  }, py::arg("src"), py::arg("dim"), py::arg("index"));
  family(m, cls, "slice_scatter", nullptr, +[](T x, T src, int64_t dim, O start, O end, int64_t step) {
    return slice_scatter(x, src, dim, opt_int(start), opt_int(end), step);
  }, py::arg("src"), py::arg("dim") = 0, py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("step") = 1);
  family(m, cls, "diagonal_scatter", nullptr, +[](T x, T src, int64_t offset, int64_t dim1, int64_t dim2) {
    return diagonal_scatter(x, src, offset, dim1, dim2);
  }, py::arg("src"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);

  m.def("repeat_interleave", [](T repeats, O output_size) { return repeat_interleave_counts(repeats, opt_int(output_size)); },
        py::arg("repeats"), py::kw_only(), py::arg("output_size") = py::none());
}

}  // namespace tg::bind

// tg.* functions and Tensor methods for indexing (gather/scatter/index_select/masked_*/nonzero)
// and joining/shape ops (cat/stack/split/chunk/unbind/repeat/flip/roll/movedim/tril/triu/diag).
#include "common.h"
#include "tg/ops_index.h"

namespace tg::bind {

namespace {

using T = const Tensor&;
using O = py::object;

std::string type_name(const py::handle& o) { return Py_TYPE(o.ptr())->tp_name; }

py::tuple to_tuple(const std::vector<Tensor>& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

// An int or a sequence of ints (dims, shifts, sizes).
Shape int_list(const py::handle& o, const char* op, const char* what) {
  if (py::isinstance<py::int_>(o)) return {o.cast<int64_t>()};
  if (!py::isinstance<py::sequence>(o) || py::isinstance<py::str>(o))
    throw TypeError(str(op, "(): argument '", what, "' must be an int or a tuple of ints, not ",
                        type_name(o)));
  Shape s;
  for (auto v : o) s.push_back(py::cast<int64_t>(v));
  return s;
}

std::vector<Tensor> tensor_list(const py::handle& o, const char* op) {
  if (py::isinstance<TensorImpl>(o) || !py::isinstance<py::sequence>(o))
    throw TypeError(str(op, "(): argument 'tensors' must be a tuple or list of Tensors, not ",
                        type_name(o)));
  std::vector<Tensor> out;
  size_t i = 0;
  for (auto v : o) {
    if (!py::isinstance<TensorImpl>(v))
      throw TypeError(str(op, "(): expected Tensor as element ", i, " in argument 0, but got ",
                          type_name(v)));
    out.push_back(v.cast<Tensor>());
    ++i;
  }
  return out;
}

Tensor index_arg(const py::handle& o, const char* op) {
  if (!py::isinstance<TensorImpl>(o))
    throw TypeError(str(op, "(): argument 'index' must be Tensor, not ", type_name(o)));
  return o.cast<Tensor>();
}

// scatter(input, dim, index, src) or scatter(input, dim, index, value=...).
Tensor scatter_any(T self, int64_t dim, T index, const py::handle& src, const py::handle& value, const py::handle& reduce) {
  const py::handle& v = src.is_none() ? value : src;
  TG_CHECK(!v.is_none(), TypeError, "scatter(): expected a 'src' tensor or a 'value' number");
  if (!reduce.is_none()) {  // the older reduce="add" / "multiply" form
    Tensor s = py::isinstance<TensorImpl>(v) ? v.cast<Tensor>() : scalar_tensor(scalar_arg(v, "scatter"), self->dtype);
    return scatter_legacy_reduce(self, dim, index, s, reduce.cast<std::string>());
  }
  if (py::isinstance<TensorImpl>(v)) return scatter(self, dim, index, v.cast<Tensor>());
  auto s = as_scalar(v);
  TG_CHECK(s, TypeError, "scatter(): argument 'src' must be Tensor or Number, not ",
           type_name(v));
  return scatter(self, dim, index, *s);
}

Tensor fill_value(T self, const py::handle& v) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  auto s = as_scalar(v);
  // a complex number is a Number to torch, which then cannot convert it to a real dtype
  TG_CHECK(!PyComplex_Check(v.ptr()), RuntimeError, "value cannot be converted to type ", dtype_name(self->dtype),
           " without overflow");
  TG_CHECK(s, TypeError, "masked_fill(): argument 'value' must be Number or Tensor, not ",
           type_name(v));
  return scalar_tensor(*s, self->dtype);
}

py::object nonzero_py(T self, bool as_tuple) {
  Tensor nz = nonzero(self);
  if (!as_tuple) return py::cast(nz);
  if (self->dim() == 0) return to_tuple({zeros({nz->shape[0]}, DType::Int64)});
  std::vector<Tensor> cols;
  for (int64_t j = 0; j < self->dim(); ++j) cols.push_back(contiguous(select(nz, 1, j)));
  return to_tuple(cols);
}

py::tuple split_py(T self, const py::handle& size, int64_t dim) {
  if (py::isinstance<py::int_>(size)) return to_tuple(split(self, size.cast<int64_t>(), dim));
  return to_tuple(split_with_sizes(self, int_list(size, "split", "split_size_or_sections"), dim));
}

// sizes as varargs ints or one sequence (x.repeat(2, 3) or x.repeat((2, 3))).
Shape varargs_shape(const py::args& args, const char* op) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) return int_list(args[0], op, "sizes");
  Shape s;
  for (auto a : args) s.push_back(py::cast<int64_t>(a));
  return s;
}

// index_put's tuple of index tensors (None = a whole dim).
TensorIndices to_indices(const py::handle& o) {
  TensorIndices ix;
  for (auto i : o) {
    if (i.is_none()) ix.emplace_back();
    else ix.emplace_back(i.cast<Tensor>());
  }
  return ix;
}

Tensor inplace(T self, const Tensor& result, const char* op) {
  assign_inplace(self, result, op);
  return self;
}

Tensor tile(T self, const Shape& dims) {
  Shape d = dims;
  while (static_cast<int64_t>(d.size()) < self->dim()) d.insert(d.begin(), 1);
  return repeat(self, d);
}

}  // namespace

void bind_index_ops(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input"), extra...);
  };

  // ---- indexing ----
  both("index_select", [](T x, int64_t dim, O index) { return index_select(x, dim, index_arg(index, "index_select")); },
       py::arg("dim"), py::arg("index"));
  both("gather", [](T x, int64_t dim, O index, bool) { return gather(x, dim, index_arg(index, "gather")); },
       py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);
  both("scatter", [](T x, int64_t dim, T index, O src, O value, O reduce) { return scatter_any(x, dim, index, src, value, reduce); },
       py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none(),
       py::arg("reduce") = py::none());
  cls.def("scatter_", [](T x, int64_t dim, T index, O src, O value, O reduce) {
    return inplace(x, scatter_any(x, dim, index, src, value, reduce), "scatter_");
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none(),
     py::arg("reduce") = py::none());
  both("scatter_add", [](T x, int64_t dim, T index, T src) { return scatter_add(x, dim, index, src); },
       py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_", [](T x, int64_t dim, T index, T src) { return inplace(x, scatter_add(x, dim, index, src), "scatter_add_"); },
          py::arg("dim"), py::arg("index"), py::arg("src"));
  both("masked_fill", [](T x, T mask, O value) { return masked_fill(x, mask, fill_value(x, value)); },
       py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_", [](T x, T mask, O value) { return inplace(x, masked_fill(x, mask, fill_value(x, value)), "masked_fill_"); },
          py::arg("mask"), py::arg("value"));
  both("masked_select", [](T x, T mask) { return masked_select(x, mask); }, py::arg("mask"));
  both("take_along_dim", [](T x, T indices, O dim) {
    return take_along_dim(x, indices, dim.is_none() ? std::nullopt : std::optional<int64_t>(dim.cast<int64_t>()));
  }, py::arg("indices"), py::arg("dim") = py::none());
  both("nonzero", [](T x, bool as_tuple) { return nonzero_py(x, as_tuple); }, py::kw_only(), py::arg("as_tuple") = false);
  // where(condition) is nonzero(condition, as_tuple=True); an overload of the 3-argument where.
  m.def("where", [](T cond) { return nonzero_py(cond, true); }, py::arg("condition"));
  both("index_put", [](T x, O indices, T values, bool accumulate) {
    return index_put(x, to_indices(indices), values, accumulate);
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put_", [](T x, O indices, T values, bool accumulate) {
    return inplace(x, index_put(x, to_indices(indices), values, accumulate), "index_put_");
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);

  // ---- joining ----
  for (const char* name : {"cat", "concat", "concatenate"})
    m.def(name, [name](O tensors, int64_t dim) { return cat(tensor_list(tensors, name), dim); },
          py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](O tensors, int64_t dim) { return stack(tensor_list(tensors, "stack"), dim); },
        py::arg("tensors"), py::arg("dim") = 0);
  m.def("split", [](T x, O size, int64_t dim) { return split_py(x, size, dim); },
        py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  cls.def("split", [](T x, O size, int64_t dim) { return split_py(x, size, dim); },
          py::arg("split_size"), py::arg("dim") = 0);
  both("chunk", [](T x, int64_t chunks, int64_t dim) { return to_tuple(chunk(x, chunks, dim)); },
       py::arg("chunks"), py::arg("dim") = 0);
  both("unbind", [](T x, int64_t dim) { return to_tuple(unbind(x, dim)); }, py::arg("dim") = 0);

  // ---- shape ----
  cls.def("repeat", [](T x, py::args sizes) { return repeat(x, varargs_shape(sizes, "repeat")); });
  both("tile", [](T x, O dims) { return tile(x, int_list(dims, "tile", "dims")); }, py::arg("dims"));
  m.def("flip", [](T x, O dims) { return flip(x, int_list(dims, "flip", "dims")); }, py::arg("input"), py::arg("dims"));
  cls.def("flip", [](T x, py::args dims) { return flip(x, varargs_shape(dims, "flip")); });
  both("roll", [](T x, O shifts, O dims) {
    return roll(x, int_list(shifts, "roll", "shifts"), dims.is_none() ? Shape{} : int_list(dims, "roll", "dims"));
  }, py::arg("shifts"), py::arg("dims") = py::none());
  for (const char* name : {"movedim", "moveaxis"})
    both(name, [](T x, O src, O dst) { return movedim(x, int_list(src, "movedim", "source"), int_list(dst, "movedim", "destination")); },
         py::arg("source"), py::arg("destination"));
  both("unflatten", [](T x, int64_t dim, O sizes) { return unflatten(x, dim, int_list(sizes, "unflatten", "sizes")); },
       py::arg("dim"), py::arg("sizes"));
  both("narrow", [](T x, int64_t dim, int64_t start, int64_t length) { return narrow(x, dim, start, length); },
       py::arg("dim"), py::arg("start"), py::arg("length"));
  both("tril", [](T x, int64_t k) { return tril(x, k); }, py::arg("diagonal") = 0);
  both("triu", [](T x, int64_t k) { return triu(x, k); }, py::arg("diagonal") = 0);
  cls.def("tril_", [](T x, int64_t k) { return inplace(x, tril(x, k), "tril_"); }, py::arg("diagonal") = 0);
  cls.def("triu_", [](T x, int64_t k) { return inplace(x, triu(x, k), "triu_"); }, py::arg("diagonal") = 0);
  both("diag", [](T x, int64_t k) { return diag(x, k); }, py::arg("diagonal") = 0);
}

}  // namespace tg::bind

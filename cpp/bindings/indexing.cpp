// Tensor.__getitem__ / __setitem__ for basic indexing: ints, slices, None and Ellipsis.
#include "common.h"

namespace tg::bind {

namespace {

struct IndexItem {
  enum Kind { Int, Slice, NewAxis, Ellipsis } kind;
  int64_t start = 0, stop = 0, step = 1;
};
using Index = std::vector<IndexItem>;

Index parse_index(const py::handle& idx) {
  py::tuple items = py::isinstance<py::tuple>(idx) ? py::reinterpret_borrow<py::tuple>(idx) : py::make_tuple(idx);
  Index out;
  for (auto it : items) {
    PyObject* o = it.ptr();
    if (o == Py_None) {
      out.push_back({IndexItem::NewAxis});
    } else if (o == Py_Ellipsis) {
      out.push_back({IndexItem::Ellipsis});
    } else if (PySlice_Check(o)) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw py::error_already_set();
      TG_CHECK(step > 0, ValueError, "step must be greater than zero");
      out.push_back({IndexItem::Slice, start, stop, step});
    } else if (PyLong_Check(o) && !PyBool_Check(o)) {
      out.push_back({IndexItem::Int, it.cast<int64_t>()});
    } else if (py::isinstance<TensorImpl>(it) && it.cast<Tensor>()->dim() == 0 &&
               it.cast<Tensor>()->dtype == DType::Int64) {
      out.push_back({IndexItem::Int, *it.cast<Tensor>()->data<int64_t>()});
    } else {
      throw IndexError(str("only integers, slices (`:`), ellipsis (`...`) and None (`None`) are valid "
                           "indices here (got ", std::string(py::str(it.get_type().attr("__name__"))), ")"));
    }
  }
  return out;
}

Tensor apply_index(const Tensor& t, const Index& index) {
  int64_t consumed = 0, ellipses = 0;
  for (const auto& it : index) {
    consumed += it.kind == IndexItem::Int || it.kind == IndexItem::Slice;
    ellipses += it.kind == IndexItem::Ellipsis;
  }
  TG_CHECK(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");
  TG_CHECK(consumed <= t->dim(), IndexError, "too many indices for tensor of dimension ", t->dim());
  Tensor r = t;
  int64_t d = 0;
  for (const auto& it : index) {
    switch (it.kind) {
      case IndexItem::Int: r = select(r, d, it.start); break;
      case IndexItem::Slice: r = slice(r, d, it.start, it.stop, it.step); ++d; break;
      case IndexItem::NewAxis: r = unsqueeze(r, d); ++d; break;
      case IndexItem::Ellipsis: d += t->dim() - consumed; break;
    }
  }
  if (r == t) r = reshape(t, t->shape);  // x[...] is still a new view, as in torch
  return r;
}

Tensor value_tensor(const py::handle& v, DType dtype) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  if (auto s = as_scalar(v)) return scalar_tensor(*s, dtype);
  throw TypeError(str("can't assign a ", std::string(py::str(v.get_type().attr("__name__"))),
                      " to a tinygrad_ext tensor"));
}

// self[index] = value. With autograd, the result is self with the region replaced (gradient: g with
// the region zeroed for self, g[index] for value), written back into self.
void set_item(const Tensor& self, const py::handle& idx, const py::handle& v) {
  Index index = parse_index(idx);
  Tensor value = value_tensor(v, self->dtype);
  check_inplace(self, "__setitem__");
  if (!needs_grad({self, value})) {
    GradModeGuard off(false);
    copy_into(apply_index(self, index), value);
    self->bump_version();
    return;
  }
  Tensor result;
  {
    GradModeGuard off(false);
    result = clone(self);
    copy_into(apply_index(result, index), value);
  }
  Shape vshape = value->shape;
  record("CopySlices", {self, value}, {result}, [&] {
    return [index, vshape](const Grads& g) -> Grads {
      Tensor gself = clone(g[0]);
      {
        GradModeGuard off(false);
        copy_into(apply_index(gself, index), zeros({}, gself->dtype));
      }
      return {gself, sum_to(apply_index(g[0], index), vshape)};
    };
  });
  assign_inplace(self, result, "__setitem__");
}

}  // namespace

void bind_indexing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__getitem__", [](const Tensor& t, py::object idx) { return apply_index(t, parse_index(idx)); });
  cls.def("__setitem__", [](const Tensor& t, py::object idx, py::object v) { set_item(t, idx, v); });
  cls.def("narrow", [](const Tensor& t, int64_t dim, int64_t start, int64_t length) {
    int64_t d = wrap_dim(dim, t->dim(), "narrow");
    TG_CHECK(start >= -t->shape[d] && start <= t->shape[d], IndexError, "narrow(): start (", start,
             ") is out of bounds for dimension ", d, " with size ", t->shape[d]);
    if (start < 0) start += t->shape[d];
    TG_CHECK(length >= 0 && start + length <= t->shape[d], RuntimeError, "narrow(): start (", start,
             ") + length (", length, ") exceeds dimension size (", t->shape[d], ").");
    return slice(t, d, start, start + length, 1);
  }, py::arg("dim"), py::arg("start"), py::arg("length"));
}

}  // namespace tg::bind

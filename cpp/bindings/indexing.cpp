// Tensor.__getitem__ / __setitem__: ints, slices, None and Ellipsis (views), plus advanced indices
// (int64/bool tensors, lists, ranges, numpy arrays) handled by tg::index / tg::index_put_raw.
#include "common.h"

namespace tg::bind {

namespace {

struct IndexItem {
  enum Kind { Int, Slice, NewAxis, Ellipsis, Adv, BoolScalar } kind;
  int64_t start = 0, stop = 0, step = 1;  // Int: start is the index; BoolScalar: start is 0/1
  Tensor tensor;                          // Adv: an int64 or bool tensor
};
using Index = std::vector<IndexItem>;

std::string type_name(const py::handle& o) { return Py_TYPE(o.ptr())->tp_name; }

// torch's legacy rule: a non-tuple sequence holding slices, None, Ellipsis, tensors or sequences
// is read as a tuple of indices (x[[0, slice(None)]] == x[0, :]); otherwise it is one index tensor.
bool sequence_as_tuple(const py::handle& idx) {
  if (!py::isinstance<py::list>(idx)) return false;
  auto seq = py::reinterpret_borrow<py::list>(idx);
  if (seq.size() >= 32) return false;
  for (auto it : seq) {
    PyObject* o = it.ptr();
    if (o == Py_None || o == Py_Ellipsis || PySlice_Check(o) || py::isinstance<TensorImpl>(it) ||
        (PySequence_Check(o) && !py::isinstance<py::str>(it)))
      return true;
  }
  return false;
}

// A list / range / numpy array used as an index, as an int64 or bool tensor.
Tensor sequence_index(const py::handle& o) {
  if (PyRange_Check(o.ptr())) {
    int64_t start = o.attr("start").cast<int64_t>(), stop = o.attr("stop").cast<int64_t>(),
            step = o.attr("step").cast<int64_t>();
    return arange(Scalar(start), Scalar(stop), Scalar(step), DType::Int64);
  }
  Tensor t = py::module_::import("tinygrad_ext").attr("tensor")(o).cast<Tensor>();
  if (t->numel() == 0 && t->dtype != DType::Bool) return to_dtype(t, DType::Int64);  // x[[]]
  return t;
}

IndexItem tensor_item(const Tensor& t) {
  if (t->dim() == 0 && t->dtype == DType::Int64) return {IndexItem::Int, *t->data<int64_t>()};
  if (t->dim() == 0 && t->dtype == DType::Bool) return {IndexItem::BoolScalar, *t->data<bool>() ? 1 : 0};
  TG_CHECK(t->dtype == DType::Int64 || t->dtype == DType::Bool, IndexError,
           "tensors used as indices must be long, int, byte or bool tensors (got a tensor of dtype ",
           dtype_name(t->dtype), ")");
  IndexItem it{IndexItem::Adv};
  it.tensor = t;
  return it;
}

Index parse_index(const py::handle& idx) {
  py::tuple items = py::isinstance<py::tuple>(idx) ? py::reinterpret_borrow<py::tuple>(idx)
                    : sequence_as_tuple(idx)      ? py::tuple(py::reinterpret_borrow<py::list>(idx))
                                                  : py::make_tuple(idx);
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
    } else if (PyBool_Check(o)) {
      out.push_back({IndexItem::BoolScalar, o == Py_True ? 1 : 0});
    } else if (py::isinstance<TensorImpl>(it)) {
      out.push_back(tensor_item(it.cast<Tensor>()));
    } else if (PyLong_Check(o) || (py::hasattr(it, "__index__") && !PySequence_Check(o) &&
                                   !py::hasattr(it, "shape"))) {
      out.push_back({IndexItem::Int, it.cast<int64_t>()});
    } else if (PyRange_Check(o) || py::isinstance<py::list>(it) || (py::hasattr(it, "__array__") && py::hasattr(it, "shape"))) {
      out.push_back(tensor_item(sequence_index(it)));
    } else {
      throw IndexError(str("only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors "
                           "are valid indices (got ", type_name(it), ")"));
    }
  }
  return out;
}

// The basic part of the index applied as views; the advanced part (if any) in torch's form.
struct Applied {
  Tensor view;
  TensorIndices adv;
  bool has_adv = false;
};

Applied apply_basic(const Tensor& t, const Index& index) {
  int64_t consumed = 0, ellipses = 0;
  for (const auto& it : index) {
    if (it.kind == IndexItem::Int || it.kind == IndexItem::Slice) consumed += 1;
    if (it.kind == IndexItem::Adv) consumed += it.tensor->dtype == DType::Bool ? it.tensor->dim() : 1;
    ellipses += it.kind == IndexItem::Ellipsis;
  }
  TG_CHECK(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");
  TG_CHECK(consumed <= t->dim(), IndexError, "too many indices for tensor of dimension ", t->dim());
  Applied a{t};
  Tensor& r = a.view;
  int64_t d = 0;
  for (const auto& it : index) {
    switch (it.kind) {
      case IndexItem::Int: r = select(r, d, it.start); break;
      case IndexItem::Slice: r = slice(r, d, it.start, it.stop, it.step); a.adv.emplace_back(); ++d; break;
      case IndexItem::NewAxis: r = unsqueeze(r, d); a.adv.emplace_back(); ++d; break;
      case IndexItem::Ellipsis:
        for (int64_t k = 0; k < t->dim() - consumed; ++k) a.adv.emplace_back();
        d += t->dim() - consumed;
        break;
      case IndexItem::BoolScalar:  // x[True] adds a dim of size 1, x[False] one of size 0
        r = unsqueeze(r, d);
        a.adv.emplace_back(arange(Scalar(int64_t(0)), Scalar(it.start), Scalar(int64_t(1)), DType::Int64));
        a.has_adv = true;
        ++d;
        break;
      case IndexItem::Adv:
        a.adv.emplace_back(it.tensor);
        a.has_adv = true;
        d += it.tensor->dtype == DType::Bool ? it.tensor->dim() : 1;
        break;
    }
  }
  return a;
}

Tensor apply_index(const Tensor& t, const Index& index) {
  Applied a = apply_basic(t, index);
  if (a.has_adv) return tg::index(a.view, a.adv);
  if (a.view == t) return reshape(t, t->shape);  // x[...] is still a new view, as in torch
  return a.view;
}

// Writes value into t[index] in place; no autograd.
void assign_index(const Tensor& t, const Index& index, const Tensor& value) {
  GradModeGuard off(false);
  Applied a = apply_basic(t, index);
  if (a.has_adv) index_put_raw(a.view, a.adv, value, false);
  else copy_into(a.view, value);
}

// g with the indexed region set to zero (the gradient self gets from self[index] = value); its
// own backward is the same operation.
Tensor zero_region(const Tensor& g, const Index& index) {
  Tensor out;
  {
    GradModeGuard off(false);
    out = clone(g);
  }
  assign_index(out, index, zeros({}, g->dtype));
  record("IndexPutBackward0", {g}, {out}, [&] {
    return [index](const Grads& gg) -> Grads { return {zero_region(gg[0], index)}; };
  });
  return out;
}

Tensor value_tensor(const py::handle& v, DType dtype) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  if (auto s = as_scalar(v)) return scalar_tensor(*s, dtype);
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v))
    return to_dtype(py::module_::import("tinygrad_ext").attr("tensor")(v).cast<Tensor>(), dtype);
  throw TypeError(str("can't assign a ", type_name(v), " to a tinygrad_ext tensor"));
}

// self[index] = value. With autograd, the result is self with the region replaced (gradient: g with
// the region zeroed for self, g[index] summed to value's shape for value), written back into self.
void set_item(const Tensor& self, const py::handle& idx, const py::handle& v) {
  Index index = parse_index(idx);
  Tensor value = value_tensor(v, self->dtype);
  check_inplace(self, "__setitem__", self->requires_grad() || value->requires_grad());
  if (!needs_grad({self, value})) {
    assign_index(self, index, value);
    self->bump_version();
    return;
  }
  Tensor result;
  {
    GradModeGuard off(false);
    result = clone(self);
  }
  assign_index(result, index, value);
  Shape vshape = value->shape;
  record("CopySlices", {self, value}, {result}, [&] {
    return [index, vshape](const Grads& g) -> Grads {
      return {zero_region(g[0], index), sum_to(apply_index(g[0], index), vshape)};
    };
  });
  assign_inplace(self, result, "__setitem__");
}

}  // namespace

void bind_indexing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__getitem__", [](const Tensor& t, py::object idx) { return apply_index(t, parse_index(idx)); });
  cls.def("__setitem__", [](const Tensor& t, py::object idx, py::object v) { set_item(t, idx, v); });
}

}  // namespace tg::bind

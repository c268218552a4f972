// Tensor methods, operators and tg.* functions for the core ops.
#include <pybind11/numpy.h>

#include "tg/default_dtype.h"
#include "common.h"
#include "self_arg.h"

namespace tg::bind {

namespace {

using BinTT = Tensor (*)(const Tensor&, const Tensor&);
using BinTS = Tensor (*)(const Tensor&, Scalar);

// other may be a tensor or a Python number.
Tensor binary(const Tensor& a, const py::handle& other, BinTT tt, BinTS ts, const char* op) {
  if (py::isinstance<TensorImpl>(other)) return tt(a, other.cast<Tensor>());
  if (auto s = as_scalar(other)) return ts(a, *s);
  throw TypeError(str(op, "(): argument 'other' must be Tensor or Number, not ",
                      type_name(other)));
}

// A forward operator with a numpy array on the right (`t + ndarray`) returns NotImplemented, as
// torch's: Python then calls ndarray.__radd__(t), numpy computes the ufunc with its own promotion
// (float32 tensor + int32 array -> float64) and Tensor.__array_wrap__ gives a tensor back.
py::object operator_or_defer(const Tensor& a, const py::handle& other, BinTT tt, BinTS ts, const char* op) {
  if (py::isinstance<py::array>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  return py::cast(binary(a, other, tt, ts, op));
}

// The reflected operator (other OP a): CPython calls it with a tensor `other` when other's type is
// a subclass of a's (e.g. `t - parameter` calls parameter.__rsub__(t)).
Tensor reflected(const Tensor& a, const py::handle& other, BinTT tt, BinTS ts, const char* op) {
  if (py::isinstance<TensorImpl>(other)) return tt(other.cast<Tensor>(), a);
  return binary(a, other, tt, ts, op);
}

Tensor add_tt(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor add_ts(const Tensor& a, Scalar b) { return add(a, b); }
Tensor sub_tt(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor sub_ts(const Tensor& a, Scalar b) { return sub(a, b); }
Tensor mul_tt(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor mul_ts(const Tensor& a, Scalar b) { return mul(a, b); }
Tensor div_tt(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor div_ts(const Tensor& a, Scalar b) { return div(a, b); }
Tensor pow_tt(const Tensor& a, const Tensor& b) { return pow(a, b); }
Tensor pow_ts(const Tensor& a, Scalar b) { return pow_scalar(a, b); }
Tensor rsub_ts(const Tensor& a, Scalar b) { return rsub(a, b); }
Tensor rdiv_ts(const Tensor& a, Scalar b) { return rdiv(a, b); }
Tensor rpow_ts(const Tensor& a, Scalar b) { return rpow_scalar(b, a); }
template <BinaryOp op> Tensor cmp_tt(const Tensor& a, const Tensor& b) { return compare(op, a, b); }
template <BinaryOp op> Tensor cmp_ts(const Tensor& a, Scalar b) { return compare(op, a, b); }
Tensor max_tt(const Tensor& a, const Tensor& b) { return maximum(a, b); }
Tensor min_tt(const Tensor& a, const Tensor& b) { return minimum(a, b); }
Tensor scalar_unsupported(const Tensor&, Scalar) { throw TypeError("expected a Tensor argument, got a number"); }

// alpha == 1 exactly as an int (torch's default; a float 1.0 still goes through the alpha path).
bool is_one(const py::handle& alpha) {
  auto s = as_scalar(alpha);
  return s && s->kind == Kind::Int && s->i == 1;
}

Tensor with_alpha(const Tensor& a, const py::handle& other, const py::handle& alpha, bool subtract) {
  Scalar al = as_scalar(alpha).value_or(Scalar(int64_t(1)));
  Tensor b;
  if (py::isinstance<TensorImpl>(other)) {
    b = other.cast<Tensor>();
  } else {
    auto s = as_scalar(other);
    TG_CHECK(s, TypeError, subtract ? "sub" : "add", "(): argument 'other' must be Tensor or Number, not ",
             type_name(other));
    b = scalar_tensor(*s, result_type(a, *s));
  }
  return subtract ? sub(a, b, al) : add(a, b, al);
}

// A where() operand: a tensor, or a number typed by the other operand.
Tensor where_operand(const py::handle& v, const py::handle& other) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  Scalar s = scalar_arg(v, "where");
  if (py::isinstance<TensorImpl>(other)) return scalar_tensor(s, result_type(other.cast<Tensor>(), s));
  return scalar_tensor(s, scalar_dtype(s));
}

// clamp(x, min, max) = min(max(x, lo), hi); the gradient passes where lo <= x <= hi.
Tensor clamp(const Tensor& x, const py::handle& lo, const py::handle& hi) {
  TG_CHECK(!(lo.is_none() && hi.is_none()), RuntimeError, "clamp: At least one of 'min' or 'max' must not be None");
  Tensor out = x;
  auto bound = [&](const py::handle& b) {
    if (py::isinstance<TensorImpl>(b)) return b.cast<Tensor>();
    Scalar s = scalar_arg(b, "clamp");
    return scalar_tensor(s, result_type(x, s));
  };
  if (!lo.is_none()) {
    Tensor l = bound(lo);
    out = where(compare(BinaryOp::Lt, out, l), to_dtype(l, result_type(out, l)), out);
  }
  if (!hi.is_none()) {
    Tensor h = bound(hi);
    out = where(compare(BinaryOp::Gt, out, h), to_dtype(h, result_type(out, h)), out);
  }
  return out;
}

// What an in-place op whose backward saves `self` (mul_, div_, pow_, clamp_) computes from: the
// write would change the saved self and break backward, so when autograd records the op it
// computes from a copy (torch saves the original self the same way).
Tensor inplace_source(const Tensor& self, const py::handle& other) {
  bool other_grad = py::isinstance<TensorImpl>(other) && other.cast<Tensor>()->requires_grad();
  if (is_grad_enabled() && (self->requires_grad() || other_grad)) return clone(self);
  return self;
}

Tensor inplace(const Tensor& self, const Tensor& result, const char* op) {
  assign_inplace(self, result, op);
  return self;
}

// a OP= b (add_, sub_, mul_, div_ and their operators): straight into a's memory when nothing
// needs recording (binary_inplace_direct), else the result computed aside and copied in.
// `saves_self`: the op's backward reads a, so a recorded op computes from a copy (inplace_source).
Tensor binary_inplace(const Tensor& a, const py::handle& b, BinaryOp op, BinTT tt, BinTS ts, const char* name,
                      bool saves_self) {
  Tensor other;
  if (py::isinstance<TensorImpl>(b)) other = b.cast<Tensor>();
  else if (auto s = as_scalar(b)) other = scalar_tensor(*s, result_type(a, *s));
  if (other && binary_inplace_direct(op, a, other)) return a;
  return inplace(a, binary(saves_self ? inplace_source(a, b) : a, b, tt, ts, name), name);
}

// zero_ / fill_: overwrite a (expanded a allowed) with a 0-d value; value_is_input when the value
// is a tensor the gradient should reach.
Tensor fill_inplace(const Tensor& a, const Tensor& value, const char* op, const char* name, bool value_is_input) {
  assign_inplace(a, overwritten(a, value, name, value_is_input), op, /*allow_overlap=*/true);
  return a;
}

// uniform_ / normal_: fill a's memory directly, or, when autograd tracks a, a fresh tensor that then
// overwrites a (its history gets `name`; its old value gets a zero gradient).
template <typename Fill>
Tensor random_inplace(const Tensor& a, const char* op, const char* name, Fill&& fill) {
  check_inplace(a, op);
  if (!needs_grad({a})) {
    fill(a);
    a->bump_version();
    return a;
  }
  Tensor values = empty(a->shape, a->dtype);
  fill(values);
  assign_inplace(a, overwritten(a, values, name, false), op);
  return a;
}

}  // namespace

Tensor random_fill_inplace(const Tensor& a, const char* op, const char* name,
                           const std::function<void(const Tensor&)>& fill) {
  return random_inplace(a, op, name, fill);
}

namespace {

std::optional<int64_t> opt_dim(const py::handle& d) {
  if (d.is_none()) return std::nullopt;
  return d.cast<int64_t>();
}

// ---- operator fast path ----
// `a + b`, `a - b`, `a * b`, `a / b`, `a @ b` between two tensors, or a tensor and a Python float or
// int, run from the type's number slot straight into the op: pybind11's overload dispatch is about
// half the cost of an op on a small tensor. Anything else (subclasses such as Parameter, a number on
// the left, other types) calls the bound __op__ / __rop__ methods the way CPython's own slot would.
PyTypeObject* g_tensor_type = nullptr;

template <BinTT tt, BinTS ts>
struct FastSlot {
  static inline const char* method = nullptr;     // "__add__"
  static inline const char* reflected = nullptr;  // "__radd__"

  static PyObject* call(PyObject* a, PyObject* b) {
    try {
      if (Py_TYPE(a) == g_tensor_type) {
        if (Py_TYPE(b) == g_tensor_type)
          return wrap(tt(py::handle(a).cast<Tensor>(), py::handle(b).cast<Tensor>()));
        if (ts && PyFloat_CheckExact(b))
          return wrap(ts(py::handle(a).cast<Tensor>(), Scalar(PyFloat_AS_DOUBLE(b))));
        if (ts && PyLong_CheckExact(b)) {
          int overflow = 0;
          long long v = PyLong_AsLongLongAndOverflow(b, &overflow);
          if (!overflow) return wrap(ts(py::handle(a).cast<Tensor>(), Scalar(static_cast<int64_t>(v))));
        }
      }
      return generic(a, b);
    } catch (py::error_already_set& e) {
      e.restore();
    } catch (...) {
      py::detail::try_translate_exceptions();  // the module's translators: RuntimeError, TypeError, ...
    }
    return nullptr;
  }

  static PyObject* wrap(Tensor r) { return py::cast(std::move(r)).release().ptr(); }

  // a.__op__(b) when a is a tensor, then b.__rop__(a) when b is a tensor of another type.
  static PyObject* generic(PyObject* a, PyObject* b) {
    py::handle ha(a), hb(b);
    if (PyObject_TypeCheck(a, g_tensor_type)) {
      py::object r = ha.attr(method)(hb);
      if (!r.is(py::handle(Py_NotImplemented))) return r.release().ptr();
    }
    if (PyObject_TypeCheck(b, g_tensor_type) && Py_TYPE(a) != Py_TYPE(b) && py::hasattr(hb, reflected))
      return hb.attr(reflected)(ha).release().ptr();
    Py_RETURN_NOTIMPLEMENTED;
  }

  static void install(binaryfunc& slot, const char* name, const char* rname) {
    method = name;
    reflected = rname;
    slot = &call;
  }
};

Tensor matmul_tt(const Tensor& a, const Tensor& b) { return matmul(a, b); }

// Runs after the operators are bound (CPython has filled the slots from __add__ etc. by then).
void install_fast_slots(const py::handle& cls) {
  g_tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  PyNumberMethods* nb = g_tensor_type->tp_as_number;
  FastSlot<add_tt, add_ts>::install(nb->nb_add, "__add__", "__radd__");
  FastSlot<sub_tt, sub_ts>::install(nb->nb_subtract, "__sub__", "__rsub__");
  FastSlot<mul_tt, mul_ts>::install(nb->nb_multiply, "__mul__", "__rmul__");
  FastSlot<div_tt, div_ts>::install(nb->nb_true_divide, "__truediv__", "__rtruediv__");
  FastSlot<matmul_tt, nullptr>::install(nb->nb_matrix_multiply, "__matmul__", "__rmatmul__");
}

}  // namespace

void bind_ops(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  using T = const Tensor&;
  using O = py::object;

  // ---- operators ----
  cls.def("__add__", [](T a, O b) { return operator_or_defer(a, b, add_tt, add_ts, "add"); }, py::is_operator())
      .def("__radd__", [](O a, O b) { return reflected(self_tensor(a, "__radd__"), b, add_tt, add_ts, "add"); }, py::is_operator())
      .def("__sub__", [](T a, O b) { return operator_or_defer(a, b, sub_tt, sub_ts, "sub"); }, py::is_operator())
      .def("__rsub__", [](O a, O b) { return reflected(self_tensor(a, "__rsub__"), b, sub_tt, rsub_ts, "sub"); }, py::is_operator())
      .def("__mul__", [](T a, O b) { return operator_or_defer(a, b, mul_tt, mul_ts, "mul"); }, py::is_operator())
      .def("__rmul__", [](O a, O b) { return reflected(self_tensor(a, "__rmul__"), b, mul_tt, mul_ts, "mul"); }, py::is_operator())
      .def("__truediv__", [](T a, O b) { return operator_or_defer(a, b, div_tt, div_ts, "div"); }, py::is_operator())
      .def("__rtruediv__", [](O a, O b) { return reflected(self_tensor(a, "__rtruediv__"), b, div_tt, rdiv_ts, "div"); }, py::is_operator())
      .def("__pow__", [](T a, O b) { return operator_or_defer(a, b, pow_tt, pow_ts, "pow"); }, py::is_operator())
      .def("__rpow__", [](O a, O b) { return reflected(self_tensor(a, "__rpow__"), b, pow_tt, rpow_ts, "pow"); }, py::is_operator())
      .def("__matmul__", [](T a, T b) { return matmul(a, b); }, py::is_operator())
      .def("__eq__", [](T a, O b) {  // torch's __eq__ alone compares with an array's values itself
        if (py::isinstance<py::array>(b))
          return compare(BinaryOp::Eq, a, py::module_::import("tinygrad_ext").attr("as_tensor")(b).cast<Tensor>());
        return binary(a, b, cmp_tt<BinaryOp::Eq>, cmp_ts<BinaryOp::Eq>, "eq");
      }, py::is_operator())
      .def("__ne__", [](T a, O b) { return operator_or_defer(a, b, cmp_tt<BinaryOp::Ne>, cmp_ts<BinaryOp::Ne>, "ne"); }, py::is_operator())
      .def("__lt__", [](T a, O b) { return operator_or_defer(a, b, cmp_tt<BinaryOp::Lt>, cmp_ts<BinaryOp::Lt>, "lt"); }, py::is_operator())
      .def("__le__", [](T a, O b) { return operator_or_defer(a, b, cmp_tt<BinaryOp::Le>, cmp_ts<BinaryOp::Le>, "le"); }, py::is_operator())
      .def("__gt__", [](T a, O b) { return operator_or_defer(a, b, cmp_tt<BinaryOp::Gt>, cmp_ts<BinaryOp::Gt>, "gt"); }, py::is_operator())
      .def("__ge__", [](T a, O b) { return operator_or_defer(a, b, cmp_tt<BinaryOp::Ge>, cmp_ts<BinaryOp::Ge>, "ge"); }, py::is_operator())
      .def("__neg__", [](T a) { return neg(a); })
      .def("__abs__", [](T a) { return abs(a); })
      .def("__iadd__", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Add, add_tt, add_ts, "add_", false); }, py::is_operator())
      .def("__isub__", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Sub, sub_tt, sub_ts, "sub_", false); }, py::is_operator())
      .def("__imul__", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Mul, mul_tt, mul_ts, "mul_", true); }, py::is_operator())
      .def("__itruediv__", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Div, div_tt, div_ts, "div_", true); }, py::is_operator())
      .def("__ipow__", [](T a, O b) { return inplace(a, binary(inplace_source(a, b), b, pow_tt, pow_ts, "pow_"), "pow_"); }, py::is_operator());

  // ---- functions that are both tg.name(input, ...) and Tensor.name(...) ----
  auto both = [&](const char* name, auto fn, auto... extra) {
    cls.def(name, fn, extra...);
    m.def(name, fn, py::arg("input"), extra...);
  };
  both("add", [](T a, O b, O alpha) { return with_alpha(a, b, alpha, false); }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  both("sub", [](T a, O b, O alpha) { return with_alpha(a, b, alpha, true); }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  both("mul", [](T a, O b) { return binary(a, b, mul_tt, mul_ts, "mul"); }, py::arg("other"));
  both("div", [](T a, O b) { return binary(a, b, div_tt, div_ts, "div"); }, py::arg("other"));
  both("pow", [](T a, O b) { return binary(a, b, pow_tt, pow_ts, "pow"); }, py::arg("exponent"));
  both("maximum", [](T a, T b) { return maximum(a, b); }, py::arg("other"));
  both("minimum", [](T a, T b) { return minimum(a, b); }, py::arg("other"));
  both("eq", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Eq>, cmp_ts<BinaryOp::Eq>, "eq"); }, py::arg("other"));
  both("ne", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Ne>, cmp_ts<BinaryOp::Ne>, "ne"); }, py::arg("other"));
  both("lt", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Lt>, cmp_ts<BinaryOp::Lt>, "lt"); }, py::arg("other"));
  both("le", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Le>, cmp_ts<BinaryOp::Le>, "le"); }, py::arg("other"));
  both("gt", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Gt>, cmp_ts<BinaryOp::Gt>, "gt"); }, py::arg("other"));
  both("ge", [](T a, O b) { return binary(a, b, cmp_tt<BinaryOp::Ge>, cmp_ts<BinaryOp::Ge>, "ge"); }, py::arg("other"));
  both("neg", [](T a) { return neg(a); });
  both("negative", [](T a) { return neg(a); });
  both("abs", [](T a) { return abs(a); });
  both("exp", [](T a) { return exp(a); });
  both("log", [](T a) { return log(a); });
  both("sqrt", [](T a) { return sqrt(a); });
  both("relu", [](T a) { return relu(a); });
  both("sigmoid", [](T a) { return sigmoid(a); });
  both("tanh", [](T a) { return tanh(a); });
  m.def("where", [](T cond, O x, O y) { return where(cond, where_operand(x, y), where_operand(y, x)); },
        py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def("where", [](O self, T cond, O y) { return where(cond, where_operand(self, y), where_operand(y, self)); },
          py::arg("condition"), py::arg("other"));
  both("clamp", [](T x, O lo, O hi) { return clamp(x, lo, hi); }, py::arg("min") = py::none(), py::arg("max") = py::none());
  both("clip", [](T x, O lo, O hi) { return clamp(x, lo, hi); }, py::arg("min") = py::none(), py::arg("max") = py::none());
  both("matmul", [](T a, T b) { return matmul(a, b); }, py::arg("other"));
  both("mm", [](T a, T b) { return mm(a, b); }, py::arg("mat2"));
  both("sum", [](T x, O dim, bool keepdim, O dtype) { return sum(x, as_dims(dim), keepdim, as_dtype(dtype)); },
       py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  both("mean", [](T x, O dim, bool keepdim, O dtype) {
    auto dt = as_dtype(dtype);
    return mean(dt ? to_dtype(x, *dt) : x, as_dims(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  both("amax", [](T x, O dim, bool keepdim) { return amax(x, as_dims(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  both("amin", [](T x, O dim, bool keepdim) { return amin(x, as_dims(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  both("argmax", [](T x, O dim, bool keepdim) { return argmax(x, opt_dim(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  both("argmin", [](T x, O dim, bool keepdim) { return argmin(x, opt_dim(dim), keepdim); }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("_max_all", &max_all);
  m.def("_min_all", &min_all);
  m.def("_max_dim", [](T x, int64_t dim, bool keepdim) { return max_dim(x, dim, keepdim); });
  m.def("_min_dim", [](T x, int64_t dim, bool keepdim) { return min_dim(x, dim, keepdim); });

  // ---- views and copies ----
  cls.def("view", [](T t, py::args shape) {
        if (shape.size() == 1 && !PyLong_CheckExact(shape[0].ptr()) && py::isinstance<DType>(shape[0]))
          return view_dtype(t, shape[0].cast<DType>());
        return view(t, as_shape(shape, "view"));
      })
      .def("reshape", [](T t, py::args shape) { return reshape(t, as_shape(shape, "reshape")); })
      .def("permute", [](T t, py::args dims) { return permute(t, as_shape(dims, "permute")); })
      .def("expand", [](T t, py::args sizes) { return expand(t, as_shape(sizes, "expand")); })
      .def("t", [](T t) { return t_(t); })
      .def_property_readonly("T", [](T t) {
        Shape dims(t->dim());
        for (int64_t i = 0; i < t->dim(); ++i) dims[i] = t->dim() - 1 - i;
        return permute(t, dims);
      })
      .def_property_readonly("mT", [](T t) { return transpose(t, -2, -1); })
      .def("contiguous", [](T t) { return contiguous(t); })
      .def("view_as", [](T t, T o) { return view(t, o->shape); }, py::arg("other"))
      .def("reshape_as", [](T t, T o) { return reshape(t, o->shape); }, py::arg("other"))
      .def("expand_as", [](T t, T o) { return expand(t, o->shape); }, py::arg("other"))
      .def("float", [](T t) { return to_dtype(t, DType::Float32); })
      .def("double", [](T t) { return to_dtype(t, DType::Float64); })
      .def("long", [](T t) { return to_dtype(t, DType::Int64); })
      .def("bool", [](T t) { return to_dtype(t, DType::Bool); });
  m.def("reshape", [](T t, O shape) { return reshape(t, as_shape(shape, "reshape")); }, py::arg("input"), py::arg("shape"));
  m.def("permute", [](T t, O dims) { return permute(t, as_shape(dims, "permute")); }, py::arg("input"), py::arg("dims"));
  both("transpose", [](T t, int64_t d0, int64_t d1) { return transpose(t, d0, d1); }, py::arg("dim0"), py::arg("dim1"));
  both("swapaxes", [](T t, int64_t d0, int64_t d1) { return transpose(t, d0, d1); }, py::arg("axis0"), py::arg("axis1"));
  m.def("t", [](T t) { return t_(t); }, py::arg("input"));
  both("squeeze", [](T t, O dim) { return squeeze_any(t, dim); }, py::arg("dim") = py::none());
  both("unsqueeze", [](T t, int64_t dim) { return unsqueeze(t, dim); }, py::arg("dim"));
  both("flatten", [](T t, int64_t s, int64_t e) { return flatten(t, s, e); }, py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  both("clone", [](T t) { return clone(t); });
  both("select", [](T t, int64_t dim, int64_t index) { return select(t, dim, index); }, py::arg("dim"), py::arg("index"));
  m.def("broadcast_shapes", [](py::args shapes) {
    Shape out;
    for (auto s : shapes) out = broadcast_shapes(out, as_shape(s, "broadcast_shapes"), "broadcast_shapes");
    return make_size(out);
  });

  // ---- in-place ----
  cls.def("add_", [](T a, O b, O alpha) {
        if (is_one(alpha)) return binary_inplace(a, b, BinaryOp::Add, add_tt, add_ts, "add_", false);
        return inplace(a, with_alpha(a, b, alpha, false), "add_");
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub_", [](T a, O b, O alpha) {
        if (is_one(alpha)) return binary_inplace(a, b, BinaryOp::Sub, sub_tt, sub_ts, "sub_", false);
        return inplace(a, with_alpha(a, b, alpha, true), "sub_");
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul_", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Mul, mul_tt, mul_ts, "mul_", true); }, py::arg("other"))
      .def("div_", [](T a, O b) { return binary_inplace(a, b, BinaryOp::Div, div_tt, div_ts, "div_", true); }, py::arg("other"))
      .def("pow_", [](T a, O b) { return inplace(a, binary(inplace_source(a, b), b, pow_tt, pow_ts, "pow_"), "pow_"); }, py::arg("exponent"))
      .def("clamp_", [](T a, O lo, O hi) { return inplace(a, clamp(inplace_source(a, py::none()), lo, hi), "clamp_"); }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("copy_", [](T a, T src) { return inplace(a, overwritten(a, src, "CopyBackwards", true), "copy_"); }, py::arg("src"))
      .def("zero_", [](T a) { return fill_inplace(a, zeros({}, a->dtype), "zero_", "ZeroBackward0", false); })
      .def("fill_", [](T a, O v) {
        bool is_tensor = py::isinstance<TensorImpl>(v);
        Tensor val = is_tensor ? v.cast<Tensor>() : scalar_tensor(scalar_arg(v, "fill_"), a->dtype);
        TG_CHECK(val->dim() == 0, RuntimeError, "fill_ only supports 0-dimension value tensor but got tensor with ",
                 val->dim(), " dimensions.");
        return fill_inplace(a, to_dtype(val, a->dtype), "fill_", is_tensor ? "FillBackward3" : "FillBackward2", is_tensor);
      }, py::arg("value"))
      .def("uniform_", [](T a, double lo, double hi, O gen) {
        return random_inplace(a, "uniform_", "UniformBackward0", [&](T t) { uniform_(t, lo, hi, as_generator(gen)); });
      }, py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("normal_", [](T a, double mean, double std, O gen) {
        return random_inplace(a, "normal_", "NormalBackward0", [&](T t) { normal_(t, mean, std, as_generator(gen)); });
      }, py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none());

  // ---- creation primitives (the Python layer parses sizes and keyword arguments) ----
  m.def("_full", [](const Shape& shape, O value, DType dtype) { return full(shape, scalar_arg(value, "full"), dtype); });
  m.def("_empty", [](const Shape& shape, DType dtype) { return empty(shape, dtype); });
  m.def("_arange", [](O start, O end, O step, O dtype) {
    return arange(scalar_arg(start, "arange"), scalar_arg(end, "arange"), scalar_arg(step, "arange"), as_dtype(dtype));
  });
  m.def("_linspace", [](double s, double e, int64_t n, DType dt) { return linspace(s, e, n, dt); });
  m.def("_eye", [](int64_t n, int64_t mm_, DType dt) { return eye(n, mm_, dt); });
  m.def("_rand", [](const Shape& s, DType dt, O gen) { return rand(s, dt, as_generator(gen)); });
  m.def("_randn", [](const Shape& s, DType dt, O gen) { return randn(s, dt, as_generator(gen)); });
  m.def("_randint", [](int64_t lo, int64_t hi, const Shape& s, DType dt, O gen) { return randint(lo, hi, s, dt, as_generator(gen)); });
  m.def("_randperm", [](int64_t n, DType dt, O gen) { return randperm(n, dt, as_generator(gen)); });
  m.def("_result_type", [](O a, O b) {
    bool ta = py::isinstance<TensorImpl>(a), tb = py::isinstance<TensorImpl>(b);
    if (ta && tb) return result_type(a.cast<Tensor>(), b.cast<Tensor>());
    if (ta) return result_type(a.cast<Tensor>(), scalar_arg(b, "result_type"));
    if (tb) return result_type(b.cast<Tensor>(), scalar_arg(a, "result_type"));
    Scalar x = scalar_arg(a, "result_type"), y = scalar_arg(b, "result_type");
    return x.kind >= y.kind ? scalar_dtype(x) : scalar_dtype(y);
  });
  install_fast_slots(cls);
}

}  // namespace tg::bind

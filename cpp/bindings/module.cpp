// The tinygrad_ext._C extension module: exception mapping, dtypes, generators, and the families.
#include <new>

#include "tg/default_dtype.h"
#include "common.h"
#include "tg/allocator.h"
#include "tg/parallel.h"

namespace tg::bind {

namespace {
PyObject* g_size_type = nullptr;  // tinygrad_ext.Size, owned for the life of the process
}

std::optional<Scalar> as_scalar(const py::handle& o) {
  if (PyBool_Check(o.ptr())) return Scalar(o.ptr() == Py_True);
  if (PyLong_Check(o.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
    if (overflow) throw TypeError("value cannot be converted to int64 without overflow");
    return Scalar(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(o.ptr())) return Scalar(PyFloat_AS_DOUBLE(o.ptr()));
  // numpy scalars and other number-likes
  if (py::hasattr(o, "dtype") && py::hasattr(o, "item") && !py::isinstance<TensorImpl>(o) &&
      py::len(o.attr("shape")) == 0)
    return as_scalar(o.attr("item")());
  return std::nullopt;
}

Scalar scalar_arg(const py::handle& o, const char* op) {
  if (auto s = as_scalar(o)) return *s;
  throw TypeError(str(op, "(): expected a number, not '",
                      type_name(o), "'"));
}

Tensor as_tensor(const py::handle& o, const char* op) {
  if (py::isinstance<TensorImpl>(o)) return o.cast<Tensor>();
  if (auto s = as_scalar(o)) return scalar_tensor(*s, scalar_dtype(*s));
  throw TypeError(str(op, "(): argument must be a Tensor or a number, not '",
                      type_name(o), "'"));
}

Shape as_dims(const py::handle& o) {
  if (o.is_none()) return {};
  if (py::isinstance<py::int_>(o)) return {o.cast<int64_t>()};
  Shape dims;
  for (auto d : o) dims.push_back(py::cast<int64_t>(d));
  return dims;  // empty = all dims, as torch does for sum/mean/amax/amin with dim=()
}

// One size: a Python int (fast path) or anything with __index__.
int64_t as_size(const py::handle& d) {
  if (PyLong_CheckExact(d.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(d.ptr(), &overflow);
    if (!overflow) return static_cast<int64_t>(v);
  }
  return py::cast<int64_t>(d);
}

Shape as_shape(const py::handle& o, const char* op) {
  Shape s;
  if (PyTuple_CheckExact(o.ptr()) || PyList_CheckExact(o.ptr())) {  // the common case, without the checks below
    PyObject* seq = o.ptr();
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject** items = PySequence_Fast_ITEMS(seq);
    bool all_ints = true;
    for (Py_ssize_t i = 0; i < n && all_ints; ++i) all_ints = PyLong_CheckExact(items[i]);
    if (all_ints) {
      for (Py_ssize_t i = 0; i < n; ++i) s.push_back(as_size(items[i]));
      return s;
    }
  }
  if (py::isinstance<py::int_>(o) || (py::hasattr(o, "__index__") && !py::isinstance<py::sequence>(o))) {
    s.push_back(py::cast<int64_t>(o));
    return s;
  }
  if (!py::isinstance<py::sequence>(o) || py::isinstance<py::str>(o))
    throw TypeError(str(op, "(): size must be a tuple of ints, but got '",
                        type_name(o), "'"));
  for (auto d : o) {
    if (!py::isinstance<py::int_>(d) && !py::hasattr(d, "__index__"))
      throw TypeError(str(op, "(): size must contain ints, but got '",
                          type_name(d), "'"));
    s.push_back(py::cast<int64_t>(d));
  }
  return s;
}

Shape as_shape(const py::args& args, const char* op) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) return as_shape(py::handle(args[0]), op);
  return as_shape(static_cast<py::handle>(args), op);
}

std::optional<DType> as_dtype(const py::handle& o) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<DType>(o)) return o.cast<DType>();
  if (o.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float64;
  if (o.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
  if (o.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  throw TypeError(str("expected a tinygrad_ext dtype (e.g. tinygrad_ext.float32), got ",
                      std::string(py::repr(o))));
}

Generator* as_generator(const py::handle& o) {
  if (o.is_none()) return nullptr;
  return o.cast<Generator*>();
}

py::object make_size(const Shape& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
  if (!g_size_type) return std::move(t);
  return py::reinterpret_borrow<py::object>(g_size_type)(t);
}

}  // namespace tg::bind

void bind_nn(py::module_& m);  // cpp/bindings/nn.cpp
void bind_nn_extra(py::module_& m);  // cpp/bindings/nn_extra.cpp
void bind_conv(py::module_& m);  // cpp/bindings/conv.cpp

using namespace tg;
using namespace tg::bind;

void bind_data(py::module_& m);  // cpp/bindings/data.cpp
void bind_optim(py::module_& m);  // cpp/bindings/optim.cpp
void bind_simd(py::module_& m);  // cpp/bindings/simd.cpp
namespace tg::bind { void bind_dlpack(py::module_& m); }  // cpp/bindings/dlpack.cpp
namespace tg::bind { void bind_distributed(py::module_& m); }  // cpp/bindings/distributed.cpp

void bind_parallel(py::module_& m);  // cpp/bindings/parallel.cpp
void bind_nn_layers(py::module_& m);  // cpp/bindings/nn_layers.cpp
namespace tg::bind { void bind_reduce_extra(py::module_& m); }  // cpp/bindings/reduce_extra.cpp
void bind_dtype_state(py::module_& m);  // cpp/bindings/dtype_state.cpp
namespace tg::bind { void bind_index_extra(py::module_& m); }  // cpp/bindings/index_extra.cpp
namespace tg::bind { void bind_reduce_order(py::module_& m); }  // cpp/bindings/reduce_order.cpp

PYBIND11_MODULE(_C, m) {
  m.doc() = "tinygrad_ext C++ core";
  py::register_exception<RuntimeError>(m, "_RuntimeError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tg::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const tg::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const tg::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const tg::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const tg::RuntimeError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "tinygrad_ext: out of memory allocating a tensor");
    } catch (const py::cast_error& e) {
      // an argument of the wrong type (a str where a dim is expected...): TypeError, as in torch
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });

  py::enum_<DType>(m, "dtype")
      .value("bool", DType::Bool)
      .value("uint8", DType::UInt8)
      .value("int8", DType::Int8)
      .value("int16", DType::Int16)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float16", DType::Float16)
      .value("bfloat16", DType::BFloat16)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType d) { return str("tinygrad_ext.", dtype_name(d)); })
      .def("__str__", [](DType d) { return str("tinygrad_ext.", dtype_name(d)); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return itemsize(d); })
      .def_property_readonly("is_signed", [](DType d) { return is_signed(d); })
      .def_property_readonly("is_complex", [](DType) { return false; });
  m.def("promote_types", [](DType a, DType b) { return promote(a, b); }, py::arg("type1"), py::arg("type2"));
  m.def("can_cast", [](DType from, DType to) { return can_cast(from, to); }, py::arg("from_"), py::arg("to"));

  py::class_<Generator>(m, "Generator")
      .def(py::init<>())
      .def("manual_seed", [](Generator& g, uint64_t s) -> Generator& { g.manual_seed(s); return g; },
           py::return_value_policy::reference_internal)
      .def("initial_seed", &Generator::initial_seed)
      .def("seed", [](Generator& g) {
        uint64_t s = std::random_device{}();
        g.manual_seed(s);
        return s;
      });
  m.def("default_generator", []() -> Generator& { return default_generator(); },
        py::return_value_policy::reference);

  m.def("_set_size_type", [](py::object t) { tg::bind::g_size_type = t.release().ptr(); });
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads);
  m.def("_live_tensor_count", &live_tensor_count);
  m.def("_live_node_count", &live_node_count);
  m.def("_allocator_stats", [] {
    AllocatorStats s = allocator_stats();
    py::dict d;
    d["cached_bytes"] = s.cached_bytes;
    d["cache_limit"] = s.cache_limit;
    d["reused"] = s.reused;
    d["mapped"] = s.mapped;
    return d;
  });
  m.def("_empty_cache", &empty_cache);
  m.def("_set_cache_limit", &set_cache_limit);

  bind_tensor(m);
  bind_ops(m);
  bind_autograd(m);
  bind_indexing(m);
  bind_index_ops(m);
  bind_data(m);
  bind_nn(m);
  bind_nn_extra(m);
  bind_conv(m);
  bind_optim(m);
  bind_math(m);
  bind_math_extra(m);
  bind_simd(m);
  bind_dlpack(m);
  bind_distributed(m);
  bind_parallel(m);
  bind_nn_layers(m);
  bind_device(m);
  bind_reduce_extra(m);
  bind_shape_extra(m);
  bind_special_extra(m);
  bind_random_extra(m);
  bind_dtype_state(m);
  bind_index_extra(m);
  bind_reduce_order(m);
}

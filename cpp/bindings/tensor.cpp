// The Tensor class for Python: construction, numpy interop, properties and autograd fields.
#include <pybind11/numpy.h>

#include "common.h"

namespace tg::bind {

namespace {

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::UInt8: return py::dtype::of<uint8_t>();
    case DType::Int8: return py::dtype::of<int8_t>();
    case DType::Int16: return py::dtype::of<int16_t>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float16: return py::dtype("float16");
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
    case DType::BFloat16: break;
  }
  throw TypeError(str("Got unsupported ScalarType ", scalar_type_name(d)));  // numpy has no bfloat16
}

DType from_numpy_dtype(const py::dtype& dt) {
  char k = dt.kind();
  size_t sz = dt.itemsize();
  if (k == 'b') return DType::Bool;
  if (k == 'u' && sz == 1) return DType::UInt8;
  if (k == 'i' && sz == 1) return DType::Int8;
  if (k == 'i' && sz == 2) return DType::Int16;
  if (k == 'i' && sz == 4) return DType::Int32;
  if (k == 'i' && sz == 8) return DType::Int64;
  if (k == 'f' && sz == 2) return DType::Float16;
  if (k == 'f' && sz == 4) return DType::Float32;
  if (k == 'f' && sz == 8) return DType::Float64;
  throw TypeError(str("can't convert np.ndarray of type numpy.", std::string(py::str(dt)),
                      ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, "
                      "uint8, and bool."));
}

// Shares the array's memory (the array stays alive as long as the storage does).
Tensor from_numpy(py::array arr) {
  DType dt = from_numpy_dtype(arr.dtype());
  size_t isz = itemsize(dt);
  bool writable = arr.writeable();
  bool aligned = (reinterpret_cast<uintptr_t>(arr.data()) % isz) == 0;
  Shape shape(arr.ndim()), strides(arr.ndim());
  bool strides_ok = true;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    shape[i] = arr.shape(i);
    TG_CHECK(arr.strides(i) >= 0, ValueError,
             "At least one stride in the given numpy array is negative, and tensors with negative "
             "strides are not currently supported. (You can probably work around this by making a copy "
             "of your array with array.copy().)");
    strides_ok &= arr.strides(i) % static_cast<py::ssize_t>(isz) == 0;
    strides[i] = arr.strides(i) / static_cast<py::ssize_t>(isz);
  }
  if (!writable || !aligned || !strides_ok) {
    // Read-only or misaligned memory cannot be shared safely: take a private copy.
    py::array copy = py::array(arr.dtype(), std::vector<py::ssize_t>(shape.begin(), shape.end()));
    py::module_::import("numpy").attr("copyto")(copy, arr);
    return from_numpy(copy);
  }
  size_t nbytes = 0;
  if (shape_numel(shape) > 0) {
    nbytes = isz;
    for (size_t i = 0; i < shape.size(); ++i) nbytes += (shape[i] - 1) * strides[i] * isz;
  }
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  auto keep = std::shared_ptr<void>(owner, [](void* p) {
    py::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(p));
  });
  auto storage = Storage::wrap(arr.mutable_data(), nbytes, std::move(keep));
  return std::make_shared<TensorImpl>(std::move(storage), 0, shape, strides, dt,
                                      std::make_shared<VersionCounter>());
}

// A numpy view of the tensor's memory; the array keeps the storage alive.
py::array to_numpy(const Tensor& t) {
  TG_CHECK(t->device().is_cpu(), TypeError, "can't convert ", t->device().str(),
           " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  TG_CHECK(!t->requires_grad(), RuntimeError,
           "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  std::vector<py::ssize_t> shape(t->shape.begin(), t->shape.end()), strides;
  for (int64_t s : t->strides) {  // byte strides; an empty tensor's may be huge and are irrelevant
    py::ssize_t bytes = 0;
    bool overflow = __builtin_mul_overflow(s, static_cast<py::ssize_t>(itemsize(t->dtype)), &bytes);
    TG_CHECK(!overflow || t->numel() == 0, RuntimeError, "numpy(): a stride of ", s, " elements overflows in bytes");
    strides.push_back(overflow ? 0 : bytes);
  }
  auto* holder = new std::shared_ptr<Storage>(t->storage);
  py::capsule base(holder, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(numpy_dtype(t->dtype), shape, strides, t->raw(), base);
}

void set_requires_grad(const Tensor& t, bool flag) {
  if (!t->is_leaf()) {
    TG_CHECK(flag, RuntimeError,
             "you can only change requires_grad flags of leaf variables. If you want to use a computed "
             "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    return;
  }
  TG_CHECK(!flag || is_floating(t->dtype), RuntimeError,
           "only Tensors of floating point dtype can require gradients (got ", dtype_name(t->dtype), ")");
  t->meta().requires_grad = flag;
}

// A handle whose remove() disables a registered hook.
struct RemovableHandle {
  std::shared_ptr<bool> alive;
  void remove() { *alive = false; }
};

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<RemovableHandle>(m, "RemovableHandle").def("remove", &RemovableHandle::remove);

  py::class_<TensorImpl, std::shared_ptr<TensorImpl>> cls(m, "Tensor", py::dynamic_attr());
  cls.def(py::init([](const Tensor& other) { return alias_detached(other, true); }), py::arg("data"))
      .def_property_readonly("shape", [](const Tensor& t) { return make_size(t->shape); })
      .def_property_readonly("dtype", [](const Tensor& t) { return t->dtype; })
      .def_property_readonly("ndim", [](const Tensor& t) { return t->dim(); })
      .def("dim", [](const Tensor& t) { return t->dim(); })
      .def("ndimension", [](const Tensor& t) { return t->dim(); })
      .def("numel", [](const Tensor& t) { return t->numel(); })
      .def("nelement", [](const Tensor& t) { return t->numel(); })
      .def("element_size", [](const Tensor& t) { return itemsize(t->dtype); })
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return py::tuple(py::cast(t->strides));
        return py::int_(t->strides[wrap_dim(dim.cast<int64_t>(), t->dim(), "stride", false)]);
      }, py::arg("dim") = py::none())
      .def("storage_offset", [](const Tensor& t) { return t->offset; })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t->raw()); })
      .def("is_contiguous", [](const Tensor& t) { return t->is_contiguous(); })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t->dtype); })
      .def_property_readonly("_version", [](const Tensor& t) { return t->version->value.load(); })
      .def_property_readonly("_base", [](const Tensor& t) -> Tensor { return t->is_view() ? t->autograd->view->base : nullptr; })
      .def("_is_view", [](const Tensor& t) { return t->is_view(); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return t->is_leaf(); })
      .def_property("requires_grad", [](const Tensor& t) { return t->requires_grad(); }, &set_requires_grad)
      .def("requires_grad_", [](const Tensor& t, bool flag) { set_requires_grad(t, flag); return t; },
           py::arg("requires_grad") = true)
      .def_property("grad",
          [](const Tensor& t) -> Tensor { return t->autograd ? t->autograd->grad : nullptr; },
          [](const Tensor& t, const std::optional<Tensor>& new_grad) {
            Tensor g = new_grad.value_or(nullptr);
            if (g) {
              TG_CHECK(g->shape == t->shape, RuntimeError, "assigned grad has data of a different size (",
                       shape_str(g->shape), " vs ", shape_str(t->shape), ")");
              TG_CHECK(g->dtype == t->dtype, RuntimeError, "assigned grad has data of a different type (",
                       dtype_name(g->dtype), " vs ", dtype_name(t->dtype), ")");
            }
            t->meta().grad = g;
          })
      .def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
        const auto& fn = t->grad_fn();
        if (!fn) return py::none();
        return py::cast(fn);
      })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t->autograd && t->autograd->retains_grad; })
      .def("retain_grad", [](const Tensor& t) { retain_grad(t); })
      .def("register_hook", [](const Tensor& t, py::function fn) {
        TG_CHECK(t->requires_grad(), RuntimeError,
                 "cannot register a hook on a tensor that doesn't require gradient");
        auto alive = std::make_shared<bool>(true);
        auto holder = std::make_shared<py::function>(fn);
        Hook hook = [alive, holder](const Tensor& g) -> Tensor {
          if (!*alive) return nullptr;
          py::gil_scoped_acquire gil;
          py::object r = (*holder)(g);
          if (r.is_none()) return nullptr;
          Tensor out = r.cast<Tensor>();
          TG_CHECK(out->shape == g->shape, RuntimeError, "hook returned a gradient of shape ",
                   shape_str(out->shape), " but expected ", shape_str(g->shape));
          return out;
        };
        if (t->is_leaf()) t->meta().hooks.push_back(hook);
        else t->grad_fn()->pre_hooks[t->autograd->output_nr].push_back(hook);
        return RemovableHandle{alive};
      }, py::arg("hook"))
      .def("register_post_accumulate_grad_hook", [](const Tensor& t, py::function fn) {
        TG_CHECK(t->requires_grad(), RuntimeError,
                 "cannot register a hook on a tensor that doesn't require gradient");
        TG_CHECK(t->is_leaf(), RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf tensors");
        auto alive = std::make_shared<bool>(true);
        auto holder = std::make_shared<py::function>(fn);
        t->meta().post_accumulate_hooks.push_back([alive, holder](const Tensor& leaf) {
          if (!*alive) return;
          py::gil_scoped_acquire gil;
          py::object r = (*holder)(leaf);
          if (!r.is_none()) throw TypeError(str("expected None, but hook returned '", type_name(r), "'"));
        });
        return RemovableHandle{alive};
      }, py::arg("hook"))
      .def("detach", [](const Tensor& t) { return detach(t); })
      .def("detach_", [](const Tensor& t) {
        TG_CHECK(!t->is_view(), RuntimeError, "Can't detach views in-place. Use detach() instead.");
        if (t->autograd) { t->autograd->grad_fn = nullptr; t->autograd->requires_grad = false; }
        return t;
      })
      .def_property("data", [](const Tensor& t) { return alias_detached(t, false); },
                    [](const Tensor& t, const Tensor& src) {
                      TG_CHECK(src->dtype == t->dtype, RuntimeError, "data: cannot assign a ",
                               dtype_name(src->dtype), " tensor to a ", dtype_name(t->dtype), " tensor");
                      t->storage = src->storage;
                      t->offset = src->offset;
                      t->shape = src->shape;
                      t->strides = src->strides;
                    })
      .def("numpy", [](const Tensor& t) { return to_numpy(t); })
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()) >> 4; });

  m.def("from_numpy", &from_numpy, py::arg("ndarray"));
  m.def("_numpy_to_tensor", [](py::array arr) { return from_numpy(arr); });
}

}  // namespace tg::bind

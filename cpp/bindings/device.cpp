// Devices for Python: tinygrad_ext.device, memory_format, and the Tensor methods that move or cast
// tensors (to, cpu, cuda) or ask where they live (device, is_cuda, is_cpu, get_device).
#include <algorithm>

#include "common.h"

namespace tg::bind {

namespace {

// torch's memory formats; tinygrad_ext lays tensors out row-major (contiguous_format) only.
enum class MemoryFormat { Preserve, Contiguous, ChannelsLast, ChannelsLast3d };

bool is_int(const py::handle& o) { return PyLong_Check(o.ptr()) && !PyBool_Check(o.ptr()); }

// An int names a device of the current accelerator (torch 2.x), and this build has none.
Device accelerator_device(int64_t index) {
  TG_CHECK(index >= 0, RuntimeError, "Device index must not be negative");
  throw RuntimeError("Cannot access accelerator device when none is available.");
}

// tinygrad_ext.device(type, index=None) with torch.device's rules and messages.
Device construct_device(const py::handle& type, const py::handle& index) {
  if (py::isinstance<Device>(type)) {
    TG_CHECK(index.is_none(), TypeError, "device(): an index cannot be given with a device object");
    return type.cast<Device>();
  }
  if (is_int(type)) {
    TG_CHECK(index.is_none(), TypeError, "device(): an index cannot be given with an int device");
    return accelerator_device(type.cast<int64_t>());
  }
  TG_CHECK(py::isinstance<py::str>(type), TypeError, "device(): argument 'type' must be str, not ", type_name(type));
  Device d = parse_device(type.cast<std::string>());
  if (index.is_none()) return d;
  TG_CHECK(is_int(index), TypeError, "device(): argument 'index' (position 2) must be int, not ", type_name(index));
  TG_CHECK(!d.has_index(), RuntimeError,
           "type (string) must not include an index because index was passed explicitly: ", type.cast<std::string>());
  int64_t i = index.cast<int64_t>();
  TG_CHECK(i >= 0, RuntimeError, "Device index must not be negative");
  return make_device(device_type_name(d.type), i);
}

std::string device_repr(const Device& d) {
  std::string s = str("device(type='", device_type_name(d.type), "'");
  return d.has_index() ? str(s, ", index=", d.index, ")") : s + ")";
}

// What Tensor.to / Module.to were asked for (torch's _parse_to).
struct ToArgs {
  std::optional<Device> device;
  std::optional<DType> dtype;
  bool non_blocking = false;
  bool copy = false;
  MemoryFormat memory_format = MemoryFormat::Preserve;
};

std::string to_signature_error(const py::args& args, const py::kwargs& kwargs) {
  std::string got;
  for (auto a : args) got += (got.empty() ? "" : ", ") + type_name(a);
  for (auto kv : kwargs)
    got += (got.empty() ? "" : ", ") + py::str(kv.first).cast<std::string>() + "=" + type_name(kv.second);
  const char* tail = "bool non_blocking = False, bool copy = False, *, tinygrad_ext.memory_format memory_format = None)";
  return str("to() received an invalid combination of arguments - got (", got, "), but expected one of:\n",
             " * (tinygrad_ext.device device = None, tinygrad_ext.dtype dtype = None, ", tail, "\n",
             " * (tinygrad_ext.dtype dtype, ", tail, "\n * (Tensor tensor, ", tail);
}

bool is_dtype_like(const py::handle& o) {
  return py::isinstance<DType>(o) || o.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type) ||
         o.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type) || o.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type);
}

// The three overloads: to(device=None, dtype=None, non_blocking, copy), to(dtype, non_blocking,
// copy) and to(tensor, non_blocking, copy), each with keyword-only memory_format.
ToArgs parse_to(const py::args& args, const py::kwargs& kwargs) {
  auto fail = [&]() { throw TypeError(to_signature_error(args, kwargs)); };
  std::vector<std::string> names;  // the positional parameters of the overload the first argument picks
  ToArgs r;
  size_t first = 0;
  if (args.size() > 0 && py::isinstance<TensorImpl>(args[0])) {
    Tensor other = args[0].cast<Tensor>();
    r.device = other->device();
    r.dtype = other->dtype;
    names = {"tensor", "non_blocking", "copy"};
    first = 1;
  } else if (args.size() > 0 && is_dtype_like(args[0])) {
    r.dtype = as_dtype(args[0]);
    names = {"dtype", "non_blocking", "copy"};
    first = 1;
  } else {
    names = {"device", "dtype", "non_blocking", "copy"};
  }
  if (args.size() > names.size()) fail();
  py::dict given;  // every parameter but the first tensor/dtype, by name
  for (size_t i = first; i < args.size(); ++i) given[py::str(names[i])] = args[i];
  for (auto kv : kwargs) {
    std::string k = py::str(kv.first);
    bool known = k == "memory_format" || std::find(names.begin() + first, names.end(), k) != names.end();
    if (!known || given.contains(k)) fail();
    given[py::str(k)] = kv.second;
  }
  auto flag = [&](const char* k, bool& out) {
    if (!given.contains(k)) return;
    py::handle v = given[k];
    if (!PyBool_Check(v.ptr())) fail();
    out = v.ptr() == Py_True;
  };
  if (given.contains("device")) {
    py::handle d = given["device"];
    if (!d.is_none() && !py::isinstance<py::str>(d) && !py::isinstance<Device>(d) && !is_int(d)) fail();
    r.device = as_device(d, "to");
  }
  if (given.contains("dtype")) {
    py::handle d = given["dtype"];
    if (!d.is_none() && !is_dtype_like(d)) fail();
    r.dtype = as_dtype(d);
  }
  flag("non_blocking", r.non_blocking);
  flag("copy", r.copy);
  if (given.contains("memory_format") && !given["memory_format"].is_none()) {
    if (!py::isinstance<MemoryFormat>(given["memory_format"])) fail();
    r.memory_format = given["memory_format"].cast<MemoryFormat>();
  }
  return r;
}

// channels_last(_3d) is accepted where torch accepts it (rank 4 / 5); tg keeps tensors row-major
// (NCHW) and its kernels compute on that layout, so the format changes no value.
void check_memory_format(const Tensor& t, MemoryFormat f, const char* op) {
  if (f == MemoryFormat::ChannelsLast)
    TG_CHECK(t->dim() == 4, RuntimeError, op, "(): required rank 4 tensor to use channels_last format");
  if (f == MemoryFormat::ChannelsLast3d)
    TG_CHECK(t->dim() == 5, RuntimeError, op, "(): required rank 5 tensor to use channels_last_3d format");
}

// torch's Tensor.to: self when nothing changes and no copy was asked for (devices compare with
// their index, so to("cpu:0") copies a "cpu" tensor, as torch does); otherwise a new tensor,
// differentiable like torch's ToCopyBackward0. memory_format=contiguous_format alone returns self
// too: torch restrides only when the tensor's suggested format differs, and for the layouts tg has
// (no channels_last) that is always contiguous_format.
Tensor apply_to(const Tensor& t, const ToArgs& a, const char* op) {
  check_memory_format(t, a.memory_format, op);
  Device device = a.device.value_or(t->device());
  DType dtype = a.dtype.value_or(t->dtype);
  if (device != t->device()) {
    require_device_backend(t->device(), op);  // reading the source needs its backend too
    require_device_backend(device, op);
  }
  if (device == t->device() && dtype == t->dtype && !a.copy) return t;
  return dtype != t->dtype ? to_dtype(t, dtype) : clone(t);
}

}  // namespace

std::optional<Device> as_device(const py::handle& o, const char* op) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<Device>(o)) return o.cast<Device>();
  if (py::isinstance<py::str>(o)) return parse_device(o.cast<std::string>());
  if (is_int(o)) return accelerator_device(o.cast<int64_t>());
  throw TypeError(str(op, "(): argument 'device' must be tinygrad_ext.device, not ", type_name(o)));
}

void bind_device(py::module_& m) {
  py::class_<Device>(m, "device")
      .def(py::init(&construct_device), py::arg("type"), py::arg("index") = py::none())
      .def_property_readonly("type", [](const Device& d) { return device_type_name(d.type); })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.has_index() ? py::object(py::int_(d.index)) : py::object(py::none());
      })
      .def("__repr__", &device_repr)
      .def("__str__", &Device::str)
      .def("__eq__", [](const Device& a, const py::object& b) {
        return py::isinstance<Device>(b) && a == b.cast<Device>();
      })
      .def("__hash__", [](const Device& d) {
        return py::hash(py::make_tuple(device_type_name(d.type), d.index));
      })
      .def("__reduce__", [](const py::object& self) {
        const Device& d = self.cast<const Device&>();
        py::tuple args = d.has_index() ? py::tuple(py::make_tuple(device_type_name(d.type), d.index))
                                       : py::tuple(py::make_tuple(device_type_name(d.type)));
        return py::make_tuple(py::type::of(self), args);
      });

  py::enum_<MemoryFormat> formats(m, "memory_format");
  formats
      .value("preserve_format", MemoryFormat::Preserve)
      .value("contiguous_format", MemoryFormat::Contiguous)
      .value("channels_last", MemoryFormat::ChannelsLast)
      .value("channels_last_3d", MemoryFormat::ChannelsLast3d);
  // Printed as torch prints its formats ("torch.contiguous_format"); set after pybind's enum repr.
  auto format_name = py::cpp_function(
      [](const py::object& f) { return "tinygrad_ext." + py::str(f.attr("name")).cast<std::string>(); },
      py::is_method(formats));
  py::setattr(formats, "__repr__", format_name);
  py::setattr(formats, "__str__", format_name);

  m.def("_parse_to", [](const py::args& args, const py::kwargs& kwargs) {
    ToArgs a = parse_to(args, kwargs);
    return py::make_tuple(a.device ? py::cast(*a.device) : py::none(), a.dtype ? py::cast(*a.dtype) : py::none(),
                          a.non_blocking, a.copy, py::cast(a.memory_format));
  });
  // The check every factory makes of its device= argument: parses it and raises for a device
  // this build cannot place tensors on.
  m.def("_check_device", [](const py::handle& device, const char* op) {
    if (auto d = as_device(device, op)) require_device_backend(*d, op);
  }, py::arg("device"), py::arg("op"));
  // Test hook: a tensor sharing t's (host) memory whose storage claims to live on `device`, so
  // the tests can exercise the device checks in a build that has only one device.
  m.def("_relabel_device_for_testing", [](const Tensor& t, const Device& device) {
    auto storage = Storage::wrap(t->storage->data, t->storage->nbytes, t->storage);
    storage->device = device;
    return std::make_shared<TensorImpl>(storage, t->offset, t->shape, t->strides, t->dtype,
                                        std::make_shared<VersionCounter>());
  });

  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def_property_readonly("device", [](const Tensor& t) { return t->device(); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t->device().is_cuda(); })
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t->device().is_cpu(); })
      .def("get_device", [](const Tensor& t) -> int64_t { return t->device().is_cpu() ? -1 : t->device().index; })
      .def("to", [](const Tensor& t, const py::args& args, const py::kwargs& kwargs) {
        return apply_to(t, parse_to(args, kwargs), "to");
      })
      .def("cpu", [](const Tensor& t, MemoryFormat memory_format) {
        ToArgs a;
        a.device = Device{};
        a.memory_format = memory_format;
        return apply_to(t, a, "cpu");
      }, py::kw_only(), py::arg("memory_format") = MemoryFormat::Preserve)
      .def("cuda", [](const Tensor& t, const py::object& device, bool non_blocking, MemoryFormat memory_format) {
        ToArgs a;
        a.device = is_int(device) ? make_device("cuda", device.cast<int64_t>()) : as_device(device, "cuda").value_or(Device{DeviceType::CUDA, -1});
        TG_CHECK(a.device->is_cuda(), RuntimeError, "Invalid device, must be cuda device");
        a.non_blocking = non_blocking;
        a.memory_format = memory_format;
        return apply_to(t, a, "cuda");
      }, py::arg("device") = py::none(), py::arg("non_blocking") = false, py::kw_only(),
         py::arg("memory_format") = MemoryFormat::Preserve);
}

}  // namespace tg::bind

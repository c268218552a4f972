// Memory shared with other libraries: DLPack capsules (producer and consumer, legacy and
// versioned 1.x), tensors over Python buffers (mmap, bytes), and raw views used by the loaders.
#include <pybind11/numpy.h>

#include <cstring>

#include "common.h"

namespace tg::bind {

namespace {

// The DLPack ABI (dlpack.h, version 1.x), declared from the specification.
struct DLDevice { int32_t device_type; int32_t device_id; };
struct DLDataType { uint8_t code; uint8_t bits; uint16_t lanes; };
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means C-contiguous
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
struct DLPackVersion { uint32_t major; uint32_t minor; };
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned*);
  uint64_t flags;
  DLTensor dl_tensor;
};
constexpr int32_t kDLCPU = 1;
constexpr uint64_t kFlagReadOnly = 1, kFlagIsCopied = 2;
constexpr const char* kLegacyName = "dltensor";
constexpr const char* kVersionedName = "dltensor_versioned";
constexpr const char* kUsedLegacyName = "used_dltensor";
constexpr const char* kUsedVersionedName = "used_dltensor_versioned";

template <typename Managed>
constexpr const char* capsule_name() {
  return std::is_same_v<Managed, DLManagedTensorVersioned> ? kVersionedName : kLegacyName;
}

// ---------------------------------------------------------------- producer
// What an exported capsule owns: the tensor's storage (keeps the memory alive however long the
// consumer holds it, after the tensor itself is gone) and the shape/strides arrays it points to.
template <typename Managed>
struct Export {
  Managed managed{};
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  // Callable from any thread, with or without the GIL: it only drops a C++ reference (a storage
  // wrapping Python memory takes the GIL itself when it lets go of it).
  static void deleter(Managed* m) { delete static_cast<Export*>(m->manager_ctx); }
};

// Frees an exported tensor whose capsule dies unconsumed; a consumer renames the capsule
// ("used_...") and then owns the deleter call itself.
template <typename Managed>
void capsule_destructor(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, capsule_name<Managed>())) return;
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);  // a destructor may run while an exception is pending
  auto* m = static_cast<Managed*>(PyCapsule_GetPointer(capsule, capsule_name<Managed>()));
  if (m && m->deleter) m->deleter(m);
  PyErr_Restore(type, value, tb);
}

template <typename Managed>
py::object make_capsule(const Tensor& t, DLDataType dtype, Managed init) {
  auto* e = new Export<Managed>;
  e->managed = init;
  e->storage = t->storage;
  e->shape = t->shape;
  e->strides = t->strides;
  DLTensor& dl = e->managed.dl_tensor;
  dl.data = t->raw();
  dl.device = {kDLCPU, 0};
  dl.ndim = static_cast<int32_t>(t->dim());
  dl.dtype = dtype;
  dl.shape = e->shape.data();
  dl.strides = e->strides.data();
  dl.byte_offset = 0;
  e->managed.manager_ctx = e;
  e->managed.deleter = &Export<Managed>::deleter;
  PyObject* capsule = PyCapsule_New(&e->managed, capsule_name<Managed>(), &capsule_destructor<Managed>);
  if (!capsule) {
    delete e;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(capsule);
}

// A capsule for `t` (already detached/copied by the Python caller). code/bits come from the
// dtype table in Python; versioned picks the DLPack 1.x struct, `copied` sets its IS_COPIED flag.
py::object to_dlpack(const Tensor& t, int code, int bits, bool versioned, bool copied) {
  TG_CHECK(bits == static_cast<int>(itemsize(t->dtype) * 8), ValueError, "to_dlpack: ", bits,
           " bits given for a ", dtype_name(t->dtype), " tensor");
  DLDataType dt{static_cast<uint8_t>(code), static_cast<uint8_t>(bits), 1};
  if (!versioned) return make_capsule(t, dt, DLManagedTensor{});
  DLManagedTensorVersioned init{};
  init.version = {1, 0};
  init.flags = copied ? kFlagIsCopied : 0;  // tg's memory is always writable
  return make_capsule(t, dt, init);
}

// ---------------------------------------------------------------- consumer
// Copies a strided block of elements (byte strides, any sign) into contiguous dst.
void copy_strided(const char* src, const int64_t* shape, const int64_t* byte_strides, size_t ndim,
                  size_t isz, char*& dst) {
  if (ndim == 0) {
    std::memcpy(dst, src, isz);
    dst += isz;
    return;
  }
  if (ndim == 1 && byte_strides[0] == static_cast<int64_t>(isz)) {
    std::memcpy(dst, src, shape[0] * isz);
    dst += shape[0] * isz;
    return;
  }
  for (int64_t i = 0; i < shape[0]; ++i)
    copy_strided(src + i * byte_strides[0], shape + 1, byte_strides + 1, ndim - 1, isz, dst);
}

// Calls the producer's deleter once (when the tensor's storage dies, or right after a copy).
struct Consumed {
  void* managed;
  bool versioned;
  void release() const {
    if (versioned) {
      auto* m = static_cast<DLManagedTensorVersioned*>(managed);
      if (m->deleter) m->deleter(m);
    } else {
      auto* m = static_cast<DLManagedTensor*>(managed);
      if (m->deleter) m->deleter(m);
    }
  }
};

// A tensor over the memory a DLPack capsule describes. `dtypes` maps (code, bits) to tg dtypes.
// Everything is checked before the capsule is marked consumed, so on any error the capsule stays
// owned by its destructor. Read-only memory (the versioned READ_ONLY flag), negative strides and
// misaligned data are copied, since a tg tensor is always writable and non-negatively strided.
Tensor from_dlpack(const py::object& capsule, const py::dict& dtypes) {
  PyObject* cap = capsule.ptr();
  bool versioned = PyCapsule_IsValid(cap, kVersionedName);
  if (!versioned && !PyCapsule_IsValid(cap, kLegacyName)) {
    TG_CHECK(!PyCapsule_IsValid(cap, kUsedLegacyName) && !PyCapsule_IsValid(cap, kUsedVersionedName),
             ValueError, "from_dlpack: this DLPack capsule was already consumed (a capsule can be "
             "used only once)");
    throw TypeError(str("from_dlpack: expected a DLPack capsule (a PyCapsule named 'dltensor' or "
                        "'dltensor_versioned') or an object with __dlpack__, got '",
                        type_name(capsule), "'"));
  }
  void* managed = PyCapsule_GetPointer(cap, versioned ? kVersionedName : kLegacyName);
  if (!managed) throw py::error_already_set();
  DLTensor* dl;
  uint64_t flags = 0;
  if (versioned) {
    auto* m = static_cast<DLManagedTensorVersioned*>(managed);
    if (m->version.major != 1)
      throw py::buffer_error(str("from_dlpack: unsupported DLPack version ", m->version.major, ".",
                                 m->version.minor, " (tinygrad_ext reads 1.x)"));
    dl = &m->dl_tensor;
    flags = m->flags;
  } else {
    dl = &static_cast<DLManagedTensor*>(managed)->dl_tensor;
  }
  if (dl->device.device_type != kDLCPU)
    throw py::buffer_error(str("from_dlpack: unsupported device type ", dl->device.device_type,
                               " (tinygrad_ext tensors live on the CPU, DLPack device type 1)"));
  TG_CHECK(dl->ndim >= 0 && (dl->ndim == 0 || dl->shape), ValueError,
           "from_dlpack: malformed DLTensor (ndim ", dl->ndim, ")");
  py::object key = py::make_tuple(dl->dtype.code, dl->dtype.bits);
  TG_CHECK(dl->dtype.lanes == 1 && dtypes.contains(key), TypeError,
           "from_dlpack: unsupported DLPack dtype (code ", int(dl->dtype.code), ", bits ",
           int(dl->dtype.bits), ", lanes ", dl->dtype.lanes, ")");
  DType dtype = dtypes[key].cast<DType>();
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  Shape shape(dl->shape, dl->shape + dl->ndim);
  const int64_t numel = shape_numel(shape);  // rejects negative sizes and overflow
  Shape strides = dl->strides ? Shape(dl->strides, dl->strides + dl->ndim) : contiguous_strides(shape);
  char* base = static_cast<char*>(dl->data) + dl->byte_offset;
  bool negative = false;
  int64_t extent = numel ? 1 : 0;  // elements from base to one past the last, for non-negative strides
  for (size_t i = 0; i < shape.size() && numel; ++i) {
    negative |= strides[i] < 0;
    extent += (shape[i] - 1) * std::max<int64_t>(strides[i], 0);
  }
  bool copy = numel == 0 || (flags & kFlagReadOnly) || negative ||
              reinterpret_cast<uintptr_t>(base) % isz != 0;
  TG_CHECK(numel == 0 || dl->data, ValueError, "from_dlpack: DLTensor with NULL data");

  PyCapsule_SetName(cap, versioned ? kUsedVersionedName : kUsedLegacyName);  // ours from now on
  Consumed consumed{managed, versioned};
  if (copy) {
    struct ReleaseAfterCopy {
      Consumed c;
      ~ReleaseAfterCopy() { c.release(); }
    } guard{consumed};
    Tensor out = empty(shape, dtype);
    Shape byte_strides(strides);
    for (auto& s : byte_strides) s *= isz;
    char* dst = out->raw();
    if (numel) copy_strided(base, shape.data(), byte_strides.data(), shape.size(), isz, dst);
    return out;
  }
  auto owner = std::shared_ptr<void>(managed, [consumed](void*) {
    py::gil_scoped_acquire gil;  // producers' deleters may touch Python objects
    consumed.release();
  });
  auto storage = Storage::wrap(base, static_cast<size_t>(extent * isz), std::move(owner));
  return std::make_shared<TensorImpl>(std::move(storage), 0, std::move(shape), std::move(strides),
                                      dtype, std::make_shared<VersionCounter>());
}

// ---------------------------------------------------------------- Python buffers
// A contiguous tensor over `nbytes(shape, dtype)` bytes at `offset` of a buffer (an mmap, a
// bytearray, bytes...). Writable, aligned memory is shared (the buffer stays exported, hence
// alive and unresizable, while the storage lives); read-only or misaligned memory is copied.
Tensor from_buffer(const py::object& obj, DType dtype, const Shape& shape, int64_t offset) {
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  const int64_t nbytes = shape_numel(shape) * isz;
  auto* view = new Py_buffer;
  bool writable = PyObject_GetBuffer(obj.ptr(), view, PyBUF_WRITABLE) == 0;
  if (!writable) {
    PyErr_Clear();
    if (PyObject_GetBuffer(obj.ptr(), view, PyBUF_SIMPLE) != 0) {
      delete view;
      throw py::error_already_set();
    }
  }
  auto release = [](Py_buffer* v) {
    py::gil_scoped_acquire gil;
    PyBuffer_Release(v);
    delete v;
  };
  std::unique_ptr<Py_buffer, decltype(release)> held(view, release);
  TG_CHECK(offset >= 0 && offset <= view->len && nbytes <= view->len - offset, ValueError,
           "from_buffer: ", nbytes, " bytes at offset ", offset, " lie outside the ", view->len,
           "-byte buffer");
  char* src = static_cast<char*>(view->buf) + offset;
  if (!writable || reinterpret_cast<uintptr_t>(src) % isz != 0 || nbytes == 0) {
    Tensor out = empty(shape, dtype);
    if (nbytes) std::memcpy(out->raw(), src, nbytes);
    return out;
  }
  auto owner = std::shared_ptr<void>(held.release(), release);
  auto storage = Storage::wrap(src, static_cast<size_t>(nbytes), std::move(owner));
  return std::make_shared<TensorImpl>(std::move(storage), 0, shape, contiguous_strides(shape),
                                      dtype, std::make_shared<VersionCounter>());
}

// A writable uint8 numpy view of a contiguous tensor's bytes (for writing files and reading
// into tensors of any dtype, numpy knowing it or not); the array keeps the storage alive.
py::array byte_view(const Tensor& t) {
  TG_CHECK(t->is_contiguous(), ValueError, "_byte_view: the tensor must be contiguous");
  auto* holder = new std::shared_ptr<Storage>(t->storage);
  py::capsule keep(holder, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  py::ssize_t n = static_cast<py::ssize_t>(t->numel() * itemsize(t->dtype));
  return py::array(py::dtype("uint8"), {n}, {py::ssize_t{1}}, t->raw(), keep);
}

// A tensor of `dtype` over `storage`'s memory (a contiguous tensor at offset 0 holding a whole
// checkpoint storage) with its own geometry and version counter, as torch rebuilds the tensors
// that share one storage; the geometry is checked against the storage's size.
Tensor storage_view(const Tensor& storage, DType dtype, const Shape& shape, const Shape& strides,
                    int64_t offset) {
  TG_CHECK(storage->offset == 0 && storage->is_contiguous(), ValueError,
           "_storage_view: the storage tensor must be contiguous at offset 0");
  TG_CHECK(shape.size() == strides.size(), ValueError, "size ", shape_str(shape), " and stride ",
           shape_str(strides), " differ in length");
  const int64_t numel = shape_numel(shape);
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  const int64_t avail = static_cast<int64_t>(storage->numel() * itemsize(storage->dtype)) / isz;
  TG_CHECK(offset >= 0, ValueError, "negative storage offset ", offset);
  int64_t end = offset + (numel ? 1 : 0);
  for (size_t i = 0; i < shape.size() && numel; ++i) {
    TG_CHECK(strides[i] >= 0, ValueError, "negative stride ", strides[i]);
    // end + (shape - 1) * stride <= avail, tested without overflow
    TG_CHECK(end <= avail && (strides[i] == 0 || shape[i] - 1 <= (avail - end) / strides[i]),
             ValueError, "size ", shape_str(shape), ", stride ", shape_str(strides), " and offset ",
             offset, " reach past the storage of ", avail, " elements");
    end += (shape[i] - 1) * strides[i];
  }
  TG_CHECK(end <= avail, ValueError, "offset ", offset, " lies past the storage of ", avail,
           " elements");
  return std::make_shared<TensorImpl>(storage->storage, offset, shape, strides, dtype,
                                      std::make_shared<VersionCounter>());
}

}  // namespace

void bind_dlpack(py::module_& m) {
  m.def("_to_dlpack", &to_dlpack, py::arg("tensor"), py::arg("code"), py::arg("bits"),
        py::arg("versioned"), py::arg("copied"));
  m.def("_from_dlpack", &from_dlpack, py::arg("capsule"), py::arg("dtypes"));
  m.def("_from_buffer", &from_buffer, py::arg("buffer"), py::arg("dtype"), py::arg("shape"),
        py::arg("offset") = 0);
  m.def("_byte_view", &byte_view, py::arg("tensor"));
  m.def("_storage_view", &storage_view, py::arg("storage"), py::arg("dtype"), py::arg("size"),
        py::arg("stride"), py::arg("offset"));
}

}  // namespace tg::bind

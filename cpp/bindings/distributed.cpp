// Helpers for tg.distributed: a tensor's memory as a writable Python buffer (so MPI reads and
// writes it in place), and torch's CPU randperm stream for DistributedSampler.
#include <pybind11/numpy.h>

#include <limits>
#include <random>

#include "common.h"

namespace tg::bind {

namespace {

// The bytes of a contiguous tensor, exposed through the buffer protocol (format 'B'); holding the
// storage keeps the memory alive for as long as MPI or a memoryview refers to it.
struct TensorBytes {
  std::shared_ptr<Storage> storage;
  void* data;
  py::ssize_t nbytes;
};

// `write`: the caller will change the bytes, which counts as an in-place op (version bump).
TensorBytes tensor_bytes(const Tensor& t, bool write) {
  TG_CHECK(t->is_contiguous(), RuntimeError, "input tensor has to be contiguous");
  if (write) t->bump_version();
  return {t->storage, t->raw(), static_cast<py::ssize_t>(t->numel() * itemsize(t->dtype))};
}

// torch.randperm(n, generator=torch.Generator().manual_seed(seed)) on the CPU: MT19937 seeded with
// the low 32 bits of the seed. Below 2^32 / 20 elements torch swaps r[i] with r[i + u % (n - i)]
// for i = 0 .. n-2, u one 32-bit draw; from there on it runs the inside-out shuffle (r[i] = r[z],
// r[z] = i with z = u % (i + 1)) on 64-bit draws made of two 32-bit ones, the first one high.
py::array_t<int64_t> torch_randperm(int64_t n, uint64_t seed) {
  TG_CHECK(n >= 0, RuntimeError, "randperm: n must be non-negative, got ", n);
  std::mt19937 engine(static_cast<uint32_t>(seed & 0xffffffffu));
  py::array_t<int64_t> out(n);
  int64_t* r = out.mutable_data();
  if (n < static_cast<int64_t>(std::numeric_limits<uint32_t>::max() / 20)) {
    for (int64_t i = 0; i < n; ++i) r[i] = i;
    for (int64_t i = 0; i + 1 < n; ++i) {
      int64_t z = static_cast<int64_t>(engine() % static_cast<uint64_t>(n - i));
      std::swap(r[i], r[i + z]);
    }
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint64_t hi = engine();
    uint64_t u = (hi << 32) | engine();
    int64_t z = static_cast<int64_t>(u % static_cast<uint64_t>(i + 1));
    r[i] = i;  // so that z == i leaves r[i] = i
    r[i] = r[z];
    r[z] = i;
  }
  return out;
}

}  // namespace

void bind_distributed(py::module_& m) {
  py::class_<TensorBytes>(m, "_TensorBytes", py::buffer_protocol())
      .def_buffer([](TensorBytes& b) {
        return py::buffer_info(b.data, 1, py::format_descriptor<uint8_t>::format(), b.nbytes, false);
      });
  m.def("_tensor_bytes", &tensor_bytes, py::arg("tensor"), py::arg("write"));
  m.def("_torch_randperm", &torch_randperm, py::arg("n"), py::arg("seed"));
}

}  // namespace tg::bind

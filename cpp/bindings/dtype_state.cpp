// Process and thread dtype state: torch's default dtype and the CPU autocast state.
#include <pybind11/pybind11.h>

#include "common.h"
#include "tg/autocast.h"
#include "tg/default_dtype.h"

namespace py = pybind11;

void bind_dtype_state(py::module_& m) {
  m.def("_get_default_dtype", [] { return tg::default_float_dtype(); });
  m.def("_set_default_dtype", [](tg::DType d) { tg::set_default_float_dtype(d); });
  m.def("_autocast_state", [] {
    const tg::AutocastState& s = tg::autocast_state();
    return py::make_tuple(s.enabled, s.dtype);
  });
  m.def("_set_autocast_state", [](bool enabled, tg::DType dtype) {
    tg::autocast_state() = tg::AutocastState{enabled, dtype};
  });
  // Inputs of the losses written in Python (mse_loss, l1_loss, ...), on torch's float32 list.
  m.def("_autocast_fp32", [](const tg::Tensor& t) { return tg::autocast_fp32(t); });
}

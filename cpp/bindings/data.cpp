// Python bindings for the data-loading kernels: _C.gather_rows and _C.stack_rows (GIL released).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ops/gather_rows.h"

namespace py = pybind11;

void bind_data(py::module_& m) {
  m.def("gather_rows", &tg::gather_rows, py::arg("src"), py::arg("index"),
        py::call_guard<py::gil_scoped_release>(),
        "src[index] along dim 0 for a 1-D int64 index (index_select(src, 0, index)); no autograd.");
  m.def("stack_rows", &tg::stack_rows, py::arg("tensors"),
        py::call_guard<py::gil_scoped_release>(),
        "stack(tensors, 0) for same-shape tensors; no autograd.");
}

// Binds the extra activations (tg/nn_extra.h) as the submodule _C._nn_extra.
#include <pybind11/pybind11.h>

#include "common.h"
#include "tg/nn_extra.h"

namespace py = pybind11;

void bind_nn_extra(py::module_& m) {
  using namespace tg;
  py::module_ n = m.def_submodule("_nn_extra", "C++ kernels behind tinygrad_ext.nn._functional_extra");
  n.def("hardsigmoid", &nn::hardsigmoid, py::arg("input"));
  n.def("hardswish", &nn::hardswish, py::arg("input"));
  n.def("mish", &nn::mish, py::arg("input"));
  n.def("softsign", &nn::softsign, py::arg("input"));
  n.def("softshrink", &nn::softshrink, py::arg("input"), py::arg("lambd") = 0.5);
  n.def("hardshrink", &nn::hardshrink, py::arg("input"), py::arg("lambd") = 0.5);
  n.def("tanhshrink", &nn::tanhshrink, py::arg("input"));
  n.def("threshold", &nn::threshold, py::arg("input"), py::arg("threshold"), py::arg("value"));
}

// Binds tg::nn's layer kernels (normalization, padding, resampling, patches) as _C._layers.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.h"
#include "tg/nn_layers.h"

namespace py = pybind11;

void bind_nn_layers(py::module_& m) {
  using namespace tg;
  py::module_ n = m.def_submodule("_layers", "C++ kernels behind tinygrad_ext.nn.functional's layer functions");
  n.def("layer_norm", &nn::layer_norm, py::arg("input"), py::arg("normalized_shape"), py::arg("weight"),
        py::arg("bias"), py::arg("eps"));
  n.def("group_norm", &nn::group_norm, py::arg("input"), py::arg("num_groups"), py::arg("weight"),
        py::arg("bias"), py::arg("eps"));
  n.def("rms_norm", &nn::rms_norm, py::arg("input"), py::arg("normalized_shape"), py::arg("weight"),
        py::arg("eps"));
  n.def("channel_window_mean", &nn::channel_window_mean, py::arg("input"), py::arg("size"));
  n.def("pad", &nn::pad_nd, py::arg("input"), py::arg("pad"), py::arg("mode"));
  n.def("interpolate", &nn::interpolate, py::arg("input"), py::arg("output_size"), py::arg("mode"),
        py::arg("align_corners"), py::arg("scales"));
  n.def("unfold", &nn::unfold_patches, py::arg("input"), py::arg("kernel_size"), py::arg("dilation"),
        py::arg("padding"), py::arg("stride"));
  n.def("fold", &nn::fold_patches, py::arg("input"), py::arg("output_size"), py::arg("kernel_size"),
        py::arg("dilation"), py::arg("padding"), py::arg("stride"));
  n.def("grid_sample", &nn::grid_sample, py::arg("input"), py::arg("grid"), py::arg("mode"),
        py::arg("padding_mode"), py::arg("align_corners"));
}

// Binds tg::nn (activations, softmax, losses, embedding, one_hot, pad) as the submodule _C._nn.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.h"
#include "tg/nn.h"
#include "tg/nn_ctc.h"

namespace py = pybind11;

void bind_nn(py::module_& m) {
  using namespace tg;
  py::module_ n = m.def_submodule("_nn", "C++ kernels behind tinygrad_ext.nn.functional");
  n.def("leaky_relu", &nn::leaky_relu, py::arg("input"), py::arg("negative_slope") = 0.01);
  n.def("hardtanh", &nn::hardtanh, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
  n.def("elu", &nn::elu, py::arg("input"), py::arg("alpha") = 1.0, py::arg("scale") = 1.0,
        py::arg("input_scale") = 1.0);
  n.def("silu", &nn::silu, py::arg("input"));
  n.def("softplus", &nn::softplus, py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  n.def("gelu", &nn::gelu, py::arg("input"), py::arg("tanh_approximation") = false);
  n.def("softmax", &nn::softmax, py::arg("input"), py::arg("dim"));
  n.def("log_softmax", &nn::log_softmax, py::arg("input"), py::arg("dim"));
  n.def("cross_entropy", &nn::cross_entropy, py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("reduction"), py::arg("ignore_index"), py::arg("label_smoothing"));
  n.def("nll_loss", &nn::nll_loss, py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("reduction"), py::arg("ignore_index"));
  n.def("binary_cross_entropy", &nn::binary_cross_entropy, py::arg("input"), py::arg("target"));
  n.def("binary_cross_entropy_with_logits", &nn::binary_cross_entropy_with_logits, py::arg("input"),
        py::arg("target"), py::arg("pos_weight"));
  n.def("ctc_loss", &nn::ctc_loss, py::arg("log_probs"), py::arg("targets"), py::arg("input_lengths"),
        py::arg("target_lengths"), py::arg("blank"), py::arg("zero_infinity"));
  n.def("embedding", &nn::embedding, py::arg("weight"), py::arg("indices"), py::arg("padding_idx"));
  n.def("one_hot", &nn::one_hot, py::arg("indices"), py::arg("num_classes") = -1);
  n.def("constant_pad", [](const Tensor& x, const std::vector<int64_t>& pads, double value) {
    return nn::constant_pad(x, pads, Scalar(value));
  }, py::arg("input"), py::arg("pad"), py::arg("value") = 0.0);
  // Module.to(dtype): points a leaf at `src`'s memory and dtype, keeping the Python object (torch's
  // `param.data = param.data.to(dtype)`); a gradient of the old dtype is dropped.
  n.def("_set_leaf_data", [](const Tensor& t, const Tensor& src) {
    TG_CHECK(t->is_leaf(), RuntimeError, "Module.to: can only convert leaf tensors, got a tensor of shape ",
             shape_str(t->shape), " with autograd history");
    if (t->dtype != src->dtype && t->autograd) t->autograd->grad = nullptr;
    t->storage = src->storage;
    t->offset = src->offset;
    t->shape = src->shape;
    t->strides = src->strides;
    t->dtype = src->dtype;
  }, py::arg("tensor"), py::arg("src"));
  n.def("trunc_normal_", [](const Tensor& t, double mean, double std, double a, double b, py::object gen) {
    nn::trunc_normal_(t, mean, std, a, b, bind::as_generator(gen));
  }, py::arg("tensor"), py::arg("mean"), py::arg("std"), py::arg("a"), py::arg("b"), py::arg("generator") = py::none());
}

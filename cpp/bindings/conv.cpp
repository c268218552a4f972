// Binds tg::nn's convolution, pooling and batch norm (cpp/include/tg/conv.h) as _C._conv.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "common.h"
#include "tg/conv.h"

namespace py = pybind11;

void bind_conv(py::module_& m) {
  using namespace tg;
  py::module_ c = m.def_submodule("_conv", "C++ kernels behind tinygrad_ext.nn.functional's CNN ops");
  // `op` (the Python function's name) only labels error messages.
  c.def("convolution", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, const Shape& stride,
                          const Shape& padding, const Shape& dilation, int64_t groups, const std::string& op) {
    return nn::convolution(x, w, b, stride, padding, dilation, groups, op.c_str());
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
     py::arg("dilation"), py::arg("groups"), py::arg("op"));
  c.def("conv_transpose", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, const Shape& stride,
                             const Shape& padding, const Shape& output_padding, const Shape& dilation, int64_t groups,
                             const std::string& op) {
    return nn::conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups, op.c_str());
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
     py::arg("output_padding"), py::arg("dilation"), py::arg("groups"), py::arg("op"));
  c.def("max_pool", [](const Tensor& x, const Shape& k, const Shape& s, const Shape& p, const Shape& d, bool ceil_mode,
                       const std::string& op) {
    return nn::max_pool(x, k, s, p, d, ceil_mode, op.c_str());
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
     py::arg("ceil_mode"), py::arg("op"));
  c.def("avg_pool", [](const Tensor& x, const Shape& k, const Shape& s, const Shape& p, bool ceil_mode,
                       bool count_include_pad, std::optional<int64_t> divisor_override, const std::string& op) {
    return nn::avg_pool(x, k, s, p, ceil_mode, count_include_pad, divisor_override, op.c_str());
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
     py::arg("count_include_pad"), py::arg("divisor_override"), py::arg("op"));
  c.def("adaptive_avg_pool", [](const Tensor& x, const Shape& size, const std::string& op) {
    return nn::adaptive_avg_pool(x, size, op.c_str());
  }, py::arg("input"), py::arg("output_size"), py::arg("op"));
  c.def("adaptive_max_pool", [](const Tensor& x, const Shape& size, const std::string& op) {
    return nn::adaptive_max_pool(x, size, op.c_str());
  }, py::arg("input"), py::arg("output_size"), py::arg("op"));
  c.def("fractional_max_pool", [](const Tensor& x, const Shape& k, const Shape& size, const Tensor& samples,
                                  const std::string& op) {
    return nn::fractional_max_pool(x, k, size, samples, op.c_str());
  }, py::arg("input"), py::arg("kernel_size"), py::arg("output_size"), py::arg("random_samples"), py::arg("op"));
  c.def("max_pool_backward", [](const Tensor& gy, const Tensor& x, const Tensor& indices, const std::string& op) {
    return nn::max_pool_backward(gy, x, indices, op.c_str());
  }, py::arg("grad_output"), py::arg("input"), py::arg("indices"), py::arg("op"));
  c.def("max_unpool", [](const Tensor& x, const Tensor& indices, const Shape& size, const std::string& op) {
    return nn::max_unpool(x, indices, size, op.c_str());
  }, py::arg("input"), py::arg("indices"), py::arg("output_size"), py::arg("op"));
  c.def("batch_norm", &nn::batch_norm, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"),
        py::arg("running_var"), py::arg("training"), py::arg("momentum"), py::arg("eps"));
}

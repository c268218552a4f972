// Convolution, pooling and batch normalization (torch.nn.functional's CNN half).
// Inputs are batched: [N, C, *spatial] with 1-3 spatial dims (the Python layer adds the batch dim
// of unbatched inputs). Per-dim arguments (stride, padding, ...) have one entry per spatial dim.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "tg/ops.h"

namespace tg::nn {

// Kernels of this family run on float, double and int64 (integer inputs are widened to int64 by
// the callers): f is called with a value of that C++ type.
template <typename F>
decltype(auto) dispatch_floating_or_int64(DType d, const char* op, F&& f) {
  if (d == DType::Int64) return f(int64_t{});
  return dispatch_floating(d, op, f);
}

// ---- convolution (cpp/src/ops/conv.cpp) ----
// x [N, C_in, *in], weight [C_out, C_in / groups, *kernel], bias [C_out]. `op` names the caller
// ("conv2d") in error messages.
Tensor convolution(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias,
                   const Shape& stride, const Shape& padding, const Shape& dilation, int64_t groups,
                   const char* op);
// x [N, C_in, *in], weight [C_in, C_out / groups, *kernel]: the input gradient of a convolution.
Tensor conv_transpose(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias,
                      const Shape& stride, const Shape& padding, const Shape& output_padding,
                      const Shape& dilation, int64_t groups, const char* op);

// ---- pooling (cpp/src/ops/pool.cpp) ----
// Values and int64 indices into each input plane's flattened spatial dims (torch's convention).
std::pair<Tensor, Tensor> max_pool(const Tensor& x, const Shape& kernel, const Shape& stride,
                                   const Shape& padding, const Shape& dilation, bool ceil_mode,
                                   const char* op);
Tensor avg_pool(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override,
                const char* op);
Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size, const char* op);
std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, const Shape& output_size, const char* op);
// Max pooling over torch's pseudo-random fractional windows: samples [N', C, nsp] (N' >= N) of
// [0, 1) place the windows of each plane; kernel and output_size have one entry per spatial dim.
std::pair<Tensor, Tensor> fractional_max_pool(const Tensor& x, const Shape& kernel, const Shape& output_size,
                                              const Tensor& samples, const char* op);
// The max pools' input gradient (aten's max_pool2d_with_indices_backward): grad_output [N, C, *out]
// added into zeros shaped as x at each plane's indices.
Tensor max_pool_backward(const Tensor& grad_output, const Tensor& x, const Tensor& indices, const char* op);
// out[n, c, indices[n, c, i]] = x[n, c, i] in planes of `output_size`, zero elsewhere.
Tensor max_unpool(const Tensor& x, const Tensor& indices, const Shape& output_size, const char* op);

// ---- batch normalization (cpp/src/ops/batch_norm.cpp) ----
// x [N, C, *]. Training normalises with the batch statistics and, when given, updates the running
// statistics in place: r = (1 - momentum) r + momentum * stat (the variance unbiased).
// Evaluation normalises with the running statistics.
Tensor batch_norm(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                  const std::optional<Tensor>& running_mean, const std::optional<Tensor>& running_var,
                  bool training, double momentum, double eps);

}  // namespace tg::nn

// Convolution, pooling and batch normalization (torch.nn.functional's CNN half).
// Inputs are batched: [N, C, *spatial] with 1-3 spatial dims (the Python layer adds the batch dim
// of unbatched inputs). Per-dim arguments (stride, padding, ...) have one entry per spatial dim.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "tg/ops.h"

namespace tg::nn {

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

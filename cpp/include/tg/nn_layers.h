// Normalization, padding, resampling and patch ops behind torch.nn.functional's layer functions.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tg/ops.h"

namespace tg::nn {

// ---- normalization (cpp/src/ops/norm.cpp); one-pass statistics, fused affine, C++ backward ----
// y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims `normalized_shape`.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps);
// Statistics per (sample, group of channels) of an [N, C, *] input; weight/bias per channel.
Tensor group_norm(const Tensor& x, int64_t num_groups, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps);
// y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims `normalized_shape`.
Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight, double eps);
// Mean of x over the channel window [c - size/2, c + (size-1)/2] of an [N, C, *] input, zeros
// outside (local_response_norm's denominator before the power).
Tensor channel_window_mean(const Tensor& x, int64_t size);

// ---- padding (cpp/src/ops/pad.cpp) ----
// mode: "reflect", "replicate" or "circular"; pads are (left, right) pairs from the last dim.
Tensor pad_nd(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode);

// ---- resampling (cpp/src/ops/upsample.cpp) ----
// Resizes the trailing spatial dims of an [N, C, *spatial] input to `out_size`. mode: "nearest",
// "nearest-exact", "linear" (one per dim: linear, bilinear, trilinear), "cubic" or "area";
// scales (0 = none) are the user's scale factors, used as torch does when not recomputed.
Tensor interpolate(const Tensor& x, const Shape& out_size, const std::string& mode, bool align_corners,
                   const std::vector<double>& scales);
// grid_sample over 2-D spatial inputs ([N, C, H, W]); mode "bilinear", "nearest" or "bicubic",
// padding "zeros", "border" or "reflection".
Tensor grid_sample(const Tensor& x, const Tensor& grid, const std::string& mode, const std::string& padding_mode,
                   bool align_corners);

// ---- patches (cpp/src/ops/fold.cpp) ----
// im2col: [N, C, H, W] -> [N, C*kh*kw, L]; fold is its adjoint (sums overlapping patches).
Tensor unfold_patches(const Tensor& x, const Shape& kernel, const Shape& dilation, const Shape& padding,
                      const Shape& stride);
Tensor fold_patches(const Tensor& cols, const Shape& output_size, const Shape& kernel, const Shape& dilation,
                    const Shape& padding, const Shape& stride);

}  // namespace tg::nn

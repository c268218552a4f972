// Neural-network ops (torch.nn.functional's C++ half): activations, softmax, losses, embedding, pad.
#pragma once
#include <optional>
#include <vector>

#include "tg/ops.h"

namespace tg::nn {

// torch's reduction enum values.
enum Reduction : int64_t { kNone = 0, kMean = 1, kSum = 2 };

// ---- activations (cpp/src/ops/nn_activation.cpp); each records its backward ----
Tensor leaky_relu(const Tensor& x, double negative_slope);
Tensor hardtanh(const Tensor& x, double min_val, double max_val);
// elu with torch's scale/input_scale (selu and celu are special cases).
Tensor elu(const Tensor& x, double alpha, double scale, double input_scale);
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, double beta, double threshold);
Tensor gelu(const Tensor& x, bool tanh_approximation);
// Numerically stable over `dim` (the max is subtracted first).
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- losses (cpp/src/ops/nn_loss.cpp) ----
// Fused log_softmax + nll over class dim 1 (or 0 for a 1-D input); class-index int64 targets.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                     int64_t reduction, int64_t ignore_index, double label_smoothing);
Tensor nll_loss(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                int64_t reduction, int64_t ignore_index);
// Elementwise (unreduced, unweighted) binary cross entropy; log clamped at -100 like torch.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target);
// Elementwise (unreduced) BCE on logits; pos_weight broadcasts against the input.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const std::optional<Tensor>& pos_weight);

// ---- index-style ops (cpp/src/ops/nn_index.cpp) ----
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx);
Tensor one_hot(const Tensor& indices, int64_t num_classes);
// Constant padding; pads are (left, right) pairs starting from the last dim; negative pads crop.
Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& pads, Scalar value);

}  // namespace tg::nn

namespace tg::nn {
// ---- init (cpp/src/ops/nn_init.cpp) ----
// Fills t in place (no autograd) with a normal truncated to [a, b].
// gen == nullptr uses the default generator.
void trunc_normal_(const Tensor& t, double mean, double std, double a, double b, Generator* gen);
}  // namespace tg::nn

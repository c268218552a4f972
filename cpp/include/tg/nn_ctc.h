// CTC loss (cpp/src/ops/nn_loss_ctc.cpp); records its backward.
#pragma once
#include <vector>

#include "tg/ops.h"

namespace tg::nn {

// Per-sequence negative log-likelihoods [N] of (T, N, C) log_probs for 2-D padded (N, S) or 1-D
// concatenated targets; an infinite loss is 0 with zero_infinity. The gradient follows torch's
// convention (that with respect to the logits when log_probs come from log_softmax).
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                const std::vector<int64_t>& target_lengths, int64_t blank, bool zero_infinity);

}  // namespace tg::nn

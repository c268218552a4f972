// More torch.nn.functional activations (cpp/src/ops/nn_activation_extra.cpp); each records its backward.
#pragma once
#include "tg/ops.h"

namespace tg::nn {

Tensor hardsigmoid(const Tensor& x);
Tensor hardswish(const Tensor& x);
Tensor mish(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor softshrink(const Tensor& x, double lambd);  // lambd >= 0
Tensor hardshrink(const Tensor& x, double lambd);
Tensor tanhshrink(const Tensor& x);
Tensor threshold(const Tensor& x, double threshold, double value);

}  // namespace tg::nn

// Order statistics beyond sort/median: quantile, nanquantile and mode (cpp/src/ops/reduce_order.cpp),
// nanmedian (cpp/src/ops/sort.cpp, beside median).
// Each picks positions with a kernel and gathers, so backward comes from gather.
#pragma once
#include <string>

#include "tg/ops.h"

namespace tg {
// q: 0-d or 1-D, the input's dtype; dim nullopt reduces every element. ignore_nan: nanquantile.
Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                const std::string& interpolation, bool ignore_nan);
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim);
std::pair<Tensor, Tensor> nanmedian_dim(const Tensor& x, int64_t dim, bool keepdim);
Tensor nanmedian_all(const Tensor& x);
}  // namespace tg

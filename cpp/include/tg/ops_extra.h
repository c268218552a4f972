// Products, reductions and scans beyond the core set (cpp/src/ops/products_extra.cpp,
// cpp/src/ops/reduce_extra.cpp, cpp/src/ops/scan.cpp). Each is built from differentiable ops, or
// picks positions with a kernel and gathers, so backward (and double backward) comes from the
// ops it is made of.
#pragma once
#include "tg/ops.h"

namespace tg {
// ---- products ----
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, Scalar beta, Scalar alpha);
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, Scalar beta, Scalar alpha);
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha);
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha);
Tensor kron(const Tensor& a, const Tensor& b);
// dim nullopt: the first dim of size 3 (torch.cross's legacy default).
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim);
Tensor tensordot(const Tensor& a, const Tensor& b, const Shape& dims_a, const Shape& dims_b);
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims);
Tensor inner(const Tensor& a, const Tensor& b);
Tensor multi_dot(const std::vector<Tensor>& tensors, const char* op);

// ---- reductions ----
Tensor nansum(const Tensor& x, const Shape& dims, bool keepdim, std::optional<DType> dtype);
Tensor nanmean(const Tensor& x, const Shape& dims, bool keepdim, std::optional<DType> dtype);
std::pair<Tensor, Tensor> aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim);
Tensor dist(const Tensor& a, const Tensor& b, double p);
Tensor diff(const Tensor& x, int64_t n, int64_t dim, const std::optional<Tensor>& prepend,
            const std::optional<Tensor>& append);

// ---- scans ----
Tensor logcumsumexp(const Tensor& x, int64_t dim);
std::pair<Tensor, Tensor> cummax(const Tensor& x, int64_t dim);
std::pair<Tensor, Tensor> cummin(const Tensor& x, int64_t dim);
}  // namespace tg

// ---- distances and integration (cpp/src/ops/distance.cpp) ----
namespace tg {
Tensor cdist(const Tensor& x1, const Tensor& x2, double p);
Tensor renorm(const Tensor& x, double p, int64_t dim, double maxnorm);
// x nullopt: samples dx apart.
Tensor trapezoid(const Tensor& y, const std::optional<Tensor>& x, double dx, int64_t dim);
Tensor cumulative_trapezoid(const Tensor& y, const std::optional<Tensor>& x, double dx, int64_t dim);
}  // namespace tg

// ---- counting and searching, no gradients (cpp/src/ops/search.cpp) ----
namespace tg {
// Positions in each (last-dim) row of seq where values would be inserted; bucketize is the 1-D case.
Tensor searchsorted(const Tensor& seq, const Tensor& values, bool right, const std::optional<Tensor>& sorter,
                    bool out_int32);
Tensor bincount(const Tensor& x, const std::optional<Tensor>& weights, int64_t minlength);
Tensor histc(const Tensor& x, int64_t bins, double lo, double hi);
}  // namespace tg

// Every differentiable and non-differentiable tensor op, as free functions (torch's names).
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "tg/autograd.h"
#include "tg/scalar.h"
#include "tg/tensor.h"

namespace tg {

// ---- creation (cpp/src/ops/creation.cpp) ----
Tensor zeros(const Shape& shape, DType dtype);
Tensor ones(const Shape& shape, DType dtype);
Tensor full(const Shape& shape, Scalar value, DType dtype);
Tensor scalar_tensor(Scalar value, DType dtype);  // 0-d
Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype);
Tensor linspace(double start, double end, int64_t steps, DType dtype);
Tensor eye(int64_t n, int64_t m, DType dtype);

// ---- random (cpp/src/ops/random.cpp) ----
struct Generator;  // mt19937_64-based; tg.manual_seed seeds the default one
Generator& default_generator();
Tensor rand(const Shape& shape, DType dtype, Generator* gen);
Tensor randn(const Shape& shape, DType dtype, Generator* gen);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen);
Tensor randperm(int64_t n, DType dtype, Generator* gen);
void uniform_(const Tensor& t, double low, double high, Generator* gen);   // no version check
void normal_(const Tensor& t, double mean, double std, Generator* gen);

// ---- copy / dtype (cpp/src/ops/copy.cpp) ----
Tensor contiguous(const Tensor& t);
Tensor clone(const Tensor& t);
Tensor to_dtype(const Tensor& t, DType dtype);  // returns t itself when the dtype matches
// The same without recording autograd history: for kernels' inputs.
Tensor cast_for_kernel(const Tensor& t, DType dtype);
// Copies src (broadcast to dst's shape, cast to dst's dtype) into dst's memory; no autograd.
void copy_into(const Tensor& dst, const Tensor& src);

// ---- views (cpp/src/ops/view.cpp) ----
Tensor view(const Tensor& t, const Shape& shape);     // -1 allowed; errors if not viewable
Tensor reshape(const Tensor& t, const Shape& shape);  // view when possible, else copy
Tensor permute(const Tensor& t, const Shape& dims);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor t_(const Tensor& t);  // .t(): 2-D transpose (0-D and 1-D unchanged)
Tensor expand(const Tensor& t, const Shape& shape);  // -1 keeps a dim
Tensor squeeze(const Tensor& t, std::optional<int64_t> dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step);
Tensor detach(const Tensor& t);
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Sums `g` down to `shape` (the inverse of broadcasting), differentiably.
Tensor sum_to(const Tensor& g, const Shape& shape);

// ---- elementwise unary (cpp/src/ops/unary.cpp) ----
enum class UnaryOp {
  Neg, Abs, Exp, Log, Sqrt, Relu, Sigmoid, Tanh, Sin, Cos, Sign, Square, Reciprocal
};
Tensor unary(UnaryOp op, const Tensor& x);
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor pow_scalar(const Tensor& x, Scalar exponent);
Tensor rpow_scalar(Scalar base, const Tensor& x);  // base ** x

// ---- elementwise binary (cpp/src/ops/binary.cpp) ----
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };
// The dtype torch's result_type gives for two operands (0-d tensors and scalars count less).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = Scalar(int64_t(1)));
Tensor add(const Tensor& a, Scalar b);
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = Scalar(int64_t(1)));
Tensor sub(const Tensor& a, Scalar b);
Tensor rsub(const Tensor& a, Scalar b);  // b - a
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, Scalar b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, Scalar b);
Tensor rdiv(const Tensor& a, Scalar b);  // b / a
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b);  // bool result
Tensor compare(BinaryOp op, const Tensor& a, Scalar b);
// Shared by every binary op: promotes, broadcasts and runs the kernel; no autograd.
Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, DType compute, DType out);

// where(cond, x, y) (cpp/src/ops/where.cpp)
Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y);

// ---- reductions (cpp/src/ops/reduce.cpp) ----
// dims empty = all dims.
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim, std::optional<DType> dtype = {});
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim);
Tensor amax(const Tensor& x, const Shape& dims, bool keepdim);
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim);
Tensor max_all(const Tensor& x);
Tensor min_all(const Tensor& x);
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim);  // values, indices
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim);

// ---- matmul (cpp/src/ops/matmul.cpp) ----
Tensor mm(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- in-place (cpp/src/ops/inplace.cpp) ----
// Writes `result` (same shape as self after broadcasting) into self, bumps the version and,
// when autograd recorded `result`, makes self take over its history.
void assign_inplace(const Tensor& self, const Tensor& result, const char* op);
// Raises for an in-place op on a leaf that requires grad (while grad mode is on).
void check_inplace(const Tensor& self, const char* op);

}  // namespace tg

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
// The same bytes read as another dtype of the same element size (x.view(tg.int16)); no history.
Tensor view_dtype(const Tensor& t, DType dtype);
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
// The same kernel writing into `out` (shaped like the broadcast of a and b; may be a itself).
void binary_kernel_into(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, DType compute);

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
// when autograd recorded `result`, makes self take over its history (for a view: rebases its
// base). `allow_overlap` admits expanded self (fill_/zero_ do, read-modify-write ops do not).
void assign_inplace(const Tensor& self, const Tensor& result, const char* op, bool allow_overlap = false);
// Raises torch's errors for an in-place op (while grad mode is on and `any_requires_grad`, i.e.
// self or another operand requires grad): on a leaf that requires grad, a view of one, or a view
// made in no_grad mode or by a multi-output op.
void check_inplace(const Tensor& self, const char* op, bool any_requires_grad);
inline void check_inplace(const Tensor& self, const char* op) { check_inplace(self, op, self->requires_grad()); }
// self = self OP other (an arithmetic op) written straight into self's memory, without the
// temporary and copy of assign_inplace, when that gives the same result: autograd records nothing,
// the result dtype is self's floating dtype, other broadcasts to self without changing its shape,
// self has no stride-0 dims, and other shares no memory with self unless it is self. Bumps the
// version and returns true; returns false (nothing done) otherwise.
bool binary_inplace_direct(BinaryOp op, const Tensor& self, const Tensor& other);
// What self holds after an op overwrites it with `value` (broadcast and cast to self's shape and
// dtype), recorded as node `name` when grad is needed: the gradient for self's old value is zero;
// `value` gets one only when `value_is_input` (copy_, fill_ with a tensor). Not a kernel: without
// autograd it returns `value` itself, for assign_inplace to broadcast.
Tensor overwritten(const Tensor& self, const Tensor& value, const char* name, bool value_is_input);

// ---- differentiable views and in-place ops on them (cpp/src/ops/view_rebase.cpp) ----
// A view of t's memory that remembers its root base (the view ops' output).
Tensor make_differentiable_view(const Tensor& t, Shape shape, Shape strides, int64_t offset);
// Marks the outputs of unbind/split/chunk: torch forbids in-place ops on them with grad.
void mark_multi_output_views(const std::vector<Tensor>& views);
// Raises torch's error for an in-place op on a view made in no_grad mode or by a multi-output op
// (`indirect`: its base or another view of it was the one modified).
void check_view_creation(const TensorImpl& view, bool indirect);
// After `view` was overwritten in place by `result` (which requires grad): gives the view's base
// a CopySlices history and the view an AsStridedBackward0 of the new base.
void rebase_view_history(const Tensor& view, const Tensor& result);

}  // namespace tg

// ---- indexing, joining and shape ops (cpp/src/ops/index.cpp, cpp/src/ops/join.cpp) ----
namespace tg {
// An advanced index in torch's form: one entry per indexed dim (nullopt = the whole dim); a bool
// mask of k dims covers k dims. Trailing dims may be left out.
using TensorIndices = std::vector<std::optional<Tensor>>;
Tensor index(const Tensor& self, const TensorIndices& indices);                 // self[indices]
// self[indices] = values (values broadcast to the indexed shape), or += when accumulate; no autograd.
void index_put_raw(const Tensor& self, const TensorIndices& indices, const Tensor& values, bool accumulate);
Tensor index_put(const Tensor& self, const TensorIndices& indices, const Tensor& values, bool accumulate);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);  // value 0-d
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim);
Tensor nonzero(const Tensor& self);  // [n, ndim] int64

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim);
std::vector<Tensor> split_with_sizes(const Tensor& self, const Shape& sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim);
std::vector<Tensor> unbind(const Tensor& self, int64_t dim);
Tensor repeat(const Tensor& self, const Shape& repeats);
Tensor flip(const Tensor& self, const Shape& dims);
Tensor roll(const Tensor& self, const Shape& shifts, const Shape& dims);
Tensor movedim(const Tensor& self, const Shape& source, const Shape& destination);
Tensor unflatten(const Tensor& self, int64_t dim, const Shape& sizes);
Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length);
Tensor tril(const Tensor& self, int64_t diagonal);
Tensor triu(const Tensor& self, int64_t diagonal);
Tensor diag(const Tensor& self, int64_t diagonal);
}  // namespace tg

// ---- math family: elementwise math, logical ops, more reductions, order statistics ----
// (cpp/src/ops/{unary_math,binary_math,reduce_math,sort}.cpp)
namespace tg {
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor asin(const Tensor& x);
Tensor acos(const Tensor& x);
Tensor atan(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor cosh(const Tensor& x);
Tensor exp2(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x, int64_t decimals = 0);
Tensor trunc(const Tensor& x);
Tensor frac(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_not(const Tensor& a);

Tensor fmod(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor atan2(const Tensor& a, const Tensor& b);
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight);
Tensor addcmul(const Tensor& input, const Tensor& t1, const Tensor& t2, Scalar value);
Tensor addcdiv(const Tensor& input, const Tensor& t1, const Tensor& t2, Scalar value);
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, Scalar beta, Scalar alpha);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool equal(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& m, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor matrix_power(const Tensor& a, int64_t n);

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype);
Tensor var(const Tensor& x, const Shape& dims, double correction, bool keepdim);
Tensor std_(const Tensor& x, const Shape& dims, double correction, bool keepdim);
Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim);  // p may be +-inf
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim);
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype);
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype);
Tensor count_nonzero(const Tensor& x, const Shape& dims);
Tensor all(const Tensor& x, const Shape& dims, bool keepdim);
Tensor any(const Tensor& x, const Shape& dims, bool keepdim);
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending, bool stable);
Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted);
std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim);
std::pair<Tensor, Tensor> median_dim(const Tensor& x, int64_t dim, bool keepdim);
Tensor median_all(const Tensor& x);
}  // namespace tg

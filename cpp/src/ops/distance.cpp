// Distances and norm-based rescaling built from differentiable ops: cdist, renorm, and the
// trapezoid rule (trapezoid, cumulative_trapezoid).
#include "ops/widen.h"
#include "tg/default_dtype.h"
#include "tg/autocast.h"
#include "tg/ops_extra.h"

namespace tg {

Tensor cdist(const Tensor& x1, const Tensor& x2, double p) {
  if (autocast_wants_fp32(x1) || autocast_wants_fp32(x2)) return cdist(autocast_fp32(x1), autocast_fp32(x2), p);
  TG_CHECK(x1->dim() >= 2, RuntimeError, "cdist only supports at least 2D tensors, X1 got: ", x1->dim(), "D");
  TG_CHECK(x2->dim() >= 2, RuntimeError, "cdist only supports at least 2D tensors, X2 got: ", x2->dim(), "D");
  TG_CHECK(x1->shape.back() == x2->shape.back(), RuntimeError, "X1 and X2 must have the same number of columns. X1: ",
           x1->shape.back(), " X2: ", x2->shape.back());
  TG_CHECK(is_floating(x1->dtype), RuntimeError, "cdist only supports floating-point dtypes, X1 got: ", scalar_type_name(x1->dtype));
  TG_CHECK(is_floating(x2->dtype), RuntimeError, "cdist only supports floating-point dtypes, X2 got: ", scalar_type_name(x2->dtype));
  TG_CHECK(p >= 0, RuntimeError, "cdist only supports non-negative p values");
  // [..., P, 1, M] - [..., 1, R, M], then the p-norm over M.
  return norm(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)), p, {-1}, false);
}

Tensor renorm(const Tensor& x, double p, int64_t dim, double maxnorm) {
  TG_CHECK(p > 0, RuntimeError, "renorm: non-positive-norm not supported");
  TG_CHECK(maxnorm >= 0, RuntimeError, "renorm: expected maxnorm to be >= 0 but got ", maxnorm);
  TG_CHECK(x->dim() > 1, RuntimeError, "renorm: input needs at least 2 dimensions, got ", x->dim(), " dimensions");
  if (!is_floating(x->dtype)) throw_not_implemented("renorm", x->dtype);
  int64_t d = wrap_dim(dim, x->dim(), "renorm");
  Shape others;
  for (int64_t i = 0; i < x->dim(); ++i) if (i != d) others.push_back(i);
  // Each slice along `dim` whose p-norm exceeds maxnorm is scaled to maxnorm (torch's 1e-7 guard).
  // float16/bfloat16: the norms and factors in float32, the factors rounded to x's dtype, as torch.
  Tensor xw = widened(x);
  Tensor norms = norm(xw, p, others, true);
  Tensor factor = where(compare(BinaryOp::Gt, norms, Scalar(maxnorm)), rdiv(add(norms, Scalar(1e-7)), Scalar(maxnorm)),
                        scalar_tensor(Scalar(1.0), xw->dtype));
  return mul(x, to_dtype(factor, x->dtype));
}

namespace {
// Pairwise sums y[1:] + y[:-1] along d.
Tensor pair_sums(const Tensor& y, int64_t d) {
  int64_t n = y->shape[d];
  return add(slice(y, d, 1, n, 1), slice(y, d, 0, n - 1, 1));
}

int64_t trapezoid_dim(const Tensor& y, int64_t dim, const char* op) {
  TG_CHECK(y->dim() >= 1, IndexError, op, ": Dimension out of range (expected to be in range of [-1, 0], but got ", dim, ")");
  return wrap_dim(dim, y->dim(), op);
}

// The spacings x[1:] - x[:-1] along d, shaped to broadcast with y's pair sums.
Tensor spacings(const Tensor& y, const Tensor& x, int64_t d, const char* op) {
  if (x->dim() == 1) {
    TG_CHECK(x->shape[0] == y->shape[d], RuntimeError, op, ": There must be one `x` value for each sample point");
    Shape s(y->dim(), 1);
    s[d] = x->shape[0] - 1;
    return reshape(diff(x, 1, 0, std::nullopt, std::nullopt), s);
  }
  TG_CHECK(x->dim() == y->dim(), RuntimeError, op, ": x and y must have the same number of dimensions");
  return diff(x, 1, d, std::nullopt, std::nullopt);
}
}  // namespace

// torch's formulas, in its operand dtypes (small integers wrap in y[i] + y[i + 1] as torch's do):
// with x, sum((y[i] + y[i + 1]) (x[i + 1] - x[i])) / 2; with a spacing dx, (sum(y) - (y[0] + y[-1]) / 2) dx.
Tensor trapezoid(const Tensor& y, const std::optional<Tensor>& x, double dx, int64_t dim) {
  int64_t d = trapezoid_dim(y, dim, "trapezoid");
  const int64_t n = y->shape[d];
  if (n == 0) {  // torch's zeros in y's dtype, without history
    Shape s = y->shape;
    s.erase(s.begin() + d);
    return zeros(s, y->dtype);
  }
  if (x) return div(sum(mul(pair_sums(y, d), spacings(y, *x, d, "trapezoid")), {d}, false), Scalar(2.0));
  Tensor ends = add(select(y, d, 0), select(y, d, n - 1));
  return mul(sub(sum(y, {d}, false), mul(ends, Scalar(0.5))), Scalar(dx));
}

// with x, cumsum((y[i] + y[i + 1]) (x[i + 1] - x[i])) / 2; with a spacing dx, cumsum(dx / 2 (y[i] + y[i + 1])).
Tensor cumulative_trapezoid(const Tensor& y, const std::optional<Tensor>& x, double dx, int64_t dim) {
  int64_t d = trapezoid_dim(y, dim, "cumulative_trapezoid");
  if (y->shape[d] == 0) {
    Tensor yf = is_floating(y->dtype) || (x && is_floating((*x)->dtype)) ? y : to_dtype(y, default_float_dtype());
    return clone(yf);
  }
  Tensor s = pair_sums(y, d);
  if (x) return div(cumsum(mul(s, spacings(y, *x, d, "cumulative_trapezoid")), d, std::nullopt), Scalar(2.0));
  return cumsum(mul(s, Scalar(dx / 2.0)), d, std::nullopt);
}

}  // namespace tg

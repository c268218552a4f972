// Scans along one dim: logcumsumexp (a running log-add-exp kernel), cummax and cummin (a kernel
// picks the positions, a gather takes the values, so the gradient flows to those positions as
// torch's scatter_add backward).
#include <cmath>
#include <limits>

#include "ops/math_util.h"
#include "tg/ops_extra.h"

namespace tg {

namespace math {
Tensor rows_of(const Tensor& x, int64_t d, DType dt);
Tensor from_rows(const Tensor& r, int64_t nd, int64_t d);
}  // namespace math

using namespace math;

namespace {

// Rows [R, n] of x (dim d last), a kernel run on each row, and the result put back in x's layout.
template <typename Out, typename Kernel>
Tensor per_row(const Tensor& x, int64_t d, DType in_dt, DType out_dt, Kernel k) {
  Tensor rows = rows_of(x, d, in_dt);
  int64_t n = x->shape[d];
  Tensor out = empty(rows->shape, out_dt);
  int64_t r = n == 0 ? 0 : rows->numel() / n;
  dispatch_dtype(in_dt, [&](auto z) {
    using T = decltype(z);
    const T* src = rows->template data<T>();
    Out* dst = out->template data<Out>();
    for (int64_t i = 0; i < r; ++i) k(src + i * n, dst + i * n, n);
  });
  return from_rows(out, x->dim(), d);
}

Tensor reverse_logcumsumexp(const Tensor& x, int64_t d) { return flip(logcumsumexp(flip(x, {d}), d), {d}); }

std::pair<Tensor, Tensor> cum_extreme(const Tensor& x, int64_t dim, bool is_max, const char* op) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(x->dim(), 1), op);
  if (x->dim() == 0) return {clone(x), zeros({}, DType::Int64)};
  Tensor idx = per_row<int64_t>(x, d, compute_dtype(x->dtype), DType::Int64, [is_max](auto* row, int64_t* out, int64_t n) {
    // Ties move to the later position (>=), and a NaN sticks, as torch.
    int64_t best = 0;
    for (int64_t j = 0; j < n; ++j) {
      auto v = row[j], b = row[best];
      bool vnan = v != v, bnan = b != b;
      if (vnan || (!bnan && (is_max ? v >= b : v <= b))) best = j;
      out[j] = best;
    }
  });
  return {gather(x, d, idx), idx};
}

}  // namespace

Tensor logcumsumexp(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(x->dim(), 1), "logcumsumexp");
  if (!is_floating(x->dtype)) throw_not_implemented("logcumsumexp_out_cpu", x->dtype);
  if (x->dim() == 0) return clone(x);
  Tensor out = per_row<double>(x, d, DType::Float64, DType::Float64, [](auto* row, double* o, int64_t n) {
    double acc = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      double v = static_cast<double>(row[j]);
      double hi = std::max(acc, v), lo = std::min(acc, v);
      acc = (std::isnan(v) || std::isnan(acc)) ? std::nan("")
            : std::isinf(hi) && hi == lo       ? hi
                                               : hi + std::log1p(std::exp(lo - hi));
      o[j] = acc;
    }
  });
  out = cast_for_kernel(out, x->dtype);
  // d out_j / d x_i = exp(x_i - out_j) for i <= j. The gradient sum_j g_j exp(x_i - out_j) is
  // split by the sign of g and summed in log space (a reversed logcumsumexp), which never
  // overflows; it is itself differentiable.
  record("LogcumsumexpBackward0", {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out), d](const Grads& g) -> Grads {
      Tensor xv = sx.get(), gr = g[0];
      // With create_graph the output is recomputed, so the gradient also flows through it.
      Tensor ov = is_grad_enabled() ? logcumsumexp(xv, d) : so.get();
      // The other sign's terms get the lowest finite value rather than -inf (torch's choice): a row of
      // them then stays finite through the reversed logcumsumexp and its own backward (-inf - -inf
      // would give NaN and a wrong second derivative).
      double lowest = xv->dtype == DType::Float64 ? std::numeric_limits<double>::lowest()
                                                  : std::numeric_limits<float>::lowest();
      Tensor low = scalar_tensor(Scalar(lowest), xv->dtype);
      Tensor log_abs = log(abs(gr));
      Tensor zero = scalar_tensor(Scalar(0.0), xv->dtype);
      Tensor pos = where(compare(BinaryOp::Gt, gr, zero), log_abs, low);
      Tensor neg = where(compare(BinaryOp::Lt, gr, zero), log_abs, low);
      Tensor gp = exp(add(reverse_logcumsumexp(sub(pos, ov), d), xv));
      Tensor gn = exp(add(reverse_logcumsumexp(sub(neg, ov), d), xv));
      return {sub(gp, gn)};
    };
  });
  return out;
}

std::pair<Tensor, Tensor> cummax(const Tensor& x, int64_t dim) { return cum_extreme(x, dim, true, "cummax"); }
std::pair<Tensor, Tensor> cummin(const Tensor& x, int64_t dim) { return cum_extreme(x, dim, false, "cummin"); }

}  // namespace tg

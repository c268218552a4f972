// More reductions: prod, var/std, norm, logsumexp, cumsum/cumprod, all/any/count_nonzero.
// Single-dim kernels move the dim last (rows of length n), work on rows, and move it back.
#include <cmath>
#include <limits>
#include <type_traits>

#include "tg/default_dtype.h"
#include "ops/math_util.h"
#include "ops/reduce_internal.h"
#include "ops/widen.h"
#include "tg/autocast.h"

namespace tg {

namespace math {

Shape move_last_order(int64_t nd, int64_t d) {
  Shape order;
  for (int64_t i = 0; i < nd; ++i) if (i != d) order.push_back(i);
  order.push_back(d);
  return order;
}

Shape inverse_order(const Shape& order) {
  Shape inv(order.size());
  for (size_t i = 0; i < order.size(); ++i) inv[order[i]] = static_cast<int64_t>(i);
  return inv;
}

// x (detached, cast to dt) with `d` moved last, contiguous: rows of length x.shape[d].
Tensor rows_of(const Tensor& x, int64_t d, DType dt) {
  return contiguous(to_dtype(permute(detach(x), move_last_order(x->dim(), d)), dt));
}

// Undoes rows_of: a tensor laid out with `d` last back in x's dim order.
Tensor from_rows(const Tensor& r, int64_t nd, int64_t d) {
  return contiguous(permute(r, inverse_order(move_last_order(nd, d))));
}

int64_t reduced_count(const Tensor& x, const Shape& dims) {
  if (dims.empty()) return x->numel();
  int64_t n = 1;
  for (int64_t d : dims) n *= x->dim() == 0 ? 1 : x->shape[wrap_dim(d, x->dim(), "reduce")];
  return n;
}

// The shape of a reduction with the reduced dims kept as size 1.
Shape kept_shape(const Tensor& x, const Shape& dims) {
  Shape s = x->shape;
  if (dims.empty()) return Shape(s.size(), 1);
  if (s.empty()) return s;  // dims 0 / -1 of a 0-d tensor
  for (int64_t d : dims) s[wrap_dim(d, x->dim(), "reduce")] = 1;
  return s;
}

// Validates a dim list for `op`: in range, no repeats (so errors name the op the user called).
void check_dims(const Tensor& x, const Shape& dims, const char* op) {
  std::vector<bool> seen(std::max<int64_t>(x->dim(), 1), false);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x->dim(), op);
    TG_CHECK(!seen[w], RuntimeError, op, ": dim ", w, " appears multiple times in the list of dims");
    seen[w] = true;
  }
}

}  // namespace math

using namespace math;

namespace {

// Product of each row, or, with `others`, each element's product of the rest of its row
// (exact with zeros: a row with one zero gives the others' product at the zero, 0 elsewhere).
template <typename T>
void prod_rows(const T* x, T* out, int64_t rows, int64_t n, bool others) {
  parallel_for(rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * n;
      if (!others) {
        T p = 1;
        for (int64_t i = 0; i < n; ++i) p = mul_wrapping(p, row[i]);
        out[r] = p;
        continue;
      }
      T nz = 1;
      int64_t zeros_seen = 0, zero_at = -1;
      for (int64_t i = 0; i < n; ++i) {
        if (row[i] == T(0)) { ++zeros_seen; zero_at = i; } else { nz *= row[i]; }
      }
      T* o = out + r * n;
      for (int64_t i = 0; i < n; ++i)
        o[i] = zeros_seen == 0 ? nz / row[i] : (zeros_seen == 1 && i == zero_at) ? nz : T(0);
    }
  });
}

bool has_zero(const Tensor& x) {
  Tensor c = contiguous(compare(BinaryOp::Eq, detach(x), Scalar(int64_t(0))));
  const bool* p = c->data<bool>();
  for (int64_t i = 0; i < c->numel(); ++i)
    if (p[i]) return true;
  return false;
}

Tensor prod_dim(const Tensor& x, int64_t d, bool keepdim, DType dt) {
  Tensor rows = rows_of(x, d, dt);
  int64_t n = x->dim() == 0 ? 1 : x->shape[d];
  Shape out_shape = x->shape;
  if (x->dim() > 0) {
    if (keepdim) out_shape[d] = 1;
    else out_shape.erase(out_shape.begin() + d);
  }
  Tensor out = empty(out_shape, dt);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (!std::is_same_v<T, bool>) prod_rows<T>(rows->data<T>(), out->data<T>(), out->numel(), n, false);
  });
  // d prod / d x_i = product of the other elements: out / x_i without zeros (differentiable),
  // else computed exactly by the kernel.
  record("ProdBackward1", {x}, {out}, [&] {
    Shape kept = x->shape;
    if (x->dim() > 0) kept[d] = 1;
    return [sx = save(x), so = save_output(out), kept, d](const Grads& g) -> Grads {
      Tensor xv = sx.get();
      Tensor gk = reshape(g[0], kept);
      if (!has_zero(xv)) return {mul(gk, div(reshape(so.get(), kept), xv))};
      Tensor r = rows_of(xv, d, xv->dtype);
      Tensor others = empty(r->shape, xv->dtype);
      dispatch_floating(xv->dtype, "prod backward", [&](auto z) {
        using T = decltype(z);
        int64_t n = xv->dim() == 0 ? 1 : xv->shape[d];
        prod_rows<T>(r->data<T>(), others->data<T>(), n == 0 ? 0 : r->numel() / n, n, true);
      });
      return {mul(gk, xv->dim() == 0 ? others : from_rows(others, xv->dim(), d))};
    };
  });
  return out;
}

}  // namespace

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  if (autocast_wants_fp32(x)) return prod(autocast_fp32(x), dim, keepdim, dtype);  // autocast float32 list
  DType dt = dtype ? *dtype : is_floating(x->dtype) ? x->dtype : DType::Int64;
  TG_CHECK(dt != DType::Bool, RuntimeError, "prod: dtype bool is not supported");
  if (needs_widening(dt)) return to_dtype(prod(widened_as(x, dt), dim, keepdim, compute_dtype(dt)), dt);
  if (!dim) return prod_dim(reshape(x, {-1}), 0, false, dt);
  int64_t d = wrap_dim(*dim, x->dim(), "prod");
  if (x->dim() == 0) return reshape(prod_dim(reshape(x, {1}), 0, false, dt), {});  // 0-d stays 0-d
  return prod_dim(x, d, keepdim, dt);
}

// var = sum((x - mean)^2) / max(0, N - correction); autograd through the composition gives
// 2 (x - mean) / (N - correction), the mean's own term summing to zero.
Tensor var(const Tensor& x, const Shape& dims, double correction, bool keepdim) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, "var: expected a floating point tensor as input, got ",
           dtype_name(x->dtype));
  check_dims(x, dims, "var");
  if (needs_widening(x->dtype)) return to_dtype(var(widened(x), dims, correction, keepdim), x->dtype);
  Tensor d = sub(x, mean(x, dims, true));
  double n = static_cast<double>(reduced_count(x, dims));
  return div(sum(mul(d, d), dims, keepdim), Scalar(std::max(0.0, n - correction)));
}

Tensor std_(const Tensor& x, const Shape& dims, double correction, bool keepdim) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, "std: expected a floating point tensor as input, got ",
           dtype_name(x->dtype));
  check_dims(x, dims, "std");
  if (needs_widening(x->dtype)) return to_dtype(std_(widened(x), dims, correction, keepdim), x->dtype);
  return sqrt(var(x, dims, correction, keepdim));
}

// Vector p-norm over dims: p = inf -> max |x|, -inf -> min |x|, 0 -> count of nonzeros,
// 1 -> sum |x|, 2 -> sqrt(sum x^2) (gradient x / norm, 0 where the norm is 0), else
// (sum |x|^p)^(1/p).
Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  TG_CHECK(is_floating(x->dtype), RuntimeError,
           "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ", dtype_name(x->dtype));
  check_dims(x, dims, "norm");
  if (is_reduced_float(x->dtype))  // accumulated in float32 and rounded once, as torch's vector_norm
    return to_dtype(norm(widened(x), p, dims, keepdim), x->dtype);
  if (std::isinf(p)) return p > 0 ? amax(abs(x), dims, keepdim) : amin(abs(x), dims, keepdim);
  if (p == 0) {  // piecewise constant: a zero gradient, but still part of the graph like torch
    Tensor out = sum(to_dtype(compare(BinaryOp::Ne, detach(x), Scalar(0.0)), x->dtype), dims, keepdim);
    record("NormBackward1", {x}, {out}, [&] {
      return [shape = x->shape](const Grads& g) -> Grads { return {zeros(shape, g[0]->dtype)}; };
    });
    return out;
  }
  if (p == 1) return sum(abs(x), dims, keepdim);
  if (p != 2) return pow_scalar(sum(pow_scalar(abs(x), Scalar(p)), dims, keepdim), Scalar(1.0 / p));
  Tensor out;
  {
    GradModeGuard off(false);
    out = sqrt(sum_squares(x, dims, keepdim));
  }
  record("NormBackward1", {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out), kept = kept_shape(x, dims)](const Grads& g) -> Grads {
      Tensor n = reshape(so.get(), kept);
      Tensor safe = where(compare(BinaryOp::Eq, detach(n), Scalar(0.0)), ones({}, n->dtype), n);
      Tensor r = mul(reshape(g[0], kept), div(sx.get(), safe));
      return {where(compare(BinaryOp::Eq, detach(n), Scalar(0.0)), zeros({}, r->dtype), r)};
    };
  });
  return out;
}

// logsumexp = m + log(sum(exp(x - m))) with m the max, taken as 0 where it is infinite
// (so a row of all -inf gives -inf, not NaN). Gradient: softmax = exp(x - out).
Tensor logsumexp(const Tensor& x_in, const Shape& dims, bool keepdim) {
  check_dims(x_in, dims, "logsumexp");
  Tensor x = is_floating(x_in->dtype) ? x_in : to_dtype(x_in, default_float_dtype());
  Tensor out;
  Shape kept = kept_shape(x, dims);
  {
    GradModeGuard off(false);
    if (x->numel() == 0) {
      out = log(sum(exp(x), dims, keepdim));
    } else {
      Tensor m = amax(detach(x), dims, true);
      m = where(isinf(m), zeros({}, m->dtype), m);
      Tensor s = log(sum(exp(sub(x, m)), dims, true));
      out = reshape(add(s, m), keepdim ? kept : sum(m, dims, false)->shape);
    }
  }
  record("LogsumexpBackward0", {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out), kept](const Grads& g) -> Grads {
      return {mul(reshape(g[0], kept), exp(sub(sx.get(), reshape(so.get(), kept))))};
    };
  });
  return out;
}

// ---- cumulative sum/product along one dim ----
namespace {

template <typename T>
void scan_rows(T* data, int64_t rows, int64_t n, bool reverse, bool product) {
  parallel_for(rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      T* row = data + r * n;
      T acc = product ? T(1) : T(0);
      for (int64_t k = 0; k < n; ++k) {
        int64_t i = reverse ? n - 1 - k : k;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {  // wraps as torch's, without UB
          using U = std::make_unsigned_t<T>;
          acc = static_cast<T>(product ? U(acc) * U(row[i]) : U(acc) + U(row[i]));
        } else {
          acc = product ? static_cast<T>(acc * row[i]) : static_cast<T>(acc + row[i]);
        }
        row[i] = acc;
      }
    }
  });
}

Tensor scan(const Tensor& x, int64_t d, bool reverse, bool product, DType dt);

// Gradient of a sum-scan is the scan of g in the opposite direction.
Tensor scan(const Tensor& x, int64_t d, bool reverse, bool product, DType dt) {
  if (x->dim() == 0) return reshape(scan(reshape(x, {1}), 0, reverse, product, dt), {});
  Tensor r = clone(rows_of(x, d, dt));
  int64_t n = x->shape[d];
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (!std::is_same_v<T, bool>)
      scan_rows<T>(r->data<T>(), n == 0 ? 0 : r->numel() / n, n, reverse, product);
  });
  Tensor out = from_rows(r, x->dim(), d);
  if (!product) {
    record("CumsumBackward0", {x}, {out}, [&] {
      return [d, reverse](const Grads& g) -> Grads { return {scan(g[0], d, !reverse, false, g[0]->dtype)}; };
    });
    return out;
  }
  // cumprod: d out_i / d x_k = out_i / x_k for i >= k, so grad_k = revcumsum(g out)_k / x_k
  // without zeros; with zeros, sum_{i>=k} g_i prod_{j<=i, j!=k} x_j directly (O(n^2) per row).
  record("CumprodBackward0", {x}, {out}, [&] {
    return [sx = save(x), so = save_output(out), d](const Grads& g) -> Grads {
      Tensor xv = sx.get();
      if (!has_zero(xv)) return {div(scan(mul(g[0], so.get()), d, true, false, g[0]->dtype), xv)};
      Tensor xr = rows_of(xv, d, xv->dtype), gr = rows_of(g[0], d, xv->dtype);
      Tensor res = empty(xr->shape, xv->dtype);
      int64_t n = xv->shape[d];
      dispatch_floating(xv->dtype, "cumprod backward", [&](auto z) {
        using T = decltype(z);
        const T* xp = xr->data<T>();
        const T* gp = gr->data<T>();
        T* rp = res->data<T>();
        for (int64_t row = 0; n > 0 && row < xr->numel() / n; ++row)
          for (int64_t k = 0; k < n; ++k) {
            T total = 0, running = 1;
            for (int64_t i = 0; i < n; ++i) {
              if (i != k) running *= xp[row * n + i];
              if (i >= k) total += gp[row * n + i] * running;
            }
            rp[row * n + k] = total;
          }
      });
      return {from_rows(res, xv->dim(), d)};
    };
  });
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  DType dt = dtype ? *dtype : is_floating(x->dtype) ? x->dtype : DType::Int64;
  if (needs_widening(dt)) return to_dtype(cumsum(widened_as(x, dt), dim, compute_dtype(dt)), dt);
  return scan(x, wrap_dim(dim, x->dim(), "cumsum"), false, false, dt);
}

Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  DType dt = dtype ? *dtype : is_floating(x->dtype) ? x->dtype : DType::Int64;
  if (needs_widening(dt)) return to_dtype(cumprod(widened_as(x, dt), dim, compute_dtype(dt)), dt);
  return scan(x, wrap_dim(dim, x->dim(), "cumprod"), false, true, dt);
}

// ---- boolean reductions: count the true (nonzero, NaN included) elements ----
Tensor count_nonzero(const Tensor& x, const Shape& dims) {
  check_dims(x, dims, "count_nonzero");
  return sum(to_dtype(detach(x), DType::Bool), dims, false);
}
Tensor all(const Tensor& x, const Shape& dims, bool keepdim) {
  check_dims(x, dims, "all");
  Tensor c = sum(to_dtype(detach(x), DType::Bool), dims, keepdim);
  Tensor r = compare(BinaryOp::Eq, c, Scalar(reduced_count(x, dims)));
  return x->dtype == DType::UInt8 ? to_dtype(r, DType::UInt8) : r;  // torch keeps uint8 for uint8
}
Tensor any(const Tensor& x, const Shape& dims, bool keepdim) {
  check_dims(x, dims, "any");
  Tensor r = compare(BinaryOp::Gt, sum(to_dtype(detach(x), DType::Bool), dims, keepdim), Scalar(int64_t(0)));
  return x->dtype == DType::UInt8 ? to_dtype(r, DType::UInt8) : r;
}

}  // namespace tg

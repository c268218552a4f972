// Normalization with one-pass statistics and a fused affine, forward and backward together:
// layer_norm, group_norm (instance_norm is group_norm with one channel per group), rms_norm, and
// the channel-window mean that local_response_norm divides by.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reduced_float.h"
#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// A contiguous input seen as `rows` rows of M = Cg * inner elements. Row r belongs to group
// g = r % G, and its element j uses affine parameter g * Cg + j / inner. layer/rms norm: G = 1,
// Cg = M, inner = 1; group norm: rows = N * G, Cg = C / G, inner = the spatial size.
struct NormGeom {
  int64_t rows = 0, G = 1, Cg = 1, inner = 1;
  int64_t M() const { return Cg * inner; }
};

void check_floating_input(const Tensor& x, const char* op) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, op, ": expected a floating-point input, got ",
           dtype_name(x->dtype), " input of shape ", shape_str(x->shape));
}

// The affine parameter as a contiguous tensor of x's dtype, or null.
Tensor param_data(const std::optional<Tensor>& p, const Tensor& x, const char* op, const char* name) {
  if (!p || !*p) return nullptr;
  TG_CHECK((*p)->dtype == x->dtype, RuntimeError, op, ": expected ", name, " of dtype ", dtype_name(x->dtype),
           " (the input's), got ", dtype_name((*p)->dtype));
  return contiguous(detach(*p));
}

// Mean and biased variance of n values in one pass over memory. Values are taken relative to the
// first one (exact in T when they are close, so sums stay small when |mean| >> std); blocks of 64 are
// summed in T (vectorisable), their squared deviations taken while the block is in L1, and the blocks
// merged with Chan's update.
template <typename T>
void row_moments(const T* x, int64_t n, double& mean, double& var) {
  constexpr int64_t kBlock = 64, kLanes = 8;
  const T pivot = n > 0 ? x[0] : T(0);
  double m = 0, m2 = 0;
  int64_t count = 0;
  for (int64_t s = 0; s < n; s += kBlock) {
    int64_t len = std::min(kBlock, n - s);
    const T* xb = x + s;
    T lanes[kLanes] = {};  // independent partial sums, so the loops vectorise
    int64_t j = 0;
    for (; j + kLanes <= len; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) lanes[l] += xb[j + l] - pivot;
    for (; j < len; ++j) lanes[0] += xb[j] - pivot;
    T bs = 0;
    for (int64_t l = 0; l < kLanes; ++l) bs += lanes[l];
    T bm = bs / static_cast<T>(len);
    std::fill(lanes, lanes + kLanes, T(0));
    for (j = 0; j + kLanes <= len; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) {
        T d = (xb[j + l] - pivot) - bm;
        lanes[l] += d * d;
      }
    for (; j < len; ++j) {
      T d = (xb[j] - pivot) - bm;
      lanes[0] += d * d;
    }
    T bq = 0;
    for (int64_t l = 0; l < kLanes; ++l) bq += lanes[l];
    double delta = static_cast<double>(bm) - m;
    int64_t total = count + len;
    m += delta * static_cast<double>(len) / static_cast<double>(total);
    m2 += static_cast<double>(bq) + delta * delta * static_cast<double>(count) * static_cast<double>(len) /
                                         static_cast<double>(total);
    count = total;
  }
  mean = static_cast<double>(pivot) + m;
  var = n > 0 ? m2 / static_cast<double>(n) : 0.0;
}

// Two sums over j in [0, n) of f(j) -> (a, b), accumulated in T across 8 independent lanes (so the
// compiler vectorises them) and folded into double every 512 terms.
template <typename T, typename F>
void lane_sums(int64_t n, const F& f, double& sa, double& sb) {
  constexpr int64_t kLanes = 8, kFold = 512;
  sa = sb = 0;
  for (int64_t s = 0; s < n; s += kFold) {
    int64_t e = std::min(n, s + kFold), j = s;
    T a[kLanes] = {}, b[kLanes] = {};
    for (; j + kLanes <= e; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) f(j + l, a[l], b[l]);
    for (; j < e; ++j) f(j, a[0], b[0]);
    for (int64_t l = 0; l < kLanes; ++l) {
      sa += static_cast<double>(a[l]);
      sb += static_cast<double>(b[l]);
    }
  }
}

int64_t row_grain(int64_t M) { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, M)); }

// A double mean as hi + lo in T: (x - hi) is exact near the mean and lo carries the rest, so centred
// values stay accurate when |mean| >> std.
template <typename T>
struct SplitMean {
  T hi, lo;
  explicit SplitMean(double m) : hi(static_cast<T>(m)), lo(static_cast<T>(m - static_cast<double>(hi))) {}
  T centre(T x) const { return (x - hi) - lo; }
};

// y = (x - mean) * rstd * w + b (rms: mean = 0). With one parameter per element (inner == 1) the row is
// one flat loop; otherwise each channel's run of `inner` elements shares scale = rstd * w and shift = b.
template <typename T>
void norm_forward(const T* x, const T* w, const T* b, T* y, double* mean_out, double* rstd_out, const NormGeom& g,
                  double eps, bool rms) {
  const int64_t M = g.M();
  parallel_for(g.rows, row_grain(M), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * M;
      double mean = 0, var = 0;
      if (rms) {
        double unused;
        lane_sums<T>(M, [&](int64_t j, T& a, T&) { a += xr[j] * xr[j]; }, var, unused);
        var = M > 0 ? var / static_cast<double>(M) : 0.0;
      } else {
        row_moments(xr, M, mean, var);
      }
      double rstd = 1.0 / std::sqrt(var + eps);
      mean_out[r] = mean;
      rstd_out[r] = rstd;
      const SplitMean<T> m(mean);
      const T rs = static_cast<T>(rstd);
      const T* wr = w ? w + (r % g.G) * g.Cg : nullptr;
      const T* br = b ? b + (r % g.G) * g.Cg : nullptr;
      T* yr = y + r * M;
      if (g.inner == 1) {
        for (int64_t j = 0; j < M; ++j)
          yr[j] = m.centre(xr[j]) * (wr ? rs * wr[j] : rs) + (br ? br[j] : T(0));
        continue;
      }
      for (int64_t c = 0; c < g.Cg; ++c) {
        T scale = wr ? rs * wr[c] : rs, shift = br ? br[c] : T(0);
        const T* xc = xr + c * g.inner;
        T* yc = yr + c * g.inner;
        for (int64_t i = 0; i < g.inner; ++i) yc[i] = m.centre(xc[i]) * scale + shift;
      }
    }
  });
}

// With xhat = (x - mean) * rstd and gw = gy * w: dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
// per row (rms: no mean(gw) term, xhat = x * rstd).
template <typename T>
void norm_backward_input(const T* gy, const T* x, const T* w, const double* mean, const double* rstd, T* dx,
                         const NormGeom& g, bool rms) {
  const int64_t M = g.M();
  parallel_for(g.rows, row_grain(M), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *xr = x + r * M, *gr = gy + r * M;
      const T* wr = w ? w + (r % g.G) * g.Cg : nullptr;
      T* dr = dx + r * M;
      const SplitMean<T> m(rms ? 0.0 : mean[r]);
      double rs = rstd[r], sum_gw = 0, sum_gwxc = 0;  // sums of gw and gw * (x - mean)
      if (g.inner == 1) {
        lane_sums<T>(M, [&](int64_t j, T& a, T& b) {
          T gw = wr ? gr[j] * wr[j] : gr[j];
          a += gw;
          b += gw * m.centre(xr[j]);
        }, sum_gw, sum_gwxc);
      } else {
        for (int64_t c = 0; c < g.Cg; ++c) {
          const T *xc = xr + c * g.inner, *gc = gr + c * g.inner;
          double sg, sgx;
          lane_sums<T>(g.inner, [&](int64_t i, T& a, T& b) {
            a += gc[i];
            b += gc[i] * m.centre(xc[i]);
          }, sg, sgx);
          double wc = wr ? static_cast<double>(wr[c]) : 1.0;
          sum_gw += wc * sg;
          sum_gwxc += wc * sgx;
        }
      }
      // dx = rs * w * gy + (x - mean) * k2 + k3 with k2 = -rs^3 mean(gw (x - mean)), k3 = -rs mean(gw)
      const T rs_t = static_cast<T>(rs);
      const T k2 = static_cast<T>(-rs * rs * rs * sum_gwxc / static_cast<double>(M));
      const T k3 = static_cast<T>(rms ? 0.0 : -rs * sum_gw / static_cast<double>(M));
      if (g.inner == 1) {
        for (int64_t j = 0; j < M; ++j) dr[j] = gr[j] * (wr ? rs_t * wr[j] : rs_t) + m.centre(xr[j]) * k2 + k3;
        continue;
      }
      for (int64_t c = 0; c < g.Cg; ++c) {
        const T k1 = wr ? rs_t * wr[c] : rs_t;
        for (int64_t i = 0, j = c * g.inner; i < g.inner; ++i, ++j) dr[j] = gr[j] * k1 + m.centre(xr[j]) * k2 + k3;
      }
    }
  });
}

// dw = sum of gy * xhat and db = sum of gy over every element that uses the parameter.
template <typename T>
void norm_backward_params(const T* gy, const T* x, const double* mean, const double* rstd, T* dw, T* db,
                          const NormGeom& g, bool rms) {
  const int64_t M = g.M(), n_params = g.G * g.Cg, per_group = g.G > 0 ? g.rows / g.G : 0;
  if (g.inner == 1 && g.G == 1) {
    // one parameter per element: rows are summed elementwise in fixed chunks of rows (vectorised along
    // the row, independent of the thread count), and the chunks are added in order
    constexpr int64_t kChunk = 32;
    int64_t chunks = (g.rows + kChunk - 1) / kChunk;
    std::vector<double> part(static_cast<size_t>(chunks * 2 * M), 0.0);
    parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
      std::vector<T> acc_w(M), acc_b(M);
      for (int64_t ch = c0; ch < c1; ++ch) {
        std::fill(acc_w.begin(), acc_w.end(), T(0));
        std::fill(acc_b.begin(), acc_b.end(), T(0));
        for (int64_t r = ch * kChunk; r < std::min(g.rows, (ch + 1) * kChunk); ++r) {
          const T *xr = x + r * M, *gr = gy + r * M;
          const SplitMean<T> m(rms ? 0.0 : mean[r]);
          const T rs = static_cast<T>(rstd[r]);
          for (int64_t j = 0; j < M; ++j) {
            acc_w[j] += gr[j] * (m.centre(xr[j]) * rs);
            acc_b[j] += gr[j];
          }
        }
        double* pw = &part[ch * 2 * M];
        for (int64_t j = 0; j < M; ++j) {
          pw[j] = acc_w[j];
          pw[M + j] = acc_b[j];
        }
      }
    });
    for (int64_t j = 0; j < M; ++j) {  // M == n_params here (G == 1)
      double sw = 0, sb = 0;
      for (int64_t ch = 0; ch < chunks; ++ch) {
        sw += part[ch * 2 * M + j];
        sb += part[ch * 2 * M + M + j];
      }
      if (dw) dw[j] = static_cast<T>(sw);
      if (db) db[j] = static_cast<T>(sb);
    }
    return;
  }
  parallel_for(n_params, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, per_group * g.inner)),
               [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      int64_t grp = k / g.Cg, c = k % g.Cg;
      double sw = 0, sb = 0;
      for (int64_t n = 0; n < per_group; ++n) {
        int64_t r = n * g.G + grp;
        const SplitMean<T> m(rms ? 0.0 : mean[r]);
        const T *xr = x + r * M + c * g.inner, *gr = gy + r * M + c * g.inner;
        double sg, sgx;
        lane_sums<T>(g.inner, [&](int64_t i, T& a, T& b) {
          a += gr[i];
          b += gr[i] * m.centre(xr[i]);
        }, sg, sgx);
        sw += sgx * rstd[r];
        sb += sg;
      }
      if (dw) dw[k] = static_cast<T>(sw);
      if (db) db[k] = static_cast<T>(sb);
    }
  });
}

// The same gradients from differentiable ops (mean and rstd recomputed from x), used when the
// backward itself is recorded (create_graph), so double backward is exact.
Grads norm_backward_composite(const Tensor& gy, const Tensor& x, const Tensor& w, const NormGeom& g, double eps,
                              bool rms, const std::optional<Shape>& bias_shape) {
  Shape view4{g.G > 0 ? g.rows / g.G : 0, g.G, g.Cg, g.inner};
  Tensor xv = reshape(x, view4), gv = reshape(gy, view4);
  Shape stat_dims{2, 3};
  Tensor xc = rms ? xv : sub(xv, mean(xv, stat_dims, true));
  Tensor rstd = rsqrt(add(mean(mul(xc, xc), stat_dims, true), Scalar(eps)));
  Tensor xhat = mul(xc, rstd);
  Tensor gw = w ? mul(gv, reshape(w, {1, g.G, g.Cg, 1})) : gv;
  Tensor a = mean(mul(gw, xhat), stat_dims, true);
  Tensor inner = sub(gw, mul(xhat, a));
  if (!rms) inner = sub(inner, mean(gw, stat_dims, true));
  Tensor dx = reshape(mul(rstd, inner), x->shape);
  Tensor dw = w ? reshape(sum(mul(gv, xhat), {0, 3}, false), w->shape) : nullptr;
  Tensor db = bias_shape ? reshape(sum(gv, {0, 3}, false), *bias_shape) : nullptr;
  return {dx, dw, db};
}

Tensor norm_impl(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                 const NormGeom& g, double eps, bool rms, const char* op, const char* node_name) {
  if (is_reduced_float(x->dtype))
    return to_dtype(norm_impl(widen_reduced(x), widen_reduced(weight), widen_reduced(bias), g, eps, rms, op, node_name),
                    x->dtype);
  Tensor w = param_data(weight, x, op, "weight"), b = param_data(bias, x, op, "bias");
  Tensor xc = contiguous(detach(x));
  Tensor y = empty(x->shape, x->dtype);
  Tensor mean_t = empty({g.rows}, DType::Float64), rstd_t = empty({g.rows}, DType::Float64);
  dispatch_floating(x->dtype, op, [&](auto tag) {
    using T = decltype(tag);
    norm_forward<T>(xc->data<T>(), w ? w->data<T>() : nullptr, b ? b->data<T>() : nullptr, y->data<T>(),
                    mean_t->data<double>(), rstd_t->data<double>(), g, eps, rms);
  });
  Tensor wt = weight ? *weight : nullptr, bt = bias ? *bias : nullptr;
  record(node_name, {x, wt, bt}, {y}, [&] {
    SavedTensor sx = save(x), sw = wt ? save(wt) : SavedTensor();
    bool want_dx = x->requires_grad(), want_dw = wt && wt->requires_grad(), want_db = bt && bt->requires_grad();
    std::optional<Shape> bias_shape;
    if (bt) bias_shape = bt->shape;
    return BackwardFn([=](const Grads& grads) -> Grads {
      Tensor xs = sx.get(), ws = sw.defined() ? sw.get() : nullptr;
      if (is_grad_enabled()) return norm_backward_composite(grads[0], xs, ws, g, eps, rms, bias_shape);
      Tensor gy = contiguous(grads[0]), xk = contiguous(xs), wk = ws ? contiguous(ws) : nullptr;
      Tensor dx = want_dx ? empty(xs->shape, xs->dtype) : nullptr;
      Tensor dw = want_dw ? empty(ws->shape, ws->dtype) : nullptr;
      Tensor db = want_db ? empty(*bias_shape, xs->dtype) : nullptr;
      dispatch_floating(xs->dtype, op, [&](auto tag) {
        using T = decltype(tag);
        const double *mu = mean_t->data<double>(), *rs = rstd_t->data<double>();
        if (dx) norm_backward_input<T>(gy->data<T>(), xk->data<T>(), wk ? wk->data<T>() : nullptr, mu, rs,
                                       dx->data<T>(), g, rms);
        if (dw || db) norm_backward_params<T>(gy->data<T>(), xk->data<T>(), mu, rs, dw ? dw->data<T>() : nullptr,
                                              db ? db->data<T>() : nullptr, g, rms);
      });
      return {dx, dw, db};
    });
  });
  return y;
}

// Rows and row length for normalizing over the trailing `normalized_shape` dims of x.
NormGeom trailing_geom(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                       const std::optional<Tensor>& bias, const char* op) {
  check_floating_input(x, op);
  int64_t k = static_cast<int64_t>(normalized_shape.size());
  TG_CHECK(k >= 1, RuntimeError, op, ": Expected normalized_shape to be at least 1-dimensional, i.e., containing "
           "at least one element, but got normalized_shape = ", shape_str(normalized_shape));
  bool match = x->dim() >= k && std::equal(normalized_shape.begin(), normalized_shape.end(), x->shape.end() - k);
  TG_CHECK(match, RuntimeError, op, ": Given normalized_shape=", shape_str(normalized_shape),
           ", expected input with shape [*, ", shape_str(normalized_shape).substr(1), ", but got input of size",
           shape_str(x->shape));
  for (const auto* p : {&weight, &bias}) {
    TG_CHECK(!*p || !**p || (**p)->shape == normalized_shape, RuntimeError, op, ": Expected ",
             p == &weight ? "weight" : "bias", " to be of same shape as normalized_shape, but got ",
             p == &weight ? "weight" : "bias", " of shape ", shape_str((**p)->shape),
             " and normalized_shape = ", shape_str(normalized_shape));
  }
  NormGeom g;
  g.Cg = shape_numel(normalized_shape);
  g.rows = 1;
  for (int64_t d = 0; d < x->dim() - k; ++d) g.rows *= x->shape[d];
  return g;
}

// out[n, c] = (1/size) sum of x[n, c'] for c' in [c - lo, c + hi] within [0, C).
template <typename T>
void window_mean(const T* x, T* y, int64_t N, int64_t C, int64_t S, int64_t lo, int64_t hi, double inv) {
  parallel_for(N * C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, S * (lo + hi + 1))),
               [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc) {
      int64_t n = nc / C, c = nc % C;
      T* yr = y + nc * S;
      std::fill(yr, yr + S, T(0));
      for (int64_t k = std::max<int64_t>(0, c - lo); k <= std::min(C - 1, c + hi); ++k) {
        const T* xr = x + (n * C + k) * S;
        for (int64_t s = 0; s < S; ++s) yr[s] += xr[s];
      }
      for (int64_t s = 0; s < S; ++s) yr[s] = static_cast<T>(yr[s] * inv);
    }
  });
}

// Linear in x; its adjoint is the same sum over the mirrored window [c - hi, c + lo].
Tensor window_mean_op(const Tensor& x, int64_t lo, int64_t hi, int64_t size) {
  if (is_reduced_float(x->dtype)) return to_dtype(window_mean_op(widen_reduced(x), lo, hi, size), x->dtype);
  Tensor xc = contiguous(detach(x));
  Tensor y = empty(x->shape, x->dtype);
  int64_t N = x->shape[0], C = x->shape[1], S = C > 0 && N > 0 ? x->numel() / (N * C) : 0;
  dispatch_floating(x->dtype, "local_response_norm", [&](auto tag) {
    using T = decltype(tag);
    window_mean<T>(xc->data<T>(), y->data<T>(), N, C, S, lo, hi, 1.0 / static_cast<double>(size));
  });
  record("AvgPool3DBackward0", {x}, {y}, [&] {
    return BackwardFn([lo, hi, size](const Grads& g) -> Grads { return {window_mean_op(g[0], hi, lo, size)}; });
  });
  return y;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps) {
  NormGeom g = trailing_geom(x, normalized_shape, weight, bias, "layer_norm");
  return norm_impl(x, weight, bias, g, eps, false, "layer_norm", "NativeLayerNormBackward0");
}

Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight, double eps) {
  NormGeom g = trailing_geom(x, normalized_shape, weight, std::nullopt, "rms_norm");
  return norm_impl(x, weight, std::nullopt, g, eps, true, "rms_norm", "RmsNormBackward0");
}

Tensor group_norm(const Tensor& x, int64_t num_groups, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps) {
  check_floating_input(x, "group_norm");
  TG_CHECK(x->dim() >= 2, RuntimeError, "group_norm: Expected at least 2 dimensions for input tensor but received ",
           x->dim());
  int64_t N = x->shape[0], C = x->shape[1];
  TG_CHECK(num_groups > 0 && C % num_groups == 0, RuntimeError,
           "group_norm: Expected number of channels in input to be divisible by num_groups, but got input of shape ",
           shape_str(x->shape), " and num_groups=", num_groups);
  for (const auto* p : {&weight, &bias}) {
    TG_CHECK(!*p || !**p || ((**p)->dim() == 1 && (**p)->shape[0] == C), RuntimeError, "group_norm: Expected ",
             p == &weight ? "weight" : "bias",
             " to be a vector of size equal to the number of channels in input, but got ",
             p == &weight ? "weight" : "bias", " of shape ", shape_str((**p)->shape), " and input of shape ",
             shape_str(x->shape));
  }
  NormGeom g;
  g.G = num_groups;
  g.rows = N * num_groups;
  g.Cg = C / num_groups;
  g.inner = 1;
  for (int64_t d = 2; d < x->dim(); ++d) g.inner *= x->shape[d];
  return norm_impl(x, weight, bias, g, eps, false, "group_norm", "NativeGroupNormBackward0");
}

Tensor channel_window_mean(const Tensor& x, int64_t size) {
  check_floating_input(x, "local_response_norm");
  TG_CHECK(x->dim() >= 3, ValueError, "Expected 3D or higher dimensionality input (got ", x->dim(),
           " dimensions)");
  TG_CHECK(size > 0, RuntimeError, "local_response_norm: size must be positive, got ", size);
  return window_mean_op(x, size / 2, (size - 1) / 2, size);
}

}  // namespace tg::nn

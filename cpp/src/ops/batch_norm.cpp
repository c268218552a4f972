// Batch normalization over [N, C, *]: per-channel statistics, fused affine, running statistics.
//
// Training: mean and biased variance per channel in one pass over memory (each contiguous
// segment of a channel is summed twice while it is in cache, and the segments are merged with
// Chan's parallel Welford update), then y = x * scale + shift with scale = w / sqrt(var + eps) and
// shift = b - mean * scale. With M values per channel, xhat = (x - mean) / sqrt(var + eps):
//   dx = (w / sqrt(var + eps)) (dy - mean(dy) - xhat mean(dy xhat)),  dw = sum(dy xhat),  db = sum(dy).
// The backward runs as a fused kernel, or (when a graph of the backward is asked for, i.e.
// double backward) as the same formula in differentiable ops. Evaluation is an affine map by
// the running statistics, written in differentiable ops.
#include <cmath>

#include "reduced_float.h"
#include "tg/conv.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

struct Layout {
  int64_t N = 0, C = 0, S = 1;  // batch, channels, values per (sample, channel)
  int64_t count() const { return N * S; }
};

// Per channel: mean and biased variance (double accumulation).
template <typename T>
void channel_stats(const Layout& L, const T* x, double* mean, double* var) {
  parallel_for(L.C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(L.count(), 1)), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double n = 0, m = 0, m2 = 0;
      for (int64_t b = 0; b < L.N; ++b) {
        const T* seg = x + (b * L.C + c) * L.S;
        double s = 0;
        for (int64_t i = 0; i < L.S; ++i) s += seg[i];
        const double sm = s / static_cast<double>(L.S);
        double q = 0;
        for (int64_t i = 0; i < L.S; ++i) {
          const double dv = seg[i] - sm;
          q += dv * dv;
        }
        // Chan et al.: merge (n, m, m2) with the segment's (S, sm, q).
        const double tot = n + static_cast<double>(L.S), delta = sm - m;
        m += delta * static_cast<double>(L.S) / tot;
        m2 += q + delta * delta * n * static_cast<double>(L.S) / tot;
        n = tot;
      }
      mean[c] = m;
      var[c] = n > 0 ? m2 / n : std::nan("");
    }
  });
}

// y = x * scale[c] + shift[c] per (sample, channel) plane.
template <typename T>
void affine_planes(const Layout& L, const T* x, const T* scale, const T* shift, T* y) {
  parallel_for(L.N * L.C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(L.S, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t c = p % L.C;
      const T a = scale[c], b = shift[c];
      const T* xs = x + p * L.S;
      T* ys = y + p * L.S;
      for (int64_t i = 0; i < L.S; ++i) ys[i] = xs[i] * a + b;
    }
  });
}

Layout layout_of(const Tensor& x) {
  Layout L;
  L.N = x->shape[0];
  L.C = x->shape[1];
  for (int64_t i = 2; i < x->dim(); ++i) L.S *= x->shape[i];
  return L;
}

Tensor channel_view(const Tensor& v, int64_t ndim) {
  Shape s(ndim, 1);
  s[1] = v->shape[0];
  return reshape(v, s);
}

Shape reduce_dims(int64_t ndim) {
  Shape d{0};
  for (int64_t i = 2; i < ndim; ++i) d.push_back(i);
  return d;
}

// The backward formula in differentiable ops (for double backward).
Grads backward_graph(const Tensor& x, const Tensor& w, const Tensor& gy, double eps, bool gx, bool gw, bool gb) {
  Shape dims = reduce_dims(x->dim());
  Tensor mu = mean(x, dims, true);
  Tensor invstd = rsqrt(add(var(x, dims, 0.0, true), Scalar(eps)));
  Tensor xhat = mul(sub(x, mu), invstd);
  Grads out(3);
  if (gx) {
    Tensor inner = sub(sub(gy, mean(gy, dims, true)), mul(xhat, mean(mul(gy, xhat), dims, true)));
    Tensor scale = w ? mul(invstd, channel_view(w, x->dim())) : invstd;
    out[0] = mul(inner, scale);
  }
  if (gw) out[1] = sum(mul(gy, xhat), dims, false);
  if (gb) out[2] = sum(gy, dims, false);
  return out;
}

// The same with fused kernels: per-channel sums of dy and dy (x - mean), then one elementwise pass.
Grads backward_kernel(const Tensor& x_in, const Tensor& w_in, const Tensor& gy_in, const Tensor& mean_t,
                      const Tensor& invstd_t, bool gx, bool gw, bool gb) {
  Tensor x = contiguous(x_in), gy = contiguous(gy_in);
  Tensor w = w_in ? contiguous(w_in) : Tensor();
  Layout L = layout_of(x);
  const double M = static_cast<double>(L.count());
  Grads out(3);
  dispatch_floating(x->dtype, "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x->data<T>();
    const T* gs = gy->data<T>();
    const T* mu = mean_t->data<T>();
    const T* is = invstd_t->data<T>();
    std::vector<double> sum_g(L.C), sum_gx(L.C);
    parallel_for(L.C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(L.count(), 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        double a = 0, b = 0;
        for (int64_t n = 0; n < L.N; ++n) {
          const T* xr = xs + (n * L.C + c) * L.S;
          const T* gr = gs + (n * L.C + c) * L.S;
          const T m = mu[c];
          for (int64_t i = 0; i < L.S; ++i) {
            a += gr[i];
            b += gr[i] * (xr[i] - m);
          }
        }
        sum_g[c] = a;
        sum_gx[c] = b;
      }
    });
    if (gx) {
      // dx = k (dy - mean(dy) - (x - mean) invstd^2 mean(dy (x - mean))), k = w invstd,
      //    = dy k + x (-k invstd^2 mean(dy (x - mean))) + const: one multiply-add per element.
      Tensor out_x = empty(x->shape, x->dtype);
      std::vector<T> a(L.C), bx(L.C), c0(L.C);
      for (int64_t c = 0; c < L.C; ++c) {
        const double k = static_cast<double>(is[c]) * (w ? static_cast<double>(w->data<T>()[c]) : 1.0);
        const double proj = static_cast<double>(is[c]) * is[c] * sum_gx[c] / M;
        a[c] = static_cast<T>(k);
        bx[c] = static_cast<T>(-k * proj);
        c0[c] = static_cast<T>(k * (proj * mu[c] - sum_g[c] / M));
      }
      T* o = out_x->data<T>();
      parallel_for(L.N * L.C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(L.S, 1)), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t c = p % L.C;
          const T* xr = xs + p * L.S;
          const T* gr = gs + p * L.S;
          T* orow = o + p * L.S;
          for (int64_t i = 0; i < L.S; ++i) orow[i] = gr[i] * a[c] + xr[i] * bx[c] + c0[c];
        }
      });
      out[0] = out_x;
    }
    if (gw) {
      out[1] = empty({L.C}, x->dtype);
      for (int64_t c = 0; c < L.C; ++c) out[1]->data<T>()[c] = static_cast<T>(sum_gx[c] * is[c]);
    }
    if (gb) {
      out[2] = empty({L.C}, x->dtype);
      for (int64_t c = 0; c < L.C; ++c) out[2]->data<T>()[c] = static_cast<T>(sum_g[c]);
    }
  });
  return out;
}

void check_channels(const std::optional<Tensor>& t, int64_t C, const char* name) {
  if (!t || !*t) return;
  TG_CHECK((*t)->numel() == C, RuntimeError, name, " should contain ", C, " elements not ", (*t)->numel());
  TG_CHECK(is_floating((*t)->dtype), RuntimeError, "batch_norm: expected a floating-point ", name, ", got ",
           dtype_name((*t)->dtype));
}

Tensor flat_param(const std::optional<Tensor>& t, DType dtype) {
  if (!t || !*t) return Tensor();
  return to_dtype(reshape(*t, {(*t)->numel()}), dtype);
}

// r = (1 - momentum) r + momentum * v, in r's memory (no autograd), as torch's running stats.
void update_running(const Tensor& r, const std::vector<double>& v, double momentum) {
  Tensor old = contiguous(cast_for_kernel(detach(r), DType::Float64));
  Tensor next = empty(old->shape, DType::Float64);
  const double* o = old->data<double>();
  double* nx = next->data<double>();
  for (size_t c = 0; c < v.size(); ++c) nx[c] = (1 - momentum) * o[c] + momentum * v[c];
  copy_into(r, next);
  r->bump_version();
}

Tensor eval_affine(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& rm, const Tensor& rv, double eps) {
  Tensor scale = rsqrt(add(to_dtype(detach(rv), x->dtype), Scalar(eps)));
  if (w) scale = mul(scale, w);
  Tensor shift = neg(mul(to_dtype(detach(rm), x->dtype), scale));
  if (b) shift = add(shift, b);
  return add(mul(x, channel_view(scale, x->dim())), channel_view(shift, x->dim()));
}

// The statistics and the affine map in x's dtype (float32 or float64); `store` is the dtype the
// result is rounded to afterwards. For float16/bfloat16 torch keeps the batch mean and 1/std in
// that dtype and normalizes with the rounded values, so they are rounded here too.
Tensor batch_norm_float(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                        const std::optional<Tensor>& running_mean, const std::optional<Tensor>& running_var,
                        bool training, double momentum, double eps, DType store) {
  const int64_t C = x->shape[1];
  const bool has_rm = running_mean && *running_mean, has_rv = running_var && *running_var;
  Tensor w = flat_param(weight, x->dtype), b = flat_param(bias, x->dtype);
  if (!training) {
    TG_CHECK(has_rm, RuntimeError, "running_mean must be defined in evaluation mode");
    TG_CHECK(has_rv, RuntimeError, "running_var must be defined in evaluation mode");
    return eval_affine(x, w, b, *running_mean, *running_var, eps);
  }
  Tensor xc = contiguous(detach(x));
  Layout L = layout_of(xc);
  std::vector<double> mu(C), var(C);
  Tensor mean_t = empty({C}, x->dtype), invstd_t = empty({C}, x->dtype), out = empty(x->shape, x->dtype);
  dispatch_floating(x->dtype, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    channel_stats<T>(L, xc->data<T>(), mu.data(), var.data());
    std::vector<T> scale(C), shift(C);
    Tensor wc = w ? contiguous(detach(w)) : Tensor(), bc = b ? contiguous(detach(b)) : Tensor();
    auto stat = [&](double v) { return is_reduced_float(store) ? round_to(store, v) : v; };
    const double M = static_cast<double>(L.count());
    for (int64_t c = 0; c < C; ++c) {
      // bfloat16 also keeps the sum of squares and its quotient by the count in bfloat16
      const double v = store == DType::BFloat16 ? stat(stat(var[c] * M) / stat(M)) : var[c];
      const double m = stat(mu[c]), is = stat(1.0 / std::sqrt(v + eps));
      const double sc = is * (wc ? static_cast<double>(wc->data<T>()[c]) : 1.0);
      mean_t->data<T>()[c] = static_cast<T>(m);
      invstd_t->data<T>()[c] = static_cast<T>(is);
      scale[c] = static_cast<T>(sc);
      shift[c] = static_cast<T>((bc ? static_cast<double>(bc->data<T>()[c]) : 0.0) - m * sc);
    }
    affine_planes<T>(L, xc->data<T>(), scale.data(), shift.data(), out->data<T>());
  });
  const double M = static_cast<double>(L.count());
  if (has_rm) update_running(*running_mean, mu, momentum);
  if (has_rv) {
    std::vector<double> unbiased(C);
    for (int64_t c = 0; c < C; ++c) unbiased[c] = var[c] * M / (M - 1);
    update_running(*running_var, unbiased, momentum);
  }
  std::vector<Tensor> inputs{x, w ? w : Tensor(), b ? b : Tensor()};
  std::vector<Tensor> present;
  for (const Tensor& t : inputs)
    if (t) present.push_back(t);
  if (needs_grad(present)) {
    record_node("NativeBatchNormBackward0", present, {out}, [&] {
      bool gx = x->requires_grad(), gw = w && w->requires_grad(), gb = b && b->requires_grad();
      SavedTensor sx = save(x), sw = w ? save(w) : SavedTensor();
      bool has_w = static_cast<bool>(w), has_b = static_cast<bool>(b);
      return BackwardFn([=](const Grads& g) -> Grads {
        Tensor xv = sx.get(), wv = has_w ? sw.get() : Tensor();
        Grads r = is_grad_enabled() ? backward_graph(xv, wv, g[0], eps, gx, gw, gb)
                                    : backward_kernel(xv, wv, g[0], mean_t, invstd_t, gx, gw, gb);
        Grads out{r[0]};
        if (has_w) out.push_back(r[1]);
        if (has_b) out.push_back(r[2]);
        return out;
      });
    });
  }
  return out;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                  const std::optional<Tensor>& running_mean, const std::optional<Tensor>& running_var,
                  bool training, double momentum, double eps) {
  TG_CHECK(is_floating(x->dtype), RuntimeError, "batch_norm: expected a floating-point input, got ",
           dtype_name(x->dtype));
  // Below 2 dims torch sees no channels: only an empty input (with empty statistics) passes.
  const int64_t C = x->dim() >= 2 ? x->shape[1] : 0;
  check_channels(weight, C, "weight");
  check_channels(bias, C, "bias");
  check_channels(running_mean, C, "running_mean");
  check_channels(running_var, C, "running_var");
  if (x->dim() < 2) {
    TG_CHECK(x->numel() == 0, IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
    return clone(x);
  }
  // float16 / bfloat16: computed in float32 (parameters and statistics are converted as they are read)
  if (is_reduced_float(x->dtype))
    return to_dtype(batch_norm_float(widen_reduced(x), weight, bias, running_mean, running_var, training, momentum,
                                     eps, x->dtype),
                    x->dtype);
  return batch_norm_float(x, weight, bias, running_mean, running_var, training, momentum, eps, x->dtype);
}

}  // namespace tg::nn

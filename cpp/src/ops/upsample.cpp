// interpolate's kernels (nearest, nearest-exact, linear/bilinear/trilinear, bicubic, area), forward
// and backward together. Every mode is separable: each output position along a dim is a weighted sum
// of a few input positions (a tap table), and a resize is one 1-D pass per spatial dim. The
// backward of a pass is the transposed table (a scatter-add), and each pass records the other.
#include <algorithm>
#include <cmath>
#include <memory>

#include "reduced_float.h"
#include "tg/alloc_check.h"
#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// K taps per output position: out[o] = sum_k weight[o*K + k] * in[index[o*K + k]].
struct Taps {
  int64_t in_size = 0, out_size = 0, K = 1;
  std::vector<int64_t> index;
  std::vector<double> weight;
};
using TapsPtr = std::shared_ptr<const Taps>;

// torch's area_pixel_compute_scale: the input step per output step.
double pixel_scale(int64_t in, int64_t out, bool align_corners, double user_scale) {
  if (align_corners) return out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  return user_scale > 0 ? 1.0 / user_scale : static_cast<double>(in) / static_cast<double>(out);
}

// Keys' cubic convolution kernel with parameter A at distance x (torch: A = -0.75, or -0.5 antialiased).
double keys_cubic(double x, double A) {
  x = std::abs(x);
  if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  return x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A : 0;
}

// Cubic convolution (A = -0.75 as torch) weights for the 4 taps around a fractional offset t.
void cubic_weights(double t, double* w) {
  for (int k = 0; k < 4; ++k) w[k] = keys_cubic(t + 1 - k, -0.75);
}

// The triangle (linear) or cubic filter at distance x; `keys_a` is the cubic's A.
double filter(double x, bool cubic, double keys_a) {
  if (cubic) return keys_cubic(x, keys_a);
  x = std::abs(x);
  return x < 1 ? 1 - x : 0;
}

// Anti-aliased linear / cubic (PIL's filters, as torch's antialias=True): when shrinking, the filter is
// stretched by the scale so every input pixel contributes; weights are normalised to sum to 1.
double aa_filter(double x, bool cubic) { return filter(x, cubic, -0.5); }

TapsPtr make_aa_taps(int64_t in, int64_t out, bool cubic, bool align_corners, double user_scale) {
  auto t = std::make_shared<Taps>();
  t->in_size = in;
  t->out_size = out;
  const double scale = pixel_scale(in, out, align_corners, user_scale);
  const double half = cubic ? 2.0 : 1.0;  // half the filter's width at scale 1
  const double support = scale >= 1 ? half * scale : half, invscale = scale >= 1 ? 1 / scale : 1;
  t->K = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t->index.assign(static_cast<size_t>(out * t->K), 0);
  t->weight.assign(static_cast<size_t>(out * t->K), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const double center = scale * (o + 0.5);
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t n = std::min(std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in) - lo, t->K);
    int64_t* idx = &t->index[o * t->K];
    double* w = &t->weight[o * t->K];
    double total = 0;
    for (int64_t j = 0; j < n; ++j) {
      idx[j] = lo + j;
      w[j] = aa_filter((static_cast<double>(lo + j) - center + 0.5) * invscale, cubic);
      total += w[j];
    }
    for (int64_t j = n; j < t->K; ++j) idx[j] = lo;  // zero-weight padding taps
    if (total != 0)
      for (int64_t j = 0; j < n; ++j) w[j] /= total;
  }
  return t;
}

// `store` is the dtype of the tensor resized: torch keeps the linear and cubic weights in it, so for
// float16/bfloat16 they are rounded to it (the lower linear weight as 1 minus the rounded upper one).
TapsPtr make_taps(int64_t in, int64_t out, const std::string& mode, bool align_corners, double user_scale,
                  DType store) {
  auto r = [store](double v) { return is_reduced_float(store) ? round_to(store, v) : v; };
  if (mode == "linear_aa" || mode == "cubic_aa") return make_aa_taps(in, out, mode == "cubic_aa", align_corners, user_scale);
  auto t = std::make_shared<Taps>();
  t->in_size = in;
  t->out_size = out;
  t->K = mode == "linear" ? 2 : mode == "cubic" ? 4 : 1;
  if (mode == "area")  // adaptive average pooling: window [floor(o in / out), ceil((o + 1) in / out))
    t->K = out > 0 ? (in + out - 1) / out + 1 : 1;
  check_alloc_size(checked_product({out, t->K}), sizeof(int64_t) + sizeof(double));
  t->index.assign(static_cast<size_t>(out * t->K), 0);
  t->weight.assign(static_cast<size_t>(out * t->K), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    int64_t* idx = &t->index[o * t->K];
    double* w = &t->weight[o * t->K];
    if (mode == "nearest" || mode == "nearest-exact") {
      // torch computes these in float: src = floor(o * scale) (nearest-exact: (o + 0.5) * scale)
      float scale = static_cast<float>(user_scale > 0 ? 1.0 / user_scale : static_cast<double>(in) / out);
      float pos = mode == "nearest" ? static_cast<float>(o) * scale : (static_cast<float>(o) + 0.5f) * scale;
      idx[0] = std::min(static_cast<int64_t>(std::floor(pos)), in - 1);
      w[0] = 1.0;
    } else if (mode == "linear") {
      double scale = pixel_scale(in, out, align_corners, user_scale);
      double src = align_corners ? scale * o : std::max(0.0, scale * (o + 0.5) - 0.5);
      int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
      double frac = std::min(src - static_cast<double>(i0), 1.0);
      idx[0] = i0;
      idx[1] = i0 < in - 1 ? i0 + 1 : i0;
      w[1] = r(frac);
      w[0] = r(1.0 - w[1]);
    } else if (mode == "cubic") {
      double scale = pixel_scale(in, out, align_corners, user_scale);
      double src = align_corners ? scale * o : scale * (o + 0.5) - 0.5;
      double fl = std::floor(src);
      cubic_weights(src - fl, w);
      for (int64_t k = 0; k < 4; ++k) w[k] = r(w[k]);
      for (int64_t k = 0; k < 4; ++k)  // taps beyond the edge read the edge (torch's bounded access)
        idx[k] = std::clamp<int64_t>(static_cast<int64_t>(fl) - 1 + k, 0, in - 1);
    } else {  // area
      int64_t start = (o * in) / out, end = ((o + 1) * in + out - 1) / out;
      for (int64_t i = start; i < end; ++i) {
        idx[i - start] = i;
        w[i - start] = 1.0 / static_cast<double>(end - start);
      }
    }
  }
  return t;
}

// uint8 linear/cubic (not antialiased) as torch's uint8 kernels place them: K = 2 or 4 taps from the
// floor of the source index, clipped to the input, the weight of every tap beyond an edge added onto
// the edge tap. Also returns the largest weight, partial sums included, which fixes the precision.
std::pair<TapsPtr, double> make_uint8_taps(int64_t in, int64_t out, bool cubic, bool align_corners,
                                           double user_scale) {
  auto t = std::make_shared<Taps>();
  t->in_size = in;
  t->out_size = out;
  t->K = cubic ? 4 : 2;
  t->index.assign(static_cast<size_t>(out * t->K), 0);
  t->weight.assign(static_cast<size_t>(out * t->K), 0.0);
  const double scale = pixel_scale(in, out, align_corners, user_scale);
  const int64_t support = t->K / 2;
  double wt_max = 0;
  for (int64_t o = 0; o < out; ++o) {
    double src = align_corners ? scale * o : scale * (o + 0.5) - 0.5;
    if (!cubic && !align_corners && src < 0) src = 0;
    // torch floors in float here
    const int64_t base = std::min(static_cast<int64_t>(std::floor(static_cast<float>(src))), in - 1);
    const double lambda = std::clamp(src - static_cast<double>(base), 0.0, 1.0);
    const int64_t lo = base - support + 1, first = std::max<int64_t>(lo, 0);
    const int64_t count = std::clamp<int64_t>(std::min(base + support + 1, in) - first, 0, t->K);
    int64_t* idx = &t->index[o * t->K];
    double* w = &t->weight[o * t->K];
    for (int64_t k = 0; k < t->K; ++k) idx[k] = first + std::min(k, std::max<int64_t>(count - 1, 0));
    int64_t slot = 0;
    for (int64_t k = 0; k < t->K; ++k) {
      if (lo + k <= 0) slot = 0;
      else if (lo + k >= in - 1) slot = count - 1;
      w[slot] += filter(static_cast<double>(k + 1 - support) - lambda, cubic, -0.75);
      wt_max = std::max(wt_max, w[slot]);
      ++slot;
    }
  }
  return {t, wt_max};
}

// x seen as [A, size, B] around the resized dim.
struct DimLayout {
  int64_t A = 1, B = 1;
};
DimLayout layout_around(const Shape& s, int64_t dim) {
  DimLayout L;
  for (int64_t d = 0; d < dim; ++d) L.A *= s[d];
  for (size_t d = dim + 1; d < s.size(); ++d) L.B *= s[d];
  return L;
}

Tensor resample_transposed(const Tensor& g, int64_t dim, const TapsPtr& taps);

// One 1-D pass along `dim`: out[a, o, b] = sum_k w[o, k] x[a, idx[o, k], b].
Tensor resample(const Tensor& x, int64_t dim, const TapsPtr& taps) {
  Shape out_shape = x->shape;
  out_shape[dim] = taps->out_size;
  Tensor xc = contiguous(detach(x));
  Tensor y = zeros(out_shape, x->dtype);
  DimLayout L = layout_around(x->shape, dim);
  const Taps& t = *taps;
  dispatch_floating(x->dtype, "interpolate", [&](auto tag) {
    using T = decltype(tag);
    const T* src = xc->data<T>();
    T* dst = y->data<T>();
    std::vector<T> wt(t.weight.begin(), t.weight.end());
    parallel_for(L.A * t.out_size, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, L.B * t.K)),
                 [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t a = r / t.out_size, o = r % t.out_size;
        T* d = dst + r * L.B;
        for (int64_t k = 0; k < t.K; ++k) {
          T w = wt[o * t.K + k];
          if (w == T(0)) continue;
          const T* s = src + (a * t.in_size + t.index[o * t.K + k]) * L.B;
          for (int64_t b = 0; b < L.B; ++b) d[b] += w * s[b];
        }
      }
    });
  });
  record("UpsampleBackward0", {x}, {y}, [&] {
    return BackwardFn([dim, taps](const Grads& gr) -> Grads { return {resample_transposed(gr[0], dim, taps)}; });
  });
  return y;
}

// The adjoint pass: gin[a, idx[o, k], b] += w[o, k] g[a, o, b].
Tensor resample_transposed(const Tensor& g, int64_t dim, const TapsPtr& taps) {
  const Taps& t = *taps;
  Shape in_shape = g->shape;
  in_shape[dim] = t.in_size;
  Tensor gc = contiguous(detach(g));
  Tensor gin = zeros(in_shape, g->dtype);
  DimLayout L = layout_around(g->shape, dim);
  dispatch_floating(g->dtype, "interpolate backward", [&](auto tag) {
    using T = decltype(tag);
    const T* src = gc->data<T>();
    T* dst = gin->data<T>();
    std::vector<T> wt(t.weight.begin(), t.weight.end());
    // threads split the outer index a, so no two write the same element
    parallel_for(L.A, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, t.out_size * L.B * t.K)),
                 [&](int64_t a0, int64_t a1) {
      for (int64_t a = a0; a < a1; ++a)
        for (int64_t o = 0; o < t.out_size; ++o) {
          const T* s = src + (a * t.out_size + o) * L.B;
          for (int64_t k = 0; k < t.K; ++k) {
            T w = wt[o * t.K + k];
            if (w == T(0)) continue;
            T* d = dst + (a * t.in_size + t.index[o * t.K + k]) * L.B;
            for (int64_t b = 0; b < L.B; ++b) d[b] += w * s[b];
          }
        }
    });
  });
  record("UpsampleBackwardBackward0", {g}, {gin}, [&] {
    return BackwardFn([dim, taps](const Grads& gr) -> Grads { return {resample(gr[0], dim, taps)}; });
  });
  return gin;
}

// One uint8 pass along `dim` in torch's fixed point: weights scaled by 2^precision (the most that keeps
// the largest weight below 2^15) and rounded half away from zero, products summed in integers from
// half a unit, shifted back and clamped to [0, 255]. No autograd: uint8 has no gradients.
Tensor resample_uint8(const Tensor& x, int64_t dim, const Taps& t, double wt_max) {
  int precision = 0;
  while (precision < 22 && static_cast<int>(0.5 + wt_max * static_cast<double>(1 << (precision + 1))) < (1 << 15))
    ++precision;
  std::vector<int32_t> wq(t.weight.size());
  for (size_t i = 0; i < wq.size(); ++i) {
    const double v = t.weight[i] * static_cast<double>(1 << precision);
    wq[i] = static_cast<int16_t>(v < 0 ? static_cast<int>(-0.5 + v) : static_cast<int>(0.5 + v));
  }
  Shape out_shape = x->shape;
  out_shape[dim] = t.out_size;
  Tensor xc = contiguous(x);
  Tensor y = empty(out_shape, DType::UInt8);
  DimLayout L = layout_around(x->shape, dim);
  const uint8_t* src = xc->data<uint8_t>();
  uint8_t* dst = y->data<uint8_t>();
  parallel_for(L.A * t.out_size, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, L.B * t.K)),
               [&](int64_t r0, int64_t r1) {
    std::vector<int32_t> acc(static_cast<size_t>(L.B));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t a = r / t.out_size, o = r % t.out_size;
      std::fill(acc.begin(), acc.end(), int32_t(1) << (precision - 1));
      for (int64_t k = 0; k < t.K; ++k) {
        const int32_t w = wq[o * t.K + k];
        if (w == 0) continue;
        const uint8_t* s = src + (a * t.in_size + t.index[o * t.K + k]) * L.B;
        for (int64_t b = 0; b < L.B; ++b) acc[b] += w * s[b];
      }
      uint8_t* d = dst + r * L.B;
      for (int64_t b = 0; b < L.B; ++b) d[b] = static_cast<uint8_t>(std::clamp(acc[b] >> precision, 0, 255));
    }
  });
  return y;
}

// torch's uint8 bilinear/bicubic (2-D, with or without antialiasing): the width pass, then the height
// pass, each rounded to uint8; a dim whose size does not change is not resampled.
Tensor interpolate_uint8(const Tensor& x, const Shape& out_size, const std::string& mode, bool align_corners,
                         const std::vector<double>& scales) {
  Tensor y = x;
  for (int64_t j = 1; j >= 0; --j) {
    const int64_t dim = 2 + j, in = x->shape[dim], out = out_size[j];
    if (in == out) continue;
    const double user_scale = scales.empty() ? 0.0 : scales[j];
    const bool cubic = mode == "cubic" || mode == "cubic_aa";
    if (mode == "linear_aa" || mode == "cubic_aa") {
      TapsPtr taps = make_aa_taps(in, out, cubic, align_corners, user_scale);
      const double wt_max = taps->weight.empty() ? 0.0 : *std::max_element(taps->weight.begin(), taps->weight.end());
      y = resample_uint8(y, dim, *taps, std::max(wt_max, 0.0));
    } else {
      auto [taps, wt_max] = make_uint8_taps(in, out, cubic, align_corners, user_scale);
      y = resample_uint8(y, dim, *taps, wt_max);
    }
  }
  return y;
}

}  // namespace

Tensor interpolate(const Tensor& x, const Shape& out_size, const std::string& mode, bool align_corners,
                   const std::vector<double>& scales) {
  TG_CHECK(mode == "nearest" || mode == "nearest-exact" || mode == "linear" || mode == "cubic" || mode == "area" ||
           mode == "linear_aa" || mode == "cubic_aa", ValueError, "interpolate: unknown mode '", mode, "'");
  const bool nearest = mode == "nearest" || mode == "nearest-exact";
  // uint8 also for 2-D bilinear/bicubic, in torch's fixed point
  const bool uint8_2d = x->dtype == DType::UInt8 && out_size.size() == 2 && !nearest && mode != "area";
  TG_CHECK(is_floating(x->dtype) || (nearest && x->dtype != DType::Bool) || uint8_2d, RuntimeError,
           "interpolate: expected a floating-point input, got ", dtype_name(x->dtype));
  int64_t k = static_cast<int64_t>(out_size.size()), nd = x->dim();
  TG_CHECK(k >= 1 && k <= 3 && nd == k + 2, ValueError, "interpolate: expected a ", k + 2, "-D input for ", k,
           " output sizes, got input of shape ", shape_str(x->shape));
  TG_CHECK(scales.empty() || static_cast<int64_t>(scales.size()) == k, ValueError,
           "interpolate: expected ", k, " scale factors, got ", scales.size());
  for (int64_t j = 0; j < nd; ++j)
    TG_CHECK(j < 1 || x->shape[j] > 0, RuntimeError, "interpolate: Input and output sizes should be greater than 0,"
             " but got input of shape ", shape_str(x->shape), " and output size ", shape_str(out_size));
  for (int64_t s : out_size)
    TG_CHECK(s > 0, RuntimeError, "interpolate: Input and output sizes should be greater than 0, but got input of "
             "shape ", shape_str(x->shape), " and output size ", shape_str(out_size));
  if (uint8_2d) return interpolate_uint8(x, out_size, mode, align_corners, scales);
  if (!is_floating(x->dtype))  // nearest modes copy values: float64 holds every integer input exactly enough
    return cast_for_kernel(interpolate(cast_for_kernel(x, DType::Float64), out_size, mode, align_corners, scales),
                           x->dtype);
  // float16/bfloat16: resized in float32 (one rounding at the end) with weights rounded as torch's
  // 1-D and 3-D kernels keep them; its 2-D bilinear kernel keeps them in float32
  Tensor y = widen_reduced(x);
  const DType weights = k == 2 && mode == "linear" ? DType::Float32 : x->dtype;
  for (int64_t j = k - 1; j >= 0; --j) {
    int64_t dim = 2 + j;
    y = resample(y, dim, make_taps(x->shape[dim], out_size[j], mode, align_corners, scales.empty() ? 0.0 : scales[j],
                                   weights));
  }
  return y->dtype == x->dtype ? y : to_dtype(y, x->dtype);
}

}  // namespace tg::nn

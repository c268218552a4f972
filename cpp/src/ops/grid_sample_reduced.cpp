// grid_sample's forward values for float16 / bfloat16. torch's CPU kernels do their arithmetic in the
// 16-bit type itself, so every intermediate (coordinate, distance, weight, product, partial sum) is
// rounded to it: the 2-D kernel is vectorized (its own formulas for the coordinates and weights), the
// 3-D one is a scalar loop over GridSampler.h's helpers (other formulas). Each step below rounds where
// the matching torch kernel does, in its order, so the results are torch's bit for bit.
#include <algorithm>
#include <cmath>

#include "grid_sample.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// v rounded to T (one store to the 16-bit type and back).
template <typename T>
float rd(float v) {
  return static_cast<float>(T(v));
}

// Clamps into [0, n - 1]; a NaN becomes 0 (the 2-D kernel clamps from below with 0 first).
template <typename T>
float clip2(float v, int64_t n) {
  v = v > 0 ? v : 0.f;
  const float hi = rd<T>(static_cast<float>(n - 1));
  return v < hi ? v : hi;
}

// ---- 2-D: the vectorized kernel's coordinates ----

template <typename T>
float unnormalize2(float g, int64_t n, bool align_corners) {
  if (align_corners) return rd<T>(rd<T>(g + 1) * rd<T>(rd<T>(static_cast<float>(n - 1)) / 2));
  return rd<T>(rd<T>(rd<T>(g + 1) * rd<T>(rd<T>(static_cast<float>(n)) / 2)) - 0.5f);
}

// Folds into the reflection span: |v - low| less whole double spans (truncated quotient), then
// mirrored when past one span; clipped after.
template <typename T>
float reflect2(float v, int64_t n, bool align_corners) {
  if (align_corners && n <= 1) return 0;
  const float twice_span = rd<T>(rd<T>(static_cast<float>(align_corners ? n - 1 : n)) * 2);
  const float low = align_corners ? 0.f : -0.5f;
  const float a = std::fabs(align_corners ? v : rd<T>(v - low));
  const float flips = std::trunc(rd<T>(a / twice_span));
  const float extra = rd<T>(a - rd<T>(flips * twice_span));
  float r = std::min(extra, rd<T>(twice_span - extra));
  if (!align_corners) r = rd<T>(r + low);
  return clip2<T>(r, n);
}

template <typename T>
float pad2(float v, int64_t n, Padding pad, bool align_corners) {
  if (pad == Padding::Border) return clip2<T>(v, n);
  if (pad == Padding::Reflection) return reflect2<T>(v, n, align_corners);
  return v;
}

// Keys' cubic weights (A = -0.75) of the taps at -1, 0, 1, 2 from floor, for fraction t, in the
// kernel's evaluation order (Horner, left to right; the constants are exact in both types).
template <typename T>
void cubic2(float t, float* w) {
  constexpr float A = -0.75f;
  auto far = [](float x) {
    return rd<T>(rd<T>(rd<T>(rd<T>(rd<T>(rd<T>(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);
  };
  auto near = [](float x) { return rd<T>(rd<T>(rd<T>(rd<T>(rd<T>((A + 2) * x) - (A + 3)) * x) * x) + 1); };
  w[0] = far(rd<T>(t + 1));
  w[1] = near(t);
  w[2] = near(rd<T>(1 - t));
  w[3] = far(rd<T>(2 - t));
}

// One output point of the 2-D kernel for every channel. img: [C, H, W]; out: channel stride P.
template <typename T>
void sample2(const GridGeom& g, const T* img, float gx, float gy, T* out, int64_t P) {
  const int64_t W = g.in[0], H = g.in[1], V = W * H;
  const bool ac = g.align_corners;
  auto inside = [&](int64_t ix, int64_t iy) { return ix >= 0 && ix < W && iy >= 0 && iy < H; };
  auto value = [&](int64_t c, int64_t ix, int64_t iy) {
    return inside(ix, iy) ? static_cast<float>(img[c * V + iy * W + ix]) : 0.f;
  };
  float x = unnormalize2<T>(gx, W, ac), y = unnormalize2<T>(gy, H, ac);
  if (g.interp == Interp::Bicubic) {  // taps around the unpadded point, each padded on its own
    const float fx = std::floor(x), fy = std::floor(y);
    float wx[4], wy[4];
    cubic2<T>(rd<T>(x - fx), wx);
    cubic2<T>(rd<T>(y - fy), wy);
    int64_t tx[4], ty[4];
    for (int k = 0; k < 4; ++k) {
      tx[k] = static_cast<int64_t>(pad2<T>(rd<T>(fx + (k - 1)), W, g.pad, ac));
      ty[k] = static_cast<int64_t>(pad2<T>(rd<T>(fy + (k - 1)), H, g.pad, ac));
    }
    for (int64_t c = 0; c < g.C; ++c) {
      float acc = 0;
      for (int i = 0; i < 4; ++i) {
        float row = 0;
        for (int j = 0; j < 4; ++j) {
          const float term = rd<T>(wx[j] * value(c, tx[j], ty[i]));
          row = j ? rd<T>(row + term) : term;
        }
        const float term = rd<T>(wy[i] * row);
        acc = i ? rd<T>(acc + term) : term;
      }
      out[c * P] = T(acc);
    }
    return;
  }
  x = pad2<T>(x, W, g.pad, ac);
  y = pad2<T>(y, H, g.pad, ac);
  if (g.interp == Interp::Nearest) {
    const int64_t ix = static_cast<int64_t>(std::nearbyint(x)), iy = static_cast<int64_t>(std::nearbyint(y));
    for (int64_t c = 0; c < g.C; ++c) out[c * P] = T(value(c, ix, iy));
    return;
  }
  const float fx = std::floor(x), fy = std::floor(y);
  const float w = rd<T>(x - fx), e = rd<T>(1 - w), n = rd<T>(y - fy), s = rd<T>(1 - n);
  const float wt[4] = {rd<T>(s * e), rd<T>(s * w), rd<T>(n * e), rd<T>(n * w)};  // nw, ne, sw, se
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  for (int64_t c = 0; c < g.C; ++c) {
    float acc = 0;
    for (int k = 0; k < 4; ++k) {
      const float term = rd<T>(value(c, x0 + (k & 1), y0 + (k >> 1)) * wt[k]);
      acc = k ? rd<T>(acc + term) : term;
    }
    out[c * P] = T(acc);
  }
}

// ---- 3-D: the scalar loop's coordinates (GridSampler.h) ----

template <typename T>
float unnormalize3(float g, int64_t n, bool align_corners) {
  if (align_corners) return rd<T>(rd<T>(rd<T>(g + 1) / 2) * rd<T>(static_cast<float>(n - 1)));
  return rd<T>(rd<T>(rd<T>(rd<T>(g + 1) * rd<T>(static_cast<float>(n))) - 1) / 2);
}

// Reflects into [lo2 / 2, hi2 / 2] (bounds doubled, as torch's): fmod for the remainder, the rounded
// quotient's floor for the parity of the fold.
template <typename T>
float reflect3(float v, int64_t lo2, int64_t hi2) {
  if (lo2 == hi2) return 0;
  const float lo = rd<T>(rd<T>(static_cast<float>(lo2)) / 2);
  const float span = rd<T>(rd<T>(static_cast<float>(hi2 - lo2)) / 2);
  const float a = std::fabs(rd<T>(v - lo));
  const float extra = std::fmod(a, span);
  const int64_t flips = static_cast<int64_t>(std::floor(rd<T>(a / span)));
  return flips % 2 == 0 ? rd<T>(extra + lo) : rd<T>(rd<T>(span - extra) + lo);
}

template <typename T>
float clip3(float v, int64_t n) {
  return std::min(rd<T>(static_cast<float>(n - 1)), std::max(v, 0.f));
}

template <typename T>
float source3(float gc, int64_t n, Padding pad, bool align_corners) {
  float v = unnormalize3<T>(gc, n, align_corners);
  if (pad == Padding::Border) return clip3<T>(v, n);
  if (pad == Padding::Reflection)
    return clip3<T>(align_corners ? reflect3<T>(v, 0, 2 * (n - 1)) : reflect3<T>(v, -1, 2 * n - 1), n);
  return v;
}

// One output point of the 3-D loop for every channel. img: [C, D, H, W].
template <typename T>
void sample3(const GridGeom& g, const T* img, const float* gc, T* out, int64_t P) {
  const int64_t V = g.plane();
  float c3[3];
  for (int a = 0; a < 3; ++a) c3[a] = source3<T>(gc[a], g.in[a], g.pad, g.align_corners);
  auto inside = [&](const int64_t* p) {
    for (int a = 0; a < 3; ++a)
      if (p[a] < 0 || p[a] >= g.in[a]) return false;
    return true;
  };
  auto offset = [&](const int64_t* p) { return (p[2] * g.in[1] + p[1]) * g.in[0] + p[0]; };
  if (g.interp == Interp::Nearest) {
    int64_t p[3];
    for (int a = 0; a < 3; ++a) p[a] = static_cast<int64_t>(std::nearbyint(c3[a]));
    for (int64_t c = 0; c < g.C; ++c) out[c * P] = inside(p) ? img[c * V + offset(p)] : T(0.f);
    return;
  }
  // distances to the two planes on each axis: (floor + 1) - v and v - floor, each rounded
  int64_t f[3];
  float d[3][2];
  for (int a = 0; a < 3; ++a) {
    const float fl = std::floor(c3[a]);
    f[a] = static_cast<int64_t>(fl);
    d[a][0] = rd<T>(rd<T>(fl + 1) - c3[a]);
    d[a][1] = rd<T>(c3[a] - rd<T>(fl));
  }
  for (int64_t c = 0; c < g.C; ++c) out[c * P] = T(0.f);
  for (int corner = 0; corner < 8; ++corner) {  // tnw, tne, tsw, tse, bnw, bne, bsw, bse
    const int bx = corner & 1, by = (corner >> 1) & 1, bz = corner >> 2;
    const int64_t p[3] = {f[0] + bx, f[1] + by, f[2] + bz};
    if (!inside(p)) continue;
    const float w = rd<T>(rd<T>(d[0][bx] * d[1][by]) * d[2][bz]);
    const int64_t at = offset(p);
    for (int64_t c = 0; c < g.C; ++c)
      out[c * P] = T(static_cast<float>(out[c * P]) + rd<T>(static_cast<float>(img[c * V + at]) * w));
  }
}

template <typename T>
void forward(const GridGeom& g, const T* x, const T* grid, T* y) {
  const int64_t P = g.points(), V = g.plane();
  parallel_for(g.N * P, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.C * 8)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = r / P, p = r % P;
      float gc[3];
      for (int a = 0; a < g.dims; ++a) gc[a] = static_cast<float>(grid[r * g.dims + a]);
      if (g.dims == 2) sample2<T>(g, x + n * g.C * V, gc[0], gc[1], y + n * g.C * P + p, P);
      else sample3<T>(g, x + n * g.C * V, gc, y + n * g.C * P + p, P);
    }
  });
}

}  // namespace

void grid_forward_reduced(const GridGeom& g, const Tensor& x, const Tensor& grid, const Tensor& y) {
  if (x->dtype == DType::Float16) forward<Half>(g, x->data<Half>(), grid->data<Half>(), y->data<Half>());
  else forward<BFloat16>(g, x->data<BFloat16>(), grid->data<BFloat16>(), y->data<BFloat16>());
}

}  // namespace tg::nn

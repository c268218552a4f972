// grid_sample on 4-D inputs ([N, C, H, W] sampled at an [N, Ho, Wo, 2] grid of normalized (x, y)):
// bilinear, nearest and bicubic interpolation with zeros, border or reflection padding, forward and
// backward (gradients for the input and the grid) together.
#include <algorithm>
#include <cmath>

#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

enum class Padding { Zeros, Border, Reflection };
enum class Interp { Bilinear, Nearest, Bicubic };

// A coordinate and its derivative with respect to the normalized grid value.
struct Coord {
  double v, dv;
};

// [-1, 1] -> pixel coordinates: corners of the corner pixels (align_corners) or their centres.
Coord unnormalize(double c, int64_t size, bool align_corners) {
  if (align_corners) return {(c + 1) / 2 * static_cast<double>(size - 1), static_cast<double>(size - 1) / 2};
  return {((c + 1) * static_cast<double>(size) - 1) / 2, static_cast<double>(size) / 2};
}

// Clamps into [0, size - 1]; the derivative is 0 where clamped.
Coord clip(Coord c, int64_t size) {
  double hi = static_cast<double>(size - 1);
  if (c.v <= 0) return {0, 0};
  if (c.v >= hi) return {hi, 0};
  return c;
}

// Reflects into [lo2 / 2, hi2 / 2] (bounds given doubled, as torch), flipping the derivative's sign
// on odd reflections.
Coord reflect(Coord c, double lo2, double hi2) {
  if (lo2 == hi2) return {0, 0};
  double lo = lo2 / 2, span = (hi2 - lo2) / 2;
  double sign = c.v < lo ? -1.0 : 1.0;
  double in = std::fabs(c.v - lo);
  double extra = std::fmod(in, span);
  int64_t flips = static_cast<int64_t>(std::floor(in / span));
  if (flips % 2 == 0) return {extra + lo, c.dv * sign};
  return {span - extra + lo, -c.dv * sign};
}

Coord apply_padding(Coord c, int64_t size, Padding pad, bool align_corners) {
  if (pad == Padding::Border) return clip(c, size);
  if (pad == Padding::Reflection) {
    c = align_corners ? reflect(c, 0, 2.0 * static_cast<double>(size - 1))
                      : reflect(c, -1, 2.0 * static_cast<double>(size) - 1);
    return clip(c, size);
  }
  return c;
}

// Cubic convolution weights (A = -0.75) for taps at offsets -1, 0, 1, 2 from floor, and their derivatives in t.
void cubic(double t, double* w, double* dw) {
  const double A = -0.75;
  auto near = [&](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
  auto near_d = [&](double x) { return (3 * (A + 2) * x - 2 * (A + 3)) * x; };
  auto far = [&](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
  auto far_d = [&](double x) { return (3 * A * x - 10 * A) * x + 8 * A; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
  dw[0] = far_d(t + 1);
  dw[1] = near_d(t);
  dw[2] = -near_d(1 - t);
  dw[3] = -far_d(2 - t);
}

struct GridGeom {
  int64_t N, C, H, W, Ho, Wo;
  Interp interp;
  Padding pad;
  bool align_corners;
};

// Visits the taps that output pixel (n, p) reads: f(y, x, weight, d weight / d gx, d weight / d gy).
// Taps outside the image (zeros padding) are skipped.
template <typename F>
void for_each_tap(const GridGeom& g, double gx, double gy, const F& f) {
  Coord cx = unnormalize(gx, g.W, g.align_corners), cy = unnormalize(gy, g.H, g.align_corners);
  auto inside = [&](int64_t y, int64_t x) { return y >= 0 && y < g.H && x >= 0 && x < g.W; };
  if (g.interp == Interp::Bicubic) {
    // taps at integer positions around the unpadded coordinate; each tap is then padded on its own
    double fx = std::floor(cx.v), fy = std::floor(cy.v);
    double wx[4], dwx[4], wy[4], dwy[4];
    cubic(cx.v - fx, wx, dwx);
    cubic(cy.v - fy, wy, dwy);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        Coord tx = apply_padding({fx - 1 + j, 1}, g.W, g.pad, g.align_corners);
        Coord ty = apply_padding({fy - 1 + i, 1}, g.H, g.pad, g.align_corners);
        int64_t x = static_cast<int64_t>(tx.v), y = static_cast<int64_t>(ty.v);
        if (!inside(y, x)) continue;
        f(y, x, wx[j] * wy[i], dwx[j] * wy[i] * cx.dv, wx[j] * dwy[i] * cy.dv);
      }
    return;
  }
  cx = apply_padding(cx, g.W, g.pad, g.align_corners);
  cy = apply_padding(cy, g.H, g.pad, g.align_corners);
  if (g.interp == Interp::Nearest) {
    int64_t x = static_cast<int64_t>(std::nearbyint(cx.v)), y = static_cast<int64_t>(std::nearbyint(cy.v));
    if (inside(y, x)) f(y, x, 1.0, 0.0, 0.0);
    return;
  }
  double fx = std::floor(cx.v), fy = std::floor(cy.v), tx = cx.v - fx, ty = cy.v - fy;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      int64_t x = static_cast<int64_t>(fx) + j, y = static_cast<int64_t>(fy) + i;
      if (!inside(y, x)) continue;
      double wx = j ? tx : 1 - tx, wy = i ? ty : 1 - ty;
      f(y, x, wx * wy, (j ? 1.0 : -1.0) * wy * cx.dv, (i ? 1.0 : -1.0) * wx * cy.dv);
    }
}

template <typename T>
void grid_forward(const GridGeom& g, const T* x, const T* grid, T* y) {
  int64_t P = g.Ho * g.Wo;
  parallel_for(g.N * P, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.C * 4)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t n = r / P, p = r % P;
      const T* img = x + n * g.C * g.H * g.W;
      T* out = y + n * g.C * P + p;
      for (int64_t c = 0; c < g.C; ++c) out[c * P] = T(0);
      for_each_tap(g, grid[r * 2], grid[r * 2 + 1], [&](int64_t yy, int64_t xx, double w, double, double) {
        for (int64_t c = 0; c < g.C; ++c) out[c * P] += static_cast<T>(w) * img[(c * g.H + yy) * g.W + xx];
      });
    }
  });
}

// Gradients for the input (scatter of w * gy, one thread per sample) and the grid (sum over channels
// of gy * the value's derivative).
template <typename T>
void grid_backward(const GridGeom& g, const T* x, const T* grid, const T* gy, T* gx, T* ggrid) {
  int64_t P = g.Ho * g.Wo;
  parallel_for(g.N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const T* img = x + n * g.C * g.H * g.W;
      T* gimg = gx ? gx + n * g.C * g.H * g.W : nullptr;
      for (int64_t p = 0; p < P; ++p) {
        int64_t r = n * P + p;
        const T* go = gy + n * g.C * P + p;
        double sx = 0, sy = 0;
        for_each_tap(g, grid[r * 2], grid[r * 2 + 1], [&](int64_t yy, int64_t xx, double w, double dwx, double dwy) {
          for (int64_t c = 0; c < g.C; ++c) {
            int64_t at = (c * g.H + yy) * g.W + xx;
            if (gimg) gimg[at] += static_cast<T>(w * go[c * P]);
            double v = static_cast<double>(go[c * P]) * img[at];
            sx += v * dwx;
            sy += v * dwy;
          }
        });
        if (ggrid) {
          ggrid[r * 2] = static_cast<T>(sx);
          ggrid[r * 2 + 1] = static_cast<T>(sy);
        }
      }
    }
  });
}

}  // namespace

Tensor grid_sample(const Tensor& x, const Tensor& grid, const std::string& mode, const std::string& padding_mode,
                   bool align_corners) {
  TG_CHECK(mode == "bilinear" || mode == "nearest" || mode == "bicubic", ValueError,
           "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '", mode, "'");
  TG_CHECK(padding_mode == "zeros" || padding_mode == "border" || padding_mode == "reflection", ValueError,
           "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '",
           padding_mode, "'");
  TG_CHECK(is_floating(x->dtype) && x->dtype == grid->dtype, RuntimeError,
           "grid_sampler(): expected input and grid to have the same floating dtype, but input has ",
           dtype_name(x->dtype), " and grid has ", dtype_name(grid->dtype));
  TG_CHECK(x->dim() == 4 && grid->dim() == 4, RuntimeError, "grid_sampler(): expected 4D input and grid with same "
           "number of dimensions, but got input with sizes ", shape_str(x->shape), " and grid with sizes ",
           shape_str(grid->shape));
  TG_CHECK(x->shape[0] == grid->shape[0], RuntimeError, "grid_sampler(): expected grid and input to have same batch "
           "size, but got input with sizes ", shape_str(x->shape), " and grid with sizes ", shape_str(grid->shape));
  TG_CHECK(grid->shape[3] == 2, RuntimeError, "grid_sampler(): expected grid to have size 2 in last dimension, but "
           "got grid with sizes ", shape_str(grid->shape));
  TG_CHECK(x->shape[2] > 0 && x->shape[3] > 0, RuntimeError, "grid_sampler(): expected input to have non-empty "
           "spatial dimensions, but input has sizes ", shape_str(x->shape));
  GridGeom g{x->shape[0], x->shape[1], x->shape[2], x->shape[3], grid->shape[1], grid->shape[2],
             mode == "bilinear" ? Interp::Bilinear : mode == "nearest" ? Interp::Nearest : Interp::Bicubic,
             padding_mode == "zeros" ? Padding::Zeros : padding_mode == "border" ? Padding::Border : Padding::Reflection,
             align_corners};
  Tensor xc = contiguous(detach(x)), gc = contiguous(detach(grid));
  Tensor y = empty({g.N, g.C, g.Ho, g.Wo}, x->dtype);
  dispatch_floating(x->dtype, "grid_sample", [&](auto tag) {
    using T = decltype(tag);
    grid_forward<T>(g, xc->data<T>(), gc->data<T>(), y->data<T>());
  });
  record("GridSampler2DBackward0", {x, grid}, {y}, [&] {
    bool want_x = x->requires_grad(), want_grid = grid->requires_grad();
    SavedTensor sx = save(x), sgrid = save(grid);
    return BackwardFn([g, sx, sgrid, want_x, want_grid](const Grads& gr) -> Grads {
      Tensor gy = contiguous(detach(gr[0]));
      Tensor xc = contiguous(detach(sx.get())), gc = contiguous(detach(sgrid.get()));
      Tensor gx = want_x ? zeros(xc->shape, xc->dtype) : nullptr;
      Tensor ggrid = want_grid ? empty(gc->shape, gc->dtype) : nullptr;
      dispatch_floating(xc->dtype, "grid_sample backward", [&](auto tag) {
        using T = decltype(tag);
        grid_backward<T>(g, xc->data<T>(), gc->data<T>(), gy->data<T>(), gx ? gx->data<T>() : nullptr,
                         ggrid ? ggrid->data<T>() : nullptr);
      });
      return {gx, ggrid};
    });
  });
  return y;
}

}  // namespace tg::nn

// grid_sample on 4-D inputs ([N, C, H, W] sampled at an [N, Ho, Wo, 2] grid of normalized (x, y)) and
// 5-D inputs ([N, C, D, H, W] at an [N, Do, Ho, Wo, 3] grid of (x, y, z)): bilinear/trilinear, nearest
// and (2-D) bicubic interpolation with zeros, border or reflection padding, forward and backward
// (gradients for the input and the grid) together.
#include <algorithm>
#include <cmath>

#include "grid_sample.h"
#include "reduced_float.h"
#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

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

// Visits the taps that one output point reads: f(offset in the input plane, weight, d weight / d grid[a]
// for a = x, y, z). Taps outside the input (zeros padding) are skipped.
template <typename F>
void for_each_tap(const GridGeom& g, const double* gc, const F& f) {
  const int64_t W = g.in[0], H = g.in[1];
  auto inside = [&](const int64_t* pos) {
    for (int a = 0; a < g.dims; ++a)
      if (pos[a] < 0 || pos[a] >= g.in[a]) return false;
    return true;
  };
  auto offset = [&](const int64_t* pos) { return ((g.dims == 3 ? pos[2] : 0) * H + pos[1]) * W + pos[0]; };
  Coord c[3];
  for (int a = 0; a < g.dims; ++a) c[a] = unnormalize(gc[a], g.in[a], g.align_corners);
  if (g.interp == Interp::Bicubic) {  // 2-D only
    // taps at integer positions around the unpadded coordinate; each tap is then padded on its own
    double fx = std::floor(c[0].v), fy = std::floor(c[1].v);
    double wx[4], dwx[4], wy[4], dwy[4];
    cubic(c[0].v - fx, wx, dwx);
    cubic(c[1].v - fy, wy, dwy);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        Coord tx = apply_padding({fx - 1 + j, 1}, W, g.pad, g.align_corners);
        Coord ty = apply_padding({fy - 1 + i, 1}, H, g.pad, g.align_corners);
        int64_t pos[3] = {static_cast<int64_t>(tx.v), static_cast<int64_t>(ty.v), 0};
        if (!inside(pos)) continue;
        double dw[3] = {dwx[j] * wy[i] * c[0].dv, wx[j] * dwy[i] * c[1].dv, 0};
        f(offset(pos), wx[j] * wy[i], dw);
      }
    return;
  }
  for (int a = 0; a < g.dims; ++a) c[a] = apply_padding(c[a], g.in[a], g.pad, g.align_corners);
  if (g.interp == Interp::Nearest) {
    int64_t pos[3] = {0, 0, 0};
    for (int a = 0; a < g.dims; ++a) pos[a] = static_cast<int64_t>(std::nearbyint(c[a].v));
    const double dw[3] = {0, 0, 0};
    if (inside(pos)) f(offset(pos), 1.0, dw);
    return;
  }
  // (bi/tri)linear: the 2^dims corners around the point, weight = product of per-axis weights
  double fl[3], t[3];
  for (int a = 0; a < g.dims; ++a) fl[a] = std::floor(c[a].v), t[a] = c[a].v - fl[a];
  for (int corner = 0; corner < (1 << g.dims); ++corner) {
    int64_t pos[3] = {0, 0, 0};
    double wa[3] = {1, 1, 1};
    for (int a = 0; a < g.dims; ++a) {
      const int bit = (corner >> a) & 1;
      pos[a] = static_cast<int64_t>(fl[a]) + bit;
      wa[a] = bit ? t[a] : 1 - t[a];
    }
    if (!inside(pos)) continue;
    double dw[3] = {0, 0, 0};
    for (int a = 0; a < g.dims; ++a) {
      dw[a] = (((corner >> a) & 1) ? 1.0 : -1.0) * c[a].dv;
      for (int b = 0; b < g.dims; ++b)
        if (b != a) dw[a] *= wa[b];
    }
    f(offset(pos), wa[0] * wa[1] * wa[2], dw);
  }
}

// The grid point r's components as doubles.
template <typename T>
void grid_point(const GridGeom& g, const T* grid, int64_t r, double* gc) {
  for (int a = 0; a < g.dims; ++a) gc[a] = static_cast<double>(grid[r * g.dims + a]);
}

template <typename T>
void grid_forward(const GridGeom& g, const T* x, const T* grid, T* y) {
  const int64_t P = g.points(), V = g.plane();
  parallel_for(g.N * P, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.C * 4)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t n = r / P, p = r % P;
      const T* img = x + n * g.C * V;
      T* out = y + n * g.C * P + p;
      for (int64_t c = 0; c < g.C; ++c) out[c * P] = T(0);
      double gc[3];
      grid_point(g, grid, r, gc);
      for_each_tap(g, gc, [&](int64_t at, double w, const double*) {
        for (int64_t c = 0; c < g.C; ++c) out[c * P] += static_cast<T>(w) * img[c * V + at];
      });
    }
  });
}

// Gradients for the input (scatter of w * gy, one thread per sample) and the grid (sum over channels
// of gy * the value's derivative).
template <typename T>
void grid_backward(const GridGeom& g, const T* x, const T* grid, const T* gy, T* gx, T* ggrid) {
  const int64_t P = g.points(), V = g.plane();
  parallel_for(g.N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const T* img = x + n * g.C * V;
      T* gimg = gx ? gx + n * g.C * V : nullptr;
      for (int64_t p = 0; p < P; ++p) {
        int64_t r = n * P + p;
        const T* go = gy + n * g.C * P + p;
        double s[3] = {0, 0, 0}, gc[3];
        grid_point(g, grid, r, gc);
        for_each_tap(g, gc, [&](int64_t at, double w, const double* dw) {
          for (int64_t c = 0; c < g.C; ++c) {
            if (gimg) gimg[c * V + at] += static_cast<T>(w * go[c * P]);
            double v = static_cast<double>(go[c * P]) * img[c * V + at];
            for (int a = 0; a < g.dims; ++a) s[a] += v * dw[a];
          }
        });
        if (ggrid)
          for (int a = 0; a < g.dims; ++a) ggrid[r * g.dims + a] = static_cast<T>(s[a]);
      }
    }
  });
}

// ---- second derivatives ----
// The kernels give first derivatives only. For second ones grid_sample is written again with tg's
// differentiable ops (the same taps: gather, floor, where, products of per-axis weights), and the
// backward node's own backward takes Hessian-vector products of that expression with autograd, on
// detached copies of its inputs (the caller's graph is not touched). Only create_graph uses it.

Tensor constant(double v, DType dt) { return scalar_tensor(Scalar(v), dt); }

// Clamps into [0, size - 1] with zero derivative outside (torch's clip).
Tensor clip_t(const Tensor& c, int64_t size) {
  const double hi = static_cast<double>(size - 1);
  Tensor z = constant(0, c->dtype), h = constant(hi, c->dtype);
  return where(compare(BinaryOp::Le, c, Scalar(0.0)), z, where(compare(BinaryOp::Ge, c, Scalar(hi)), h, c));
}

// reflect() above, elementwise: |c - lo| folded into [0, span], flipped back on odd folds.
Tensor reflect_t(const Tensor& c, double lo2, double hi2) {
  if (lo2 == hi2) return mul(c, Scalar(0.0));
  const double lo = lo2 / 2, span = (hi2 - lo2) / 2;
  Tensor in = abs(sub(c, Scalar(lo)));
  Tensor extra = fmod(in, constant(span, c->dtype));
  Tensor flips = floor(detach(div(in, Scalar(span))));
  Tensor even = compare(BinaryOp::Eq, fmod(flips, constant(2, c->dtype)), Scalar(0.0));
  return where(even, add(extra, Scalar(lo)), rsub(extra, Scalar(span + lo)));
}

Tensor pad_t(const Tensor& c, int64_t size, Padding pad, bool align_corners) {
  if (pad == Padding::Border) return clip_t(c, size);
  if (pad == Padding::Reflection)
    return clip_t(align_corners ? reflect_t(c, 0, 2.0 * static_cast<double>(size - 1))
                                : reflect_t(c, -1, 2.0 * static_cast<double>(size) - 1), size);
  return c;
}

// Keys' cubic weight (A = -0.75) of a tap at distance d (a tensor in [0, 2)): near for d < 1, far else.
Tensor cubic_near_t(const Tensor& d) {
  const double A = -0.75;
  return add(mul(mul(sub(mul(d, Scalar(A + 2)), Scalar(A + 3)), d), d), Scalar(1.0));
}
Tensor cubic_far_t(const Tensor& d) {
  const double A = -0.75;
  return sub(mul(add(mul(sub(mul(d, Scalar(A)), Scalar(5 * A)), d), Scalar(8 * A)), d), Scalar(4 * A));
}

// grid_sample of x at grid in differentiable ops.
Tensor sample_composite(const Tensor& x, const Tensor& grid, const GridGeom& g) {
  const DType dt = x->dtype;
  const int64_t P = g.points(), V = g.plane();
  Tensor xv = reshape(x, {g.N, g.C, V});
  Tensor gf = reshape(grid, {g.N, P, g.dims});
  const int64_t stride[3] = {1, g.in[0], g.in[0] * g.in[1]};
  Tensor c[3];
  for (int a = 0; a < g.dims; ++a) {
    const double size = static_cast<double>(g.in[a]);
    Tensor ga = add(select(gf, 2, a), Scalar(1.0));
    c[a] = g.align_corners ? mul(ga, Scalar((size - 1) / 2)) : sub(mul(ga, Scalar(size / 2)), Scalar(0.5));
  }
  Tensor y = zeros({g.N, g.C, P}, dt);
  // adds weight [N, P] times x at the tap (pos[a] [N, P], integral values; outside the input reads 0)
  auto add_tap = [&](const Tensor* pos, const Tensor& weight) {
    Tensor valid, index = zeros({g.N, P}, DType::Int64);
    for (int a = 0; a < g.dims; ++a) {
      Tensor in = logical_and(compare(BinaryOp::Ge, pos[a], Scalar(0.0)),
                              compare(BinaryOp::Le, pos[a], Scalar(static_cast<double>(g.in[a] - 1))));
      valid = a == 0 ? in : logical_and(valid, in);
    }
    for (int a = 0; a < g.dims; ++a)
      index = add(index, mul(to_dtype(where(valid, detach(pos[a]), constant(0, dt)), DType::Int64), Scalar(stride[a])));
    Tensor taken = gather(xv, 2, expand(unsqueeze(index, 1), {g.N, g.C, P}));
    y = add(y, mul(unsqueeze(mul(weight, to_dtype(valid, dt)), 1), taken));
  };
  if (g.interp == Interp::Bicubic) {  // taps around the unpadded point, each padded on its own
    Tensor f[2], t[2], w[2][4];
    for (int a = 0; a < 2; ++a) {
      f[a] = floor(detach(c[a]));
      t[a] = sub(c[a], f[a]);
      w[a][0] = cubic_far_t(add(t[a], Scalar(1.0)));
      w[a][1] = cubic_near_t(t[a]);
      w[a][2] = cubic_near_t(rsub(t[a], Scalar(1.0)));
      w[a][3] = cubic_far_t(rsub(t[a], Scalar(2.0)));
    }
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        Tensor pos[2] = {pad_t(add(f[0], Scalar(double(j - 1))), g.in[0], g.pad, g.align_corners),
                         pad_t(add(f[1], Scalar(double(i - 1))), g.in[1], g.pad, g.align_corners)};
        for (Tensor& p : pos) p = floor(p);  // reflection may leave a fraction; the kernel truncates too
        add_tap(pos, mul(w[0][j], w[1][i]));
      }
  } else {
    for (int a = 0; a < g.dims; ++a) c[a] = pad_t(c[a], g.in[a], g.pad, g.align_corners);
    if (g.interp == Interp::Nearest) {
      Tensor pos[3];
      for (int a = 0; a < g.dims; ++a) pos[a] = round(detach(c[a]));
      add_tap(pos, constant(1, dt));
    } else {
      Tensor f[3], t[3];
      for (int a = 0; a < g.dims; ++a) f[a] = floor(detach(c[a])), t[a] = sub(c[a], f[a]);
      for (int corner = 0; corner < (1 << g.dims); ++corner) {
        Tensor pos[3], w;
        for (int a = 0; a < g.dims; ++a) {
          const bool bit = (corner >> a) & 1;
          pos[a] = bit ? add(f[a], Scalar(1.0)) : f[a];
          Tensor wa = bit ? t[a] : rsub(t[a], Scalar(1.0));
          w = a == 0 ? wa : mul(w, wa);
        }
        add_tap(pos, w);
      }
    }
  }
  Shape out_shape{g.N, g.C};
  for (int a = g.dims - 1; a >= 0; --a) out_shape.push_back(g.out[a]);
  return reshape(y, out_shape);
}

Tensor leaf_copy(const Tensor& t) {
  Tensor l = detach(t);
  l->meta().requires_grad = true;
  return l;
}

// (input gradient, grid gradient) of grid_sample for upstream gy; null where not wanted. Recorded:
// its backward is the second derivative.
std::pair<Tensor, Tensor> grid_sample_backward(const Tensor& gy_in, const Tensor& x_in, const Tensor& grid_in,
                                               const GridGeom& g, bool want_x, bool want_grid) {
  Tensor gy = contiguous(detach(gy_in));
  Tensor xc = contiguous(detach(x_in)), gc = contiguous(detach(grid_in));
  Tensor gx = want_x ? zeros(xc->shape, xc->dtype) : nullptr;
  Tensor ggrid = want_grid ? empty(gc->shape, gc->dtype) : nullptr;
  dispatch_floating(xc->dtype, "grid_sample backward", [&](auto tag) {
    using T = decltype(tag);
    grid_backward<T>(g, xc->data<T>(), gc->data<T>(), gy->data<T>(), gx ? gx->data<T>() : nullptr,
                     ggrid ? ggrid->data<T>() : nullptr);
  });
  if (!needs_grad({gy_in, x_in, grid_in})) return {gx, ggrid};
  std::vector<Tensor> outs;
  for (const Tensor& t : {gx, ggrid})
    if (t) outs.push_back(t);
  record_node(g.dims == 2 ? "GridSampler2DBackwardBackward0" : "GridSampler3DBackwardBackward0",
              {gy_in, x_in, grid_in}, outs, [&] {
    SavedTensor sgy = save(gy_in), sx = save(x_in), sgrid = save(grid_in);
    return BackwardFn([g, sgy, sx, sgrid, want_x, want_grid](const Grads& gr) -> Grads {
      GradModeGuard on(true);
      std::vector<Tensor> leaves{leaf_copy(sgy.get()), leaf_copy(sx.get()), leaf_copy(sgrid.get())};
      Tensor lagrangian = sum(mul(leaves[0], sample_composite(leaves[1], leaves[2], g)), {}, false);
      std::vector<Tensor> wrt, dirs;  // the first derivatives this node returned, with their upstream
      if (want_x) wrt.push_back(leaves[1]), dirs.push_back(gr[0]);
      if (want_grid) wrt.push_back(leaves[2]), dirs.push_back(gr[want_x ? 1 : 0]);
      std::vector<Tensor> first = grad({lagrangian}, wrt, {}, true, true, true);
      Tensor dot;
      for (size_t i = 0; i < first.size(); ++i) {
        if (!first[i] || !first[i]->requires_grad()) continue;
        Tensor term = sum(mul(first[i], detach(dirs[i])), {}, false);
        dot = dot ? add(dot, term) : term;
      }
      if (!dot) return {nullptr, nullptr, nullptr};
      return grad({dot}, leaves, {}, false, false, true);
    });
  });
  return {gx, ggrid};
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
  const int64_t nd = x->dim();
  TG_CHECK((nd == 4 || nd == 5) && grid->dim() == nd, RuntimeError, "grid_sampler(): expected 4D or 5D input and "
           "grid with same number of dimensions, but got input with sizes ", shape_str(x->shape),
           " and grid with sizes ", shape_str(grid->shape));
  TG_CHECK(x->shape[0] == grid->shape[0], RuntimeError, "grid_sampler(): expected grid and input to have same batch "
           "size, but got input with sizes ", shape_str(x->shape), " and grid with sizes ", shape_str(grid->shape));
  TG_CHECK(grid->shape[nd - 1] == nd - 2, RuntimeError, "grid_sampler(): expected grid to have size ", nd - 2,
           " in last dimension, but got grid with sizes ", shape_str(grid->shape));
  for (int64_t d = 2; d < nd; ++d)
    TG_CHECK(x->shape[d] > 0, RuntimeError, "grid_sampler(): expected input to have non-empty spatial dimensions, "
             "but input has sizes ", shape_str(x->shape), " with dimension ", d, " being empty");
  TG_CHECK(nd == 4 || mode != "bicubic", RuntimeError, "grid_sampler(): bicubic interpolation only supports 4D input");
  GridGeom g{x->shape[0], x->shape[1], {x->shape[nd - 1], x->shape[nd - 2], nd == 5 ? x->shape[2] : 1},
             {grid->shape[nd - 2], grid->shape[nd - 3], nd == 5 ? grid->shape[1] : 1}, static_cast<int>(nd - 2),
             mode == "bilinear" ? Interp::Bilinear : mode == "nearest" ? Interp::Nearest : Interp::Bicubic,
             padding_mode == "zeros" ? Padding::Zeros : padding_mode == "border" ? Padding::Border : Padding::Reflection,
             align_corners};
  Tensor xc = contiguous(detach(x)), gc = contiguous(detach(grid));
  Shape out_shape{g.N, g.C};
  for (int64_t d = 1; d < nd - 1; ++d) out_shape.push_back(grid->shape[d]);
  Tensor y = empty(out_shape, x->dtype);
  if (is_reduced_float(x->dtype)) {
    grid_forward_reduced(g, xc, gc, y);
  } else {
    dispatch_floating(x->dtype, "grid_sample", [&](auto tag) {
      using T = decltype(tag);
      grid_forward<T>(g, xc->data<T>(), gc->data<T>(), y->data<T>());
    });
  }
  record(nd == 4 ? "GridSampler2DBackward0" : "GridSampler3DBackward0", {x, grid}, {y}, [&] {
    bool want_x = x->requires_grad(), want_grid = grid->requires_grad();
    SavedTensor sx = save(x), sgrid = save(grid);
    return BackwardFn([g, sx, sgrid, want_x, want_grid](const Grads& gr) -> Grads {
      // float16/bfloat16 gradients are computed in float32 (differentiable casts) and rounded once
      auto [gx, ggrid] = grid_sample_backward(widen_reduced(gr[0]), widen_reduced(sx.get()),
                                              widen_reduced(sgrid.get()), g, want_x, want_grid);
      const DType dt = sx.get()->dtype;
      return {gx ? to_dtype(gx, dt) : gx, ggrid ? to_dtype(ggrid, dt) : ggrid};
    });
  });
  return y;
}

}  // namespace tg::nn

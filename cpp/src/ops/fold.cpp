// unfold (im2col: sliding patches as columns) and fold (col2im: overlapping patches summed back), forward
// and backward together: the two are each other's adjoint, so each records the other as its backward.
#include <algorithm>

#include "reduced_float.h"
#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// Patch geometry of a 2-D image: C channels of H x W, kernel kh x kw, L = oh x ow patch positions.
struct PatchGeom {
  int64_t N = 0, C = 0, H = 0, W = 0, kh = 1, kw = 1, dh = 1, dw = 1, ph = 0, pw = 0, sh = 1, sw = 1, oh = 0, ow = 0;
  int64_t rows() const { return C * kh * kw; }
  int64_t L() const { return oh * ow; }
};

void check_pairs(const Shape& kernel, const Shape& dilation, const Shape& padding, const Shape& stride,
                 const char* op) {
  TG_CHECK(kernel.size() == 2 && dilation.size() == 2 && padding.size() == 2 && stride.size() == 2, RuntimeError,
           op, ": kernel_size, dilation, padding and stride must each have 2 elements");
  for (int i = 0; i < 2; ++i) {
    TG_CHECK(kernel[i] > 0, RuntimeError, op, ": kernel size should be greater than zero, but got kernel_height: ",
             kernel[0], " kernel_width: ", kernel[1]);
    TG_CHECK(stride[i] > 0, RuntimeError, op, ": stride should be greater than zero, but got stride_height: ",
             stride[0], " stride_width: ", stride[1]);
    TG_CHECK(dilation[i] > 0, RuntimeError, op, ": dilation should be greater than zero, but got dilation_height: ",
             dilation[0], " dilation_width: ", dilation[1]);
    TG_CHECK(padding[i] >= 0, RuntimeError, op, ": padding should be non-negative, but got pad_height: ",
             padding[0], " pad_width: ", padding[1]);
  }
}

PatchGeom make_geom(int64_t N, int64_t C, int64_t H, int64_t W, const Shape& k, const Shape& d, const Shape& p,
                    const Shape& s, const char* op) {
  PatchGeom g{N, C, H, W, k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1], 0, 0};
  int64_t eh = H + 2 * p[0] - d[0] * (k[0] - 1) - 1, ew = W + 2 * p[1] - d[1] * (k[1] - 1) - 1;
  TG_CHECK(eh >= 0 && ew >= 0, RuntimeError, op, ": Given input with spatial size (", H, ", ", W,
           "), kernel_size=(", k[0], ", ", k[1], "), dilation=(", d[0], ", ", d[1], "), padding=(", p[0], ", ", p[1],
           "), calculated shape of the array of sliding blocks as (", eh / s[0] + 1, ", ", ew / s[1] + 1,
           "), but its components must be at least one.");
  g.oh = eh / s[0] + 1;
  g.ow = ew / s[1] + 1;
  return g;
}

Tensor fold_impl(const Tensor& cols, const PatchGeom& g, bool batched);

// cols[n, (c, i, j), (y, x)] = img[n, c, y sh - ph + i dh, x sw - pw + j dw] (0 outside).
Tensor unfold_impl(const Tensor& img, const PatchGeom& g, bool batched) {
  Tensor xc = contiguous(detach(img));
  Shape out_shape = batched ? Shape{g.N, g.rows(), g.L()} : Shape{g.rows(), g.L()};
  Tensor cols = zeros(out_shape, img->dtype);
  dispatch_floating(img->dtype, "unfold", [&](auto tag) {
    using T = decltype(tag);
    const T* src = xc->data<T>();
    T* dst = cols->data<T>();
    parallel_for(g.N * g.rows(), std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.L())),
                 [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t n = r / g.rows(), row = r % g.rows();
        int64_t c = row / (g.kh * g.kw), i = (row / g.kw) % g.kh, j = row % g.kw;
        const T* plane = src + (n * g.C + c) * g.H * g.W;
        T* out = dst + r * g.L();
        for (int64_t y = 0; y < g.oh; ++y) {
          int64_t iy = y * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.H) continue;
          for (int64_t x = 0; x < g.ow; ++x) {
            int64_t ix = x * g.sw - g.pw + j * g.dw;
            if (ix >= 0 && ix < g.W) out[y * g.ow + x] = plane[iy * g.W + ix];
          }
        }
      }
    });
  });
  record("Im2ColBackward0", {img}, {cols}, [&] {
    return BackwardFn([g, batched](const Grads& gr) -> Grads { return {fold_impl(gr[0], g, batched)}; });
  });
  return cols;
}

// The adjoint: img[n, c, y sh - ph + i dh, x sw - pw + j dw] += cols[n, (c, i, j), (y, x)].
Tensor fold_impl(const Tensor& cols, const PatchGeom& g, bool batched) {
  Tensor cc = contiguous(detach(cols));
  Shape out_shape = batched ? Shape{g.N, g.C, g.H, g.W} : Shape{g.C, g.H, g.W};
  Tensor img = zeros(out_shape, cols->dtype);
  dispatch_floating(cols->dtype, "fold", [&](auto tag) {
    using T = decltype(tag);
    const T* src = cc->data<T>();
    T* dst = img->data<T>();
    // one thread per (n, c) plane: the patches of a plane all land in that plane only
    parallel_for(g.N * g.C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.kh * g.kw * g.L())),
                 [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        int64_t n = p / g.C, c = p % g.C;
        T* plane = dst + p * g.H * g.W;
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            const T* in = src + (n * g.rows() + (c * g.kh + i) * g.kw + j) * g.L();
            for (int64_t y = 0; y < g.oh; ++y) {
              int64_t iy = y * g.sh - g.ph + i * g.dh;
              if (iy < 0 || iy >= g.H) continue;
              for (int64_t x = 0; x < g.ow; ++x) {
                int64_t ix = x * g.sw - g.pw + j * g.dw;
                if (ix >= 0 && ix < g.W) plane[iy * g.W + ix] += in[y * g.ow + x];
              }
            }
          }
      }
    });
  });
  record("Col2ImBackward0", {cols}, {img}, [&] {
    return BackwardFn([g, batched](const Grads& gr) -> Grads { return {unfold_impl(gr[0], g, batched)}; });
  });
  return img;
}

}  // namespace

Tensor unfold_patches(const Tensor& x, const Shape& kernel, const Shape& dilation, const Shape& padding,
                      const Shape& stride) {
  check_pairs(kernel, dilation, padding, stride, "unfold");
  TG_CHECK(x->dim() == 3 || x->dim() == 4, RuntimeError,
           "unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions "
           "for input, but got: ", shape_str(x->shape));
  bool batched = x->dim() == 4;
  int64_t off = batched ? 1 : 0;
  for (int64_t d = off; d < x->dim(); ++d)
    TG_CHECK(x->shape[d] > 0, RuntimeError, "unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch "
             "size and other non-zero dimensions for input, but got: ", shape_str(x->shape));
  PatchGeom g = make_geom(batched ? x->shape[0] : 1, x->shape[off], x->shape[off + 1], x->shape[off + 2], kernel,
                          dilation, padding, stride, "unfold");
  if (is_reduced_float(x->dtype)) return to_dtype(unfold_impl(widen_reduced(x), g, batched), x->dtype);
  // other dtypes are copied (and zero-padded) exactly through float64
  if (!is_floating(x->dtype)) return cast_for_kernel(unfold_impl(cast_for_kernel(x, DType::Float64), g, batched), x->dtype);
  return unfold_impl(x, g, batched);
}

Tensor fold_patches(const Tensor& cols, const Shape& output_size, const Shape& kernel, const Shape& dilation,
                    const Shape& padding, const Shape& stride) {
  check_pairs(kernel, dilation, padding, stride, "fold");
  TG_CHECK(output_size.size() == 2 && output_size[0] > 0 && output_size[1] > 0, RuntimeError,
           "fold: output_size must be 2 positive sizes, got ", shape_str(output_size));
  TG_CHECK(is_floating(cols->dtype), RuntimeError, "fold: expected a floating-point input, got ",
           dtype_name(cols->dtype));
  TG_CHECK((cols->dim() == 2 || cols->dim() == 3), RuntimeError,
           "fold: Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and non-zero dimensions for "
           "input, but got: ", shape_str(cols->shape));
  bool batched = cols->dim() == 3;
  int64_t off = batched ? 1 : 0, rows = cols->shape[off], kk = kernel[0] * kernel[1];
  TG_CHECK(rows > 0 && rows % kk == 0, RuntimeError, "fold: Expected size of input's dimension ", off,
           " to be divisible by the product of kernel_size, but got input.size(", off, ")=", rows,
           " and kernel_size=(", kernel[0], ", ", kernel[1], ")");
  PatchGeom g = make_geom(batched ? cols->shape[0] : 1, rows / kk, output_size[0], output_size[1], kernel, dilation,
                          padding, stride, "fold");
  TG_CHECK(cols->shape[off + 1] == g.L(), RuntimeError, "fold: Given output_size=(", output_size[0], ", ",
           output_size[1], "), kernel_size=(", kernel[0], ", ", kernel[1], "), dilation=(", dilation[0], ", ",
           dilation[1], "), padding=(", padding[0], ", ", padding[1], "), stride=(", stride[0], ", ", stride[1],
           "), expected size of input's dimension ", off + 1, " to match the calculated number of sliding blocks ",
           g.oh, " * ", g.ow, " = ", g.L(), ", but got input.size(", off + 1, ")=", cols->shape[off + 1], ".");
  if (is_reduced_float(cols->dtype)) return to_dtype(fold_impl(widen_reduced(cols), g, batched), cols->dtype);
  return fold_impl(cols, g, batched);
}

}  // namespace tg::nn

// What grid_sample.cpp (the kernels of every dtype, autograd) and grid_sample_reduced.cpp (the
// float16/bfloat16 forward values) share: the sampling geometry.
#pragma once
#include <cstdint>

#include "tg/tensor.h"

namespace tg::nn {

enum class Padding { Zeros, Border, Reflection };
enum class Interp { Bilinear, Nearest, Bicubic };

// Spatial sizes are kept as (x, y, z) = (W, H, D); a 4-D input has D = Do = 1 and 2 grid components.
struct GridGeom {
  int64_t N, C;
  int64_t in[3], out[3];  // input and output sizes along x, y, z
  int dims;               // 2 or 3 grid components
  Interp interp;
  Padding pad;
  bool align_corners;
  int64_t plane() const { return in[0] * in[1] * in[2]; }
  int64_t points() const { return out[0] * out[1] * out[2]; }
};

// y (contiguous, [N, C, out...]) = grid_sample of the contiguous float16/bfloat16 x at grid, with
// torch's CPU kernels' rounding of every intermediate to that dtype.
void grid_forward_reduced(const GridGeom& g, const Tensor& x, const Tensor& grid, const Tensor& y);

}  // namespace tg::nn

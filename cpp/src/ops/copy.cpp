// Copies between tensors: contiguous(), clone(), dtype conversion and broadcasting copy_into.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/narrow.h"
#include "ops/reduced_float.h"
#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {

namespace {

// dst[i][j] = src[i + j ld] for an M x N contiguous dst: the copy of a transposed view. Walking dst
// row by row touches a new source cache line on every element (about 1 ns per element at
// 784 x 256), so the copy goes by tiles of one cache line by one cache line. When a row stride is a
// multiple of 4 KiB, a tile's lines fall into one cache set and evict each other; then each tile
// is read line by line into a local buffer and written out line by line (every line touched once).
template <typename T>
void transpose_tiles(T* dst, const T* src, int64_t M, int64_t N, int64_t ld) {
  constexpr int64_t kTile = 64 / sizeof(T);
  const bool set_conflicts = (ld * sizeof(T)) % 4096 == 0 || (N * sizeof(T)) % 4096 == 0;
  int64_t row_tiles = (M + kTile - 1) / kTile;
  parallel_for(row_tiles, std::max<int64_t>(1, kGrainSize / (kTile * std::max<int64_t>(N, 1))),
               [&](int64_t t0, int64_t t1) {
    T tile[kTile][kTile];
    for (int64_t i0 = t0 * kTile; i0 < std::min(M, t1 * kTile); i0 += kTile)
      for (int64_t j0 = 0; j0 < N; j0 += kTile) {
        int64_t ni = std::min(kTile, M - i0), nj = std::min(kTile, N - j0);
        const T* s = src + i0 + j0 * ld;
        T* d = dst + i0 * N + j0;
        if (!set_conflicts) {
          for (int64_t j = 0; j < nj; ++j)
            for (int64_t i = 0; i < ni; ++i) d[i * N + j] = s[i + j * ld];
          continue;
        }
        for (int64_t j = 0; j < nj; ++j)
          for (int64_t i = 0; i < ni; ++i) tile[i][j] = s[i + j * ld];
        for (int64_t i = 0; i < ni; ++i)
          for (int64_t j = 0; j < nj; ++j) d[i * N + j] = tile[i][j];
      }
  });
}

// Copies src into contiguous dst (same shape and dtype) when src is transposed over its last two
// dims (stride 1 on dim -2); leading dims may have any strides. False when src is not like that.
bool copy_transposed(const Tensor& dst, const Tensor& src) {
  int64_t nd = src->dim();
  if (nd < 2 || dst->dtype != src->dtype || dst->shape != src->shape || !dst->is_contiguous()) return false;
  int64_t M = src->shape[nd - 2], N = src->shape[nd - 1], ld = src->strides[nd - 1];
  if (src->strides[nd - 2] != 1 || M < 2 || N < 2 || ld < M) return false;
  int64_t batch = dst->numel() / (M * N);
  size_t size = itemsize(src->dtype);
  auto run = [&](auto z) {
    using T = decltype(z);
    T* out = reinterpret_cast<T*>(dst->raw());
    for (int64_t b = 0; b < batch; ++b) {
      int64_t offset = 0;  // element offset of batch b's matrix in src (row-major over leading dims)
      for (int64_t d = nd - 3, rest = b; d >= 0; --d) {
        offset += (rest % src->shape[d]) * src->strides[d];
        rest /= src->shape[d];
      }
      transpose_tiles(out + b * M * N, reinterpret_cast<const T*>(src->raw()) + offset, M, N, ld);
    }
  };
  if (size == 8) run(uint64_t{});  // the bytes are moved, whatever the dtype
  else if (size == 4) run(uint32_t{});
  else if (size == 2) run(uint16_t{});
  else if (size == 1) run(uint8_t{});
  else return false;
  return true;
}

// float32 <-> float16/bfloat16 between contiguous tensors of one shape: the vectorised
// conversions of kernels/cpu/narrow.h (the same values as cast_value). False otherwise.
bool convert_reduced_float(const Tensor& dst, const Tensor& src) {
  const bool widen = is_reduced_float(src->dtype) && dst->dtype == DType::Float32;
  const bool round = is_reduced_float(dst->dtype) && src->dtype == DType::Float32;
  if (!(widen || round) || src->shape != dst->shape || !src->is_contiguous() || !dst->is_contiguous())
    return false;
  parallel_for(dst->numel(), kGrainSize, [&](int64_t b, int64_t e) {
    if (widen)
      kernels::narrow::to_float(src->dtype, src->data<uint16_t>() + b, dst->data<float>() + b, e - b);
    else
      kernels::narrow::from_float(dst->dtype, src->data<float>() + b, dst->data<uint16_t>() + b, e - b);
  });
  return true;
}

}  // namespace

void copy_into(const Tensor& dst, const Tensor& src) {
  Shape target = broadcast_shapes(dst->shape, src->shape, "copy_");
  TG_CHECK(target == dst->shape, RuntimeError, "copy_: the source of shape ", shape_str(src->shape),
           " cannot be broadcast to the destination shape ", shape_str(dst->shape));
  if (dst->numel() == 0) return;
  if (dst->dtype == src->dtype && src->shape == dst->shape && dst->is_contiguous() &&
      src->is_contiguous()) {
    if (dst->raw() != src->raw())
      std::memmove(dst->raw(), src->raw(), dst->numel() * itemsize(dst->dtype));
    return;
  }
  if (copy_transposed(dst, src) || convert_reduced_float(dst, src)) return;
  dispatch_all(dst->dtype, [&](auto o) {
    using Out = decltype(o);
    dispatch_all(src->dtype, [&](auto i) {
      using In = decltype(i);
      kernels::unary_loop<Out, In>(dst, src, [](In v) { return cast_value<Out>(v); });
    });
  });
}

Tensor contiguous(const Tensor& t) {
  if (t->is_contiguous()) return t;
  return clone(t);
}

Tensor clone(const Tensor& t) {
  Tensor out = empty(t->shape, t->dtype);
  copy_into(out, t);
  record("CloneBackward0", {t}, {out}, [] { return [](const Grads& g) -> Grads { return {g[0]}; }; });
  return out;
}

Tensor cast_for_kernel(const Tensor& t, DType dtype) {
  if (t->dtype == dtype) return t;
  Tensor out = empty(t->shape, dtype);
  copy_into(out, t);
  return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t->dtype == dtype) return t;
  Tensor out = empty(t->shape, dtype);
  copy_into(out, t);
  if (is_floating(dtype)) {
    DType from = t->dtype;
    record("ToCopyBackward0", {t}, {out},
           [from] { return [from](const Grads& g) -> Grads { return {to_dtype(g[0], from)}; }; });
  }
  return out;
}

}  // namespace tg

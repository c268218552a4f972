// The elementwise iterator: walks N strided operands over one shape (broadcasting = stride 0),
// coalescing dims and splitting the work across threads.
#pragma once
#include <array>
#include <vector>

#include "tg/parallel.h"
#include "tg/tensor.h"

namespace tg::kernels {

template <size_t N>
struct Operands {
  std::array<char*, N> ptr;
  std::array<std::vector<int64_t>, N> stride;  // bytes per step in each dim
};

// Byte strides of `t` when broadcast to `shape` (leading dims added, size-1 dims stride 0).
inline std::vector<int64_t> broadcast_byte_strides(const Tensor& t, const Shape& shape) {
  std::vector<int64_t> st(shape.size(), 0);
  int64_t lead = static_cast<int64_t>(shape.size()) - t->dim();
  int64_t isz = static_cast<int64_t>(itemsize(t->dtype));
  for (int64_t d = 0; d < t->dim(); ++d)
    st[lead + d] = t->shape[d] == 1 ? 0 : t->strides[d] * isz;
  return st;
}

// Calls inner(ptrs, inner_strides, n) for every innermost run of the iteration space.
// inner_strides are byte strides along the run; ptrs point at the run's first elements.
template <size_t N, typename Inner>
void for_each_run(const Shape& full_shape, Operands<N> ops, const Inner& inner) {
  // Drop size-1 dims and merge dims that are contiguous with the next one for every operand.
  Shape shape;
  std::array<std::vector<int64_t>, N> st;
  for (size_t d = 0; d < full_shape.size(); ++d) {
    if (full_shape[d] == 1) continue;
    if (full_shape[d] == 0) return;
    bool merge = !shape.empty();
    for (size_t k = 0; k < N && merge; ++k)
      merge = st[k].back() == ops.stride[k][d] * full_shape[d];
    if (merge) {
      shape.back() *= full_shape[d];
      for (size_t k = 0; k < N; ++k) st[k].back() = ops.stride[k][d];
    } else {
      shape.push_back(full_shape[d]);
      for (size_t k = 0; k < N; ++k) st[k].push_back(ops.stride[k][d]);
    }
  }
  if (shape.empty()) {  // a single element
    std::array<int64_t, N> zero{};
    inner(ops.ptr, zero, 1);
    return;
  }
  const int64_t nd = static_cast<int64_t>(shape.size());
  const int64_t len = shape[nd - 1];
  std::array<int64_t, N> inner_st;
  for (size_t k = 0; k < N; ++k) inner_st[k] = st[k][nd - 1];

  if (nd == 1) {
    parallel_for(len, kGrainSize, [&](int64_t b, int64_t e) {
      std::array<char*, N> p;
      for (size_t k = 0; k < N; ++k) p[k] = ops.ptr[k] + b * inner_st[k];
      inner(p, inner_st, e - b);
    });
    return;
  }
  int64_t rows = 1;
  for (int64_t d = 0; d < nd - 1; ++d) rows *= shape[d];
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(len, 1));
  parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    // Multi-index of row b (over dims 0..nd-2), then an odometer.
    std::vector<int64_t> idx(nd - 1, 0);
    std::array<char*, N> p = ops.ptr;
    int64_t r = b;
    for (int64_t d = nd - 2; d >= 0; --d) {
      idx[d] = r % shape[d];
      r /= shape[d];
      for (size_t k = 0; k < N; ++k) p[k] += idx[d] * st[k][d];
    }
    for (int64_t row = b; row < e; ++row) {
      inner(p, inner_st, len);
      for (int64_t d = nd - 2; d >= 0; --d) {
        for (size_t k = 0; k < N; ++k) p[k] += st[k][d];
        if (++idx[d] < shape[d]) break;
        for (size_t k = 0; k < N; ++k) p[k] -= shape[d] * st[k][d];
        idx[d] = 0;
      }
    }
  });
}

// out[i] = f(in[i]) with a contiguous fast path the compiler can vectorise.
// True when `t` is contiguous with exactly `shape` (so element i sits at data + i).
inline bool dense_like(const Tensor& t, const Shape& shape) {
  return t->shape == shape && t->is_contiguous();
}

template <typename Out, typename In, typename F>
void unary_loop(const Tensor& out, const Tensor& in, const F& f) {
  if (dense_like(in, out->shape) && out->is_contiguous()) {
    Out* o = out->data<Out>();
    const In* a = in->data<In>();
    parallel_for(out->numel(), kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
    return;
  }
  Operands<2> ops{{out->raw(), in->raw()},
                  {broadcast_byte_strides(out, out->shape), broadcast_byte_strides(in, out->shape)}};
  for_each_run(out->shape, ops, [&](std::array<char*, 2> p, const std::array<int64_t, 2>& s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* a = reinterpret_cast<const In*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
    }
  });
}

// out[i] = f(a[i], b[i]) over out's shape (a, b broadcast), with contiguous and scalar fast paths.
template <typename Out, typename In, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
  if (out->is_contiguous() && dense_like(a, out->shape) && (b->numel() == 1 || dense_like(b, out->shape))) {
    Out* o = out->data<Out>();
    const In* x = a->data<In>();
    const In* y = b->data<In>();
    bool scalar_b = b->numel() == 1 && out->numel() != 1;
    parallel_for(out->numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
      if (scalar_b) {
        const In yv = *y;
        for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], yv);
      } else {
        for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], y[i]);
      }
    });
    return;
  }
  Operands<3> ops{{out->raw(), a->raw(), b->raw()},
                  {broadcast_byte_strides(out, out->shape), broadcast_byte_strides(a, out->shape),
                   broadcast_byte_strides(b, out->shape)}};
  for_each_run(out->shape, ops, [&](std::array<char*, 3> p, const std::array<int64_t, 3>& s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* x = reinterpret_cast<const In*>(p[1]);
    const In* y = reinterpret_cast<const In*>(p[2]);
    constexpr int64_t so = sizeof(Out), si = sizeof(In);
    if (s[0] == so && s[1] == si && s[2] == si) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == so && s[1] == si && s[2] == 0) {
      const In yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == so && s[1] == 0 && s[2] == si) {
      const In xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const In*>(p[1] + i * s[1]), *reinterpret_cast<const In*>(p[2] + i * s[2]));
    }
  });
}

}  // namespace tg::kernels

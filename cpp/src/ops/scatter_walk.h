// Helpers shared by the gather/scatter family (scatter.cpp, index_extra.cpp): torch's argument
// checks, the walk over an index tensor along a dim, and zero padding of a gradient.
#pragma once
#include <algorithm>
#include <vector>

#include "tg/ops.h"

namespace tg::scatter_detail {

// Shared argument checks of gather/scatter (torch's wording). `src` may be null (value form).
inline void check_dim_index(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  check_same_device(op, self, index, src ? *src : Tensor());
  TG_CHECK(index->dtype == DType::Int64 || index->numel() == 0, RuntimeError, op,
           "(): Expected dtype int32/int64 for index");
  int64_t nd = std::max<int64_t>(self->dim(), 1);
  TG_CHECK(std::max<int64_t>(index->dim(), 1) == nd, RuntimeError, op,
           "(): Index tensor must have the same number of dimensions as input tensor (index ",
           shape_str(index->shape), ", input ", shape_str(self->shape), ")");
  if (src)
    TG_CHECK(std::max<int64_t>((*src)->dim(), 1) == nd, RuntimeError, op,
             "(): Index tensor must have the same number of dimensions as src tensor (index ",
             shape_str(index->shape), ", src ", shape_str((*src)->shape), ")");
  for (int64_t d = 0; d < index->dim(); ++d) {
    if (d != dim && self->dim() > 0)
      TG_CHECK(index->shape[d] <= self->shape[d], RuntimeError, op, "(): Size does not match at dimension ", d,
               " expected index ", shape_str(index->shape), " to be no larger than self ",
               shape_str(self->shape), " apart from dimension ", dim);
    if (src && (*src)->dim() > 0)
      TG_CHECK(index->shape[d] <= (*src)->shape[d], RuntimeError, op, "(): Size does not match at dimension ", d,
               " expected index ", shape_str(index->shape), " to be no larger than src ",
               shape_str((*src)->shape));
  }
}

// Calls f(index_off, self_off, src_off) (element offsets) for every position of `shape`, where
// self's offset uses the index value along `dim` (checked against `size`).
template <typename F>
void walk_indexed(const Shape& shape, const Tensor& index, const Shape& self_st, const Shape& src_st,
                  int64_t dim, int64_t size, const char* op, const F& f) {
  int64_t n = shape_numel(shape), nd = static_cast<int64_t>(shape.size());
  if (n == 0) return;
  const int64_t* ix = index->data<int64_t>();
  std::vector<int64_t> pos(nd, 0);
  int64_t oi = 0, os = 0, oc = 0;  // index, self (without dim), src
  for (int64_t k = 0; k < n; ++k) {
    int64_t v = ix[oi];
    TG_CHECK(v >= 0 && v < size, RuntimeError, op, "(): index ", v, " is out of bounds for dimension ", dim,
             " with size ", size);
    f(oi, os + v * (nd ? self_st[dim] : 0), oc);
    for (int64_t d = nd - 1; d >= 0; --d) {
      oi += index->strides[d];
      os += d == dim ? 0 : self_st[d];
      oc += src_st[d];
      if (++pos[d] < shape[d]) break;
      oi -= shape[d] * index->strides[d];
      os -= d == dim ? 0 : shape[d] * self_st[d];
      oc -= shape[d] * src_st[d];
      pos[d] = 0;
    }
  }
}

// Pads g with zeros at the end of each dim up to `shape` (src may be larger than index).
inline Tensor pad_to(Tensor g, const Shape& shape) {
  for (int64_t d = 0; d < g->dim(); ++d) {
    if (g->shape[d] == shape[d]) continue;
    Shape zs = g->shape;
    zs[d] = shape[d] - g->shape[d];
    g = cat({g, zeros(zs, g->dtype)}, d);
  }
  return g;
}

// An int32 (or empty) index read as int64 (the walk reads int64); other dtypes are left for
// check_dim_index.
inline Tensor long_index(const Tensor& index) {
  bool as_long = index->dtype == DType::Int32 || index->numel() == 0;
  return as_long ? cast_for_kernel(index, DType::Int64) : index;
}

// a + b in T, computed in float for the 16-bit floating types; bool adds as "or".
template <typename T>
T add_values(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) return a || b;
  else if constexpr (sizeof(T) == 2 && !std::is_integral_v<T>) return T(float(a) + float(b));
  else return static_cast<T>(a + b);
}

}  // namespace tg::scatter_detail

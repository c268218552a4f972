// Advanced indexing: index (x[tensors]), index_put, index_select, nonzero and masked_select,
// with gradients (the backward of a gather-by-index is an accumulating put into zeros).
#include <cstring>

#include "ops/gather_rows.h"
#include "ops/scatter_walk.h"
#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {

namespace {

// Copies one element of `size` bytes (1, 2, 4 or 8) from src to dst.
inline void copy_elem(char* dst, const char* src, size_t size) {
  switch (size) {
    case 1: *dst = *src; break;
    case 2: std::memcpy(dst, src, 2); break;
    case 4: std::memcpy(dst, src, 4); break;
    default: std::memcpy(dst, src, 8); break;
  }
}

// Calls f(a_off, b_off) with element offsets for every position of `shape` under strides a and b.
template <typename F>
void walk2(const Shape& shape, const Shape& a, const Shape& b, const F& f) {
  int64_t n = shape_numel(shape);
  if (n == 0) return;
  int64_t nd = static_cast<int64_t>(shape.size());
  std::vector<int64_t> idx(nd, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(oa, ob);
    for (int64_t d = nd - 1; d >= 0; --d) {
      oa += a[d];
      ob += b[d];
      if (++idx[d] < shape[d]) break;
      oa -= shape[d] * a[d];
      ob -= shape[d] * b[d];
      idx[d] = 0;
    }
  }
}

// Where the indexed elements live: for each position b of the broadcast index shape, the element
// offset into self of the indexed dims; the non-indexed dims are walked with their own strides.
// Result layout (torch/numpy rule): the broadcast index dims replace the indexed dims when these
// are adjacent, else they go first.
struct IndexPlan {
  Shape bshape;                  // broadcast shape of the index tensors
  std::vector<int64_t> offsets;  // per b, offset into self (elements)
  Shape rshape, rstrides;        // the non-indexed dims of self
  Shape out_shape;
  std::vector<int64_t> b_pos, r_pos;  // which out dims hold the index dims / the other dims
};

// Replaces bool masks by the int64 coordinate tensors of their true elements (nonzero), giving one
// entry per dim of self.
std::vector<std::optional<Tensor>> expand_masks(const Tensor& self, const TensorIndices& indices) {
  std::vector<std::optional<Tensor>> out;
  int64_t d = 0;
  for (const auto& ix : indices) {
    if (!ix) {
      out.emplace_back();
      ++d;
      continue;
    }
    const Tensor& t = *ix;
    if (t->dtype == DType::Bool) {
      int64_t k = t->dim();
      TG_CHECK(d + k <= self->dim(), IndexError, "too many indices for tensor of dimension ", self->dim());
      for (int64_t j = 0; j < k; ++j)
        TG_CHECK(t->shape[j] == self->shape[d + j], IndexError, "The shape of the mask ", shape_str(t->shape),
                 " at index ", j, " does not match the shape of the indexed tensor ", shape_str(self->shape),
                 " at index ", d + j);
      Tensor nz = nonzero(t);
      for (int64_t j = 0; j < k; ++j) out.emplace_back(select(nz, 1, j));
      d += k;
      continue;
    }
    TG_CHECK(t->dtype == DType::Int64, IndexError,
             "tensors used as indices must be long, int, byte or bool tensors (got ", dtype_name(t->dtype), ")");
    out.emplace_back(t);
    ++d;
  }
  TG_CHECK(d <= self->dim(), IndexError, "too many indices for tensor of dimension ", self->dim());
  while (static_cast<int64_t>(out.size()) < self->dim()) out.emplace_back();
  return out;
}

IndexPlan make_plan(const Tensor& self, const TensorIndices& raw) {
  for (const auto& i : raw)
    if (i) check_same_device("index", self, *i);
  GradModeGuard off(false);
  std::vector<std::optional<Tensor>> idx = expand_masks(self, raw);
  IndexPlan p;
  std::vector<int64_t> dims;
  bool first = true;
  for (int64_t d = 0; d < self->dim(); ++d) {
    if (!idx[d]) continue;
    dims.push_back(d);
    if (first) {
      p.bshape = idx[d].value()->shape;
      first = false;
      continue;
    }
    Shape a = p.bshape, b = idx[d].value()->shape;
    size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
      int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
      if (!(x == y || x == 1 || y == 1)) {
        std::string shapes;
        for (int64_t e : dims) shapes += (shapes.empty() ? "" : ", ") + shape_str(idx[e].value()->shape);
        throw IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes " + shapes);
      }
    }
    p.bshape = broadcast_shapes(a, b, "index");
  }
  TG_CHECK(!dims.empty(), RuntimeError, "index: no index tensors given");
  int64_t nb = shape_numel(p.bshape);
  p.offsets.assign(nb, 0);
  for (int64_t d : dims) {
    Tensor ix = contiguous(expand(*idx[d], p.bshape));
    const int64_t* v = ix->data<int64_t>();
    int64_t size = self->shape[d], st = self->strides[d];
    for (int64_t b = 0; b < nb; ++b) {
      int64_t i = v[b];
      TG_CHECK(i >= -size && i < size, IndexError, "index ", i, " is out of bounds for dimension ", d,
               " with size ", size);
      p.offsets[b] += (i < 0 ? i + size : i) * st;
    }
  }
  bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
  int64_t insert_at = adjacent ? dims.front() : 0;  // number of non-indexed dims before the index dims
  int64_t bdims = static_cast<int64_t>(p.bshape.size());
  for (int64_t d = 0, r = 0; d < self->dim(); ++d) {
    if (idx[d]) continue;
    p.rshape.push_back(self->shape[d]);
    p.rstrides.push_back(self->strides[d]);
    p.r_pos.push_back(r < insert_at ? r : r + bdims);
    ++r;
  }
  for (int64_t i = 0; i < bdims; ++i) p.b_pos.push_back(insert_at + i);
  p.out_shape.assign(p.rshape.size() + bdims, 0);
  for (int64_t i = 0; i < bdims; ++i) p.out_shape[p.b_pos[i]] = p.bshape[i];
  for (size_t i = 0; i < p.rshape.size(); ++i) p.out_shape[p.r_pos[i]] = p.rshape[i];
  return p;
}

// The offset of position b (row-major over bshape) under the given per-dim strides.
int64_t b_offset(int64_t b, const Shape& bshape, const Shape& st) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(bshape.size()) - 1; d >= 0; --d) {
    off += (b % bshape[d]) * st[d];
    b /= bshape[d];
  }
  return off;
}

// Splits strides of a tensor with the plan's out_shape into its index-dim and other-dim parts.
void split_strides(const IndexPlan& p, const Shape& strides, Shape& bst, Shape& rst) {
  bst.clear();
  rst.clear();
  for (int64_t pos : p.b_pos) bst.push_back(strides[pos]);
  for (int64_t pos : p.r_pos) rst.push_back(strides[pos]);
}

// gradient of self[indices]: zeros of self's shape with g accumulated at the indexed places.
Tensor index_backward(const Tensor& g, const Shape& shape, const TensorIndices& indices) {
  Tensor z = zeros(shape, g->dtype);
  {
    GradModeGuard off(false);
    index_put_raw(z, indices, g, true);
  }
  record("IndexPutBackward0", {g}, {z}, [&] {
    return [indices](const Grads& gg) -> Grads { return {index(gg[0], indices)}; };
  });
  return z;
}

}  // namespace

Tensor index(const Tensor& self, const TensorIndices& indices) {
  IndexPlan p = make_plan(self, indices);
  Tensor out = empty(p.out_shape, self->dtype);
  Shape bst, rst;
  split_strides(p, contiguous_strides(p.out_shape), bst, rst);
  size_t isz = itemsize(self->dtype);
  int64_t nb = static_cast<int64_t>(p.offsets.size()), nr = shape_numel(p.rshape);
  if (nb > 0 && nr > 0) {
    const char* src = self->raw();
    char* dst = out->raw();
    int64_t grain = std::max<int64_t>(1, kGrainSize / nr);
    parallel_for(nb, grain, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const char* s = src + p.offsets[b] * isz;
        char* o = dst + b_offset(b, p.bshape, bst) * isz;
        walk2(p.rshape, p.rstrides, rst, [&](int64_t si, int64_t oi) { copy_elem(o + oi * isz, s + si * isz, isz); });
      }
    });
  }
  Shape shape = self->shape;
  record("IndexBackward0", {self}, {out}, [&] {
    return [shape, indices](const Grads& g) -> Grads { return {index_backward(g[0], shape, indices)}; };
  });
  return out;
}

void index_put_raw(const Tensor& self, const TensorIndices& indices, const Tensor& values, bool accumulate) {
  check_same_device("index_put_", self, values);
  IndexPlan p = make_plan(self, indices);
  GradModeGuard off(false);
  bool fits = values->dim() <= static_cast<int64_t>(p.out_shape.size());
  for (int64_t i = 1; fits && i <= values->dim(); ++i) {
    int64_t v = values->shape[values->dim() - i];
    fits = v == 1 || v == p.out_shape[p.out_shape.size() - i];
  }
  TG_CHECK(fits, RuntimeError, "shape mismatch: value tensor of shape ", shape_str(values->shape),
           " cannot be broadcast to indexing result of shape ", shape_str(p.out_shape));
  Tensor v = expand(to_dtype(values, self->dtype), p.out_shape);
  Shape bst, rst;
  split_strides(p, v->strides, bst, rst);
  int64_t nb = static_cast<int64_t>(p.offsets.size());
  if (nb == 0 || shape_numel(p.rshape) == 0) return;
  dispatch_all(self->dtype, [&](auto zero) {  // data movement: every dtype
    using T = decltype(zero);
    T* dst = self->data<T>();
    const T* src = v->data<T>();
    // Serial: several index positions may name the same element.
    for (int64_t b = 0; b < nb; ++b) {
      T* o = dst + p.offsets[b];
      const T* s = src + b_offset(b, p.bshape, bst);
      if (accumulate) {
        walk2(p.rshape, p.rstrides, rst, [&](int64_t oi, int64_t si) { o[oi] = scatter_detail::add_values(o[oi], s[si]); });
      } else {
        walk2(p.rshape, p.rstrides, rst, [&](int64_t oi, int64_t si) { o[oi] = s[si]; });
      }
    }
  });
}

Tensor index_put(const Tensor& self, const TensorIndices& indices, const Tensor& values, bool accumulate) {
  Tensor out;
  {
    GradModeGuard off(false);
    out = clone(self);
    index_put_raw(out, indices, values, accumulate);
  }
  Shape vshape = values->shape;
  record("IndexPutBackward0", {self, values}, {out}, [&] {
    return [indices, vshape, accumulate](const Grads& g) -> Grads {
      Tensor gself = accumulate ? g[0] : index_put(g[0], indices, zeros({}, g[0]->dtype), false);
      return {gself, sum_to(index(g[0], indices), vshape)};
    };
  });
  return out;
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index_arg) {
  check_same_device("index_select", self, index_arg);
  TG_CHECK(index_arg->dim() <= 1, IndexError, "index_select(): Index is supposed to be a vector, got shape ",
           shape_str(index_arg->shape));
  TG_CHECK(index_arg->dtype == DType::Int64 || index_arg->dtype == DType::Int32, RuntimeError,
           "index_select(): Expected dtype int32 or int64 for index");
  Tensor index_ = cast_for_kernel(index_arg, DType::Int64);
  if (self->dim() == 0) {
    TG_CHECK(index_->numel() == 1, IndexError, "index_select(): index of ", index_->numel(),
             " elements for a 0-d tensor");
    wrap_dim(dim, 1, "index_select");
    return reshape(index(reshape(self, {1}), {reshape(index_, {1})}), {});
  }
  int64_t d = wrap_dim(dim, self->dim(), "index_select");
  Tensor ix = contiguous(index_->dim() == 0 ? reshape(index_, {1}) : index_);
  // torch's index_select takes no negative indices.
  for (int64_t i = 0, n = ix->numel(), size = self->shape[d]; i < n; ++i)
    TG_CHECK(ix->data<int64_t>()[i] >= 0 && ix->data<int64_t>()[i] < size, IndexError, "index_select(): index ",
             ix->data<int64_t>()[i], " is out of range for dimension ", d, " with size ", size);
  TensorIndices indices(d + 1);
  indices[d] = ix;
  if (d != 0 || !rows_contiguous(self)) return index(self, indices);
  Shape shape = self->shape;
  shape[0] = ix->numel();
  Tensor out = empty(shape, self->dtype);
  copy_rows(out, self, ix->data<int64_t>(), ix->numel());
  shape[0] = self->shape[0];
  record("IndexSelectBackward0", {self}, {out}, [&] {
    return [shape, indices](const Grads& g) -> Grads { return {index_backward(g[0], shape, indices)}; };
  });
  return out;
}

Tensor nonzero(const Tensor& self) {
  int64_t nd = self->dim(), n = self->numel();
  std::vector<int64_t> coords;
  int64_t zero_d_count = 0;
  dispatch_all(self->dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* base = self->data<T>();
    std::vector<int64_t> idx(nd, 0);
    int64_t off = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (widen(base[off]) != 0) coords.insert(coords.end(), idx.begin(), idx.end());
      for (int64_t d = nd - 1; d >= 0; --d) {
        off += self->strides[d];
        if (++idx[d] < self->shape[d]) break;
        off -= self->shape[d] * self->strides[d];
        idx[d] = 0;
      }
    }
    if (nd == 0 && widen(base[0]) != 0) ++zero_d_count;
  });
  if (nd == 0) return zeros({zero_d_count, 0}, DType::Int64);  // torch: shape [1, 0] or [0, 0]
  int64_t count = static_cast<int64_t>(coords.size()) / nd;
  Tensor out = empty({count, nd}, DType::Int64);
  if (!coords.empty()) std::memcpy(out->raw(), coords.data(), coords.size() * sizeof(int64_t));
  return out;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_same_device("masked_select", self, mask);
  TG_CHECK(mask->dtype == DType::Bool, RuntimeError, "masked_select: expected BoolTensor for mask, got ",
           dtype_name(mask->dtype));
  Shape shape = broadcast_shapes(self->shape, mask->shape, "masked_select");
  Tensor x = expand(self, shape), m = expand(mask, shape);
  if (shape.empty()) {
    x = reshape(x, {1});
    m = reshape(m, {1});
  }
  return index(x, {m});
}

}  // namespace tg

// View ops (share storage, differentiable): view/reshape, permute, transpose, expand,
// squeeze/unsqueeze, flatten, select, slice; plus broadcasting helpers.
#include <algorithm>
#include <numeric>

#include "tg/alloc_check.h"
#include "tg/ops.h"

namespace tg {

namespace {

// Resolves one -1 in `shape` against `numel`.
Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      TG_CHECK(infer < 0, RuntimeError, op, ": only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      TG_CHECK(out[i] >= 0, RuntimeError, op, ": invalid shape dimension ", out[i]);
      known = checked_product({known, out[i]});
    }
  }
  if (infer >= 0) {
    TG_CHECK(known != 0 && numel % known == 0, RuntimeError, op, ": shape '", shape_str(shape),
             "' is invalid for input of size ", numel);
    out[infer] = numel / known;
  }
  TG_CHECK(shape_numel(out) == numel, RuntimeError, op, ": shape '", shape_str(shape),
           "' is invalid for input of size ", numel);
  return out;
}

// Strides that let `shape` view memory laid out as (old_shape, old_strides), or empty when the
// new shape would need a copy. Old dims are grouped into runs that are contiguous in memory; each
// run must be split/merged into new dims without crossing a run boundary.
bool view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape, Shape& out) {
  out.assign(shape.size(), 0);
  if (shape_numel(old_shape) == 0 || old_shape.empty()) {
    out = contiguous_strides(shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    bool run_ends = d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_stride);
    if (!run_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
      out[view_d] = view_numel * chunk_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return false;
    if (d > 0) {
      chunk_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  return view_d == -1;
}

// Records `out`, the same elements as `t` in another shape, with a backward that reshapes back.
Tensor with_reshape_backward(const Tensor& t, Tensor out, const char* name) {
  Shape in_shape = t->shape;
  record(name, {t}, {out}, [&] {
    return [in_shape](const Grads& g) -> Grads { return {reshape(g[0], in_shape)}; };
  });
  return out;
}

Tensor view_with_backward(const Tensor& t, Shape shape, Shape strides, int64_t offset,
                          const char* name) {
  return with_reshape_backward(t, make_differentiable_view(t, std::move(shape), std::move(strides), offset), name);
}

// Copies `g` into the region `view_of` selects in a zero tensor of `shape`; the backward of a
// select or slice. Its own backward applies the same view to the incoming gradient.
Tensor embed_in_zeros(const Tensor& g, const Shape& shape,
                      const std::function<Tensor(const Tensor&)>& view_of, const char* name) {
  Tensor z = zeros(shape, g->dtype);
  {
    GradModeGuard off(false);
    copy_into(view_of(z), g);
  }
  record(name, {g}, {z}, [&] {
    return [view_of](const Grads& gg) -> Grads { return {view_of(gg[0])}; };
  });
  return z;
}

}  // namespace

Tensor view_dtype(const Tensor& t, DType dtype) {
  if (dtype == t->dtype) return view(t, t->shape);
  TG_CHECK(itemsize(dtype) == itemsize(t->dtype), RuntimeError, "view(dtype): viewing a tensor of dtype ",
           dtype_name(t->dtype), " as ", dtype_name(dtype), " (another element size) is not supported");
  TG_CHECK(!t->requires_grad(), RuntimeError, "view(dtype): the tensor requires grad; call detach() first");
  return std::make_shared<TensorImpl>(t->storage, t->offset, t->shape, t->strides, dtype, t->version);
}

Tensor view(const Tensor& t, const Shape& shape) {
  Shape s = infer_shape(shape, t->numel(), "view");
  Shape st;
  TG_CHECK(view_strides(t->shape, t->strides, s, st), RuntimeError,
           "view size is not compatible with input tensor's size and stride (at least one dimension "
           "spans across two contiguous subspaces). Use .reshape(...) instead. (input shape ",
           shape_str(t->shape), ", requested ", shape_str(shape), ")");
  return view_with_backward(t, s, st, t->offset, "ViewBackward0");
}

Tensor reshape(const Tensor& t, const Shape& shape) {
  Shape s = infer_shape(shape, t->numel(), "reshape");
  if (s == t->shape) return view_with_backward(t, s, t->strides, t->offset, "ViewBackward0");
  Shape st;
  if (view_strides(t->shape, t->strides, s, st))
    return view_with_backward(t, s, st, t->offset, "ViewBackward0");
  Tensor c = clone(t);  // a new tensor, not a view (torch's _unsafe_view)
  return with_reshape_backward(c, make_view(c, s, contiguous_strides(s), 0), "UnsafeViewBackward0");
}

Tensor permute(const Tensor& t, const Shape& dims) {
  int64_t nd = t->dim();
  TG_CHECK(static_cast<int64_t>(dims.size()) == nd, RuntimeError,
           "permute: number of dimensions in the tensor input does not match the length "
           "of the desired ordering of dimensions i.e. input.dim() = ", nd, " is not equal to len(dims) = ",
           dims.size());
  Shape shape(nd), strides(nd), inverse(nd);
  std::vector<bool> seen(nd, false);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t d = wrap_dim(dims[i], nd, "permute");
    TG_CHECK(!seen[d], RuntimeError, "permute(): duplicate dims are not allowed.");
    seen[d] = true;
    shape[i] = t->shape[d];
    strides[i] = t->strides[d];
    inverse[d] = i;
  }
  Tensor out = make_differentiable_view(t, shape, strides, t->offset);
  record("PermuteBackward0", {t}, {out}, [&] {
    return [inverse](const Grads& g) -> Grads { return {permute(g[0], inverse)}; };
  });
  return out;
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  int64_t nd = t->dim();
  d0 = wrap_dim(d0, nd, "transpose");
  d1 = wrap_dim(d1, nd, "transpose");
  if (nd == 0) return view_with_backward(t, t->shape, t->strides, t->offset, "TransposeBackward0");
  Shape shape = t->shape, strides = t->strides;
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  Tensor out = make_differentiable_view(t, shape, strides, t->offset);
  record("TransposeBackward0", {t}, {out}, [&] {
    return [d0, d1](const Grads& g) -> Grads { return {transpose(g[0], d0, d1)}; };
  });
  return out;
}

Tensor t_(const Tensor& t) {
  TG_CHECK(t->dim() <= 2, RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is ",
           t->dim(), "D");
  if (t->dim() < 2) return view_with_backward(t, t->shape, t->strides, t->offset, "TBackward0");
  Tensor out = make_differentiable_view(t, {t->shape[1], t->shape[0]}, {t->strides[1], t->strides[0]}, t->offset);
  record("TBackward0", {t}, {out}, [] { return [](const Grads& g) -> Grads { return {t_(g[0])}; }; });
  return out;
}

Tensor expand(const Tensor& t, const Shape& shape) {
  int64_t nd = static_cast<int64_t>(shape.size());
  TG_CHECK(nd >= t->dim(), RuntimeError, "expand: the number of sizes provided (", nd,
           ") must be greater or equal to the number of dimensions in the tensor (", t->dim(), ")");
  Shape out_shape(nd), strides(nd);
  int64_t lead = nd - t->dim();
  for (int64_t i = nd - 1; i >= 0; --i) {
    int64_t want = shape[i];
    if (i < lead) {
      TG_CHECK(want >= 0, RuntimeError, "expand: the expanded size of the tensor (", want,
               ") isn't allowed in a leading, non-existing dimension ", i);
      out_shape[i] = want;
      strides[i] = 0;
      continue;
    }
    int64_t have = t->shape[i - lead];
    if (want == -1) want = have;
    TG_CHECK(want >= 0, RuntimeError, "expand: the expanded size of the tensor (", want,
             ") is negative at dimension ", i, ".  Target sizes: ", shape_str(shape));
    TG_CHECK(have == want || have == 1, RuntimeError, "The expanded size of the tensor (", want,
             ") must match the existing size (", have, ") at non-singleton dimension ", i,
             ".  Target sizes: ", shape_str(shape), ".  Tensor sizes: ", shape_str(t->shape));
    out_shape[i] = want;
    strides[i] = have == want ? t->strides[i - lead] : 0;
  }
  shape_numel(out_shape);  // raises when the element count overflows int64
  Tensor out = make_differentiable_view(t, out_shape, strides, t->offset);
  Shape in_shape = t->shape;
  record("ExpandBackward0", {t}, {out}, [&] {
    return [in_shape](const Grads& g) -> Grads { return {sum_to(g[0], in_shape)}; };
  });
  return out;
}

Tensor squeeze(const Tensor& t, std::optional<int64_t> dim) {
  Shape shape, strides;
  int64_t d = dim ? wrap_dim(*dim, t->dim(), "squeeze") : -1;
  for (int64_t i = 0; i < t->dim(); ++i) {
    bool drop = t->shape[i] == 1 && (d < 0 || i == d);
    if (!drop) {
      shape.push_back(t->shape[i]);
      strides.push_back(t->strides[i]);
    }
  }
  return view_with_backward(t, shape, strides, t->offset, dim ? "SqueezeBackward1" : "SqueezeBackward0");
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t->dim() + 1, "unsqueeze");
  Shape shape = t->shape, strides = t->strides;
  int64_t st = d < t->dim() ? t->strides[d] * t->shape[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  return view_with_backward(t, shape, strides, t->offset, "UnsqueezeBackward0");
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t->dim() == 0) return reshape(t, {1});
  int64_t s = wrap_dim(start_dim, t->dim(), "flatten"), e = wrap_dim(end_dim, t->dim(), "flatten");
  TG_CHECK(s <= e, RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim");
  Shape shape(t->shape.begin(), t->shape.begin() + s);
  int64_t n = 1;
  for (int64_t i = s; i <= e; ++i) n *= t->shape[i];
  shape.push_back(n);
  shape.insert(shape.end(), t->shape.begin() + e + 1, t->shape.end());
  return reshape(t, shape);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  TG_CHECK(t->dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, t->dim(), "select");
  int64_t size = t->shape[d];
  TG_CHECK(index >= -size && index < size, IndexError, "index ", index,
           " is out of bounds for dimension ", d, " with size ", size);
  if (index < 0) index += size;
  Shape shape = t->shape, strides = t->strides;
  int64_t offset = t->offset + index * strides[d];
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_differentiable_view(t, shape, strides, offset);
  Shape in_shape = t->shape;
  record("SelectBackward0", {t}, {out}, [&] {
    return [in_shape, d, index](const Grads& g) -> Grads {
      return {embed_in_zeros(g[0], in_shape, [d, index](const Tensor& z) { return select(z, d, index); },
                             "SelectBackwardBackward0")};
    };
  });
  return out;
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  int64_t d = wrap_dim(dim, t->dim(), "slice");
  TG_CHECK(step > 0, ValueError, "slice: step must be greater than zero, got ", step);
  int64_t size = t->shape[d];
  auto clampi = [size](int64_t v) {
    if (v < 0) v += size;
    return std::min(std::max<int64_t>(v, 0), size);
  };
  start = clampi(start);
  stop = std::max(clampi(stop), start);
  Shape shape = t->shape, strides = t->strides;
  shape[d] = (stop - start + step - 1) / step;
  strides[d] *= step;
  Tensor out = make_differentiable_view(t, shape, strides, t->offset + start * t->strides[d]);
  Shape in_shape = t->shape;
  record("SliceBackward0", {t}, {out}, [&] {
    return [in_shape, d, start, stop, step](const Grads& g) -> Grads {
      return {embed_in_zeros(g[0], in_shape,
                             [=](const Tensor& z) { return slice(z, d, start, stop, step); },
                             "SliceBackwardBackward0")};
    };
  });
  return out;
}

Tensor detach(const Tensor& t) { return alias_detached(t, true); }

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TG_CHECK(x == y || x == 1 || y == 1, RuntimeError, op, ": The size of tensor a (", x,
             ") must match the size of tensor b (", y, ") at non-singleton dimension ", i,
             " (shapes ", shape_str(a), " and ", shape_str(b), ")");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g->shape == shape) return g;
  int64_t lead = g->dim() - static_cast<int64_t>(shape.size());
  TG_CHECK(lead >= 0, RuntimeError, "sum_to: cannot reduce ", shape_str(g->shape), " to ",
           shape_str(shape));
  Shape dims;
  for (int64_t i = 0; i < g->dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g->shape[i] != 1)) dims.push_back(i);
  Tensor r = dims.empty() ? g : sum(g, dims, true);
  return r->shape == shape ? r : reshape(r, shape);
}

}  // namespace tg

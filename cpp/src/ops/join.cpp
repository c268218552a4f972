// Joining and shape ops: cat, stack, split/chunk/unbind, repeat, flip, roll, movedim, unflatten,
// narrow, tril/triu and diag. Most are compositions of differentiable views; cat, flip and diag
// have their own kernels and backward.
#include <algorithm>

#include "tg/alloc_check.h"
#include "tg/ops.h"

namespace tg {

namespace {

// A tensor of shape [0] is skipped by cat whatever the other tensors' ranks (torch legacy rule).
bool legacy_empty(const Tensor& t) { return t->dim() == 1 && t->shape[0] == 0; }

// The strided k-th diagonal of a 2-D tensor (k > 0 above the main diagonal), as a view.
Tensor diagonal_view(const Tensor& t, int64_t k) {
  int64_t r = t->shape[0], c = t->shape[1];
  int64_t len = k >= 0 ? std::min(r, c - k) : std::min(r + k, c);
  len = std::max<int64_t>(len, 0);
  int64_t off = t->offset + (len == 0 ? 0 : k >= 0 ? k * t->strides[1] : -k * t->strides[0]);
  return make_view(t, {len}, {t->strides[0] + t->strides[1]}, off);
}

Tensor diag_embed_2d(const Tensor& v, const Shape& shape, int64_t k);

// The k-th diagonal of a matrix as a new 1-D tensor; backward writes g back onto that diagonal.
Tensor diag_extract(const Tensor& x, int64_t k) {
  Tensor out;
  {
    GradModeGuard off(false);
    out = clone(diagonal_view(x, k));
  }
  Shape shape = x->shape;
  record("DiagBackward0", {x}, {out}, [&] {
    return [shape, k](const Grads& g) -> Grads { return {diag_embed_2d(g[0], shape, k)}; };
  });
  return out;
}

// A zero matrix of `shape` with v on its k-th diagonal; backward reads that diagonal.
Tensor diag_embed_2d(const Tensor& v, const Shape& shape, int64_t k) {
  Tensor out = zeros(shape, v->dtype);
  {
    GradModeGuard off(false);
    copy_into(diagonal_view(out, k), v);
  }
  record("DiagBackward0", {v}, {out}, [&] {
    return [k](const Grads& g) -> Grads { return {diag_extract(g[0], k)}; };
  });
  return out;
}

// where(mask, x, 0) with mask[i, j] = keep(j - i) over the last two dims.
template <typename Keep>
Tensor triangle(const Tensor& x, const char* op, Keep keep) {
  TG_CHECK(x->dim() >= 2, RuntimeError, op, ": input tensor must have at least 2 dimensions (got shape ",
           shape_str(x->shape), ")");
  int64_t r = x->shape[x->dim() - 2], c = x->shape[x->dim() - 1];
  Tensor mask = empty({r, c}, DType::Bool);
  bool* m = mask->data<bool>();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) m[i * c + j] = keep(j - i);
  return where(mask, x, zeros({}, x->dtype));
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  TG_CHECK(!tensors.empty(), ValueError, "cat(): expected a non-empty list of Tensors");
  check_same_device("cat", tensors);
  const Tensor* ref = nullptr;
  DType dt = tensors[0]->dtype;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    dt = promote(dt, t->dtype);
    TG_CHECK(t->dim() > 0, RuntimeError, "cat(): zero-dimensional tensor (at position ", i,
             ") cannot be concatenated");
    if (!ref && !legacy_empty(t)) ref = &t;
  }
  // Only [0]-shaped tensors: the result is one too (still connected to them for autograd).
  int64_t d = ref ? wrap_dim(dim, (*ref)->dim(), "cat") : 0;
  Shape shape = ref ? (*ref)->shape : Shape{0};
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (legacy_empty(t)) continue;
    TG_CHECK(t->dim() == (*ref)->dim(), RuntimeError, "cat(): Tensors must have same number of dimensions: got ",
             (*ref)->dim(), " and ", t->dim(), " (shapes ", shape_str((*ref)->shape), " and ", shape_str(t->shape), ")");
    for (int64_t k = 0; k < t->dim(); ++k)
      TG_CHECK(k == d || t->shape[k] == (*ref)->shape[k], RuntimeError,
               "cat(): Sizes of tensors must match except in dimension ", d, ". Expected size ",
               (*ref)->shape[k], " but got size ", t->shape[k], " for tensor number ", i, " in the list.");
    shape[d] += t->shape[d];
  }
  Tensor out = empty(shape, dt);
  std::vector<int64_t> starts;
  {
    GradModeGuard off(false);
    int64_t at = 0;
    for (const Tensor& t : tensors) {
      starts.push_back(at);
      if (legacy_empty(t)) continue;
      copy_into(slice(out, d, at, at + t->shape[d], 1), t);
      at += t->shape[d];
    }
  }
  if (needs_grad(tensors)) {
    std::vector<Shape> shapes;
    for (const Tensor& t : tensors) shapes.push_back(t->shape);
    record_node("CatBackward0", tensors, {out}, [&]() -> BackwardFn {
      return [shapes, starts, d](const Grads& g) -> Grads {
        Grads gs;
        for (size_t i = 0; i < shapes.size(); ++i) {
          bool skip = shapes[i].size() == 1 && shapes[i][0] == 0;
          gs.push_back(skip ? zeros({0}, g[0]->dtype) : slice(g[0], d, starts[i], starts[i] + shapes[i][d], 1));
        }
        return gs;
      };
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  TG_CHECK(!tensors.empty(), ValueError, "stack(): expected a non-empty list of Tensors");
  check_same_device("stack", tensors);
  int64_t d = wrap_dim(dim, tensors[0]->dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    TG_CHECK(tensors[i]->shape == tensors[0]->shape, RuntimeError, "stack expects each tensor to be equal size, but got ",
             shape_str(tensors[0]->shape), " at entry 0 and ", shape_str(tensors[i]->shape), " at entry ", i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

std::vector<Tensor> split_with_sizes(const Tensor& self, const Shape& sizes, int64_t dim) {
  TG_CHECK(self->dim() > 0, RuntimeError, "split(): expected a tensor with at least one dimension, got a 0-d tensor");
  int64_t d = wrap_dim(dim, self->dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    TG_CHECK(s >= 0, RuntimeError, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=",
             shape_str(sizes));
    total += s;
  }
  TG_CHECK(total == self->shape[d], RuntimeError, "split_with_sizes expects split_sizes to sum exactly to ", self->shape[d],
           " (input tensor's size at dimension ", d, "), but got split_sizes=", shape_str(sizes));
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(self, d, at, at + s, 1));
    at += s;
  }
  mark_multi_output_views(out);
  return out;
}

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  TG_CHECK(self->dim() > 0, RuntimeError, "split(): expected a tensor with at least one dimension, got a 0-d tensor");
  int64_t d = wrap_dim(dim, self->dim(), "split");
  int64_t n = self->shape[d];
  TG_CHECK(split_size > 0 || (split_size == 0 && n == 0), RuntimeError,
           "split(): split_size can only be 0 if dimension size is 0, but got split_size=", split_size, " for size ", n);
  Shape sizes;
  if (n == 0) sizes.push_back(0);
  for (int64_t at = 0; at < n; at += split_size) sizes.push_back(std::min(split_size, n - at));
  return split_with_sizes(self, sizes, d);
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  TG_CHECK(self->dim() > 0, RuntimeError, "chunk expects at least a 1-dimensional tensor");
  TG_CHECK(chunks > 0, RuntimeError, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  int64_t d = wrap_dim(dim, self->dim(), "chunk");
  int64_t n = self->shape[d];
  int64_t size = n == 0 ? 0 : (n - 1) / chunks + 1;  // ceil(n / chunks) without overflow
  if (size == 0) {
    std::vector<Tensor> out = checked_vector(chunks, slice(self, d, 0, 0, 1));
    mark_multi_output_views(out);
    return out;
  }
  return split(self, size, d);
}

std::vector<Tensor> unbind(const Tensor& self, int64_t dim) {
  TG_CHECK(self->dim() > 0, IndexError, "unbind(): dimension specified as ", dim, " but tensor has no dimensions");
  int64_t d = wrap_dim(dim, self->dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < self->shape[d]; ++i) out.push_back(select(self, d, i));
  mark_multi_output_views(out);
  return out;
}

// x.repeat(r0, ..., rn): view x as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], and
// reshape to [r0*s0, r1*s1, ...]; expand's backward sums the copies.
Tensor repeat(const Tensor& self, const Shape& repeats) {
  int64_t n = static_cast<int64_t>(repeats.size());
  TG_CHECK(n >= self->dim(), RuntimeError,
           "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (repeat dims ",
           shape_str(repeats), ", tensor shape ", shape_str(self->shape), ")");
  Shape padded(n - self->dim(), 1);
  padded.insert(padded.end(), self->shape.begin(), self->shape.end());
  Shape inter, big, out;
  for (int64_t i = 0; i < n; ++i) {
    TG_CHECK(repeats[i] >= 0, RuntimeError, "Trying to create tensor with negative dimension ", repeats[i], ": ",
             shape_str(repeats));
    inter.push_back(1);
    inter.push_back(padded[i]);
    big.push_back(repeats[i]);
    big.push_back(padded[i]);
    out.push_back(checked_product({repeats[i], padded[i]}));
  }
  return reshape(expand(reshape(self, inter), big), out);
}

Tensor flip(const Tensor& self, const Shape& dims) {
  Shape strides = self->strides;
  int64_t offset = self->offset;
  std::vector<bool> seen(std::max<int64_t>(self->dim(), 1), false);
  Shape wrapped;
  for (int64_t dim : dims) {
    int64_t d = wrap_dim(dim, self->dim(), "flip");
    TG_CHECK(!seen[d], RuntimeError, "flip(): dim ", d, " appears multiple times in the list of dims ", shape_str(dims));
    seen[d] = true;
    wrapped.push_back(d);
    if (self->dim() == 0 || self->shape[d] == 0) continue;
    // Read the dim backwards: start at its last element and step by -stride.
    offset += (self->shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  Tensor out = empty(self->shape, self->dtype);
  copy_into(out, make_view(self, self->shape, strides, offset));
  record("FlipBackward0", {self}, {out}, [&] {
    return [wrapped](const Grads& g) -> Grads { return {flip(g[0], wrapped)}; };
  });
  return out;
}

// roll by s along d: the last s elements move to the front (cat of two narrows).
Tensor roll(const Tensor& self, const Shape& shifts, const Shape& dims) {
  if (dims.empty()) {
    TG_CHECK(shifts.size() == 1, RuntimeError, "roll(): shifts and dimensions must align. shifts: ", shifts.size(),
             ", dims: 0");
    return reshape(roll(flatten(self, 0, -1), shifts, {0}), self->shape);
  }
  TG_CHECK(shifts.size() == dims.size(), RuntimeError, "roll(): shifts and dimensions must align. shifts: ",
           shifts.size(), ", dims: ", dims.size());
  Tensor r = self;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], self->dim(), "roll", false);
    int64_t n = self->shape[d];
    if (n == 0) continue;
    int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    r = cat({slice(r, d, n - s, n, 1), slice(r, d, 0, n - s, 1)}, d);
  }
  return r == self ? clone(self) : r;
}

Tensor movedim(const Tensor& self, const Shape& source, const Shape& destination) {
  int64_t nd = self->dim();
  TG_CHECK(source.size() == destination.size(), RuntimeError,
           "movedim: Invalid source or destination dims: source (", shape_str(source),
           " dims) should contain the same number of dims as destination (", shape_str(destination), " dims)");
  Shape perm(std::max<int64_t>(nd, 1), -1);
  std::vector<bool> src_used(std::max<int64_t>(nd, 1), false);
  for (size_t i = 0; i < source.size(); ++i) {
    int64_t s = wrap_dim(source[i], nd, "movedim"), t = wrap_dim(destination[i], nd, "movedim");
    TG_CHECK(!src_used[s], RuntimeError, "movedim: repeated dim in `source` (", shape_str(source), ")");
    TG_CHECK(perm[t] == -1, RuntimeError, "movedim: repeated dim in `destination` (", shape_str(destination), ")");
    src_used[s] = true;
    perm[t] = s;
  }
  if (nd == 0) return reshape(self, {});
  // The other dims keep their order in the free slots.
  int64_t next = 0;
  for (int64_t t = 0; t < nd; ++t) {
    if (perm[t] != -1) continue;
    while (src_used[next]) ++next;
    perm[t] = next++;
  }
  return permute(self, perm);
}

Tensor unflatten(const Tensor& self, int64_t dim, const Shape& sizes) {
  int64_t d = wrap_dim(dim, self->dim(), "unflatten", false);
  TG_CHECK(!sizes.empty(), RuntimeError, "unflatten: sizes must be non-empty");
  int64_t infer = -1;
  Shape s = sizes;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] != -1) continue;
    TG_CHECK(infer < 0, RuntimeError, "unflatten: only one dimension can be inferred");
    infer = static_cast<int64_t>(i);
    s[i] = 1;
  }
  int64_t known = shape_numel(s);  // rejects other negative sizes and overflow
  int64_t n = self->shape[d];
  if (infer >= 0) s[infer] = known != 0 && n % known == 0 ? n / known : -1;
  TG_CHECK(((infer < 0 || s[infer] >= 0) && shape_numel(s) == n) || (infer >= 0 && known == 0 && n == 0), RuntimeError, "unflatten: Provided sizes ",
           shape_str(sizes), " don't multiply up to the size of dim ", d, " (", n, ") in the input tensor");
  Shape shape(self->shape.begin(), self->shape.begin() + d);
  shape.insert(shape.end(), s.begin(), s.end());
  shape.insert(shape.end(), self->shape.begin() + d + 1, self->shape.end());
  return view(self, shape);
}

Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  TG_CHECK(self->dim() > 0, RuntimeError, "narrow() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, self->dim(), "narrow");
  int64_t size = self->shape[d];
  TG_CHECK(start >= -size && start <= size, IndexError, "narrow(): start (", start, ") is out of bounds for dimension ",
           d, " with size ", size);
  if (start < 0) start += size;
  TG_CHECK(length >= 0 && start + length <= size, RuntimeError, "narrow(): start (", start, ") + length (", length,
           ") exceeds dimension size (", size, ").");
  return slice(self, d, start, start + length, 1);
}

Tensor tril(const Tensor& self, int64_t diagonal) {
  return triangle(self, "tril", [diagonal](int64_t jmi) { return jmi <= diagonal; });
}

Tensor triu(const Tensor& self, int64_t diagonal) {
  return triangle(self, "triu", [diagonal](int64_t jmi) { return jmi >= diagonal; });
}

Tensor diag(const Tensor& self, int64_t diagonal) {
  if (self->dim() == 1) {
    int64_t n = self->shape[0] + (diagonal >= 0 ? diagonal : -diagonal);
    return diag_embed_2d(self, {n, n}, diagonal);
  }
  TG_CHECK(self->dim() == 2, RuntimeError, "diag(): Supports 1D or 2D tensors. Got ", self->dim(), "D");
  return diag_extract(self, diagonal);
}

}  // namespace tg

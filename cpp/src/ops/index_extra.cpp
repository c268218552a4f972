// Reducing scatters and the index_* family, with gradients: scatter_reduce (sum, prod, mean, amax,
// amin; torch's backward formulas), scatter(reduce=...), and index_add / index_copy / index_fill /
// index_reduce, which are scatters whose index is the 1-D index broadcast along every other dim.
#include <cmath>
#include <limits>

#include "ops/scatter_walk.h"
#include "tg/ops_index.h"

namespace tg {

namespace {

using namespace scatter_detail;

enum class Reduce { Sum, Prod, Mean, Amax, Amin };

Reduce parse_scatter_reduce(const std::string& r) {
  if (r == "sum") return Reduce::Sum;
  if (r == "prod") return Reduce::Prod;
  if (r == "mean") return Reduce::Mean;
  if (r == "amax" || r == "max") return Reduce::Amax;  // torch also takes "max" and "min"
  if (r == "amin" || r == "min") return Reduce::Amin;
  throw RuntimeError(str("reduce argument must be either sum, prod, mean, amax or amin, got ", r));
}

// The arithmetic type of T: float for the 16-bit floating types, T otherwise.
template <typename T> struct Acc { using type = T; };
template <> struct Acc<Half> { using type = float; };
template <> struct Acc<BFloat16> { using type = float; };

template <typename T>
T combine(Reduce r, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return (r == Reduce::Prod || r == Reduce::Amin) ? (a && b) : (a || b);
  } else {
    using A = typename Acc<T>::type;
    A x = static_cast<A>(a), y = static_cast<A>(b);
    switch (r) {
      case Reduce::Sum:
      case Reduce::Mean: return static_cast<T>(x + y);
      case Reduce::Prod: return static_cast<T>(x * y);
      case Reduce::Amax:  // a NaN wins, as torch
        if constexpr (std::is_floating_point_v<A>) if (std::isnan(y)) return b;
        return x < y ? b : a;
      case Reduce::Amin:
        if constexpr (std::is_floating_point_v<A>) if (std::isnan(y)) return b;
        return y < x ? b : a;
    }
    return a;
  }
}

// The value a scattered position starts from when self is left out of the reduction.
template <typename T>
T identity(Reduce r) {
  using A = typename Acc<T>::type;
  constexpr bool fp = std::is_floating_point_v<A>;
  switch (r) {
    case Reduce::Prod: return static_cast<T>(A(1));
    case Reduce::Amax: return fp ? static_cast<T>(-std::numeric_limits<A>::infinity()) : static_cast<T>(std::numeric_limits<A>::lowest());
    case Reduce::Amin: return fp ? static_cast<T>(std::numeric_limits<A>::infinity()) : static_cast<T>(std::numeric_limits<A>::max());
    default: return static_cast<T>(A(0));
  }
}

// sum / count: true division for floating types, floor division for integers (torch's mean).
template <typename T>
T mean_of(T sum, int64_t count) {
  using A = typename Acc<T>::type;
  if constexpr (std::is_same_v<T, bool>) return sum;
  else if constexpr (std::is_floating_point_v<A>) return static_cast<T>(static_cast<A>(sum) / static_cast<A>(count));
  else {
    int64_t s = static_cast<int64_t>(sum), q = s / count;
    if (s % count != 0 && s < 0) --q;
    return static_cast<T>(q);
  }
}

// The forward kernel (no autograd): self, index and src are at least 1-D, index int64, dtypes equal.
Tensor scatter_reduce_kernel(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor& src,
                             Reduce r, bool include_self) {
  GradModeGuard off(false);
  Tensor out = clone(self);  // contiguous, so an element's offset is its flat position
  int64_t size = out->shape[d];
  dispatch_all(out->dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = out->data<T>();
    const T* v = src->data<T>();
    if (!include_self)
      walk_indexed(index->shape, index, out->strides, src->strides, d, size, op,
                   [&](int64_t, int64_t so, int64_t) { o[so] = identity<T>(r); });
    std::vector<int64_t> count(r == Reduce::Mean ? out->numel() : 0, include_self ? 1 : 0);
    walk_indexed(index->shape, index, out->strides, src->strides, d, size, op, [&](int64_t, int64_t so, int64_t co) {
      o[so] = combine(r, o[so], v[co]);
      if (r == Reduce::Mean) ++count[so];
    });
    for (size_t k = 0; k < count.size(); ++k) o[k] = mean_of(o[k], std::max<int64_t>(count[k], 1));
  });
  return out;
}

Tensor as_float(const Tensor& b, DType dt) { return to_dtype(b, dt); }
Tensor one_like(const Tensor& t) { return ones({}, t->dtype); }

// torch's scatter_reduce_backward: gradients of self and of src (src cut to index's shape).
Grads scatter_reduce_grads(const Tensor& g, const Tensor& self, const Tensor& src, const Tensor& result, int64_t d,
                           const Tensor& index, Reduce r, bool include_self) {
  DType dt = g->dtype;
  Tensor gs, gsrc;
  switch (r) {
    case Reduce::Sum:
      gs = g;
      gsrc = gather(g, d, index);
      break;
    case Reduce::Mean: {
      Tensor n = scatter_add(include_self ? ones(g->shape, dt) : zeros(g->shape, dt), d, index, ones(index->shape, dt));
      n = where(compare(BinaryOp::Eq, n, Scalar(0.0)), one_like(n), n);
      gs = div(g, n);
      gsrc = div(gather(g, d, index), gather(n, d, index));
      break;
    }
    case Reduce::Prod: {
      // A zero factor gets the product of the others, computed with that zero replaced by one.
      Tensor masked_self = where(compare(BinaryOp::Eq, self, Scalar(0.0)), one_like(self), self);
      gs = div(mul(g, scatter_reduce(masked_self, d, index, src, "prod", include_self)), masked_self);
      Tensor src_zero = compare(BinaryOp::Eq, src, Scalar(0.0));
      Tensor zeros_at = gather(scatter_add(zeros(self->shape, dt), d, index, as_float(src_zero, dt)), d, index);
      Tensor single_zero = logical_and(src_zero, compare(BinaryOp::Eq, zeros_at, Scalar(1.0)));
      Tensor masked_src = where(single_zero, one_like(src), src);
      Tensor masked_src_result = scatter_reduce(self, d, index, masked_src, "prod", include_self);
      gsrc = where(single_zero, gather(mul(g, masked_src_result), d, index),
                   div(gather(mul(g, result), d, index), where(src_zero, one_like(src), src)));
      break;
    }
    case Reduce::Amax:
    case Reduce::Amin: {
      // The gradient is shared evenly among the elements equal to the result.
      Tensor value = gather(result, d, index);
      Tensor self_is = as_float(compare(BinaryOp::Eq, self, result), dt);
      Tensor src_is = as_float(compare(BinaryOp::Eq, src, value), dt);
      Tensor shared = div(g, scatter_add(self_is, d, index, src_is));
      gs = mul(self_is, shared);
      gsrc = mul(src_is, gather(shared, d, index));
      break;
    }
  }
  if (!include_self) gs = scatter(gs, d, index, Scalar(0.0));
  return {gs, gsrc};
}

// src cut to index's shape (src may be larger; only its leading part is scattered).
Tensor leading_part(Tensor src, const Shape& shape) {
  for (int64_t k = 0; k < src->dim(); ++k)
    if (src->shape[k] != shape[k]) src = slice(src, k, 0, shape[k], 1);
  return src;
}

// The 1-D index of the index_* ops, broadcast to `shape` along dim d (shape[d] == its length).
Tensor spread_index(const Tensor& index, int64_t d, const Shape& shape) {
  Shape one(shape.size(), 1);
  one[d] = shape[d];
  return expand(reshape(index, one), shape);
}

// Checks the index_* ops' index (0-d or 1-D int32/int64, values in range) and returns it as 1-D
// int64 with negative values wrapped when `wrap`. `err` raises the op's own out-of-range error.
template <typename Err>
Tensor checked_positions(const char* op, const Tensor& index, int64_t size, bool wrap, const Err& err) {
  TG_CHECK(index->dim() <= 1, IndexError, op, "(): Index is supposed to be a vector");
  TG_CHECK(index->dtype == DType::Int64 || index->dtype == DType::Int32, RuntimeError, op,
           "(): Expected dtype int32/int64 for index but got: ", scalar_type_name(index->dtype));
  Tensor ix = contiguous(cast_for_kernel(reshape(detach(index), {-1}), DType::Int64));
  if (wrap) ix = clone(ix);
  int64_t* p = ix->data<int64_t>();
  for (int64_t i = 0, n = ix->numel(); i < n; ++i) {
    int64_t v = p[i];
    if (v < (wrap ? -size : 0) || v >= size) err(v);
    if (v < 0) p[i] = v + size;
  }
  return ix;
}

// The shape checks shared by index_add / index_copy / index_reduce (torch's wording).
void check_index_source(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor& source) {
  check_same_device(op, self, index, source);
  TG_CHECK(self->dtype == source->dtype, RuntimeError, op, "(): self (", scalar_type_name(self->dtype),
           ") and source (", scalar_type_name(source->dtype), ") must have the same scalar type");
  int64_t n = index->numel();
  int64_t along = source->dim() == 0 ? 1 : source->shape[d < source->dim() ? d : 0];
  bool same = std::max<int64_t>(self->dim(), 1) == std::max<int64_t>(source->dim(), 1);
  for (int64_t k = 0; same && k < self->dim(); ++k) same = k == d || self->shape[k] == source->shape[k];
  TG_CHECK(same, RuntimeError, "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = ",
           shape_str(self->shape), " source.shape = ", shape_str(source->shape));
  TG_CHECK(n == along, RuntimeError, op, "(): Number of indices (", n, ") should be equal to source.size(dim) (", along, ")");
}

}  // namespace

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index_arg, const Tensor& src,
                      const std::string& reduce, bool include_self) {
  Reduce r = parse_scatter_reduce(reduce);
  Tensor index = long_index(index_arg);
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter_reduce");
  check_dim_index("scatter_reduce", self, d, index, &src);
  TG_CHECK(self->dtype == src->dtype, RuntimeError, "scatter_reduce(): Expected self.dtype to be equal to src.dtype");
  if (self->dim() == 0 || index->dim() == 0 || src->dim() == 0) {  // as 1-D, then back
    auto one = [](const Tensor& t) { return t->dim() == 0 ? reshape(t, {1}) : t; };
    Tensor out = scatter_reduce(one(self), d, one(index), one(src), reduce, include_self);
    return self->dim() == 0 ? reshape(out, {}) : out;
  }
  Tensor out = scatter_reduce_kernel("scatter_reduce", self, d, index, src, r, include_self);
  TG_CHECK(r != Reduce::Mean || !needs_grad({self, src}) || is_floating(self->dtype), RuntimeError,
           "scatter_reduce(): mean of an integer tensor has no gradient");
  Shape sshape = src->shape;
  record("ScatterReduceBackward0", {self, src}, {out}, [&] {
    return [ss = save(self), sc = save(leading_part(src, index->shape)), so = save_output(out), d, ix = index, r,
            include_self, sshape](const Grads& g) -> Grads {
      Grads gr = scatter_reduce_grads(g[0], ss.get(), sc.get(), so.get(), d, ix, r, include_self);
      return {gr[0], pad_to(gr[1], sshape)};
    };
  });
  return out;
}

Tensor scatter_legacy_reduce(const Tensor& self, int64_t dim, const Tensor& index_arg, const Tensor& src,
                             const std::string& reduce) {
  TG_CHECK(reduce == "add" || reduce == "multiply", RuntimeError, "reduce argument must be either add or multiply.");
  Tensor index = long_index(index_arg);
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "scatter");
  bool value_form = src->dim() == 0 && index->dim() > 0;
  check_dim_index("scatter", self, d, index, value_form ? nullptr : &src);
  TG_CHECK(value_form || self->dtype == src->dtype, RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype");
  GradModeGuard off(false);  // torch has no derivative for this form
  auto one = [](const Tensor& t) { return t->dim() == 0 ? reshape(t, {1}) : t; };
  Tensor s = value_form ? expand(to_dtype(src, self->dtype), index->shape) : one(src);
  Tensor out = scatter_reduce_kernel("scatter", one(self), d, one(index), s,
                                     reduce == "add" ? Reduce::Sum : Reduce::Prod, true);
  return self->dim() == 0 ? reshape(out, {}) : out;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "index_add");
  check_index_source("index_add", self, d, index, source);
  int64_t size = self->dim() ? self->shape[d] : 1;
  Tensor ix = checked_positions("index_add_", index, size, false, [&](int64_t v) {
    throw RuntimeError(str("index ", v, " is out of bounds for dimension ", d, " with size ", size));
  });
  Tensor x = self->dim() ? self : reshape(self, {1}), s = source->dim() ? source : reshape(source, {1});
  if (alpha.f != 1.0) s = mul(s, alpha);
  Tensor out = scatter_reduce(x, d, spread_index(ix, d, s->shape), s, "sum", true);
  return self->dim() ? out : reshape(out, {});
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "index_copy");
  check_index_source("index_copy", self, d, index, source);
  int64_t size = self->dim() ? self->shape[d] : 1;
  Tensor ix = checked_positions("index_copy_", index, size, false, [&](int64_t v) {
    throw IndexError(str("index_copy_(): index ", v, " is out of bounds for dimension ", d, " with size ", size));
  });
  Tensor x = self->dim() ? self : reshape(self, {1}), s = source->dim() ? source : reshape(source, {1});
  Tensor out = scatter(x, d, spread_index(ix, d, s->shape), s);
  return self->dim() ? out : reshape(out, {});
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  check_same_device("index_fill", self, index, value);
  TG_CHECK(value->dim() == 0, RuntimeError, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value->dim(), " dimension(s).");
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "index_fill");
  int64_t size = self->dim() ? self->shape[d] : 1;
  Tensor ix = checked_positions("index_fill_", index, size, true, [&](int64_t v) {
    throw IndexError(str("index ", v, " is out of bounds for dimension ", d, " with size ", size));
  });
  Tensor x = self->dim() ? self : reshape(self, {1});
  Shape shape = x->shape;
  shape[d] = ix->numel();
  Tensor out = scatter(x, d, spread_index(ix, d, shape), expand(to_dtype(value, self->dtype), shape));
  return self->dim() ? out : reshape(out, {});
}

Tensor index_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                    const std::string& reduce, bool include_self) {
  TG_CHECK(reduce == "prod" || reduce == "mean" || reduce == "amax" || reduce == "amin", RuntimeError,
           "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got ", reduce, ".");
  int64_t d = wrap_dim(dim, std::max<int64_t>(self->dim(), 1), "index_reduce");
  check_index_source("index_reduce", self, d, index, source);
  int64_t size = self->dim() ? self->shape[d] : 1;
  Tensor ix = checked_positions("index_reduce_", index, size, false,
                                [](int64_t) { throw IndexError("index out of range in self"); });
  Tensor x = self->dim() ? self : reshape(self, {1}), s = source->dim() ? source : reshape(source, {1});
  Tensor out = scatter_reduce(x, d, spread_index(ix, d, s->shape), s, reduce, include_self);
  return self->dim() ? out : reshape(out, {});
}

}  // namespace tg

// Reductions over all or some dims (sum, mean, amax/amin, max/min with indices, argmax/argmin).
// Every reduction is brought to the form [A, R, B]: reduce the middle of a contiguous block.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/vmath.h"
#include "ops/reduce_internal.h"
#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {

namespace {

// Which dims a reduction removes and the shapes that result.
struct Geometry {
  Shape dims;        // sorted reduced dims
  Shape out_shape;   // result shape (keepdim applied)
  Shape kept_shape;  // result shape with the reduced dims kept as 1
};

struct Plan : Geometry {
  Tensor src;  // contiguous, laid out as [A, R, B]
  int64_t A = 1, R = 1, B = 1;
};

Geometry geometry(const Tensor& x, const Shape& dims_in, bool keepdim, const char* op) {
  int64_t nd = x->dim();
  std::vector<bool> red(std::max<int64_t>(nd, 1), dims_in.empty());
  for (int64_t d : dims_in) {
    int64_t w = wrap_dim(d, nd, op);
    TG_CHECK(!red[w], RuntimeError, op, ": dim ", w, " appears multiple times in the list of dims");
    red[w] = true;
  }
  Geometry g;
  for (int64_t d = 0; d < nd; ++d) {
    if (red[d]) g.dims.push_back(d);
    g.kept_shape.push_back(red[d] ? 1 : x->shape[d]);
    if (!red[d] || keepdim) g.out_shape.push_back(red[d] ? 1 : x->shape[d]);
  }
  return g;
}

Plan plan(const Tensor& x, const Shape& dims_in, bool keepdim, const char* op) {
  Plan p;
  static_cast<Geometry&>(p) = geometry(x, dims_in, keepdim, op);
  int64_t nd = x->dim();
  if (nd == 0) {
    p.src = x;
    return p;
  }
  int64_t lo = p.dims.front(), hi = p.dims.back();
  if (hi - lo + 1 == static_cast<int64_t>(p.dims.size())) {
    p.src = contiguous(detach(x));
    for (int64_t d = 0; d < nd; ++d) (d < lo ? p.A : d <= hi ? p.R : p.B) *= x->shape[d];
  } else {  // reduced dims are scattered: move them last, then reduce rows
    Shape order;
    std::vector<bool> red(nd, false);
    for (int64_t d : p.dims) red[d] = true;
    for (int64_t d = 0; d < nd; ++d) if (!red[d]) order.push_back(d);
    for (int64_t d : p.dims) order.push_back(d);
    p.src = clone(permute(detach(x), order));
    for (int64_t d = 0; d < nd; ++d) (red[d] ? p.R : p.A) *= x->shape[d];
  }
  return p;
}

// Pairwise summation of n contiguous values: error grows like log(n), not n.
template <typename Acc, typename T>
Acc pairwise_sum(const T* p, int64_t n) {
  if constexpr (std::is_same_v<T, float> && std::is_same_v<Acc, float>) {
    float s;
    if (kernels::vmath::sum_f32(p, n, &s)) return s;  // AVX2 / AVX-512 kernel
  }
  if (n <= 256) {
    Acc lanes[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) lanes[k] += static_cast<Acc>(p[i + k]);
    Acc s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; ++i) s += static_cast<Acc>(p[i]);
    return s;
  }
  int64_t half = (n / 2 + 7) / 8 * 8;
  return pairwise_sum<Acc>(p, half) + pairwise_sum<Acc>(p + half, n - half);
}

template <typename Acc, typename T>
void sum_kernel(const Plan& p, Acc* out) {
  const T* x = p.src->data<T>();
  const int64_t R = p.R, B = p.B;
  if (B == 1) {
    if (p.A == 1) {
      // One long row: fixed-size chunks (never sized by the thread count, so the result is the
      // same bits on any number of threads), summed in parallel, then the partial sums in order.
      constexpr int64_t chunk = int64_t(1) << 18;
      int64_t nchunks = std::max<int64_t>(1, (R + chunk - 1) / chunk);
      std::vector<Acc> part(nchunks, Acc(0));
      parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c)
          part[c] = pairwise_sum<Acc>(x + c * chunk, std::min(chunk, R - c * chunk));
      });
      Acc s = 0;
      for (Acc v : part) s += v;
      out[0] = s;
      return;
    }
    parallel_for(p.A, rows_grain(R), [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float> && std::is_same_v<Acc, float>)
        if (kernels::vmath::sum_rows_f32(x + b * R, e - b, R, R, out + b)) return;  // = pairwise_sum
      for (int64_t a = b; a < e; ++a) out[a] = pairwise_sum<Acc>(x + a * R, R);
    });
    return;
  }
  // Reduce the middle dim: add whole rows of length B, which vectorises over B.
  parallel_for(p.A * B, kGrainSize, [&](int64_t b0, int64_t e0) {
    for (int64_t a = b0 / B; a <= (e0 - 1) / B; ++a) {
      int64_t jb = std::max(b0, a * B) - a * B, je = std::min(e0, (a + 1) * B) - a * B;
      Acc* o = out + a * B;
      for (int64_t j = jb; j < je; ++j) o[j] = 0;
      for (int64_t r = 0; r < R; ++r) {
        const T* row = x + (a * R + r) * B;
        for (int64_t j = jb; j < je; ++j) o[j] += static_cast<Acc>(row[j]);
      }
    }
  });
}

// For each (a, b): the extreme value over r and the first index where it occurs; NaN wins.
template <typename T, bool kMax>
void arg_kernel(const Plan& p, T* values, int64_t* indices) {
  const T* x = p.src->data<T>();
  const int64_t R = p.R, B = p.B;
  parallel_for(p.A * B, rows_grain(R), [&](int64_t b0, int64_t e0) {
    if constexpr (std::is_same_v<T, float>) {  // contiguous rows: the vector kernel, same rule
      if (B == 1 && values &&
          kernels::vmath::extreme_rows_f32(kMax, x + b0 * R, e0 - b0, R, R, values + b0,
                                           indices ? indices + b0 : nullptr))
        return;
    }
    for (int64_t ab = b0; ab < e0; ++ab) {
      int64_t a = ab / B, j = ab % B;
      const T* col = x + a * R * B + j;
      T best = col[0];
      int64_t bi = 0;
      for (int64_t r = 1; r < R; ++r) {
        T v = col[r * B];
        if constexpr (std::is_floating_point_v<T>) {
          if (best != best) break;
          if (v != v) { best = v; bi = r; break; }
        }
        if (kMax ? v > best : v < best) { best = v; bi = r; }
      }
      if (values) values[ab] = best;
      if (indices) indices[ab] = bi;
    }
  });
}

DType sum_dtype(DType d) { return is_floating(d) ? d : DType::Int64; }

// Gradient of a reduction: g (reshaped to kept_shape) broadcast back to the input shape.
Tensor expand_back(const Tensor& g, const Shape& kept_shape, const Shape& in_shape) {
  return expand(reshape(g, kept_shape), in_shape);
}

std::pair<Tensor, Tensor> extreme(const Tensor& x, const Shape& dims, bool keepdim, bool want_max,
                                  bool want_indices, const char* op) {
  // torch checks the dtype before the dims; max/min(dim) accept bool, argmax/argmin do not
  TG_CHECK(x->dtype != DType::Bool || std::string(op).rfind("arg", 0) != 0, RuntimeError, op,
           "(): does not support bool input");
  Plan p = plan(x, dims, keepdim, op);
  if (p.R == 0) {
    // torch: over all dims a RuntimeError; over a given dim an IndexError
    std::string where = str(" (input shape ", shape_str(x->shape), ")");
    if (!dims.empty())
      throw IndexError(str(op, "(): Expected reduction dim ", dims[0], " to have non-zero size.", where));
    throw RuntimeError(str(op, "(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.", where));
  }
  if (!is_compute_dtype(x->dtype)) {  // the extremes of the widened values are exact
    auto [v, i] = extreme(cast_for_kernel(x, compute_dtype(x->dtype)), dims, keepdim, want_max, want_indices, op);
    return {cast_for_kernel(v, x->dtype), i};
  }
  Tensor values = empty(p.out_shape, x->dtype);
  Tensor indices = want_indices ? empty(p.out_shape, DType::Int64) : nullptr;
  dispatch_dtype(x->dtype, [&](auto z) {
    using T = decltype(z);
    if (want_max) arg_kernel<T, true>(p, values->data<T>(), indices ? indices->data<int64_t>() : nullptr);
    else arg_kernel<T, false>(p, values->data<T>(), indices ? indices->data<int64_t>() : nullptr);
  });
  return {values, indices};
}

// amax/amin (and max()/min() of everything): ties share the gradient evenly, as torch.
Tensor extreme_values(const Tensor& x, const Shape& dims, bool keepdim, bool want_max, const char* op,
                      const char* node) {
  Tensor out = extreme(x, dims, keepdim, want_max, false, op).first;
  Geometry geo = geometry(x, dims, keepdim, op);
  // only max()/min() (MaxBackward1/MinBackward1) share among NaNs; amax/amin give NaN like torch
  bool all_dims = dims.empty() && (std::string(node) == "MaxBackward1" || std::string(node) == "MinBackward1");
  record(node, {x}, {out}, [&] {
    return [geo, all_dims, sx = save(x), so = save_output(out)](const Grads& g) -> Grads {
      Tensor xv = sx.get();
      Shape kept = geo.kept_shape;
      if (all_dims && is_floating(xv->dtype) && xv->numel() > 0 &&
          std::isnan(to_dtype(detach(so.get()), DType::Float64)->data<double>()[0])) {
        // max()/min() returning NaN: torch shares the gradient evenly among the NaN elements
        // (NaN == NaN is false, so the generic tie rule below would divide by zero)
        Tensor xd = detach(xv);
        Tensor nan_hit = to_dtype(compare(BinaryOp::Ne, xd, xd), g[0]->dtype);
        return {div(mul(g[0], nan_hit), sum(nan_hit, {}, false))};
      }
      Tensor hit = to_dtype(compare(BinaryOp::Eq, detach(xv), reshape(detach(so.get()), kept)), g[0]->dtype);
      Tensor count = xv->dim() == 0 ? hit : sum(hit, geo.dims, true);
      return {div(mul(reshape(g[0], kept), hit), count)};
    };
  });
  return out;
}

// max(dim)/min(dim): the gradient goes to the position of the returned index.
std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool want_max) {
  const char* op = want_max ? "max" : "min";
  int64_t d = wrap_dim(dim, x->dim(), op);
  auto [values, indices] = extreme(x, {d}, keepdim, want_max, true, op);
  record(want_max ? "MaxBackward0" : "MinBackward0", {x}, {values}, [&] {
    Shape in_shape = x->shape;
    return [in_shape, d, keepdim, idx = indices](const Grads& g) -> Grads {
      if (in_shape.empty()) return {g[0]};
      Tensor ix = keepdim ? idx : unsqueeze(idx, d);
      Tensor gk = keepdim ? g[0] : unsqueeze(g[0], d);
      Shape pos_shape(in_shape.size(), 1);
      pos_shape[d] = in_shape[d];
      Tensor pos = reshape(arange(Scalar(int64_t(0)), Scalar(in_shape[d]), Scalar(int64_t(1)), DType::Int64), pos_shape);
      Tensor hit = compare(BinaryOp::Eq, pos, ix);
      return {where(hit, gk, zeros({}, gk->dtype))};
    };
  });
  return {values, indices};
}

}  // namespace

Tensor sum(const Tensor& x_in, const Shape& dims, bool keepdim, std::optional<DType> dtype) {
  Tensor x = dtype ? to_dtype(x_in, *dtype) : x_in;
  DType dt = dtype ? *dtype : sum_dtype(x->dtype);  // sum(dtype=int8) stays int8, as torch
  // float16/bfloat16 accumulate in float32 and round once, as torch; narrow integers in int64
  Tensor xc = cast_for_kernel(x, compute_dtype(x->dtype));
  Plan p = plan(xc, dims, keepdim, "sum");
  Tensor out = empty(p.out_shape, compute_dtype(dt));
  dispatch_dtype(xc->dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) sum_kernel<T, T>(p, out->data<T>());
    else sum_kernel<int64_t, T>(p, out->data<int64_t>());
  });
  out = cast_for_kernel(out, dt);
  // torch names the all-dims overload SumBackward0 and the dim overload SumBackward1
  record(dims.empty() ? "SumBackward0" : "SumBackward1", {x}, {out}, [&] {
    return [kept = p.kept_shape, in_shape = x->shape](const Grads& g) -> Grads {
      return {expand_back(g[0], kept, in_shape)};
    };
  });
  return out;
}

Tensor sum_squares(const Tensor& x, const Shape& dims, bool keepdim) {
  if (x->dtype == DType::Float32 && x->numel() > 0 && kernels::vmath::available()) {
    Plan p = plan(x, dims, keepdim, "norm");
    // rows: squared as they are summed, no tensor of squares (one row takes sum's parallel chunks)
    if (p.B == 1 && p.A > 1) {
      Tensor out = empty(p.out_shape, DType::Float32);
      const float* src = p.src->data<float>();
      float* o = out->data<float>();
      parallel_for(p.A, rows_grain(p.R), [&](int64_t b, int64_t e) {
        kernels::vmath::sum_rows_f32(src + b * p.R, e - b, p.R, p.R, o + b, true);
      });
      return out;
    }
  }
  return sum(mul(x, x), dims, keepdim);
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  TG_CHECK(is_floating(x->dtype), RuntimeError,
           "mean(): could not infer output dtype. Input dtype must be either a floating point or "
           "complex dtype. Got: ", scalar_type_name(x->dtype));
  Geometry p = geometry(x, dims, keepdim, "mean");
  int64_t R = 1;
  for (int64_t d : p.dims) R *= x->shape[d];
  Tensor s;
  {
    GradModeGuard off(false);
    s = sum(x, dims, keepdim);
  }
  Tensor out = R == 0 ? full(s->shape, Scalar(NAN), x->dtype) : div(s, Scalar(static_cast<double>(R)));
  record(dims.empty() ? "MeanBackward0" : "MeanBackward1", {x}, {out}, [&] {
    return [kept = p.kept_shape, in_shape = x->shape, R](const Grads& g) -> Grads {
      return {div(expand_back(g[0], kept, in_shape), Scalar(static_cast<double>(R)))};
    };
  });
  return out;
}

Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  return extreme_values(x, dims, keepdim, true, "amax", "AmaxBackward0");
}
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  return extreme_values(x, dims, keepdim, false, "amin", "AminBackward0");
}
Tensor max_all(const Tensor& x) { return extreme_values(x, {}, false, true, "max", "MaxBackward1"); }
Tensor min_all(const Tensor& x) { return extreme_values(x, {}, false, false, "min", "MinBackward1"); }

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, false);
}

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) return extreme(reshape(detach(x), {-1}), {0}, false, true, true, "argmax").second;
  return extreme(x, {*dim}, keepdim, true, true, "argmax").second;
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) return extreme(reshape(detach(x), {-1}), {0}, false, false, true, "argmin").second;
  return extreme(x, {*dim}, keepdim, false, true, "argmin").second;
}

}  // namespace tg

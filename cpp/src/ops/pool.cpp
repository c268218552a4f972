// Max, average and adaptive pooling over 1-3 spatial dims, and max_unpool.
//
// Every pool is described per spatial dim by a table of windows: output position o reads the
// input positions first[o], first[o] + dil, ... < end[o]. Max pooling uses stride/padding/
// dilation windows (first moved past the padding), adaptive pools [floor(o in / out),
// ceil((o + 1) in / out)). Average pooling divides by the product of per-dim factors (the window
// with or without its padding), or by divisor_override. The average pool's backward spreads each
// gradient over its window; the two are each other's gradients. Max pooling records indices, and
// its backward scatters the gradient to them (gather is the scatter's gradient).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "tg/alloc_check.h"
#include "tg/conv.h"
#include "tg/parallel.h"
#include "reduced_float.h"

namespace tg::nn {
namespace {

constexpr int kMaxDims = 3;

struct PoolDim {
  int64_t in = 1, out = 1, dil = 1;
  std::vector<int64_t> first{0}, end{1};
  std::vector<double> factor{1.0};
};

struct PoolPlan {
  int nsp = 0;
  int64_t N = 0, C = 0;
  std::array<PoolDim, kMaxDims> dims;  // right-aligned; unused leading dims are 1 -> 1
  double divisor_override = 0;         // 0: use the factors
  // float16/bfloat16 for torch's 3-d adaptive average pool, which sums and divides in the input's
  // dtype (each step rounded to it); Float64 (no rounding) otherwise.
  DType round = DType::Float64;

  int64_t in_vol() const { return dims[0].in * dims[1].in * dims[2].in; }
  int64_t out_vol() const { return dims[0].out * dims[1].out * dims[2].out; }
  Shape shape(bool out) const {
    Shape s{N, C};
    for (int i = kMaxDims - nsp; i < kMaxDims; ++i) s.push_back(out ? dims[i].out : dims[i].in);
    return s;
  }
};
using Plan = std::shared_ptr<const PoolPlan>;

// Calls window(o, divisor, taps) for every output position o of a plane; taps(tap) calls
// tap(offset) for each input offset (within the plane) of o's window.
template <typename Window>
void for_each_window(const PoolPlan& P, Window&& window) {
  const PoolDim &D = P.dims[0], &H = P.dims[1], &W = P.dims[2];
  int64_t o = 0;
  for (int64_t od = 0; od < D.out; ++od)
    for (int64_t oh = 0; oh < H.out; ++oh)
      for (int64_t ow = 0; ow < W.out; ++ow, ++o) {
        const double f = P.divisor_override != 0 ? P.divisor_override : D.factor[od] * H.factor[oh] * W.factor[ow];
        window(o, f, [&](auto&& tap) {
          for (int64_t id = D.first[od]; id < D.end[od]; id += D.dil)
            for (int64_t ih = H.first[oh]; ih < H.end[oh]; ih += H.dil) {
              const int64_t row = (id * H.in + ih) * W.in;
              for (int64_t iw = W.first[ow]; iw < W.end[ow]; iw += W.dil) tap(row + iw);
            }
        });
      }
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

int64_t plane_grain(int64_t vol) { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(vol, 1)); }

// One plane's max pool: the maxima of P's windows and their offsets in the plane.
template <typename T>
void max_plane(const PoolPlan& P, const T* xp, T* yp, int64_t* ip) {
  for_each_window(P, [&](int64_t o, double, auto&& taps) {
    T best = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    int64_t at = -1;
    // torch's rule: a larger value or a NaN takes the place; the first tap is the default.
    taps([&](int64_t i) {
      const T v = xp[i];
      if (at < 0) at = i;
      if (v > best || is_nan(v)) best = v, at = i;
    });
    yp[o] = best;
    ip[o] = at;
  });
}

template <typename T>
void max_kernel(const PoolPlan& P, const T* x, T* y, int64_t* idx) {
  const int64_t iv = P.in_vol(), ov = P.out_vol();
  parallel_for(P.N * P.C, plane_grain(iv), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) max_plane(P, x + p * iv, y + p * ov, idx + p * ov);
  });
}

// Fractional max pooling's windows along one dim (torch's intervals, computed in T as torch):
// window o starts at int((o + u) a) - int(u a), a = (in - k) / (out - 1), for a random u in
// [0, 1); the last window ends the dim. Every window is k wide.
template <typename T>
void fractional_windows(PoolDim& D, T u, int64_t k) {
  const int64_t out = D.out;
  D.first.assign(out, 0);
  D.end.assign(out, 0);
  D.factor.assign(out, 1.0);
  const T alpha = out > 1 ? static_cast<T>(D.in - k) / static_cast<T>(out - 1) : T(0);
  // int() as torch; a sample outside [0, 1) (or NaN) must still give windows inside the input
  auto trunc = [](T v) { return std::isfinite(v) ? static_cast<int64_t>(std::clamp<T>(v, -1e15, 1e15)) : 0; };
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o + 1 < out ? trunc((static_cast<T>(o) + u) * alpha) - trunc(u * alpha) : D.in - k;
    D.first[o] = std::clamp<int64_t>(start, 0, D.in - k);
    D.end[o] = D.first[o] + k;
  }
}

// Every plane pools its own windows, drawn from its samples [nsp] (torch's order: (W, H) in 2-D,
// (T, H, W) in 3-D).
template <typename T>
void fractional_max_kernel(const PoolPlan& base, const Shape& kernel, const T* samples, const T* x, T* y,
                           int64_t* idx) {
  const int nsp = base.nsp;
  const int64_t iv = base.in_vol(), ov = base.out_vol();
  parallel_for(base.N * base.C, plane_grain(iv), [&](int64_t p0, int64_t p1) {
    PoolPlan P = base;
    for (int64_t p = p0; p < p1; ++p) {
      for (int j = 0; j < nsp; ++j)
        fractional_windows(P.dims[kMaxDims - nsp + j], samples[p * nsp + (nsp == 2 ? 1 - j : j)], kernel[j]);
      max_plane(P, x + p * iv, y + p * ov, idx + p * ov);
    }
  });
}

template <typename T>
void avg_kernel(const PoolPlan& P, const T* x, T* y) {
  const int64_t iv = P.in_vol(), ov = P.out_vol();
  parallel_for(P.N * P.C, plane_grain(iv), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * iv;
      T* yp = y + p * ov;
      for_each_window(P, [&](int64_t o, double f, auto&& taps) {
        if (is_reduced_float(P.round)) {  // sum rounded at each tap, then divided by each dim's size in turn
          double r = 0;
          taps([&](int64_t i) { r = round_to(P.round, r + xp[i]); });
          const PoolDim &D = P.dims[0], &H = P.dims[1], &W = P.dims[2];
          const int64_t ow = o % W.out, oh = o / W.out % H.out, od = o / (W.out * H.out);
          for (double size : {D.factor[od], H.factor[oh], W.factor[ow]}) r = round_to(P.round, r / size);
          yp[o] = static_cast<T>(r);
          return;
        }
        T s = 0;
        taps([&](int64_t i) { s += xp[i]; });
        yp[o] = static_cast<T>(s / f);
      });
    }
  });
}

template <typename T>
void avg_backward_kernel(const PoolPlan& P, const T* gy, T* gx) {
  const int64_t iv = P.in_vol(), ov = P.out_vol();
  parallel_for(P.N * P.C, plane_grain(iv), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* gp = gx + p * iv;
      const T* yp = gy + p * ov;
      std::fill(gp, gp + iv, T(0));
      for_each_window(P, [&](int64_t o, double f, auto&& taps) {
        const T g = static_cast<T>(yp[o] / f);
        taps([&](int64_t i) { gp[i] += g; });
      });
    }
  });
}

Tensor kernel_input(const Tensor& t) { return contiguous(detach(t)); }

Tensor avg_forward(const Tensor& x, Plan P);
Tensor avg_backward(const Tensor& gy, Plan P);

Tensor avg_forward(const Tensor& x, Plan P) {
  Tensor xc = kernel_input(x);
  Tensor out = empty(P->shape(true), x->dtype);
  dispatch_floating_or_int64(x->dtype, "avg_pool", [&](auto tag) {
    using T = decltype(tag);
    avg_kernel<T>(*P, xc->data<T>(), out->data<T>());
  });
  record("AvgPoolBackward0", {x}, {out}, [&] {
    return BackwardFn([P](const Grads& g) -> Grads { return {avg_backward(g[0], P)}; });
  });
  return out;
}

Tensor avg_backward(const Tensor& gy, Plan P) {
  Tensor gc = kernel_input(gy);
  Tensor out = empty(P->shape(false), gy->dtype);
  dispatch_floating(gy->dtype, "avg_pool_backward", [&](auto tag) {
    using T = decltype(tag);
    avg_backward_kernel<T>(*P, gc->data<T>(), out->data<T>());
  });
  record("AvgPoolBackwardBackward0", {gy}, {out}, [&] {
    return BackwardFn([P](const Grads& g) -> Grads { return {avg_forward(g[0], P)}; });
  });
  return out;
}

// Planes of `src` ([N, C, *]) moved to `indices` in planes of `out_shape`; duplicates add when
// `accumulate` (max pool backward) and overwrite otherwise (max_unpool).
Tensor plane_gather(const Tensor& src, const Tensor& indices);

Tensor plane_scatter(const Tensor& src, const Tensor& indices, const Shape& out_shape, bool accumulate) {
  Tensor s = kernel_input(src), ix = kernel_input(indices);
  Tensor out = zeros(out_shape, src->dtype);
  const int64_t planes = out_shape[0] * out_shape[1];
  const int64_t iv = planes ? s->numel() / planes : 0, ov = planes ? out->numel() / planes : 0;
  dispatch_floating(src->dtype, "max_unpool", [&](auto tag) {
    using T = decltype(tag);
    const T* sp = s->data<T>();
    const int64_t* ip = ix->data<int64_t>();
    T* op = out->data<T>();
    parallel_for(planes, plane_grain(iv + ov), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        for (int64_t i = 0; i < iv; ++i) {
          T& dst = op[p * ov + ip[p * iv + i]];
          dst = accumulate ? dst + sp[p * iv + i] : sp[p * iv + i];
        }
    });
  });
  record(accumulate ? "MaxPoolBackward0" : "MaxUnpoolBackward0", {src}, {out}, [&] {
    SavedTensor si = save(ix);
    return BackwardFn([si](const Grads& g) -> Grads { return {plane_gather(g[0], si.get())}; });
  });
  return out;
}

Tensor plane_gather(const Tensor& src, const Tensor& indices) {
  Tensor s = kernel_input(src), ix = kernel_input(indices);
  Tensor out = empty(ix->shape, src->dtype);
  const int64_t planes = ix->shape[0] * ix->shape[1];
  const int64_t iv = planes ? ix->numel() / planes : 0, sv = planes ? s->numel() / planes : 0;
  dispatch_floating(src->dtype, "max_pool_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* sp = s->data<T>();
    const int64_t* ip = ix->data<int64_t>();
    T* op = out->data<T>();
    parallel_for(planes, plane_grain(iv), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        for (int64_t i = 0; i < iv; ++i) op[p * iv + i] = sp[p * sv + ip[p * iv + i]];
    });
  });
  Shape src_shape = src->shape;
  record("GatherBackward0", {src}, {out}, [&] {
    SavedTensor si = save(ix);
    return BackwardFn([si, src_shape](const Grads& g) -> Grads {
      return {plane_scatter(g[0], si.get(), src_shape, true)};
    });
  });
  return out;
}

// ---- plans and checks ----

std::string dims_str(const PoolPlan& P, bool out) {
  std::string s = std::to_string(P.C);
  for (int i = kMaxDims - P.nsp; i < kMaxDims; ++i) s += "x" + std::to_string(out ? P.dims[i].out : P.dims[i].in);
  return s;
}

PoolPlan start_plan(const Tensor& x, size_t nargs, const char* op, bool adaptive, bool allow_int = false) {
  TG_CHECK(x->dim() >= 3 && x->dim() <= 5, RuntimeError, op, ": expected a batched input [N, C, *spatial], got ",
           shape_str(x->shape));
  TG_CHECK(is_floating(x->dtype) || (allow_int && is_integral(x->dtype, false)), RuntimeError, op,
           ": expected a floating-point input, got ", dtype_name(x->dtype));
  PoolPlan P;
  P.nsp = static_cast<int>(x->dim() - 2);
  TG_CHECK(nargs == static_cast<size_t>(P.nsp), RuntimeError, op, ": expected ", P.nsp,
           " sizes (one per spatial dim), got ", nargs);
  P.N = x->shape[0];
  P.C = x->shape[1];
  for (int64_t i = 1; i < x->dim(); ++i)
    TG_CHECK(x->shape[i] > 0, RuntimeError, op, adaptive ? ": Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                                                         : ": Expected input with optional 0 dim batch size and non-zero sizes otherwise, but got:",
             shape_str(x->shape));
  for (int i = 0; i < P.nsp; ++i) P.dims[kMaxDims - P.nsp + i].in = x->shape[2 + i];
  return P;
}

// Windows of a strided pool: output size as torch's pooling_output_shape.
void window_dims(PoolPlan& P, const Shape& kernel, const Shape& stride, const Shape& padding,
                 const Shape& dilation, bool ceil_mode, bool avg, bool count_include_pad, const char* op) {
  TG_CHECK(stride.size() == kernel.size() && padding.size() == kernel.size() && dilation.size() == kernel.size(),
           RuntimeError, op, ": kernel_size, stride, padding and dilation need one entry per spatial dim");
  for (int j = 0; j < P.nsp; ++j) {
    PoolDim& D = P.dims[kMaxDims - P.nsp + j];
    const int64_t k = kernel[j], s = stride[j], p = padding[j], d = dilation[j];
    TG_CHECK(k > 0, RuntimeError, op, ": kernel size should be greater than zero, but got ", k);
    TG_CHECK(s > 0, RuntimeError, "stride should not be zero");
    TG_CHECK(d > 0, RuntimeError, op, ": dilation should be greater than zero, but got ", d);
    TG_CHECK(p >= 0, RuntimeError, op, ": pad must be non-negative, but got pad: ", p);
    TG_CHECK(p <= k / 2, RuntimeError, "pad should be at most half of effective kernel size, but got pad=", p,
             ", kernel_size=", k, " and dilation=", d);
    // in 128 bits: kernel, stride and dilation may be anything up to 2^63 - 1
    const __int128 span = __int128(D.in) + 2 * __int128(p) - __int128(d) * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t out = static_cast<int64_t>((span >= 0 ? span / s : -((-span + s - 1) / s)) + 1);
    if (ceil_mode && __int128(out - 1) * s >= D.in + p) --out;
    D.out = out;
    D.dil = d;
    if (out <= 0) continue;  // reported below with every dim
    D.first.assign(out, 0);
    D.end.assign(out, 0);
    D.factor.assign(out, 1.0);
    for (int64_t o = 0; o < out; ++o) {
      const int64_t start = o * s - p;
      if (avg) {
        const int64_t end_pad = std::min(start + k, D.in + p);
        D.first[o] = std::max<int64_t>(start, 0);
        D.end[o] = std::min(end_pad, D.in);
        D.factor[o] = static_cast<double>(count_include_pad ? end_pad - start : D.end[o] - D.first[o]);
      } else {
        D.first[o] = start >= 0 ? start : start + (-start + d - 1) / d * d;
        D.end[o] = std::min(start + d * (k - 1) + 1, D.in);
      }
    }
  }
  bool ok = true;
  for (const PoolDim& D : P.dims) ok = ok && D.out > 0;
  TG_CHECK(ok, RuntimeError, "Given input size: (", dims_str(P, false), "). Calculated output size: (",
           dims_str(P, true), "). Output size is too small");
}

void adaptive_dims(PoolPlan& P, const Shape& output_size, const char* op) {
  for (int j = 0; j < P.nsp; ++j) {
    PoolDim& D = P.dims[kMaxDims - P.nsp + j];
    const int64_t out = output_size[j];
    TG_CHECK(out >= 0, RuntimeError, op, ": elements of output_size must be greater than or equal to 0 but received {",
             out, "}");
    check_alloc_size(out, 2 * sizeof(int64_t) + sizeof(double));  // the tables below
    D.out = out;
    D.first.resize(out);
    D.end.resize(out);
    D.factor.resize(out);
    for (int64_t o = 0; o < out; ++o) {
      D.first[o] = o * D.in / out;
      D.end[o] = ((o + 1) * D.in + out - 1) / out;
      D.factor[o] = static_cast<double>(D.end[o] - D.first[o]);
    }
  }
}

// Values and indices from kernel(T{}, contiguous x data, values, indices); the backward scatters
// the gradient to the indices.
template <typename Kernel>
std::pair<Tensor, Tensor> max_with(const Tensor& x, const Shape& out_shape, const char* op, const char* node,
                                   Kernel&& kernel) {
  Tensor xc = kernel_input(x);
  Tensor out = empty(out_shape, x->dtype), idx = empty(out_shape, DType::Int64);
  dispatch_floating_or_int64(x->dtype, op, [&](auto tag) {
    using T = decltype(tag);
    kernel(tag, xc->data<T>(), out->data<T>(), idx->data<int64_t>());
  });
  Shape in_shape = x->shape;
  record(node, {x}, {out}, [&] {
    return BackwardFn([idx, in_shape](const Grads& g) -> Grads { return {plane_scatter(g[0], idx, in_shape, true)}; });
  });
  return {out, idx};
}

std::pair<Tensor, Tensor> max_with(const Tensor& x, Plan P, const char* op, const char* node) {
  return max_with(x, P->shape(true), op, node, [&](auto tag, const auto* xd, auto* yd, int64_t* id) {
    max_kernel<decltype(tag)>(*P, xd, yd, id);
  });
}

}  // namespace

std::pair<Tensor, Tensor> max_pool(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                                   const Shape& dilation, bool ceil_mode, const char* op) {
  PoolPlan P = start_plan(x, kernel.size(), op, false, true);
  window_dims(P, kernel, stride, padding, dilation, ceil_mode, false, false, op);
  Plan plan = std::make_shared<const PoolPlan>(std::move(P));
  if (is_reduced_float(x->dtype) || (is_integral(x->dtype, false) && x->dtype != DType::Int64)) {
    // the maximum of the widened values is exact: rounding back is the identity
    auto [out, idx] = max_with(is_reduced_float(x->dtype) ? widen_reduced(x) : cast_for_kernel(x, DType::Int64),
                               plan, op, "MaxPool2DWithIndicesBackward0");
    return {is_reduced_float(x->dtype) ? to_dtype(out, x->dtype) : cast_for_kernel(out, x->dtype), idx};
  }
  return max_with(x, plan, op, "MaxPool2DWithIndicesBackward0");
}

Tensor avg_pool(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding, bool ceil_mode,
                bool count_include_pad, std::optional<int64_t> divisor_override, const char* op) {
  PoolPlan P = start_plan(x, kernel.size(), op, false, x->dtype == DType::Int64);
  Shape ones(kernel.size(), 1);
  window_dims(P, kernel, stride, padding, ones, ceil_mode, true, count_include_pad, op);
  if (divisor_override) {
    TG_CHECK(*divisor_override != 0, RuntimeError, "divisor must be not zero");
    P.divisor_override = static_cast<double>(*divisor_override);
  }
  Plan plan = std::make_shared<const PoolPlan>(std::move(P));
  if (is_reduced_float(x->dtype)) return to_dtype(avg_forward(widen_reduced(x), plan), x->dtype);
  return avg_forward(x, plan);
}

Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size, const char* op) {
  PoolPlan P = start_plan(x, output_size.size(), op, true);
  adaptive_dims(P, output_size, op);
  // (an output of one element per plane is torch's mean instead: accumulated in float32)
  const bool global = std::all_of(output_size.begin(), output_size.end(), [](int64_t s) { return s == 1; });
  if (P.nsp == 3 && is_reduced_float(x->dtype) && !global) P.round = x->dtype;
  Plan plan = std::make_shared<const PoolPlan>(std::move(P));
  if (is_reduced_float(x->dtype)) return to_dtype(avg_forward(widen_reduced(x), plan), x->dtype);
  return avg_forward(x, plan);
}

std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, const Shape& output_size, const char* op) {
  PoolPlan P = start_plan(x, output_size.size(), op, true);
  adaptive_dims(P, output_size, op);
  Plan plan = std::make_shared<const PoolPlan>(std::move(P));
  if (is_reduced_float(x->dtype)) {
    auto [out, idx] = max_with(widen_reduced(x), plan, op, "AdaptiveMaxPool2DBackward0");
    return {to_dtype(out, x->dtype), idx};
  }
  return max_with(x, plan, op, "AdaptiveMaxPool2DBackward0");
}

std::pair<Tensor, Tensor> fractional_max_pool(const Tensor& x, const Shape& kernel, const Shape& output_size,
                                              const Tensor& samples, const char* op) {
  const int64_t nsp = static_cast<int64_t>(kernel.size());
  const std::string fn = std::string(op) + (nsp == 3 ? "_out()" : "()");  // torch's prefix of the size checks
  TG_CHECK(output_size.size() == kernel.size(), RuntimeError, op,
           ": output_size must either be a single Int or tuple of Ints");
  TG_CHECK(x->dim() == nsp + 2, RuntimeError, fn, ": Expected ", nsp + 1, "D or ", nsp + 2,
           "D tensor, but got: ", shape_str(x->shape));
  for (int64_t d = 1; d < x->dim(); ++d)
    TG_CHECK(x->shape[d] > 0, RuntimeError, fn, ": Expected input to have non-zero size for non-batch dimensions, "
             "but got", shape_str(x->shape), " with dimension ", d, " being empty.");
  TG_CHECK(samples->dtype == x->dtype, RuntimeError, "Expect _random_samples to have the same dtype as input");
  TG_CHECK(is_floating(x->dtype), NotImplementedError, "\"", op, "_out_frame\" not implemented for '",
           scalar_type_name(x->dtype), "'");
  TG_CHECK(samples->dim() == 3, RuntimeError, "Expect _random_samples to have 3 dimensions, got ", samples->dim());
  TG_CHECK(samples->shape[0] >= x->shape[0], RuntimeError,
           "Expect _random_samples.size(0) no less then input batch size.");
  TG_CHECK(samples->shape[1] == x->shape[1], RuntimeError,
           "Expect _random_samples.size(1) equals to input channel size.");
  TG_CHECK(samples->shape[2] == nsp, RuntimeError, "Expect _random_samples.size(2) equals to ", nsp, "; got ",
           samples->shape[2], ".");
  static const char* const kDimNames[] = {"time", "height", "width"};
  PoolPlan P;
  P.nsp = static_cast<int>(nsp);
  P.N = x->shape[0];
  P.C = x->shape[1];
  for (int64_t j = 0; j < nsp; ++j) {
    PoolDim& D = P.dims[kMaxDims - nsp + j];
    D.in = x->shape[2 + j];
    D.out = output_size[j];
    TG_CHECK(D.out >= 0, RuntimeError, "Trying to create tensor with negative dimension ", D.out, ": ",
             shape_str(P.shape(true)));
    // torch pools empty windows for a zero kernel (-inf, index of nothing); tg refuses it
    TG_CHECK(kernel[j] > 0, RuntimeError, op, ": kernel_size must be greater than zero, but got ", kernel[j]);
    TG_CHECK(D.out + kernel[j] - 1 <= D.in, RuntimeError, fn, ": pool ", kDimNames[kMaxDims - nsp + j], " ",
             kernel[j], " too large relative to input ", kDimNames[kMaxDims - nsp + j], " ", D.in);
  }
  if (is_reduced_float(x->dtype)) {
    auto [out, idx] = fractional_max_pool(widen_reduced(x), kernel, output_size, widen_reduced(samples), op);
    return {to_dtype(out, x->dtype), idx};
  }
  Tensor u = contiguous(detach(samples));
  const char* node = nsp == 2 ? "FractionalMaxPool2DBackward0" : "FractionalMaxPool3DBackward0";
  return max_with(x, P.shape(true), op, node, [&](auto tag, const auto* xd, auto* yd, int64_t* id) {
    using T = decltype(tag);
    fractional_max_kernel<T>(P, kernel, u->data<T>(), xd, yd, id);
  });
}

Tensor max_pool_backward(const Tensor& grad_output, const Tensor& x, const Tensor& indices, const char* op) {
  TG_CHECK(x->dim() >= 3 && x->dim() <= 5 && grad_output->shape == indices->shape && grad_output->dim() == x->dim(),
           RuntimeError, op, ": expected a batched input [N, C, *spatial] and grad_output and indices of one shape, "
           "got input ", shape_str(x->shape), ", grad_output ", shape_str(grad_output->shape), " and indices ",
           shape_str(indices->shape));
  TG_CHECK(indices->dtype == DType::Int64, RuntimeError, op, ": expected int64 indices, got ",
           dtype_name(indices->dtype));
  TG_CHECK(grad_output->dtype == x->dtype && is_floating(x->dtype), RuntimeError, op,
           ": expected grad_output and input of one floating dtype, got ", dtype_name(grad_output->dtype), " and ",
           dtype_name(x->dtype));
  Tensor ix = contiguous(indices);
  const int64_t plane = x->dim() > 2 ? x->numel() / std::max<int64_t>(x->shape[0] * x->shape[1], 1) : 0;
  const int64_t* ip = ix->data<int64_t>();
  for (int64_t i = 0, n = ix->numel(); i < n; ++i)
    TG_CHECK(ip[i] >= 0 && ip[i] < plane, RuntimeError, op, ": found an invalid max index ", ip[i],
             " for input planes of ", plane, " elements");
  // widened for 16-bit floats: the sums are rounded once
  auto in_kernel_dtype = [](const Tensor& t, auto&& f) {
    return is_reduced_float(t->dtype) ? to_dtype(f(widen_reduced(t)), t->dtype) : f(t);
  };
  Tensor out;
  {
    GradModeGuard off(false);
    out = in_kernel_dtype(grad_output, [&](const Tensor& g) { return plane_scatter(g, ix, x->shape, true); });
  }
  // linear in grad_output (its gradient gathers at the indices); constant in the input
  Shape in_shape = x->shape;
  DType dt = x->dtype;
  record("MaxPool2DWithIndicesBackwardBackward0", {grad_output, x}, {out}, [&] {
    SavedTensor si = save(ix);
    return BackwardFn([si, in_shape, dt, in_kernel_dtype](const Grads& g) -> Grads {
      Tensor idx = si.get();
      return {in_kernel_dtype(g[0], [&](const Tensor& t) { return plane_gather(t, idx); }), zeros(in_shape, dt)};
    });
  });
  return out;
}

Tensor max_unpool(const Tensor& x, const Tensor& indices, const Shape& output_size, const char* op) {
  TG_CHECK(indices->dtype == DType::Int64, RuntimeError, "elements in indices should be type int64 but got: ",
           dtype_name(indices->dtype));
  TG_CHECK(x->shape == indices->shape, RuntimeError, "Expected shape of indices to be same as that of the input tensor (",
           shape_str(x->shape), ") but got indices tensor with shape: ", shape_str(indices->shape));
  TG_CHECK(x->dim() >= 3 && x->dim() <= 5 && output_size.size() == static_cast<size_t>(x->dim() - 2), RuntimeError, op,
           ": expected a batched input [N, C, *spatial] and one output size per spatial dim, got input ",
           shape_str(x->shape), " and ", output_size.size(), " output sizes");
  TG_CHECK(is_floating(x->dtype), RuntimeError, op, ": expected a floating-point input, got ", dtype_name(x->dtype));
  Shape out_shape{x->shape[0], x->shape[1]};
  int64_t ov = 1;
  std::string sizes;
  for (int64_t s : output_size) {
    TG_CHECK(s >= 0, RuntimeError, op, ": output sizes must be non-negative, got ", s);
    out_shape.push_back(s);
    ov *= s;
    sizes += (sizes.empty() ? "" : "x") + std::to_string(s);
  }
  Tensor ix = contiguous(indices);
  const int64_t* ip = ix->data<int64_t>();
  for (int64_t i = 0, n = ix->numel(); i < n; ++i)
    TG_CHECK(ip[i] >= 0 && ip[i] < ov, RuntimeError, "Found an invalid max index: ", ip[i],
             " (output volumes are of size ", sizes, ")");
  if (is_reduced_float(x->dtype)) return to_dtype(plane_scatter(widen_reduced(x), ix, out_shape, false), x->dtype);
  return plane_scatter(x, ix, out_shape, false);
}

}  // namespace tg::nn

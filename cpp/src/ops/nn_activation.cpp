// Activations (leaky_relu, hardtanh, elu, silu, softplus, gelu) and softmax/log_softmax, with backward.
#include <cmath>
#include <limits>

#include "nn_act_pointwise.h"

namespace tg::nn {
namespace {
using detail::act;
using detail::ActParams;
using detail::check_floating;

// Each activation gives f (O = 0), f' (O = 1) and f'' (O = 2) pointwise. Recording f' as its own
// op (with f'' as its derivative) makes double backward work.
struct LeakyRelu {  // a = negative slope; torch uses slope at x == 0
  static constexpr const char* name[2] = {"LeakyReluBackward0", "LeakyReluBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T s = static_cast<T>(p.a);
    if constexpr (O == 0) return x > 0 ? x : x * s;
    else if constexpr (O == 1) return x > 0 ? T(1) : s;
    else return T(0);
  }
};
struct Hardtanh {  // a = min, b = max; gradient 0 outside the open interval (min, max)
  static constexpr const char* name[2] = {"HardtanhBackward0", "HardtanhBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T lo = static_cast<T>(p.a), hi = static_cast<T>(p.b);
    if constexpr (O == 0) return x < lo ? lo : (x > hi ? hi : x);
    else if constexpr (O == 1) return (x > lo && x < hi) ? T(1) : T(0);
    else return T(0);
  }
};
// elu: x > 0 ? scale*x : scale*alpha*(exp(input_scale*x) - 1); a = alpha, b = scale, c = input_scale.
struct Elu {
  static constexpr const char* name[2] = {"EluBackward0", "EluBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T al = static_cast<T>(p.a), sc = static_cast<T>(p.b), is = static_cast<T>(p.c);
    if constexpr (O == 0) return x > 0 ? sc * x : sc * al * std::expm1(is * x);
    else if constexpr (O == 1) return x > 0 ? sc : sc * al * is * std::exp(is * x);
    else return x > 0 ? T(0) : sc * al * is * is * std::exp(is * x);
  }
};
// silu = x*s with s = sigmoid(x); f' = s(1 + x(1-s)); f'' = s(1-s)(2 + x(1-2s)).
struct Silu {
  static constexpr const char* name[2] = {"SiluBackward0", "SiluBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    T s = T(1) / (T(1) + std::exp(-x));
    if constexpr (O == 0) return x * s;
    else if constexpr (O == 1) return s * (T(1) + x * (T(1) - s));
    else return s * (T(1) - s) * (T(2) + x * (T(1) - T(2) * s));
  }
};
// softplus = log(1 + exp(beta x)) / beta, linear where beta x > threshold; a = beta, b = threshold.
struct Softplus {
  static constexpr const char* name[2] = {"SoftplusBackward0", "SoftplusBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T beta = static_cast<T>(p.a), bx = beta * x;
    bool linear = bx > static_cast<T>(p.b);
    if constexpr (O == 0) {
      // log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)) stays finite for any z
      return linear ? x : (std::max(bx, T(0)) + std::log1p(std::exp(-std::abs(bx)))) / beta;
    } else {
      T s = T(1) / (T(1) + std::exp(-bx));
      if constexpr (O == 1) return linear ? T(1) : s;
      else return linear ? T(0) : beta * s * (T(1) - s);
    }
  }
};
// gelu (erf): x Phi(x); f' = Phi + x phi; f'' = phi (2 - x^2), phi the standard normal density.
struct GeluErf {
  static constexpr const char* name[2] = {"GeluBackward0", "GeluBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    const T inv_sqrt2 = T(0.70710678118654752440), inv_sqrt2pi = T(0.39894228040143267794);
    T cdf = T(0.5) * (T(1) + std::erf(x * inv_sqrt2));
    if constexpr (O == 0) return x * cdf;
    T pdf = inv_sqrt2pi * std::exp(T(-0.5) * x * x);
    if constexpr (O == 1) return cdf + x * pdf;
    else return pdf * (T(2) - x * x);
  }
};
// gelu (tanh): 0.5 x (1 + tanh u), u = sqrt(2/pi)(x + 0.044715 x^3).
struct GeluTanh {
  static constexpr const char* name[2] = {"GeluBackward0", "GeluBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    const T k = T(0.79788456080286535588), c = T(0.044715);
    T u = k * (x + c * x * x * x), t = std::tanh(u);
    if constexpr (O == 0) return T(0.5) * x * (T(1) + t);
    T du = k * (T(1) + T(3) * c * x * x), sech2 = T(1) - t * t;
    if constexpr (O == 1) return T(0.5) * (T(1) + t) + T(0.5) * x * sech2 * du;
    T d2u = k * T(6) * c * x;
    // d/dx [0.5 x sech2 du] = 0.5 sech2 du + 0.5 x (-2 t sech2 du^2 + sech2 d2u)
    return sech2 * du + T(0.5) * x * (T(-2) * t * sech2 * du * du + sech2 * d2u);
  }
};

// The geometry of a reduction over one dim of a contiguous tensor: outer x size x inner.
struct DimSplit {
  int64_t outer = 1, size = 1, inner = 1;
};
DimSplit split_at(const Shape& shape, int64_t dim) {
  DimSplit s;
  if (shape.empty()) return s;
  for (int64_t i = 0; i < dim; ++i) s.outer *= shape[i];
  s.size = shape[dim];
  for (size_t i = dim + 1; i < shape.size(); ++i) s.inner *= shape[i];
  return s;
}

// softmax (log = false) or log_softmax (log = true) over the middle dim of a DimSplit.
// A row that contains +inf or is all -inf yields NaN, as in torch. log_softmax is (x - max) - log(sum),
// torch's order; `store` is the dtype the result is rounded to afterwards: over the last dim torch's
// float16/bfloat16 kernel rounds the sum and its log to it first.
template <typename T>
void softmax_rows(const T* x, T* y, const DimSplit& s, bool log, DType store) {
  const bool round_sum = log && s.inner == 1 && is_reduced_float(store);
  parallel_for(s.outer * s.inner, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, s.size)),
               [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t base = (r / s.inner) * s.size * s.inner + r % s.inner;
      T m = -std::numeric_limits<T>::infinity();
      bool nan = false;
      for (int64_t k = 0; k < s.size; ++k) {
        T v = x[base + k * s.inner];
        if (std::isnan(v)) nan = true;
        m = v > m ? v : m;
      }
      if (nan) m = std::numeric_limits<T>::quiet_NaN();
      double total = 0;
      for (int64_t k = 0; k < s.size; ++k) total += std::exp(static_cast<double>(x[base + k * s.inner] - m));
      if (log) {
        const T ls = static_cast<T>(round_sum ? round_to(store, std::log(round_to(store, total))) : std::log(total));
        for (int64_t k = 0; k < s.size; ++k) y[base + k * s.inner] = (x[base + k * s.inner] - m) - ls;
      } else {
        double inv = 1.0 / total;
        for (int64_t k = 0; k < s.size; ++k)
          y[base + k * s.inner] = static_cast<T>(std::exp(static_cast<double>(x[base + k * s.inner] - m)) * inv);
      }
    }
  });
}

Tensor softmax_impl(const Tensor& xin, int64_t dim, bool log, DType store) {
  const char* op = log ? "log_softmax" : "softmax";
  check_floating(xin, op);
  if (needs_widening(xin->dtype)) return to_dtype(softmax_impl(widened(xin), dim, log, xin->dtype), xin->dtype);
  int64_t d = wrap_dim(dim, std::max<int64_t>(1, xin->dim()), op);
  Tensor x = contiguous(xin);
  Tensor y = empty(x->shape, x->dtype);
  DimSplit s = split_at(x->shape, d);
  if (x->numel() > 0) {
    dispatch_floating(x->dtype, op, [&](auto tag) {
      using T = decltype(tag);
      softmax_rows<T>(x->data<T>(), y->data<T>(), s, log, store);
    });
  }
  Shape dims = x->dim() == 0 ? Shape{} : Shape{d};
  if (log) {
    // d log_softmax: g - exp(y) * sum(g, dim)
    record("LogSoftmaxBackward0", {xin}, {y}, [&] {
      SavedTensor sy = save_output(y);
      return BackwardFn([sy, dims](const Grads& g) -> Grads {
        return {sub(g[0], mul(exp(sy.get()), sum(g[0], dims, true)))};
      });
    });
  } else {
    // d softmax: y * (g - sum(g * y, dim))
    record("SoftmaxBackward0", {xin}, {y}, [&] {
      SavedTensor sy = save_output(y);
      return BackwardFn([sy, dims](const Grads& g) -> Grads {
        Tensor yv = sy.get();
        return {mul(yv, sub(g[0], sum(mul(g[0], yv), dims, true)))};
      });
    });
  }
  return y;
}

}  // namespace

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return act<LeakyRelu>(x, ActParams{negative_slope, 0, 0}, 0, "leaky_relu");
}
Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  TG_CHECK(min_val <= max_val, ValueError, "hardtanh: min_val (", min_val,
           ") cannot be greater than max_val (", max_val, ")");
  if (is_integral(x->dtype, false))
    return detail::int_clamping(x, min_val, max_val, "hardtanh", [](auto v, auto lo, auto hi) { return v < lo ? lo : (v > hi ? hi : v); });
  return act<Hardtanh>(x, ActParams{min_val, max_val, 0}, 0, "hardtanh");
}
Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
  return act<Elu>(x, ActParams{alpha, scale, input_scale}, 0, "elu");
}
Tensor silu(const Tensor& x) { return act<Silu>(x, ActParams{}, 0, "silu"); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return act<Softplus>(x, ActParams{beta, threshold, 0}, 0, "softplus");
}
Tensor gelu(const Tensor& x, bool tanh_approximation) {
  return tanh_approximation ? act<GeluTanh>(x, ActParams{}, 0, "gelu")
                            : act<GeluErf>(x, ActParams{}, 0, "gelu");
}
Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, false, x->dtype); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, true, x->dtype); }

}  // namespace tg::nn

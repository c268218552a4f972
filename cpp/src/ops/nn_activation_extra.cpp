// More pointwise activations (hardsigmoid, hardswish, mish, softsign, softshrink, hardshrink,
// tanhshrink, threshold), each with f' and f'' so double backward works (see nn_act_pointwise.h).
#include <cmath>

#include "nn_act_pointwise.h"
#include "tg/nn_extra.h"

namespace tg::nn {
namespace {
using detail::act;
using detail::ActParams;

// relu6(x + 3) / 6; gradient 1/6 on the open interval (-3, 3), as torch.
struct Hardsigmoid {
  static constexpr const char* name[2] = {"HardsigmoidBackward0", "HardsigmoidBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    if constexpr (O == 0) return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : x / T(6) + T(0.5));
    else if constexpr (O == 1) return (x > T(-3) && x < T(3)) ? T(1) / T(6) : T(0);
    else return T(0);
  }
};
// x relu6(x + 3) / 6; torch's backward: 0 up to -3, x/3 + 1/2 on (-3, 3), 1 from 3; f'' = 1/3 on (-3, 3).
struct Hardswish {
  static constexpr const char* name[2] = {"HardswishBackward0", "HardswishBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    if constexpr (O == 0) return x <= T(-3) ? T(0) : (x >= T(3) ? x : x * (x + T(3)) / T(6));
    else if constexpr (O == 1) return x <= T(-3) ? T(0) : (x < T(3) ? x / T(3) + T(0.5) : T(1));
    else return (x > T(-3) && x < T(3)) ? T(1) / T(3) : T(0);
  }
};
// mish = x t, t = tanh(softplus(x)); with s = sigmoid(x), dt/dx = (1 - t^2) s, so
// f' = t + x s (1 - t^2) and f'' = (1 - t^2) s (2 + x (1 - s) - 2 x t s).
struct Mish {
  static constexpr const char* name[2] = {"MishBackward0", "MishBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    T sp = std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));  // softplus, finite for any x
    T t = std::tanh(sp);
    if constexpr (O == 0) return x * t;
    T s = T(1) / (T(1) + std::exp(-x)), sech2 = T(1) - t * t;
    if constexpr (O == 1) return t + x * s * sech2;
    else return sech2 * s * (T(2) + x * (T(1) - s) - T(2) * x * t * s);
  }
};
// x / (1 + |x|); f' = 1 / (1 + |x|)^2; f'' = -2 sign(x) / (1 + |x|)^3.
struct Softsign {
  static constexpr const char* name[2] = {"SoftsignBackward0", "SoftsignBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    T d = T(1) + std::abs(x);
    if constexpr (O == 0) return x / d;
    else if constexpr (O == 1) return T(1) / (d * d);
    else return (x > 0 ? T(-2) : (x < 0 ? T(2) : T(0))) / (d * d * d);
  }
};
// a = lambda; x - l above l, x + l below -l, 0 between (NaN stays NaN); gradient 0 on [-l, l].
struct Softshrink {
  static constexpr const char* name[2] = {"SoftshrinkBackward0", "SoftshrinkBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T l = static_cast<T>(p.a);
    if constexpr (O == 0) return x > l ? x - l : (x < -l ? x + l : x * T(0));
    else if constexpr (O == 1) return (x >= -l && x <= l) ? T(0) : T(1);
    else return T(0);
  }
};
// a = lambda; 0 on [-l, l], x elsewhere.
struct Hardshrink {
  static constexpr const char* name[2] = {"HardshrinkBackward0", "HardshrinkBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    T l = static_cast<T>(p.a);
    bool zero = x >= -l && x <= l;
    if constexpr (O == 0) return zero ? T(0) : x;
    else if constexpr (O == 1) return zero ? T(0) : T(1);
    else return T(0);
  }
};
// x - tanh x; f' = tanh^2 x; f'' = 2 tanh x (1 - tanh^2 x).
struct Tanhshrink {
  static constexpr const char* name[2] = {"TanhshrinkBackward0", "TanhshrinkBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams&) {
    T t = std::tanh(x);
    if constexpr (O == 0) return x - t;
    else if constexpr (O == 1) return t * t;
    else return T(2) * t * (T(1) - t * t);
  }
};
// a = threshold, b = value: value where x <= threshold, x elsewhere.
struct Threshold {
  static constexpr const char* name[2] = {"ThresholdBackward0", "ThresholdBackwardBackward0"};
  template <int O, typename T>
  static T fn(T x, const ActParams& p) {
    bool below = x <= static_cast<T>(p.a);
    if constexpr (O == 0) return below ? static_cast<T>(p.b) : x;
    else if constexpr (O == 1) return below ? T(0) : T(1);
    else return T(0);
  }
};

}  // namespace

Tensor hardsigmoid(const Tensor& x) { return act<Hardsigmoid>(x, ActParams{}, 0, "hardsigmoid"); }
Tensor hardswish(const Tensor& x) { return act<Hardswish>(x, ActParams{}, 0, "hardswish"); }
Tensor mish(const Tensor& x) { return act<Mish>(x, ActParams{}, 0, "mish"); }
Tensor softsign(const Tensor& x) {
  if (is_integral(x->dtype, false)) return tg::div(x, tg::add(tg::abs(x), Scalar(int64_t(1))));  // torch's x / (|x| + 1)
  return act<Softsign>(x, ActParams{}, 0, "softsign");
}
Tensor softshrink(const Tensor& x, double lambd) {
  TG_CHECK(lambd >= 0, RuntimeError, "lambda must be greater or equal to 0, but found to be ", lambd, ".");
  return act<Softshrink>(x, ActParams{lambd, 0, 0}, 0, "softshrink");
}
Tensor hardshrink(const Tensor& x, double lambd) {
  return act<Hardshrink>(x, ActParams{lambd, 0, 0}, 0, "hardshrink");
}
Tensor tanhshrink(const Tensor& x) {
  if (is_integral(x->dtype, false)) return tg::sub(x, tg::tanh(x));  // torch's x - tanh(x), in the default float
  return act<Tanhshrink>(x, ActParams{}, 0, "tanhshrink");
}
Tensor threshold(const Tensor& x, double threshold, double value) {
  if (is_integral(x->dtype, false))
    return detail::int_clamping(x, threshold, value, "threshold", [](auto v, auto th, auto val) { return v <= th ? val : v; });
  return act<Threshold>(x, ActParams{threshold, value, 0}, 0, "threshold");
}

}  // namespace tg::nn

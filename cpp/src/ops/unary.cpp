// Elementwise unary ops: forward kernels and their derivatives, side by side.
#include <cmath>

#include "tg/default_dtype.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/vmath.h"
#include "tg/ops.h"

namespace tg {

namespace {

bool float_only(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Sqrt: case UnaryOp::Sigmoid:
    case UnaryOp::Tanh: case UnaryOp::Sin: case UnaryOp::Cos: case UnaryOp::Reciprocal:
      return true;
    default:
      return false;
  }
}

template <typename T, typename F>
void run(const Tensor& out, const Tensor& in, F f) {
  kernels::unary_loop<T, T>(out, in, f);
}

// float32 exp/log/tanh/sigmoid/relu (float64: exp/sigmoid) go to the SIMD kernels when the CPU level
// has them. For the transcendental ones a strided or broadcast input is first copied into a
// contiguous one: the copy costs far less than the scalar libm loop it replaces.
template <typename T>
bool try_vmath(kernels::vmath::Fn fn, const Tensor& out, const Tensor& x) {
  namespace vm = kernels::vmath;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    constexpr bool f32 = std::is_same_v<T, float>;
    if (!(f32 ? vm::available() : vm::has_f64(fn)) || !out->is_contiguous()) return false;
    Tensor in = x;
    if (!kernels::dense_like(x, out->shape)) {
      if (fn == vm::Fn::Relu) return false;  // as cheap as the copy: the strided loop is better
      GradModeGuard off(false);
      in = contiguous(expand(detach(x), out->shape));
    }
    const T* a = in->data<T>();
    T* o = out->data<T>();
    parallel_for(out->numel(), kGrainSize, [&](int64_t b, int64_t e) {
      if constexpr (f32) vm::apply_f32(fn, a + b, o + b, e - b);
      else vm::apply_f64(fn, a + b, o + b, e - b);
    });
    return true;
  } else {
    (void)fn; (void)out; (void)x;
    return false;
  }
}

template <typename T>
void unary_typed(UnaryOp op, const Tensor& out, const Tensor& x) {
  switch (op) {
    // integers wrap (-INT64_MIN is INT64_MIN, as torch), negated in uint64 where that is defined
    case UnaryOp::Neg:
      if constexpr (std::is_integral_v<T>) return run<T>(out, x, [](T v) { return static_cast<T>(0 - static_cast<uint64_t>(v)); });
      else return run<T>(out, x, [](T v) { return -v; });
    case UnaryOp::Abs:  // fabs also clears the sign of -0.0 and NaN, as torch
      if constexpr (std::is_integral_v<T>)
        return run<T>(out, x, [](T v) { return v < 0 ? static_cast<T>(0 - static_cast<uint64_t>(v)) : v; });
      else return run<T>(out, x, [](T v) { return std::fabs(v); });
    // `v < 0 ? 0 : v` keeps NaN (the comparison is false); contiguous float32 takes the SIMD max.
    case UnaryOp::Relu:
      if (try_vmath<T>(kernels::vmath::Fn::Relu, out, x)) return;
      return run<T>(out, x, [](T v) { return v < T(0) ? T(0) : v; });
    case UnaryOp::Sign: return run<T>(out, x, [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); });
    case UnaryOp::Square:
      if constexpr (std::is_integral_v<T>)  // wraps, computed in uint64 where overflow is defined
        return run<T>(out, x, [](T v) { return static_cast<T>(static_cast<uint64_t>(v) * static_cast<uint64_t>(v)); });
      else return run<T>(out, x, [](T v) { return v * v; });
    default: break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    using kernels::vmath::Fn;
    switch (op) {
      case UnaryOp::Exp: if (try_vmath<T>(Fn::Exp, out, x)) return; break;
      case UnaryOp::Log: if (try_vmath<T>(Fn::Log, out, x)) return; break;
      case UnaryOp::Tanh: if (try_vmath<T>(Fn::Tanh, out, x)) return; break;
      case UnaryOp::Sigmoid: if (try_vmath<T>(Fn::Sigmoid, out, x)) return; break;
      default: break;
    }
    switch (op) {
      case UnaryOp::Exp: return run<T>(out, x, [](T v) { return std::exp(v); });
      case UnaryOp::Log: return run<T>(out, x, [](T v) { return std::log(v); });
      case UnaryOp::Sqrt: return run<T>(out, x, [](T v) { return std::sqrt(v); });
      case UnaryOp::Sigmoid: return run<T>(out, x, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
      case UnaryOp::Tanh: return run<T>(out, x, [](T v) { return std::tanh(v); });
      case UnaryOp::Sin: return run<T>(out, x, [](T v) { return std::sin(v); });
      case UnaryOp::Cos: return run<T>(out, x, [](T v) { return std::cos(v); });
      case UnaryOp::Reciprocal: return run<T>(out, x, [](T v) { return T(1) / v; });
      default: break;
    }
  }
  throw std::logic_error("unary op not handled");
}

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "neg"; case UnaryOp::Abs: return "abs"; case UnaryOp::Exp: return "exp";
    case UnaryOp::Log: return "log"; case UnaryOp::Sqrt: return "sqrt"; case UnaryOp::Relu: return "relu";
    case UnaryOp::Sigmoid: return "sigmoid"; case UnaryOp::Tanh: return "tanh"; case UnaryOp::Sin: return "sin";
    case UnaryOp::Cos: return "cos"; case UnaryOp::Sign: return "sign"; case UnaryOp::Square: return "square";
    case UnaryOp::Reciprocal: return "reciprocal";
  }
  return "?";
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  DType dt = x->dtype;
  if (float_only(op) && !is_floating(dt)) dt = default_float_dtype();
  TG_CHECK(!(op == UnaryOp::Neg && dt == DType::Bool), RuntimeError,
           "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
           "invert a mask, use the `~` or `logical_not()` operator instead.");
  if (is_integral(dt, false) && !is_compute_dtype(dt)) {  // uint8..int32: in their own width (dt is x's)
    Tensor out = empty(x->shape, dt);
    dispatch_all(dt, [&](auto z) {
      using T = decltype(z);
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) unary_typed<T>(op, out, x);
    });
    return out;
  }
  if (!is_compute_dtype(dt))  // float16/bfloat16 in float32; one rounding on store
    return cast_for_kernel(unary(op, cast_for_kernel(x, compute_dtype(dt))), dt);
  Tensor in = cast_for_kernel(x, dt);
  Tensor out = empty(x->shape, dt);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_same_v<T, bool>) {
      throw RuntimeError(str(unary_name(op), ": not implemented for 'Bool'"));
    } else {
      unary_typed<T>(op, out, in);
    }
  });
  return out;
}

// d/dx -x = -1
Tensor neg(const Tensor& x) {
  Tensor out = unary(UnaryOp::Neg, x);
  record("NegBackward0", {x}, {out}, [] { return [](const Grads& g) -> Grads { return {neg(g[0])}; }; });
  return out;
}

// d/dx |x| = sign(x)
Tensor abs(const Tensor& x) {
  Tensor out = unary(UnaryOp::Abs, x);
  record("AbsBackward0", {x}, {out}, [&] {
    return [s = save(x)](const Grads& g) -> Grads { return {mul(g[0], unary(UnaryOp::Sign, s.get()))}; };
  });
  return out;
}

// d/dx e^x = e^x (the saved output)
Tensor exp(const Tensor& x) {
  Tensor out = unary(UnaryOp::Exp, x);
  record("ExpBackward0", {x}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads { return {mul(g[0], s.get())}; };
  });
  return out;
}

// d/dx log x = 1/x
Tensor log(const Tensor& x) {
  Tensor out = unary(UnaryOp::Log, x);
  record("LogBackward0", {x}, {out}, [&] {
    return [s = save(x)](const Grads& g) -> Grads { return {div(g[0], s.get())}; };
  });
  return out;
}

// d/dx sqrt(x) = 1 / (2 sqrt(x))
Tensor sqrt(const Tensor& x) {
  Tensor out = unary(UnaryOp::Sqrt, x);
  record("SqrtBackward0", {x}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads { return {div(g[0], mul(s.get(), Scalar(2.0)))}; };
  });
  return out;
}

// relu'(x) = 0 where the output is <= 0, else 1 (torch's threshold_backward: a NaN input passes
// the gradient through, and a masked position gives 0 even when the incoming gradient is NaN)
Tensor relu(const Tensor& x) {
  Tensor out = unary(UnaryOp::Relu, x);
  record("ReluBackward0", {x}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads {
      Tensor masked = compare(BinaryOp::Le, detach(s.get()), Scalar(int64_t(0)));
      return {where(masked, scalar_tensor(Scalar(0.0), g[0]->dtype), g[0])};
    };
  });
  return out;
}

// sigmoid'(x) = s (1 - s)
Tensor sigmoid(const Tensor& x) {
  Tensor out = unary(UnaryOp::Sigmoid, x);
  record("SigmoidBackward0", {x}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads {
      Tensor y = s.get();
      return {mul(g[0], mul(y, rsub(y, Scalar(1.0))))};
    };
  });
  return out;
}

// tanh'(x) = 1 - tanh(x)^2
Tensor tanh(const Tensor& x) {
  Tensor out = unary(UnaryOp::Tanh, x);
  record("TanhBackward0", {x}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads {
      Tensor y = s.get();
      return {mul(g[0], rsub(mul(y, y), Scalar(1.0)))};
    };
  });
  return out;
}

namespace {
Tensor pow_scalar_kernel(const Tensor& x, Scalar p, DType dt) {
  if (!is_compute_dtype(dt))  // e.g. float16 in float32, int32 in int64; one rounding on store
    return cast_for_kernel(pow_scalar_kernel(x, p, compute_dtype(dt)), dt);
  Tensor in = cast_for_kernel(x, dt);
  Tensor out = empty(x->shape, dt);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) {
      T e = p.to<T>();
      if (e == T(2)) kernels::unary_loop<T, T>(out, in, [](T v) { return v * v; });
      else if (e == T(3)) kernels::unary_loop<T, T>(out, in, [](T v) { return v * v * v; });
      else if (e == T(0.5)) kernels::unary_loop<T, T>(out, in, [](T v) { return std::sqrt(v); });
      else if (e == T(-1)) kernels::unary_loop<T, T>(out, in, [](T v) { return T(1) / v; });
      else if (e == T(1)) kernels::unary_loop<T, T>(out, in, [](T v) { return v; });
      else kernels::unary_loop<T, T>(out, in, [e](T v) { return std::pow(v, e); });
    } else {
      int64_t e = p.to<int64_t>();
      kernels::unary_loop<T, T>(out, in, [e](T v) { return int_pow<T>(v, e); });
    }
  });
  return out;
}
}  // namespace

// d/dx x^p = p x^(p-1)
Tensor pow_scalar(const Tensor& x, Scalar p) {
  DType dt = result_type(x, p);
  TG_CHECK(!(kind_of(dt) != Kind::Float && p.kind != Kind::Float && p.i < 0), RuntimeError,
           "Integers to negative integer powers are not allowed.");
  Tensor out = pow_scalar_kernel(x, p, dt);
  record("PowBackward0", {x}, {out}, [&] {
    return [s = save(x), p](const Grads& g) -> Grads {
      if (p.f == 0.0) return {zeros(g[0]->shape, g[0]->dtype)};
      Scalar pm1 = p.kind == Kind::Float ? Scalar(p.f - 1.0) : Scalar(p.i - 1);
      return {mul(g[0], mul(pow_scalar(s.get(), pm1), p))};
    };
  });
  return out;
}

// d/dx b^x = b^x log b
Tensor rpow_scalar(Scalar base, const Tensor& x) {
  DType dt = result_type(x, base);
  Tensor b = scalar_tensor(base, dt);
  Tensor out = pow(b, x);
  return out;
}

}  // namespace tg

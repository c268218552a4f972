// Elementwise binary ops with broadcasting and torch's type promotion; derivatives beside them.
#include <cmath>

#include "tg/default_dtype.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/narrow.h"
#include "kernels/cpu/vmath.h"
#include "ops/widen.h"
#include "tg/ops.h"

namespace tg {

// torch's result_type: operands rank as dimensioned tensors > 0-d tensors > Python scalars; a
// lower-ranked operand changes the result only when its kind (bool < int < float) is higher.
DType result_type(const Tensor& a, const Tensor& b) {
  bool a0 = a->dim() == 0, b0 = b->dim() == 0;
  if (a0 == b0) return promote(a->dtype, b->dtype);
  return combine_categories(a0 ? b->dtype : a->dtype, a0 ? a->dtype : b->dtype);
}

DType result_type(const Tensor& a, const Scalar& b) {
  return combine_categories(a->dtype, scalar_dtype(b));
}

namespace {

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

// Contiguous float32 add/sub/mul/div (the second operand dense or a single value) run the AVX2 /
// AVX-512 kernels when the CPU level has them; the same IEEE operations, so the same bits.
bool simd_arith(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  using kernels::vmath::Bin;
  Bin bin;
  switch (op) {
    case BinaryOp::Add: bin = Bin::Add; break;
    case BinaryOp::Sub: bin = Bin::Sub; break;
    case BinaryOp::Mul: bin = Bin::Mul; break;
    case BinaryOp::Div: bin = Bin::Div; break;
    default: return false;
  }
  bool b_scalar = b->numel() == 1;
  if (!kernels::vmath::available() || !out->is_contiguous() || !kernels::dense_like(a, out->shape) ||
      !(b_scalar || kernels::dense_like(b, out->shape)))
    return false;
  const float *x = a->data<float>(), *y = b->data<float>();
  float* o = out->data<float>();
  parallel_for(out->numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
    kernels::vmath::binary_f32(bin, x + lo, b_scalar ? y : y + lo, b_scalar, o + lo, hi - lo);
  });
  return true;
}

// Contiguous add/sub/mul/div/maximum/minimum on a narrow compute dtype (the second operand dense or
// a single value; for add and mul either one) run the narrow kernels: integers in their own width,
// float16/bfloat16 widened to float32 in registers and rounded once, so no wide copies are made.
// The same values as the widening path, bit for bit. False when the operands are not like that.
bool narrow_arith(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, DType compute) {
  using kernels::narrow::Op;
  Op k;
  switch (op) {
    case BinaryOp::Add: k = Op::Add; break;
    case BinaryOp::Sub: k = Op::Sub; break;
    case BinaryOp::Mul: k = Op::Mul; break;
    case BinaryOp::Div: k = Op::Div; break;
    case BinaryOp::Maximum: k = Op::Max; break;
    case BinaryOp::Minimum: k = Op::Min; break;
    default: return false;
  }
  if ((k == Op::Div && !is_floating(compute)) || out->dtype != compute || !out->is_contiguous()) return false;
  const bool commutes = k == Op::Add || k == Op::Mul;
  const Tensor* x = &a;
  const Tensor* y = &b;
  if (commutes && a->numel() == 1 && out->numel() > 1) std::swap(x, y);
  const bool y_scalar = (*y)->numel() == 1;
  if (!kernels::dense_like(*x, out->shape) || !(y_scalar || kernels::dense_like(*y, out->shape))) return false;
  Tensor xs = cast_for_kernel(*x, compute), ys = cast_for_kernel(*y, compute);
  const int64_t size = static_cast<int64_t>(itemsize(compute));
  const char *xp = xs->raw(), *yp = ys->raw();
  char* op_ = out->raw();
  parallel_for(out->numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
    kernels::narrow::binary(compute, k, xp + lo * size, y_scalar ? yp : yp + lo * size, y_scalar,
                            op_ + lo * size, hi - lo);
  });
  return true;
}

template <typename T>
void arith(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  using kernels::binary_loop;
  using W = std::conditional_t<std::is_integral_v<T>, uint64_t, T>;
  if constexpr (std::is_same_v<T, float>)
    if (simd_arith(op, out, a, b)) return;
  switch (op) {
    // integers wrap around on overflow, as torch; done in uint64 where that is defined behaviour
    case BinaryOp::Add: return binary_loop<T, T>(out, a, b, [](T x, T y) { return static_cast<T>(W(x) + W(y)); });
    case BinaryOp::Sub: return binary_loop<T, T>(out, a, b, [](T x, T y) { return static_cast<T>(W(x) - W(y)); });
    case BinaryOp::Mul: return binary_loop<T, T>(out, a, b, [](T x, T y) { return static_cast<T>(W(x) * W(y)); });
    case BinaryOp::Div:
      if constexpr (std::is_floating_point_v<T>)
        return binary_loop<T, T>(out, a, b, [](T x, T y) { return x / y; });
      break;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>)
        return binary_loop<T, T>(out, a, b, [](T x, T y) { return std::pow(x, y); });
      else
        // a negative exponent gives torch's integer result: 1 for x = 1, +-1 by parity for x = -1, else 0
        return binary_loop<T, T>(out, a, b, [](T x, T y) {
          if (y >= 0) return int_pow<T>(x, static_cast<int64_t>(y));
          return x == T(1) ? T(1) : x == T(-1) ? static_cast<T>((y & 1) ? -1 : 1) : T(0);
        });
    // maximum/minimum propagate NaN, as torch.
    case BinaryOp::Maximum:
      return binary_loop<T, T>(out, a, b, [](T x, T y) { return (x != x) ? x : (y != y) ? y : (x > y ? x : y); });
    case BinaryOp::Minimum:
      return binary_loop<T, T>(out, a, b, [](T x, T y) { return (x != x) ? x : (y != y) ? y : (x < y ? x : y); });
    default: break;
  }
  throw std::logic_error("binary op not handled");
}

template <typename T>
void comparison(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  using kernels::binary_loop;
  switch (op) {
    case BinaryOp::Eq: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x == y; });
    case BinaryOp::Ne: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x != y; });
    case BinaryOp::Lt: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x < y; });
    case BinaryOp::Le: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x > y; });
    case BinaryOp::Ge: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x >= y; });
    default: break;
  }
  throw std::logic_error("comparison op not handled");
}

const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq", "ne", "lt", "le", "gt", "ge"};
  return names[static_cast<int>(op)];
}

Tensor wrap(const Tensor& a, Scalar s) { return scalar_tensor(s, result_type(a, s)); }
Tensor logical_and_(const Tensor& a, const Tensor& b) {
  return binary_kernel(BinaryOp::Mul, a, b, DType::Bool, DType::Bool);
}

}  // namespace

Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, DType compute, DType out_dtype) {
  Tensor out = empty(broadcast_shapes(a->shape, b->shape, op_name(op)), out_dtype);
  binary_kernel_into(op, out, a, b, compute);
  return out;
}

void binary_kernel_into(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, DType compute) {
  check_same_device(op_name(op), a, b, out);
  if (!is_compute_dtype(compute) && compute != DType::Bool && narrow_arith(op, out, a, b, compute)) return;
  if (!is_compute_dtype(compute)) {
    // as torch: operands are converted to the common dtype first, then e.g. int32 computes in
    // int64 and float16 in float32, and the result is rounded once on store
    DType wide = compute_dtype(compute);
    Tensor result = empty(out->shape, is_comparison(op) ? DType::Bool : wide);
    Tensor wa = cast_for_kernel(cast_for_kernel(a, compute), wide), wb = cast_for_kernel(cast_for_kernel(b, compute), wide);
    // On ties (+0 vs -0) torch's float16/bfloat16 maximum/minimum keep the second operand in its
    // vectorised loop (as the narrow kernels) but the first in its scalar loop, which strided operands
    // take; the wide kernel keeps the second, so here the operands go in swapped
    if (is_reduced_float(compute) && (op == BinaryOp::Maximum || op == BinaryOp::Minimum)) std::swap(wa, wb);
    binary_kernel_into(op, result, wa, wb, wide);
    copy_into(out, result);
    return;
  }
  Tensor x = cast_for_kernel(a, compute), y = cast_for_kernel(b, compute);
  dispatch_dtype(compute, [&](auto z) {
    using T = decltype(z);
    if (is_comparison(op)) {
      comparison<T>(op, out, x, y);
    } else if constexpr (std::is_same_v<T, bool>) {
      TG_CHECK(op == BinaryOp::Add || op == BinaryOp::Mul || op == BinaryOp::Maximum ||
                   op == BinaryOp::Minimum, RuntimeError, op_name(op),
               ": not supported for bool tensors; use logical ops or convert with .long()");
      if (op == BinaryOp::Add || op == BinaryOp::Maximum)
        kernels::binary_loop<bool, bool>(out, x, y, [](bool p, bool q) { return p || q; });
      else
        kernels::binary_loop<bool, bool>(out, x, y, [](bool p, bool q) { return p && q; });
    } else {
      arith<T>(op, out, x, y);
    }
  });
}

namespace {
Tensor arith_op(BinaryOp op, const Tensor& a, const Tensor& b) {
  DType dt = result_type(a, b);
  if ((op == BinaryOp::Div) && !is_floating(dt)) dt = default_float_dtype();  // true division
  return binary_kernel(op, a, b, dt, dt);
}
}  // namespace

// d(a + alpha b) = (g, alpha g)
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  bool unit = alpha.kind != Kind::Float && alpha.i == 1;
  Tensor out = unit ? arith_op(BinaryOp::Add, a, b)
                    : arith_op(BinaryOp::Add, a, mul(detach(b), alpha));
  record("AddBackward0", {a, b}, {out}, [&] {
    return [unit, alpha](const Grads& g) -> Grads { return {g[0], unit ? g[0] : mul(g[0], alpha)}; };
  });
  return out;
}
Tensor add(const Tensor& a, Scalar b) { return add(a, wrap(a, b)); }

// d(a - alpha b) = (g, -alpha g)
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  TG_CHECK(a->dtype != DType::Bool && b->dtype != DType::Bool, RuntimeError,
           "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
           "invert a mask, use the `~` or `logical_not()` operator instead.");
  bool unit = alpha.kind != Kind::Float && alpha.i == 1;
  Tensor out = unit ? arith_op(BinaryOp::Sub, a, b)
                    : arith_op(BinaryOp::Sub, a, mul(detach(b), alpha));
  record("SubBackward0", {a, b}, {out}, [&] {
    return [unit, alpha](const Grads& g) -> Grads {
      return {g[0], unit ? neg(g[0]) : mul(g[0], alpha.kind == Kind::Float ? Scalar(-alpha.f) : Scalar(-alpha.i))};
    };
  });
  return out;
}
// A bool scalar would be promoted away by wrap(), so check it here as torch does.
Tensor sub(const Tensor& a, Scalar b) {
  return sub(a, b.kind == Kind::Bool ? scalar_tensor(b, DType::Bool) : wrap(a, b));
}
// Renames the node that produced `out` to torch's name for the op the user called.
static Tensor named_as(Tensor out, const char* name) {
  if (auto* fn = dynamic_cast<FunctionNode*>(out->grad_fn().get())) fn->name_ = name;
  return out;
}
Tensor rsub(const Tensor& a, Scalar b) {
  return named_as(sub(b.kind == Kind::Bool ? scalar_tensor(b, DType::Bool) : wrap(a, b), a), "RsubBackward1");
}

// d(a b) = (g b, g a)
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = arith_op(BinaryOp::Mul, a, b);
  record("MulBackward0", {a, b}, {out}, [&] {
    bool ga = a->requires_grad(), gb = b->requires_grad();
    return [ga, gb, sa = gb ? save(a) : SavedTensor(), sb = ga ? save(b) : SavedTensor()](const Grads& g) -> Grads {
      return {ga ? mul(g[0], sb.get()) : nullptr, gb ? mul(g[0], sa.get()) : nullptr};
    };
  });
  return out;
}
Tensor mul(const Tensor& a, Scalar b) { return mul(a, wrap(a, b)); }

// d(a / b) = (g / b, -g a / b^2)
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = arith_op(BinaryOp::Div, a, b);
  record("DivBackward0", {a, b}, {out}, [&] {
    bool gb = b->requires_grad();
    return [gb, sa = gb ? save(a) : SavedTensor(), sb = save(b)](const Grads& g) -> Grads {
      Tensor bv = sb.get();
      Tensor ga = div(g[0], bv);
      // -g (a / b) / b, in torch's order: b * b would overflow for |b| > 1e154
      return {ga, gb ? neg(mul(g[0], div(div(sa.get(), bv), bv))) : nullptr};
    };
  });
  return out;
}
Tensor div(const Tensor& a, Scalar b) { return div(a, wrap(a, b)); }
// 1 / a, with d(1/a) = -g r^2 where r is the saved output (a itself is not saved, so a later
// in-place change of a does not break backward, as in torch)
static Tensor reciprocal_op(const Tensor& a) {
  Tensor out = unary(UnaryOp::Reciprocal, a);
  record("ReciprocalBackward0", {a}, {out}, [&] {
    return [s = save_output(out)](const Grads& g) -> Grads {
      Tensor r = s.get();
      return {neg(mul(g[0], mul(r, r)))};
    };
  });
  return out;
}
// b / a = b * a.reciprocal(), as torch computes it
Tensor rdiv(const Tensor& a, Scalar b) { return mul(reciprocal_op(a), b); }

// d(a^b) = (g b a^(b-1), g a^b log a), the second taken as 0 where a == 0 and b >= 0
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = arith_op(BinaryOp::Pow, a, b);
  record(b->dim() == 0 && !b->requires_grad() ? "PowBackward0" : "PowBackward1", {a, b}, {out}, [&] {
    bool ga = a->requires_grad(), gb = b->requires_grad();
    return [ga, gb, sa = save(a), sb = save(b), so = save_output(out)](const Grads& g) -> Grads {
      Tensor av = sa.get(), bv = sb.get();
      Tensor da, db;
      if (ga) {
        // b a^(b-1), and exactly 0 where b == 0 (0 * 0^-1 would be NaN), as torch
        da = mul(g[0], mul(bv, pow(av, sub(bv, Scalar(int64_t(1))))));
        da = where(compare(BinaryOp::Eq, bv, Scalar(0.0)), zeros({}, da->dtype), da);
      }
      if (gb) {
        Tensor lg = mul(so.get(), log(av));
        Tensor zero_base = logical_and_(compare(BinaryOp::Eq, av, Scalar(0.0)), compare(BinaryOp::Ge, bv, Scalar(0.0)));
        db = where(zero_base, zeros({}, lg->dtype), mul(g[0], lg));
      }
      return {da, db};
    };
  });
  return out;
}

// Ties send half the gradient to each side, and a side gets no gradient only where it strictly
// loses, as torch (so where a NaN is involved both sides get the gradient).
namespace {
Tensor minmax(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  Tensor out = arith_op(op, a, b);
  record(name, {a, b}, {out}, [&] {
    return [op, sa = save(a), sb = save(b)](const Grads& g) -> Grads {
      Tensor av = detach(sa.get()), bv = detach(sb.get());
      // where(), not a 0/1 multiply, so a NaN gradient does not leak into the losing side
      bool is_max = op == BinaryOp::Maximum;
      Tensor zero = zeros({}, g[0]->dtype);
      Tensor shared = where(compare(BinaryOp::Eq, av, bv), mul(g[0], Scalar(0.5)), g[0]);
      return {where(compare(is_max ? BinaryOp::Lt : BinaryOp::Gt, av, bv), zero, shared),
              where(compare(is_max ? BinaryOp::Gt : BinaryOp::Lt, av, bv), zero, shared)};
    };
  });
  return out;
}
}  // namespace
Tensor maximum(const Tensor& a, const Tensor& b) { return minmax(BinaryOp::Maximum, "MaximumBackward0", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return minmax(BinaryOp::Minimum, "MinimumBackward0", a, b); }

Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b) {
  return binary_kernel(op, a, b, result_type(a, b), DType::Bool);
}
Tensor compare(BinaryOp op, const Tensor& a, Scalar b) { return compare(op, a, wrap(a, b)); }

}  // namespace tg

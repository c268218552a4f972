// Factory functions: zeros, ones, full, arange, linspace, eye.
#include <cmath>

#include "tg/default_dtype.h"
#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg {

Tensor full(const Shape& shape, Scalar value, DType dtype) {
  Tensor t = empty(shape, dtype);
  int64_t n = t->numel();
  dispatch_all(dtype, [&](auto z) {
    using T = decltype(z);
    T v = value.to<T>();
    T* p = t->data<T>();
    parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = v;
    });
  });
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, Scalar(int64_t(0)), dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, Scalar(int64_t(1)), dtype); }
Tensor scalar_tensor(Scalar value, DType dtype) { return full({}, value, dtype); }

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype) {
  bool any_float = start.kind == Kind::Float || end.kind == Kind::Float || step.kind == Kind::Float;
  DType dt = dtype ? *dtype : (any_float ? default_float_dtype() : DType::Int64);
  if (dt == DType::Bool) throw_not_implemented("arange_cpu", dt);
  TG_CHECK(step.f != 0, RuntimeError, "arange: step must be nonzero");
  TG_CHECK((step.f > 0 && end.f >= start.f) || (step.f < 0 && end.f <= start.f), RuntimeError,
           "arange: upper bound and larger bound inconsistent with step sign");
  // the count as a double first: casting a value beyond int64 to int64 is undefined behaviour
  double count = std::ceil((end.f - start.f) / step.f);
  TG_CHECK(std::isfinite(count) && count < 9.0e18, RuntimeError, "arange: the range [", start.f, ", ",
           end.f, ") with step ", step.f, " has too many elements (", count, ")");
  // An integer dtype computes in int64 with the bounds and the step truncated toward zero (torch's
  // accumulate type): arange(0, 5, 1.5, dtype=int32) is [0, 1, 2, 3]. For int64 the count comes
  // from the truncated values too (so the same call gives [0, 1, 2, 3, 4]); for the narrower
  // integers from the values as given.
  bool integral_from_float = any_float && !is_floating(dt);
  auto trunc_to_int64 = [&](double v, const char* what) {
    TG_CHECK(std::abs(v) < 9.2e18, RuntimeError, "arange: ", what, " ", v, " is out of range for ", dtype_name(dt));
    return static_cast<int64_t>(v);
  };
  int64_t istart = start.i, istep = step.i;
  if (integral_from_float) {
    istart = trunc_to_int64(start.f, "start");
    istep = trunc_to_int64(step.f, "step");
  }
  int64_t n;
  if (integral_from_float && dt == DType::Int64) {
    int64_t iend = trunc_to_int64(end.f, "end");
    TG_CHECK(istep != 0, RuntimeError, "arange: step must be nonzero (", step.f, " truncates to 0 in int64)");
    n = std::max<int64_t>(0, (iend - istart + istep + (istep > 0 ? -1 : 1)) / istep);
  } else if (any_float) {
    n = static_cast<int64_t>(count);
  } else {
    n = (end.i - start.i + step.i + (step.i > 0 ? -1 : 1)) / step.i;
  }
  Tensor t = empty({n}, dt);
  dispatch_all(dt, [&](auto z) {
    using T = decltype(z);
    T* p = t->data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (any_float && !integral_from_float) {
        p[i] = cast_value<T>(start.f + static_cast<double>(i) * step.f);
      } else {  // wraps like torch's int64 arithmetic (through unsigned: no signed overflow)
        uint64_t v = static_cast<uint64_t>(istart) + static_cast<uint64_t>(i) * static_cast<uint64_t>(istep);
        p[i] = cast_value<T>(static_cast<int64_t>(v));
      }
    }
  });
  return t;
}

namespace {
// float16/bfloat16 as torch's kernel computes them: the bounds, the increment, the index and
// every product and sum are rounded to the 16-bit type.
template <typename H>
void linspace_16bit(H* p, double start, double end, int64_t steps) {
  auto r = [](float v) { return static_cast<float>(H(v)); };
  float s0 = r(static_cast<float>(start)), s1 = r(static_cast<float>(end));
  float step = steps > 1 ? r(r(s1 - s0) / r(static_cast<float>(steps - 1))) : 0.f;
  int64_t half = steps == 1 ? 1 : steps / 2;
  for (int64_t i = 0; i < steps; ++i)
    p[i] = H(i < half ? s0 + r(step * r(static_cast<float>(i)))
                      : s1 - r(step * r(static_cast<float>(steps - 1 - i))));
}
}  // namespace

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  TG_CHECK(steps >= 0, RuntimeError, "linspace: number of steps must be non-negative");
  if (dtype == DType::Float16 || dtype == DType::BFloat16) {
    Tensor t = empty({steps}, dtype);
    dispatch_all(dtype, [&](auto z) {
      using T = decltype(z);
      if constexpr (is_half_like<T>) linspace_16bit(t->data<T>(), start, end, steps);
    });
    return t;
  }
  if (!is_compute_dtype(dtype)) return cast_for_kernel(linspace(start, end, steps, compute_dtype(dtype)), dtype);
  Tensor t = empty({steps}, dtype);
  // torch fills the first half forward from start and the second half backward from end,
  // computing in the output's own precision.
  int64_t half = steps == 1 ? 1 : steps / 2;  // a single step is `start`, as in torch
  dispatch_dtype(dtype, [&](auto z) {
    using T = decltype(z);
    using C = std::conditional_t<std::is_same_v<T, float>, float, double>;
    C s0 = static_cast<C>(start), s1 = static_cast<C>(end);
    C step = steps > 1 ? (s1 - s0) / static_cast<C>(steps - 1) : C(0);
    T* p = t->data<T>();
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < half ? s0 + step * static_cast<C>(i)
                                     : s1 - step * static_cast<C>(steps - 1 - i));
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  TG_CHECK(n >= 0 && m >= 0, RuntimeError, "eye: n and m must be non-negative, got ", n, " and ", m);
  Tensor t = zeros({n, m}, dtype);
  dispatch_all(dtype, [&](auto z) {
    using T = decltype(z);
    T* p = t->data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = cast_value<T>(int64_t(1));
  });
  return t;
}

}  // namespace tg

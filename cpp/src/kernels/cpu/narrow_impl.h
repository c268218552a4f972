// The integer loops of the narrow kernels, compiled once per instruction set (narrow.cpp for the
// portable set, narrow_avx2.cpp under an AVX2 target pragma) so the compiler vectorises each for
// its ISA. Everything is in an anonymous namespace: the copies never meet at link time.
#pragma once
#include <cstdint>

#include "kernels/cpu/narrow.h"

namespace tg::kernels::narrow {
namespace {

// T's two's-complement result modulo 2^width: computed on uint32 (where overflow is defined)
// and truncated, which the vectoriser turns back into lane-width arithmetic.
template <typename T, Op op>
inline T int_op(T x, T y) {
  using U = uint32_t;
  if constexpr (op == Op::Add) return static_cast<T>(U(x) + U(y));
  else if constexpr (op == Op::Sub) return static_cast<T>(U(x) - U(y));
  else if constexpr (op == Op::Mul) return static_cast<T>(U(x) * U(y));
  else if constexpr (op == Op::Max) return x > y ? x : y;
  else return x < y ? x : y;
}

template <typename T, Op op>
void int_loop(const T* a, const T* b, bool b_scalar, T* out, int64_t n) {
  if (b_scalar) {
    const T y = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = int_op<T, op>(a[i], y);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = int_op<T, op>(a[i], b[i]);
  }
}

template <typename T>
void int_binary(Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n) {
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  T* o = static_cast<T*>(out);
  switch (op) {
    case Op::Add: return int_loop<T, Op::Add>(x, y, b_scalar, o, n);
    case Op::Sub: return int_loop<T, Op::Sub>(x, y, b_scalar, o, n);
    case Op::Mul: return int_loop<T, Op::Mul>(x, y, b_scalar, o, n);
    case Op::Max: return int_loop<T, Op::Max>(x, y, b_scalar, o, n);
    case Op::Min: return int_loop<T, Op::Min>(x, y, b_scalar, o, n);
    case Op::Div: break;
  }
  throw std::logic_error("narrow::binary: no integer division kernel");
}

// True (and the op run) when d is one of the narrow integer dtypes.
inline bool int_binary_any(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n) {
  switch (d) {
    case DType::UInt8: int_binary<uint8_t>(op, a, b, b_scalar, out, n); return true;
    case DType::Int8: int_binary<int8_t>(op, a, b, b_scalar, out, n); return true;
    case DType::Int16: int_binary<int16_t>(op, a, b, b_scalar, out, n); return true;
    case DType::Int32: int_binary<int32_t>(op, a, b, b_scalar, out, n); return true;
    default: return false;
  }
}

}  // namespace
}  // namespace tg::kernels::narrow

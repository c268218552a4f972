// Run-time choice of the narrow-dtype kernels, and their portable set (scalar 16-bit float
// conversions, integer loops vectorised for the baseline ISA).
#include "kernels/cpu/narrow.h"

#include "kernels/cpu/narrow_impl.h"
#include "tg/cpu_features.h"

namespace tg::kernels::narrow {
namespace {


template <Op op>
float float_op(float x, float y) {
  if constexpr (op == Op::Add) return x + y;
  else if constexpr (op == Op::Sub) return x - y;
  else if constexpr (op == Op::Mul) return x * y;
  else if constexpr (op == Op::Div) return x / y;
  else if constexpr (op == Op::Max) return (x != x) ? x : (y != y) ? y : (x > y ? x : y);
  else return (x != x) ? x : (y != y) ? y : (x < y ? x : y);
}

template <typename H, Op op>
void half_loop(const uint16_t* a, const uint16_t* b, bool b_scalar, uint16_t* out, int64_t n) {
  const float ys = b_scalar ? float(H::from_bits(*b)) : 0.0f;
  for (int64_t i = 0; i < n; ++i)
    out[i] = H(float_op<op>(float(H::from_bits(a[i])), b_scalar ? ys : float(H::from_bits(b[i])))).bits;
}

template <typename H>
void half_binary(Op op, const uint16_t* a, const uint16_t* b, bool b_scalar, uint16_t* out, int64_t n) {
  switch (op) {
    case Op::Add: return half_loop<H, Op::Add>(a, b, b_scalar, out, n);
    case Op::Sub: return half_loop<H, Op::Sub>(a, b, b_scalar, out, n);
    case Op::Mul: return half_loop<H, Op::Mul>(a, b, b_scalar, out, n);
    case Op::Div: return half_loop<H, Op::Div>(a, b, b_scalar, out, n);
    case Op::Max: return half_loop<H, Op::Max>(a, b, b_scalar, out, n);
    case Op::Min: return half_loop<H, Op::Min>(a, b, b_scalar, out, n);
  }
}

}  // namespace

void binary_base(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n) {
  if (int_binary_any(d, op, a, b, b_scalar, out, n)) return;
  auto x = static_cast<const uint16_t*>(a), y = static_cast<const uint16_t*>(b);
  auto o = static_cast<uint16_t*>(out);
  if (d == DType::Float16) return half_binary<Half>(op, x, y, b_scalar, o, n);
  if (d == DType::BFloat16) return half_binary<BFloat16>(op, x, y, b_scalar, o, n);
  throw std::logic_error("narrow::binary: not a narrow dtype");
}

void to_float_base(DType d, const uint16_t* in, float* out, int64_t n) {
  if (d == DType::Float16)
    for (int64_t i = 0; i < n; ++i) out[i] = half_bits::to_float(in[i]);
  else
    for (int64_t i = 0; i < n; ++i) out[i] = half_bits::bf16_to_float(in[i]);
}

void from_float_base(DType d, const float* in, uint16_t* out, int64_t n) {
  if (d == DType::Float16)
    for (int64_t i = 0; i < n; ++i) out[i] = half_bits::from_float(in[i]);
  else
    for (int64_t i = 0; i < n; ++i) out[i] = half_bits::bf16_from_float(in[i]);
}

void binary(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n) {
#if defined(TG_NARROW_X86)
  if (cpu_level() >= CpuLevel::AVX2) return binary_avx2(d, op, a, b, b_scalar, out, n);
#endif
  binary_base(d, op, a, b, b_scalar, out, n);
}

void to_float(DType d, const uint16_t* in, float* out, int64_t n) {
#if defined(TG_NARROW_X86)
  if (cpu_level() >= CpuLevel::AVX2) return to_float_avx2(d, in, out, n);
#endif
  to_float_base(d, in, out, n);
}

void from_float(DType d, const float* in, uint16_t* out, int64_t n) {
#if defined(TG_NARROW_X86)
  if (cpu_level() >= CpuLevel::AVX2) return from_float_avx2(d, in, out, n);
#endif
  from_float_base(d, in, out, n);
}

}  // namespace tg::kernels::narrow

// AVX2 + F16C narrow-dtype kernels: 8 float16/bfloat16 values per step widened to float32,
// computed and rounded once (F16C's vcvtps2ph / a bfloat16 round-to-nearest-even in integer
// lanes), and the integer loops of narrow_impl.h vectorised for AVX2.
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "kernels/cpu/narrow.h"

#if defined(TG_NARROW_X86)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#include <immintrin.h>

#include "kernels/cpu/narrow_impl.h"

namespace tg::kernels::narrow {
namespace {

// NaN lanes of v replaced by the quiet NaN of the same sign (what the scalar conversions in
// tg/half.h store, and torch's float16 NaN).
inline __m256 quiet_nan(__m256 v) {
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  const __m256 canon = _mm256_or_ps(_mm256_and_ps(v, _mm256_set1_ps(-0.0f)),
                                    _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)));
  return _mm256_blendv_ps(v, canon, nan);
}

struct F16 {
  static __m256 load(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static void store(uint16_t* p, __m256 v) {
    const __m128i h = _mm256_cvtps_ph(quiet_nan(v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
  }
};

// bfloat16 is the top half of a float32: widening is a 16-bit shift; narrowing adds 0x7fff plus
// the lowest kept bit (round to nearest, ties to even) and shifts back. NaN gives 0x7fc0 as in
// tg/half.h (torch's scalar conversion).
struct BF16 {
  static __m256 load(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static void store(uint16_t* p, __m256 v) {
    const __m256i x = _mm256_castps_si256(v);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(x, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7fc0), _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    // every lane is < 2^16, so the unsigned saturating pack only narrows
    const __m128i h = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
  }
};

// torch's maximum/minimum: NaN if either is NaN. max_ps returns its second operand when either
// is NaN (and on ties), so only a NaN first operand needs the blend.
template <Op op>
inline __m256 float_op(__m256 x, __m256 y) {
  if constexpr (op == Op::Add) return _mm256_add_ps(x, y);
  else if constexpr (op == Op::Sub) return _mm256_sub_ps(x, y);
  else if constexpr (op == Op::Mul) return _mm256_mul_ps(x, y);
  else if constexpr (op == Op::Div) return _mm256_div_ps(x, y);
  else {
    const __m256 r = op == Op::Max ? _mm256_max_ps(x, y) : _mm256_min_ps(x, y);
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  }
}

// The last n % 8 values go through 8-wide buffers, so they are computed exactly as the others.
template <class C, Op op>
void half_loop(const uint16_t* a, const uint16_t* b, bool b_scalar, uint16_t* out, int64_t n) {
  __m256 ys = _mm256_setzero_ps();
  if (b_scalar) {
    uint16_t rep[8];
    for (uint16_t& r : rep) r = *b;
    ys = C::load(rep);
  }
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) C::store(out + i, float_op<op>(C::load(a + i), b_scalar ? ys : C::load(b + i)));
  if (i < n) {
    uint16_t ta[8] = {}, tb[8] = {}, to[8];
    const size_t bytes = size_t(n - i) * 2;
    std::memcpy(ta, a + i, bytes);
    if (!b_scalar) std::memcpy(tb, b + i, bytes);
    C::store(to, float_op<op>(C::load(ta), b_scalar ? ys : C::load(tb)));
    std::memcpy(out + i, to, bytes);
  }
}

template <class C>
void half_binary(Op op, const uint16_t* a, const uint16_t* b, bool b_scalar, uint16_t* out, int64_t n) {
  switch (op) {
    case Op::Add: return half_loop<C, Op::Add>(a, b, b_scalar, out, n);
    case Op::Sub: return half_loop<C, Op::Sub>(a, b, b_scalar, out, n);
    case Op::Mul: return half_loop<C, Op::Mul>(a, b, b_scalar, out, n);
    case Op::Div: return half_loop<C, Op::Div>(a, b, b_scalar, out, n);
    case Op::Max: return half_loop<C, Op::Max>(a, b, b_scalar, out, n);
    case Op::Min: return half_loop<C, Op::Min>(a, b, b_scalar, out, n);
  }
}

template <class C>
void widen(const uint16_t* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, C::load(in + i));
  if (i < n) {
    uint16_t t[8] = {};
    float o[8];
    std::memcpy(t, in + i, size_t(n - i) * 2);
    _mm256_storeu_ps(o, C::load(t));
    std::memcpy(out + i, o, size_t(n - i) * 4);
  }
}

template <class C>
void round_to(const float* in, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) C::store(out + i, _mm256_loadu_ps(in + i));
  if (i < n) {
    float t[8] = {};
    uint16_t o[8];
    std::memcpy(t, in + i, size_t(n - i) * 4);
    C::store(o, _mm256_loadu_ps(t));
    std::memcpy(out + i, o, size_t(n - i) * 2);
  }
}

}  // namespace

void binary_avx2(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n) {
  if (int_binary_any(d, op, a, b, b_scalar, out, n)) return;
  auto x = static_cast<const uint16_t*>(a), y = static_cast<const uint16_t*>(b);
  auto o = static_cast<uint16_t*>(out);
  if (d == DType::Float16) return half_binary<F16>(op, x, y, b_scalar, o, n);
  if (d == DType::BFloat16) return half_binary<BF16>(op, x, y, b_scalar, o, n);
  throw std::logic_error("narrow::binary: not a narrow dtype");
}

void to_float_avx2(DType d, const uint16_t* in, float* out, int64_t n) {
  if (d == DType::Float16) widen<F16>(in, out, n);
  else widen<BF16>(in, out, n);
}

void from_float_avx2(DType d, const float* in, uint16_t* out, int64_t n) {
  if (d == DType::Float16) round_to<F16>(in, out, n);
  else round_to<BF16>(in, out, n);
}

}  // namespace tg::kernels::narrow
#pragma GCC pop_options
#endif

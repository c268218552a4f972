// AVX2+FMA instantiation of the vector math kernels (8 floats per step); compiled via a target pragma.
#include <cstdint>

#include "kernels/cpu/vmath.h"

#if defined(TG_VMATH_X86)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "kernels/cpu/vmath_impl.h"

namespace tg::kernels::vmath {
namespace {

struct Avx2 {
  using V = __m256;
  using M = __m256;
  static constexpr int W = 8;
  static V set1(float v) { return _mm256_set1_ps(v); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V bits_and(V a, int m) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(m))); }
  static V abs(V a) { return bits_and(a, 0x7fffffff); }
  static V neg(V a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  static V copysign(V mag, V sgn) { return _mm256_or_ps(abs(mag), bits_and(sgn, int(0x80000000u))); }
  static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M lt_or_nan(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NGE_UQ); }
  static M mask_or(M a, M b) { return _mm256_or_ps(a, b); }
  static unsigned mask_bits(M m) { return unsigned(_mm256_movemask_ps(m)); }  // bit i: lane i
  static V select(M m, V t, V f) { return _mm256_blendv_ps(f, t, m); }
  static __m256i pow2_bits(__m256i k) { return _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23); }
  // p * 2^n for integral n in [-150, 128], in two exact power-of-two steps.
  static V scale2(V p, V n) {
    __m256i ni = _mm256_cvttps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    p = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2_bits(n1)));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(pow2_bits(n2)));
  }
  // Unbiased exponent (as float) and significand in [1, 2) of a positive normal number.
  static V exponent(V x) {
    __m256i e = _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(x), 23), _mm256_set1_epi32(0xff));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(e, _mm256_set1_epi32(127)));
  }
  static V mantissa(V x) {
    __m256i b = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffff));
    return _mm256_castsi256_ps(_mm256_or_si256(b, _mm256_set1_epi32(0x3f800000)));
  }
};


struct Avx2d {
  using V = __m256d;
  static constexpr int W = 4;
  static V set1(double v) { return _mm256_set1_pd(v); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V div(V a, V b) { return _mm256_div_pd(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static V max(V a, V b) { return _mm256_max_pd(a, b); }
  static V neg(V a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
  static V round(V a) { return _mm256_round_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V abs(V a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
  static V copysign(V mag, V sgn) {
    return _mm256_or_pd(abs(mag), _mm256_and_pd(_mm256_set1_pd(-0.0), sgn));
  }
  static V lt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  static V gt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static V eq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
  static V isnan(V a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
  static V select(V m, V t, V f) { return _mm256_blendv_pd(f, t, m); }
  // Unbiased exponent (as a double, via the 2^52 + k bit trick) and significand in [1, 2) of a
  // positive normal number.
  static V split(V x, V& m) {
    __m256i b = _mm256_castpd_si256(x);
    __m256i biased = _mm256_or_si256(_mm256_srli_epi64(b, 52), _mm256_set1_epi64x(0x4330000000000000));
    m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi64x(0x000FFFFFFFFFFFFF)),
                                            _mm256_set1_epi64x(0x3FF0000000000000)));
    return _mm256_sub_pd(_mm256_castsi256_pd(biased), _mm256_set1_pd(4503599627370496.0 + 1023.0));
  }
  static V pow2(__m128i k) {
    __m256i e = _mm256_add_epi64(_mm256_cvtepi32_epi64(k), _mm256_set1_epi64x(1023));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
  }
  // p * 2^n for integral n in [-1077, 1025], in two exact power-of-two steps.
  static V scale2(V p, V n) {
    __m128i ni = _mm256_cvtpd_epi32(n);
    __m128i n1 = _mm_srai_epi32(ni, 1);
    return _mm256_mul_pd(_mm256_mul_pd(p, pow2(n1)), pow2(_mm_sub_epi32(ni, n1)));
  }
};

}  // namespace

bool apply_f64_avx2(Fn fn, const double* in, double* out, int64_t n) {
  return impl::Algo64<Avx2d>::apply(fn, in, out, n);
}

float sum_f32_avx2(const float* p, int64_t n) { return impl::Algo<Avx2>::sum(p, n); }
void sum_rows_f32_avx2(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square) {
  if (square) impl::Algo<Avx2>::sum_rows<true>(p, rows, n, ld, out);
  else impl::Algo<Avx2>::sum_rows<false>(p, rows, n, ld, out);
}
void extreme_rows_f32_avx2(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                           int64_t* indices) {
  impl::Algo<Avx2>::extreme_rows(is_max, p, rows, n, ld, values, indices);
}

void binary_f32_avx2(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n) {
  impl::Algo<Avx2>::apply2(op, a, b, b_scalar, out, n);
}

void apply_f32_avx2(Fn fn, const float* in, float* out, int64_t n) { impl::Algo<Avx2>::apply(fn, in, out, n); }

}  // namespace tg::kernels::vmath
#pragma GCC pop_options
#endif

// AVX-512F instantiation of the vector math kernels (16 floats per step); compiled via a target pragma.
#include <cstdint>

#include "kernels/cpu/vmath.h"

#if defined(TG_VMATH_X86)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#include <immintrin.h>

#include "kernels/cpu/vmath_impl.h"

namespace tg::kernels::vmath {
namespace {

struct Avx512 {
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V set1(float v) { return _mm512_set1_ps(v); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static __m512i bits(V a) { return _mm512_castps_si512(a); }
  static V flt(__m512i a) { return _mm512_castsi512_ps(a); }
  static V abs(V a) { return flt(_mm512_and_si512(bits(a), _mm512_set1_epi32(0x7fffffff))); }
  static V neg(V a) { return flt(_mm512_xor_si512(bits(a), _mm512_set1_epi32(int(0x80000000u)))); }
  static V copysign(V mag, V sgn) {
    __m512i s = _mm512_and_si512(bits(sgn), _mm512_set1_epi32(int(0x80000000u)));
    return flt(_mm512_or_si512(bits(abs(mag)), s));
  }
  static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M lt_or_nan(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NGE_UQ); }
  static M mask_or(M a, M b) { return M(a | b); }
  static unsigned mask_bits(M m) { return unsigned(m); }  // bit i: lane i
  static V select(M m, V t, V f) { return _mm512_mask_blend_ps(m, f, t); }
  static __m512i pow2_bits(__m512i k) { return _mm512_slli_epi32(_mm512_add_epi32(k, _mm512_set1_epi32(127)), 23); }
  // p * 2^n for integral n in [-150, 128], in two exact power-of-two steps.
  static V scale2(V p, V n) {
    __m512i ni = _mm512_cvttps_epi32(n);
    __m512i n1 = _mm512_srai_epi32(ni, 1);
    __m512i n2 = _mm512_sub_epi32(ni, n1);
    return _mm512_mul_ps(_mm512_mul_ps(p, flt(pow2_bits(n1))), flt(pow2_bits(n2)));
  }
  // Unbiased exponent (as float) and significand in [1, 2) of a positive normal number.
  static V exponent(V x) {
    __m512i e = _mm512_and_si512(_mm512_srli_epi32(bits(x), 23), _mm512_set1_epi32(0xff));
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(127)));
  }
  static V mantissa(V x) {
    __m512i b = _mm512_and_si512(bits(x), _mm512_set1_epi32(0x7fffff));
    return flt(_mm512_or_si512(b, _mm512_set1_epi32(0x3f800000)));
  }
};


struct Avx512d {
  using V = __m512d;
  static constexpr int W = 8;
  static V set1(double v) { return _mm512_set1_pd(v); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V div(V a, V b) { return _mm512_div_pd(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V min(V a, V b) { return _mm512_min_pd(a, b); }
  static V max(V a, V b) { return _mm512_max_pd(a, b); }
  static V neg(V a) {
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(INT64_MIN)));
  }
  static V round(V a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  static V abs(V a) { return _mm512_abs_pd(a); }
  static V copysign(V mag, V sgn) {
    return _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(abs(mag)),
                                               _mm512_and_si512(_mm512_castpd_si512(sgn), _mm512_set1_epi64(INT64_MIN))));
  }
  static __mmask8 lt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  static __mmask8 gt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
  static __mmask8 eq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
  static __mmask8 isnan(V a) { return _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q); }
  static V select(__mmask8 m, V t, V f) { return _mm512_mask_blend_pd(m, f, t); }
  // Unbiased exponent (as a double, via the 2^52 + k bit trick) and significand in [1, 2) of a
  // positive normal number.
  static V split(V x, V& m) {
    __m512i b = _mm512_castpd_si512(x);
    __m512i biased = _mm512_or_si512(_mm512_srli_epi64(b, 52), _mm512_set1_epi64(0x4330000000000000));
    m = _mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(b, _mm512_set1_epi64(0x000FFFFFFFFFFFFF)),
                                            _mm512_set1_epi64(0x3FF0000000000000)));
    return _mm512_sub_pd(_mm512_castsi512_pd(biased), _mm512_set1_pd(4503599627370496.0 + 1023.0));
  }
  static V pow2(__m256i k) {
    __m512i e = _mm512_add_epi64(_mm512_cvtepi32_epi64(k), _mm512_set1_epi64(1023));
    return _mm512_castsi512_pd(_mm512_slli_epi64(e, 52));
  }
  // p * 2^n for integral n in [-1077, 1025], in two exact power-of-two steps.
  static V scale2(V p, V n) {
    __m256i ni = _mm512_cvtpd_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    return _mm512_mul_pd(_mm512_mul_pd(p, pow2(n1)), pow2(_mm256_sub_epi32(ni, n1)));
  }
};

}  // namespace

bool apply_f64_avx512(Fn fn, const double* in, double* out, int64_t n) {
  return impl::Algo64<Avx512d>::apply(fn, in, out, n);
}

float sum_f32_avx512(const float* p, int64_t n) { return impl::Algo<Avx512>::sum(p, n); }
void sum_rows_f32_avx512(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square) {
  if (square) impl::Algo<Avx512>::sum_rows<true>(p, rows, n, ld, out);
  else impl::Algo<Avx512>::sum_rows<false>(p, rows, n, ld, out);
}
void extreme_rows_f32_avx512(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                             int64_t* indices) {
  impl::Algo<Avx512>::extreme_rows(is_max, p, rows, n, ld, values, indices);
}

void binary_f32_avx512(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n) {
  impl::Algo<Avx512>::apply2(op, a, b, b_scalar, out, n);
}

void apply_f32_avx512(Fn fn, const float* in, float* out, int64_t n) { impl::Algo<Avx512>::apply(fn, in, out, n); }

}  // namespace tg::kernels::vmath
#pragma GCC pop_options
#endif

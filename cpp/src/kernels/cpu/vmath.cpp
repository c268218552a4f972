// Run-time choice between the AVX2 and AVX-512 vector math kernels (baseline: none, libm is used).
#include "kernels/cpu/vmath.h"

#include "tg/cpu_features.h"

namespace tg::kernels::vmath {

bool available() {
#if defined(TG_VMATH_X86)
  return cpu_level() != CpuLevel::Baseline;
#else
  return false;
#endif
}

bool apply_f32(Fn fn, const float* in, float* out, int64_t n) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: apply_f32_avx512(fn, in, out, n); return true;
    case CpuLevel::AVX2: apply_f32_avx2(fn, in, out, n); return true;
    case CpuLevel::Baseline: return false;
  }
#else
  (void)fn; (void)in; (void)out; (void)n;
#endif
  return false;
}

bool has_f64(Fn fn) { return available() && fn != Fn::Relu; }

bool apply_f64(Fn fn, const double* in, double* out, int64_t n) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: return apply_f64_avx512(fn, in, out, n);
    case CpuLevel::AVX2: return apply_f64_avx2(fn, in, out, n);
    case CpuLevel::Baseline: return false;
  }
#else
  (void)fn; (void)in; (void)out; (void)n;
#endif
  return false;
}

bool binary_f32(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: binary_f32_avx512(op, a, b, b_scalar, out, n); return true;
    case CpuLevel::AVX2: binary_f32_avx2(op, a, b, b_scalar, out, n); return true;
    case CpuLevel::Baseline: return false;
  }
#else
  (void)op; (void)a; (void)b; (void)b_scalar; (void)out; (void)n;
#endif
  return false;
}

bool sum_f32(const float* p, int64_t n, float* result) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: *result = sum_f32_avx512(p, n); return true;
    case CpuLevel::AVX2: *result = sum_f32_avx2(p, n); return true;
    case CpuLevel::Baseline: return false;
  }
#else
  (void)p; (void)n; (void)result;
#endif
  return false;
}

bool sum_rows_f32(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: sum_rows_f32_avx512(p, rows, n, ld, out, square); return true;
    case CpuLevel::AVX2: sum_rows_f32_avx2(p, rows, n, ld, out, square); return true;
    case CpuLevel::Baseline: return false;
  }
#else
  (void)p; (void)rows; (void)n; (void)ld; (void)out; (void)square;
#endif
  return false;
}

bool extreme_rows_f32(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                      int64_t* indices) {
#if defined(TG_VMATH_X86)
  switch (cpu_level()) {
    case CpuLevel::AVX512: extreme_rows_f32_avx512(is_max, p, rows, n, ld, values, indices); return true;
    case CpuLevel::AVX2: extreme_rows_f32_avx2(is_max, p, rows, n, ld, values, indices); return true;
    case CpuLevel::Baseline: return false;
  }
#else
  (void)is_max; (void)p; (void)rows; (void)n; (void)ld; (void)values; (void)indices;
#endif
  return false;
}

}  // namespace tg::kernels::vmath

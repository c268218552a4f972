// AVX2 + FMA (+ F16C for float16 operands) GEMM kernels (256-bit registers), selected at run time.
#include <immintrin.h>

#define TG_ISA_TARGET __attribute__((target("avx2,fma,f16c")))
#define TG_ISA_F16C 1
#include "gemm_isa.h"

namespace tg::kernels::gemm_detail {
namespace {

struct F32x8 {
  using T = float;
  using R = __m256;
  static constexpr int kLanes = 8;
  TG_ISA_TARGET static R zero() { return _mm256_setzero_ps(); }
  TG_ISA_TARGET static R load(const T* p) { return _mm256_loadu_ps(p); }
  TG_ISA_TARGET static R broadcast(const T* p) { return _mm256_broadcast_ss(p); }
  TG_ISA_TARGET static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  TG_ISA_TARGET static void store(T* p, R r) { _mm256_storeu_ps(p, r); }
};

struct F64x4 {
  using T = double;
  using R = __m256d;
  static constexpr int kLanes = 4;
  TG_ISA_TARGET static R zero() { return _mm256_setzero_pd(); }
  TG_ISA_TARGET static R load(const T* p) { return _mm256_loadu_pd(p); }
  TG_ISA_TARGET static R broadcast(const T* p) { return _mm256_broadcast_sd(p); }
  TG_ISA_TARGET static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  TG_ISA_TARGET static void store(T* p, R r) { _mm256_storeu_pd(p, r); }
};

}  // namespace

// 6x16 float / 6x8 double: 12 accumulators + 2 B vectors + 1 broadcast of 16 ymm.
extern const KernelSet<float> kAvx2F32 = {
    6, 16, 6 * 32, 256, 4096, micro_kernel<F32x8, 6, 2>, pack_a<float, 6>,
    pack_b<float, 16>, small_gemm<float>,
    pack_a<float, 6, Half>, pack_b<float, 16, Half>, pack_a<float, 6, BFloat16>, pack_b<float, 16, BFloat16>};
extern const KernelSet<double> kAvx2F64 = {
    6, 8, 6 * 32, 256, 4096, micro_kernel<F64x4, 6, 2>, pack_a<double, 6>,
    pack_b<double, 8>, small_gemm<double>};

}  // namespace tg::kernels::gemm_detail

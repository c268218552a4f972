// AVX-512F GEMM kernels (512-bit registers), selected at run time.
#include <immintrin.h>

#define TG_ISA_TARGET __attribute__((target("avx512f,avx2,fma")))
#include "gemm_isa.h"

namespace tg::kernels::gemm_detail {
namespace {

struct F32x16 {
  using T = float;
  using R = __m512;
  static constexpr int kLanes = 16;
  TG_ISA_TARGET static R zero() { return _mm512_setzero_ps(); }
  TG_ISA_TARGET static R load(const T* p) { return _mm512_loadu_ps(p); }
  TG_ISA_TARGET static R broadcast(const T* p) { return _mm512_set1_ps(*p); }
  TG_ISA_TARGET static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  TG_ISA_TARGET static void store(T* p, R r) { _mm512_storeu_ps(p, r); }
};

struct F64x8 {
  using T = double;
  using R = __m512d;
  static constexpr int kLanes = 8;
  TG_ISA_TARGET static R zero() { return _mm512_setzero_pd(); }
  TG_ISA_TARGET static R load(const T* p) { return _mm512_loadu_pd(p); }
  TG_ISA_TARGET static R broadcast(const T* p) { return _mm512_set1_pd(*p); }
  TG_ISA_TARGET static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  TG_ISA_TARGET static void store(T* p, R r) { _mm512_storeu_pd(p, r); }
};

}  // namespace

// 6x64 float / 6x32 double: 24 accumulators + 4 B vectors + 1 broadcast of 32 zmm.
// Per k step: 4 loads + 6 broadcasts feed 24 FMAs (12 cycles on 2 FMA pipes); 24
// independent chains cover the 4-cycle FMA latency of both pipes three times over.
// Measured on Zen 5 against 12x32 / 8x48 / 14x32 (14x32 spills under GCC 12).
extern const KernelSet<float> kAvx512F32 = {
    6, 64, 6 * 48, 256, 4096, micro_kernel<F32x16, 6, 4>, pack_a<float, 6>,
    pack_b<float, 64>, small_gemm<float>};
extern const KernelSet<double> kAvx512F64 = {
    6, 32, 6 * 32, 384, 4096, micro_kernel<F64x8, 6, 4>, pack_a<double, 6>,
    pack_b<double, 32>, small_gemm<double>};

}  // namespace tg::kernels::gemm_detail

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

// 14x32 float / 14x16 double: 28 accumulators + 2 B vectors + 1 broadcast of 32 zmm.
extern const KernelSet<float> kAvx512F32 = {
    14, 32, 14 * 24, 256, 4096, micro_kernel<F32x16, 14, 2>, pack_a<float, 14>,
    pack_b<float, 32>, small_gemm<float>};
extern const KernelSet<double> kAvx512F64 = {
    14, 16, 14 * 24, 256, 4096, micro_kernel<F64x8, 14, 2>, pack_a<double, 14>,
    pack_b<double, 16>, small_gemm<double>};

}  // namespace tg::kernels::gemm_detail

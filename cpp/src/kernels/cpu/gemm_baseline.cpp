// Portable GEMM kernels: 128-bit GCC vector extensions (SSE2 on any x86-64), no FMA.
#include <cstring>

#define TG_ISA_TARGET
#include "gemm_isa.h"

namespace tg::kernels::gemm_detail {
namespace {

typedef float F32x4 __attribute__((vector_size(16)));
typedef double F64x2 __attribute__((vector_size(16)));

template <typename Elem, typename Reg>
struct Vec128 {
  using T = Elem;
  using R = Reg;
  static constexpr int kLanes = sizeof(R) / sizeof(T);
  static R zero() { return R{}; }
  static R load(const T* p) { R r; std::memcpy(&r, p, sizeof r); return r; }
  static R broadcast(const T* p) { return R{} + *p; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static void store(T* p, R r) { std::memcpy(p, &r, sizeof r); }
};

}  // namespace

// 6x8 float / 6x4 double: 12 accumulators + 2 B vectors + 1 broadcast of 16 xmm.
extern const KernelSet<float> kBaselineF32 = {
    6, 8, 6 * 32, 256, 4096, micro_kernel<Vec128<float, F32x4>, 6, 2>, pack_a<float, 6>,
    pack_b<float, 8>, small_gemm<float>,
    pack_a<float, 6, Half>, pack_b<float, 8, Half>, pack_a<float, 6, BFloat16>, pack_b<float, 8, BFloat16>};
extern const KernelSet<double> kBaselineF64 = {
    6, 4, 6 * 32, 256, 4096, micro_kernel<Vec128<double, F64x2>, 6, 2>, pack_a<double, 6>,
    pack_b<double, 4>, small_gemm<double>};

}  // namespace tg::kernels::gemm_detail

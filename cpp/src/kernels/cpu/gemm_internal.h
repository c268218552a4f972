// Internal interface between the GEMM driver (gemm.cpp) and the per-ISA kernel sets
// (gemm_baseline.cpp, gemm_avx2.cpp, gemm_avx512.cpp).
#pragma once
#include <cstdint>

#include "tg/half.h"

namespace tg::kernels::gemm_detail {

// Register-blocked micro-kernel on packed panels:
//   c[0:MR, 0:NR] = a_panel (MR x k) * b_panel (k x NR) + beta * c
// a holds k groups of MR values (column p of the MR-row sliver), b holds k groups of
// NR values (row p of the NR-column sliver). beta == 0 does not read c.
template <typename T>
using MicroKernel = void (*)(int64_t k, const T* a, const T* b, T beta, T* c, int64_t ldc);

// Packs op(A)[0:m, 0:k] (A points at its first element) into ceil(m/MR) slivers of
// k x MR values scaled by alpha, zero-padding the rows of the last sliver. A source of another
// type S (float16/bfloat16 for float) is converted to T while it is packed.
template <typename T, typename S = T>
using PackA = void (*)(bool trans, const S* A, int64_t lda, int64_t m, int64_t k, T alpha,
                       T* dst);
// Packs op(B)[0:k, 0:n] into ceil(n/NR) slivers of k x NR values, zero-padding columns.
template <typename T, typename S = T>
using PackB = void (*)(bool trans, const S* B, int64_t ldb, int64_t k, int64_t n, T* dst);

// Unpacked GEMM with the full gemm() contract, for small or vector-shaped problems.
template <typename T>
using SmallGemm = void (*)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                           const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
                           int64_t ldc);

// Everything the driver needs for one ISA and element type. The cache blocks are
// multiples of the register tile: mc of mr, nc of nr.
template <typename T>
struct KernelSet {
  int mr, nr;              // register tile of the micro-kernel
  int64_t mc, kc, nc;      // cache blocks: A block mc x kc (L2), B panel kc x nc (L3)
  MicroKernel<T> micro;
  PackA<T> pack_a;
  PackB<T> pack_b;
  SmallGemm<T> small;
  // float only (null for double): the packers reading float16 / bfloat16 operands
  PackA<T, Half> pack_a_f16;
  PackB<T, Half> pack_b_f16;
  PackA<T, BFloat16> pack_a_bf16;
  PackB<T, BFloat16> pack_b_bf16;
};

// Largest register tile over all kernel sets (sizes the driver's edge-tile buffer).
constexpr int kMaxTile = 6 * 64;

extern const KernelSet<float> kBaselineF32, kAvx2F32, kAvx512F32;
extern const KernelSet<double> kBaselineF64, kAvx2F64, kAvx512F64;

}  // namespace tg::kernels::gemm_detail

// ISA-generic GEMM building blocks, compiled once per instruction set.
//
// Each per-ISA translation unit defines TG_ISA_TARGET (a GCC target attribute, or
// nothing for the baseline) and, for the micro-kernel, a vector-traits type V with:
//   T, R (register type), kLanes, zero(), load(p), broadcast(p), fma(a, b, c) = a*b+c,
//   store(p, r). Loads and stores are unaligned-safe.
// Everything lives in an anonymous namespace, so the three compilations never
// collide (no ODR sharing of code built for different ISAs).
#pragma once
#ifndef TG_ISA_TARGET
#error "define TG_ISA_TARGET before including gemm_isa.h"
#endif
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm_internal.h"

namespace tg::kernels::gemm_detail {
namespace {

// ---- packing -------------------------------------------------------------------

template <typename T, int MR>
TG_ISA_TARGET void pack_a(bool trans, const T* A, int64_t lda, int64_t m, int64_t k,
                          T alpha, T* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {
    const int64_t rows = std::min<int64_t>(MR, m - i0);
    if (trans) {  // op(A)(i, p) = A[p*lda + i]: MR contiguous values per p
      for (int64_t p = 0; p < k; ++p) {
        const T* src = A + p * lda + i0;
        T* d = dst + p * MR;
        for (int i = 0; i < MR; ++i) d[i] = i < rows ? alpha * src[i] : T(0);
      }
    } else {  // op(A)(i, p) = A[i*lda + p]: walk each row contiguously
      for (int i = 0; i < MR; ++i) {
        if (i < rows) {
          const T* src = A + (i0 + i) * lda;
          for (int64_t p = 0; p < k; ++p) dst[p * MR + i] = alpha * src[p];
        } else {
          for (int64_t p = 0; p < k; ++p) dst[p * MR + i] = T(0);
        }
      }
    }
  }
}

template <typename T, int NR>
TG_ISA_TARGET void pack_b(bool trans, const T* B, int64_t ldb, int64_t k, int64_t n, T* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {
    const int64_t cols = std::min<int64_t>(NR, n - j0);
    if (!trans) {  // op(B)(p, j) = B[p*ldb + j]: NR contiguous values per p
      for (int64_t p = 0; p < k; ++p) {
        const T* src = B + p * ldb + j0;
        T* d = dst + p * NR;
        for (int j = 0; j < NR; ++j) d[j] = j < cols ? src[j] : T(0);
      }
    } else {  // op(B)(p, j) = B[j*ldb + p]: walk each stored row contiguously
      for (int j = 0; j < NR; ++j) {
        if (j < cols) {
          const T* src = B + (j0 + j) * ldb;
          for (int64_t p = 0; p < k; ++p) dst[p * NR + j] = src[p];
        } else {
          for (int64_t p = 0; p < k; ++p) dst[p * NR + j] = T(0);
        }
      }
    }
  }
}

// ---- micro-kernel --------------------------------------------------------------
// Outer-product formulation: for each p, the MR x NR accumulator tile (MR rows of NV
// vector registers) gains a[p, 0:MR] (broadcast one value per row) times the NR-wide
// row b[p, 0:NR] (NV vector loads): MR*NV FMAs per 1 + ... loads, all accumulators
// independent, so the FMA pipes stay full as long as MR*NV >= latency x FMA units.

template <class V, int MR, int NV>
TG_ISA_TARGET void micro_kernel(int64_t k, const typename V::T* __restrict a,
                                const typename V::T* __restrict b, typename V::T beta,
                                typename V::T* __restrict c, int64_t ldc) {
  using R = typename V::R;
  constexpr int L = V::kLanes, NR = NV * L;
  for (int i = 0; i < MR; ++i) {  // C is only touched at the end: fetch it meanwhile
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + NR - 1, 1);
  }
  R acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();
  for (int64_t p = 0; p < k; ++p, a += MR, b += NR) {
    R bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + v * L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const R ai = V::broadcast(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
    }
  }
  const R vbeta = V::broadcast(&beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      typename V::T* ci = c + i * ldc + v * L;
      V::store(ci, beta == 0 ? acc[i][v] : V::fma(vbeta, V::load(ci), acc[i][v]));
    }
  }
}

// ---- small / vector-shaped problems --------------------------------------------
// No packing: the loops are ordered so the innermost one runs over contiguous memory
// and auto-vectorizes for this TU's ISA.

// sum_p a[p] * b[p] with kLanes independent partial sums (vectorizable without
// reassociating a single accumulator).
template <typename T>
TG_ISA_TARGET T dot(const T* __restrict a, const T* __restrict b, int64_t k) {
  constexpr int U = 128 / sizeof(T);
  T part[U] = {};
  int64_t p = 0;
  for (; p + U <= k; p += U)
    for (int u = 0; u < U; ++u) part[u] += a[p + u] * b[p + u];
  T s = 0;
  for (; p < k; ++p) s += a[p] * b[p];
  for (int u = 0; u < U; ++u) s += part[u];
  return s;
}

template <typename T>
TG_ISA_TARGET void small_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                              const T* A, int64_t lda, const T* B, int64_t ldb, T beta,
                              T* C, int64_t ldc) {
  if (!tb) {
    // Rows of op(B) are contiguous: C(i,:) = beta*C(i,:) + sum_p alpha*A(i,p) * B(p,:),
    // in column chunks that stay in L1 while all K rows of B stream past.
    constexpr int64_t kChunk = 2048;
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j0 = 0; j0 < N; j0 += kChunk) {
        const int64_t n = std::min(kChunk, N - j0);
        T* __restrict c = C + i * ldc + j0;
        if (beta == 0) std::fill(c, c + n, T(0));
        else if (beta != 1)
          for (int64_t j = 0; j < n; ++j) c[j] *= beta;
        for (int64_t p = 0; p < K; ++p) {
          const T a = alpha * (ta ? A[p * lda + i] : A[i * lda + p]);
          const T* __restrict b = B + p * ldb + j0;
          for (int64_t j = 0; j < n; ++j) c[j] += a * b[j];
        }
      }
    }
    return;
  }
  // op(B) columns are contiguous: dot products, with op(A) rows gathered when strided.
  std::vector<T> row(ta ? K : 0);
  for (int64_t i = 0; i < M; ++i) {
    const T* a = A + i * lda;
    if (ta) {
      for (int64_t p = 0; p < K; ++p) row[p] = A[p * lda + i];
      a = row.data();
    }
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      const T s = alpha * dot(a, B + j * ldb, K);
      c[j] = beta == 0 ? s : s + beta * c[j];
    }
  }
}

}  // namespace
}  // namespace tg::kernels::gemm_detail

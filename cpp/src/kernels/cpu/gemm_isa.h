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
#include <type_traits>
#include <vector>

#include "gemm_internal.h"

namespace tg::kernels::gemm_detail {
namespace {

// ---- packing -------------------------------------------------------------------

// A packed operand value as T: float16/bfloat16 sources are widened exactly to float (through
// F16C's vcvtph2ps where the ISA has it, TG_ISA_F16C).
template <typename T, typename S>
TG_ISA_TARGET inline T as_packed(const S& v) {
  if constexpr (std::is_same_v<S, BFloat16>) return half_bits::bf16_to_float(v.bits);
#if defined(TG_ISA_F16C)
  else if constexpr (std::is_same_v<S, Half>) return _cvtsh_ss(v.bits);
#else
  else if constexpr (std::is_same_v<S, Half>) return half_bits::to_float(v.bits);
#endif
  else return v;
}

template <typename T, int MR, typename S = T>
TG_ISA_TARGET void pack_a(bool trans, const S* A, int64_t lda, int64_t m, int64_t k,
                          T alpha, T* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {
    const int64_t rows = std::min<int64_t>(MR, m - i0);
    if (trans) {  // op(A)(i, p) = A[p*lda + i]: MR contiguous values per p
      for (int64_t p = 0; p < k; ++p) {
        const S* src = A + p * lda + i0;
        T* d = dst + p * MR;
        for (int i = 0; i < MR; ++i) d[i] = i < rows ? alpha * as_packed<T>(src[i]) : T(0);
      }
    } else {  // op(A)(i, p) = A[i*lda + p]: walk each row contiguously
      for (int i = 0; i < MR; ++i) {
        if (i < rows) {
          const S* src = A + (i0 + i) * lda;
          for (int64_t p = 0; p < k; ++p) dst[p * MR + i] = alpha * as_packed<T>(src[p]);
        } else {
          for (int64_t p = 0; p < k; ++p) dst[p * MR + i] = T(0);
        }
      }
    }
  }
}

template <typename T, int NR, typename S = T>
TG_ISA_TARGET void pack_b(bool trans, const S* B, int64_t ldb, int64_t k, int64_t n, T* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {
    const int64_t cols = std::min<int64_t>(NR, n - j0);
    if (!trans) {  // op(B)(p, j) = B[p*ldb + j]: NR contiguous values per p
      for (int64_t p = 0; p < k; ++p) {
        const S* src = B + p * ldb + j0;
        T* d = dst + p * NR;
        for (int j = 0; j < NR; ++j) d[j] = j < cols ? as_packed<T>(src[j]) : T(0);
      }
    } else {
      // op(B)(p, j) = B[j*ldb + p]: a transpose. Blocks of kP values of p keep the
      // kP destination rows in L1 while each stored row is read contiguously.
      constexpr int64_t kP = 16;
      for (int64_t p0 = 0; p0 < k; p0 += kP) {
        const int64_t np = std::min(kP, k - p0);
        T* d = dst + p0 * NR;
        for (int j = 0; j < NR; ++j) {
          const S* src = B + (j0 + j) * ldb + p0;
          if (j < cols)
            for (int64_t p = 0; p < np; ++p) d[p * NR + j] = as_packed<T>(src[p]);
          else
            for (int64_t p = 0; p < np; ++p) d[p * NR + j] = T(0);
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

// sum_p a[p] * b[p] with 128 bytes of independent partial sums (vectorizable without
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

// c[0:n] = beta * c + sum_p alpha * a[p*a_stride] * b[p*ldb + 0:n], four rows of b
// per pass so each load/store of c serves four FMAs.
template <typename T>
TG_ISA_TARGET void axpy_rows(int64_t n, int64_t k, T alpha, const T* a, int64_t a_stride,
                             const T* __restrict b, int64_t ldb, T beta, T* __restrict c) {
  if (beta == 0) std::fill(c, c + n, T(0));
  else if (beta != 1)
    for (int64_t j = 0; j < n; ++j) c[j] *= beta;
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const T a0 = alpha * a[p * a_stride], a1 = alpha * a[(p + 1) * a_stride];
    const T a2 = alpha * a[(p + 2) * a_stride], a3 = alpha * a[(p + 3) * a_stride];
    const T *b0 = b + p * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    for (int64_t j = 0; j < n; ++j) c[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
  }
  for (; p < k; ++p) {
    const T ap = alpha * a[p * a_stride];
    const T* bp = b + p * ldb;
    for (int64_t j = 0; j < n; ++j) c[j] += ap * bp[j];
  }
}

// Direct GEMM for tiny or vector-shaped problems (see gemm.cpp for when it is used).
template <typename T>
TG_ISA_TARGET void small_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                              const T* A, int64_t lda, const T* B, int64_t ldb, T beta,
                              T* C, int64_t ldc) {
  std::vector<T> tmp;
  if (!tb && N == 1) {  // a strided column of B: gather it, then use the tb layouts
    tmp.resize(K);
    for (int64_t p = 0; p < K; ++p) tmp[p] = B[p * ldb];
    B = tmp.data(), ldb = K, tb = true;
  }
  if (!tb) {
    // Rows of op(B) are contiguous: C(i,:) = beta*C(i,:) + sum_p alpha*A(i,p) * B(p,:),
    // in column chunks of C that stay in L1 while the rows of B stream past.
    constexpr int64_t kChunk = 16384 / sizeof(T);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j0 = 0; j0 < N; j0 += kChunk)
        axpy_rows(std::min(kChunk, N - j0), K, alpha, ta ? A + i : A + i * lda,
                  ta ? lda : 1, B + j0, ldb, beta, C + i * ldc + j0);
    return;
  }
  if (ta && N == 1) {
    // One column, A stored K x M: C(:,0) = sum_p B(p,0) * A[p, :] accumulated
    // contiguously in acc (C's column may be strided), then scaled into C.
    std::vector<T> acc(M);
    axpy_rows(M, K, T(1), B, 1, A, lda, T(0), acc.data());
    for (int64_t i = 0; i < M; ++i) {
      T& c = C[i * ldc];
      c = alpha * acc[i] + (beta == 0 ? T(0) : beta * c);
    }
    return;
  }
  // Columns of op(B) are contiguous: dot products against rows of op(A), gathering a
  // row first when A is stored transposed.
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

// GEMM kernels on raw row-major buffers: C = alpha * op(A) @ op(B) + beta * C.
#pragma once
#include <cstdint>
#include <functional>

#include "tg/half.h"

namespace tg::kernels {

// op(A) is M x K: A is stored M x K (lda >= K) or, with trans_a, K x M (lda >= M).
// op(B) is K x N: B is stored K x N (ldb >= N) or, with trans_b, N x K (ldb >= K).
// C is M x N with ldc >= N. beta == 0 ignores the old contents of C (NaN included).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
          double* C, int64_t ldc);
// Integer product (exact, wrapping modulo 2^64 as torch's integer kernels): a plain loop, one
// thread; integer matmul and convolution are correctness paths, not hot ones.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t alpha,
          const int64_t* A, int64_t lda, const int64_t* B, int64_t ldb, int64_t beta,
          int64_t* C, int64_t ldc);

// float16 / bfloat16 operands with a float32 C, accumulated in float32: the operands are converted
// while being packed, so no float32 copy of them is made (small and vector-shaped products, which
// do not pack, widen them once).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const Half* A, int64_t lda, const Half* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const BFloat16* A, int64_t lda, const BFloat16* B, int64_t ldb, float beta, float* C,
          int64_t ldc);

// Implicit GEMM: C = alpha * op(A) @ B + beta * C where B (K x N) is never stored; the caller's
// pack_b(k0, kc, j0, n, nr, dst) writes B[k0:k0+kc, j0:j0+n] in the packed layout: ceil(n/nr)
// slivers of kc x nr values, value (p, j) at dst[(j / nr) * kc * nr + p * nr + j % nr], the
// columns past n of the last sliver zero. (A convolution packs its column matrix straight from
// the image this way.) Threads split the columns, each packing its own blocks (calls may run
// concurrently on disjoint columns); every element of C sums K in the same blocks whatever the
// thread count.
template <typename T>
using ImplicitB = std::function<void(int64_t k0, int64_t kc, int64_t j0, int64_t n, int64_t nr, T* dst)>;
void gemm_implicit_b(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                     const ImplicitB<float>& pack_b, float beta, float* C, int64_t ldc);
void gemm_implicit_b(bool trans_a, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                     int64_t lda, const ImplicitB<double>& pack_b, double beta, double* C, int64_t ldc);

// Threads gemm() runs an M x N x K product on (float, or double when f64) with the current
// thread setting: the cost model's choice, 1 inside a parallel region.
int gemm_threads(bool f64, int64_t M, int64_t N, int64_t K);
// Multiply-adds below which a product runs on one thread (batched products split their batch).
constexpr int64_t kGemmWorkPerThread = int64_t(2) << 20;

// C_i = alpha op(A_i) op(B_i) + beta C_i for i < batch, A_i = A + i * stride_a (likewise B, C).
// Small matrices, whose product would run on one thread, are spread over threads by batch
// entry; larger ones run one after the other, each on all the threads it pays for. Either way
// every C_i gets the same bits as a lone gemm() call.
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  float alpha, const float* A, int64_t lda, int64_t stride_a, const float* B,
                  int64_t ldb, int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c);
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  double alpha, const double* A, int64_t lda, int64_t stride_a, const double* B,
                  int64_t ldb, int64_t stride_b, double beta, double* C, int64_t ldc,
                  int64_t stride_c);
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  float alpha, const Half* A, int64_t lda, int64_t stride_a, const Half* B,
                  int64_t ldb, int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c);
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  float alpha, const BFloat16* A, int64_t lda, int64_t stride_a, const BFloat16* B,
                  int64_t ldb, int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c);
// Threads gemm_batched gives the batch (> 1: split by entry; 1: each entry on gemm_threads).
int gemm_batch_threads(bool f64, int64_t batch, int64_t M, int64_t N, int64_t K);

// The cache blocks in use (from the detected cache sizes).
struct GemmBlocks {
  int64_t mc, kc, nc;
};
GemmBlocks gemm_blocks(bool f64);

}  // namespace tg::kernels

// GEMM kernels on raw row-major buffers: C = alpha * op(A) @ op(B) + beta * C.
#pragma once
#include <cstdint>

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

}  // namespace tg::kernels
